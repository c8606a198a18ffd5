//! `forcegen solve`: the value of an input that gives a target the chance
//! asked for by a date, into `solve.csv`, `solve_summary.csv` and
//! `solve.html`.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::options::{out_dir, scenario_text};
use super::progress::Meter;
use super::terminal::{aligned, safe_line};
use super::{Failure, PrecisionOptions, RunOptions, interrupt};
use crate::analysis::precision::{self, Stop};
use crate::analysis::solve::{self, Axis, Count, Ends, Question, Search, Setup, Solved, Trials};
use crate::model::Model;
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::{Identity, schema, sha256_hex};

/// The files `solve` owns in its folder.
const FILES: FileSet = FileSet {
    owned: &[solve::FILE, solve::SUMMARY_FILE, solve::INFO_FILE, schema::SOLVE_PAGE],
    info: solve::INFO_FILE,
};

#[derive(Debug, Args)]
pub struct SolveArgs {
    /// The scenario file (TOML; - reads standard input) [default: the built-in Haiti baseline].
    pub scenario: Option<PathBuf>,
    /// The target whose chance is asked for (its name in [[targets]]).
    #[arg(long, value_name = "NAME")]
    pub target: String,
    /// The date it must be reached by [default: the scenario's
    /// simulation.report_date, else the horizon].
    #[arg(long, value_name = "DATE", value_parser = super::options::date_flag)]
    pub by: Option<chrono::NaiveDate>,
    /// The chance asked for, above 0 and below 1 (0.8 = 80%).
    #[arg(long, value_name = "P")]
    pub chance: f64,
    /// The input to solve for (repeatable: each is solved alone, the others
    /// as the scenario has them): PATH as in `run --set`.
    #[arg(long = "vary", value_name = "PATH", required = true)]
    pub varies: Vec<String>,
    /// The values to search, one per --vary: LO..HI, two numbers
    /// (0..200e6) or two dates (2026-05-01..2026-09-30).
    #[arg(long = "range", value_name = "LO..HI", required = true)]
    pub ranges: Vec<String>,
    /// The step the search stops at, one per --vary (days for dates)
    /// [default: the round number next above a thousandth of the range;
    /// whole numbers for people and days].
    #[arg(long = "resolution", value_name = "STEP")]
    pub resolutions: Vec<String>,
    /// The largest value with the chance asked for (for an input the target
    /// likes small: a delay), instead of the smallest.
    #[arg(long)]
    pub largest: bool,
    /// Ask for the chance that the target is NOT reached by the date (for a
    /// target that marks a failure, such as pay in arrears).
    #[arg(long)]
    pub avoid: bool,
    /// Change one value of the scenario first (repeatable), as `run --set`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    #[command(flatten)]
    pub options: RunOptions,
    #[command(flatten)]
    pub precision: PrecisionOptions,
}

/// `forcegen solve`.
pub fn run(args: &SolveArgs) -> Result<(), Failure> {
    interrupt::install();
    let (text, file) = scenario_text(args.scenario.as_deref())?;
    let setup = Setup {
        text: &text,
        file: &file,
        sets: args.sets.clone(),
        trials: args.options.trials,
        seed: args.options.seed,
    };
    let mut base = setup.scenario(None)?;
    let threads = args.options.threads()?;
    let flags = (args.largest, args.avoid);
    let question = Question::new(&base, &args.target, args.by, args.chance, flags)?;
    let axes = setup.axes(&args.varies, &args.ranges, &args.resolutions)?;
    let rule = args.precision.rule(base.simulation.trials)?;
    let out = out_dir(&args.options.output, args.scenario.as_deref(), Some("solve"));
    let sha256 = sha256_hex(&text);
    let owner = Identity {
        name: base.name.clone(),
        sha256: sha256.clone(),
    };
    let folder = OutputFolder::open(&out, FILES, &owner, args.options.output.force)?;
    let started = Instant::now();
    let context = Context {
        setup: &setup,
        question: &question,
        threads,
        quiet: args.options.output.quiet,
    };
    let mut searches: Vec<Search> = axes
        .iter()
        .map(|a| Search::new(a.grid.clone(), question.goal()))
        .collect();
    let trials = base.simulation.trials;
    let (solved, stop) = match rule {
        None => (context.solve_all(&axes, &mut searches, trials)?, None),
        Some(rule) => {
            let mut solved = Vec::new();
            let stop = precision::batches(&rule, trials, |range, _| {
                solved = context.solve_all(&axes, &mut searches, range.end)?;
                Ok::<f64, Failure>(solved.iter().map(|s| s.answer.count.se()).fold(0.0, f64::max))
            })?;
            (solved, Some(stop))
        }
    };
    base.simulation.trials = solved.first().map_or(trials, |s| s.answer.count.trials);
    let extra = stop.map(|s| s.info_columns()).unwrap_or_default();
    let info = solve::info(&base, &sha256, &question, (&args.sets, &axes), &extra);
    let mut files = vec![
        (solve::FILE, solve::render_values(&solved)),
        (solve::SUMMARY_FILE, solve::render_summary(&solved)),
        (solve::INFO_FILE, info),
    ];
    let page = crate::report::pages::solve::render(&files)?;
    files.push((schema::SOLVE_PAGE, page.into_bytes()));
    interrupt::check()?;
    folder.commit(&files)?;
    if !context.quiet {
        let elapsed = started.elapsed().as_secs_f64();
        print_answers(&base, &question, &solved, stop.as_ref(), elapsed, &out);
    }
    Ok(())
}

/// What every search of one `solve` shares.
struct Context<'a> {
    setup: &'a Setup<'a>,
    question: &'a Question,
    threads: usize,
    quiet: bool,
}

impl Context<'_> {
    /// Each input's search on trials `0..n`; a search without an answer
    /// stops `solve` with its reason.
    fn solve_all(&self, axes: &[Axis], searches: &mut [Search], n: u64) -> Result<Vec<Solved>, Failure> {
        let mut solved = Vec::new();
        for (axis, search) in axes.iter().zip(searches.iter_mut()) {
            let mut engine = Engine { context: self, axis };
            match search.solve(n, &mut engine)? {
                Ok(answer) => solved.push(Solved {
                    axis: axis.clone(),
                    answer,
                }),
                Err(refusal) => {
                    let message = solve::refusal_message(axis, self.question, refusal, n);
                    return Err(Failure::Usage(message));
                }
            }
        }
        Ok(solved)
    }
}

/// The engine behind one input's search: each value's scenario, run under
/// a progress bar that names it.
struct Engine<'a> {
    context: &'a Context<'a>,
    axis: &'a Axis,
}

impl Engine<'_> {
    /// The model of value `k` and where its target and date are.
    fn model(&self, k: usize) -> Result<(Model, (usize, u32)), Failure> {
        let scenario = self.context.setup.at(self.axis, k)?;
        let at = self.context.question.locate(&scenario)?;
        Ok((Model::new(&scenario), at))
    }

    fn meter(&self, trials: &Range<u64>, label: String) -> (Meter, u64) {
        let n = trials.end - trials.start;
        (Meter::new(n, self.context.quiet, Some(label)), n)
    }
}

impl Trials for Engine<'_> {
    type Error = Failure;

    fn count(&mut self, k: usize, trials: Range<u64>) -> Result<Count, Failure> {
        let (model, at) = self.model(k)?;
        let (mut meter, n) = self.meter(&trials, format!("{} = {}", self.axis.field, self.axis.grid.text(k)));
        let (avoid, threads) = (self.context.question.avoid, self.context.threads);
        meter.run(n, |progress| {
            solve::count(&model, at, avoid, trials.clone(), threads, progress)
        })
    }

    fn ends(&mut self, trials: Range<u64>) -> Result<Ends, Failure> {
        let last = self.axis.grid.len() - 1;
        let (lo, hi) = (self.model(0)?, self.model(last)?);
        let label = format!("{} at both ends", self.axis.field);
        let (mut meter, n) = self.meter(&trials, label);
        let (avoid, threads) = (self.context.question.avoid, self.context.threads);
        let models = [(&lo.0, lo.1), (&hi.0, hi.1)];
        meter.run(n, |progress| {
            solve::count_ends(models, avoid, trials.clone(), threads, progress)
        })
    }
}

/// The summary on the terminal: the question, then each input's answer
/// and the values not distinguishable from the goal, with notes.
fn print_answers(
    base: &crate::scenario::Scenario,
    question: &Question,
    solved: &[Solved],
    stop: Option<&Stop>,
    elapsed: f64,
    out: &std::path::Path,
) {
    let direction = if question.largest { "largest" } else { "smallest" };
    println!(
        "{}: the {direction} value for a chance of at least {:.1}% that {}; {} trials per value (seed {}) in \
         {elapsed:.2} s; results in {}",
        safe_line(&base.name),
        100.0 * question.chance,
        safe_line(&question.event()),
        base.simulation.trials,
        base.simulation.seed,
        safe_line(&out.join(solve::SUMMARY_FILE).display().to_string())
    );
    super::terminal::print_precision(stop, "the chance at every answer");
    let goal = format!("within 2 SE of {:.1}%", 100.0 * question.chance);
    let mut table = vec![vec![
        "input".to_string(),
        "answer".to_string(),
        goal,
        "chance at the answer".to_string(),
        "values tried".to_string(),
    ]];
    for s in solved {
        let (grid, answer) = (&s.axis.grid, &s.answer);
        table.push(vec![
            safe_line(&s.axis.field),
            grid.text(answer.answer),
            format!("{} to {}", grid.text(answer.low), grid.text(answer.high)),
            format!(
                "{:.1}% (SE {:.1})",
                100.0 * answer.count.chance(),
                100.0 * answer.count.se()
            ),
            answer.tried.len().to_string(),
        ]);
    }
    print!("{}", aligned(&table));
    for s in solved {
        for note in solve::notes(&s.axis, question, &s.answer) {
            eprintln!("note: {}", safe_line(&note));
        }
    }
}
