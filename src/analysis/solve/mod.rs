//! `forcegen solve`: the smallest (or, with `--largest`, the largest) value
//! of one input for which the chance of reaching a target by a date is at
//! least a goal, with the values whose chance is not distinguishable from
//! the goal at the trials used.
//!
//! Every value is run on the same trials with the same seed (common random
//! numbers, as in `sweep`): each is the scenario with `--set PATH=VALUE`,
//! so a value's chance is exactly what `sweep` or `run --set` give for it.
//! The search is in `search`, the values of a range in `grid`, the files
//! in `files`.
//!
//! The rules: docs/MODEL.md §5.17.

mod files;
mod grid;
mod search;

use std::ops::Range;

use chrono::NaiveDate;

pub use files::{Solved, info, render_summary, render_values};
pub use grid::Grid;
pub use search::{Answer, Count, Ends, Goal, Refusal, Search, Trials, Z};

use crate::engine::{self, EngineError, Progress};
use crate::model::{Model, Trial};
use crate::output::schema;
use crate::scenario::Scenario;
use crate::scenario::overrides::{self, OverrideError};

/// `solve.csv`: every value tried.
pub const FILE: &str = schema::SOLVE;
/// `solve_summary.csv`: one answer per input.
pub const SUMMARY_FILE: &str = schema::SOLVE_SUMMARY;
/// What produced them.
pub const INFO_FILE: &str = schema::SOLVE_INFO;
/// Fields no value of which may be solved for: every value runs the same
/// trials with the same seed.
const SAME_FOR_EVERY_VALUE: [&str; 3] = ["simulation.seed", "simulation.trials", "simulation.start"];

/// Why `solve` cannot answer.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    #[error("{0}")]
    Overrides(#[from] OverrideError),
    #[error("{0}")]
    Trials(#[from] super::TrialsOutOfRange),
    /// A flag is not acceptable, or the question has no answer in the range.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Engine(#[from] EngineError),
}

/// What is asked: a chance of at least `chance` that `target` is reached
/// by `by` (that it is not, with `avoid`).
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub target: String,
    pub by: NaiveDate,
    pub chance: f64,
    pub largest: bool,
    pub avoid: bool,
}

impl Question {
    /// Checks the question against the scenario: the target is one of its
    /// own, the date within its period (`None`: its `report_date`, else
    /// the horizon), the chance strictly between 0 and 1.
    pub fn new(
        scenario: &Scenario,
        target: &str,
        by: Option<NaiveDate>,
        chance: f64,
        (largest, avoid): (bool, bool),
    ) -> Result<Question, SolveError> {
        if !(chance > 0.0 && chance < 1.0) {
            return Err(SolveError::Invalid(format!(
                "--chance must be a probability above 0 and below 1, got {chance}"
            )));
        }
        if !scenario.targets.iter().any(|t| t.name == target) {
            let names: Vec<String> = scenario.targets.iter().map(|t| format!("\"{}\"", t.name)).collect();
            return Err(SolveError::Invalid(match names.is_empty() {
                true => format!("--target \"{target}\": the scenario has no [[targets]]"),
                false => format!(
                    "--target \"{target}\": not a target of the scenario; its targets: {}",
                    names.join(", ")
                ),
            }));
        }
        let horizon = scenario.date_of(scenario.simulation.horizon_days);
        let by = by.or(scenario.simulation.report_date).unwrap_or(horizon);
        let question = Question {
            target: target.to_string(),
            by,
            chance,
            largest,
            avoid,
        };
        question.locate(scenario)?;
        Ok(question)
    }

    /// The target's index in `scenario` and the day of the date.
    pub fn locate(&self, scenario: &Scenario) -> Result<(usize, u32), SolveError> {
        let (start, horizon) = (scenario.simulation.start, scenario.simulation.horizon_days);
        let end = scenario.date_of(horizon);
        let day = (self.by - start).num_days();
        if !(0..=i64::from(horizon)).contains(&day) {
            return Err(SolveError::Invalid(format!(
                "--by {}: outside the simulated period, {start} to {end}",
                self.by
            )));
        }
        let t = scenario
            .targets
            .iter()
            .position(|t| t.name == self.target)
            .ok_or_else(|| {
                SolveError::Invalid(format!("target \"{}\" is missing from a changed scenario", self.target))
            })?;
        Ok((t, day as u32))
    }

    /// The event counted, in words: "\"X\" is reached by D" or "\"X\"
    /// is not reached by D".
    pub fn event(&self) -> String {
        match self.avoid {
            false => format!("\"{}\" is reached by {}", self.target, self.by),
            true => format!("\"{}\" is not reached by {}", self.target, self.by),
        }
    }

    pub fn goal(&self) -> Goal {
        Goal {
            chance: self.chance,
            largest: self.largest,
        }
    }
}

/// One input to solve for: `--vary PATH` as given, the field it names,
/// and the values of its `--range`.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub path: String,
    pub field: String,
    pub grid: Grid,
}

/// The scenario text and what applies at every value: the `--set`
/// overrides, `--trials` and `--seed`.
#[derive(Debug, Clone)]
pub struct Setup<'a> {
    pub text: &'a str,
    pub file: &'a str,
    pub sets: Vec<String>,
    pub trials: Option<u64>,
    pub seed: Option<u64>,
}

impl Setup<'_> {
    /// The scenario with the `--set` overrides, then `extra` (`PATH=VALUE`).
    pub fn scenario(&self, extra: Option<String>) -> Result<Scenario, SolveError> {
        let mut sets = self.sets.clone();
        sets.extend(extra);
        let mut scenario = overrides::apply(self.text, self.file, &sets)?;
        super::set_trials_and_seed(&mut scenario, self.trials, self.seed)?;
        Ok(scenario)
    }

    /// The scenario at value `k` of `axis`.
    pub fn at(&self, axis: &Axis, k: usize) -> Result<Scenario, SolveError> {
        self.scenario(Some(format!("{}={}", axis.path, axis.grid.text(k))))
    }

    /// Reads each `--vary PATH` with its `--range` (and `--resolution`, one
    /// per `--vary` or none), and checks the scenario at both ends of each
    /// range before anything is run.
    pub fn axes(&self, varies: &[String], ranges: &[String], resolutions: &[String]) -> Result<Vec<Axis>, SolveError> {
        if varies.len() != ranges.len() || !(resolutions.is_empty() || resolutions.len() == varies.len()) {
            return Err(SolveError::Invalid(format!(
                "give one --range for each --vary (and one --resolution for each, or none): {} --vary, {} --range, \
                 {} --resolution",
                varies.len(),
                ranges.len(),
                resolutions.len()
            )));
        }
        let mut axes: Vec<Axis> = Vec::new();
        for (i, (vary, range)) in varies.iter().zip(ranges).enumerate() {
            let grid = Grid::parse(range, resolutions.get(i).map(String::as_str)).map_err(SolveError::Invalid)?;
            let spec = format!("{}={}", vary.trim(), grid.text(0));
            let (path, field, _) = overrides::split_set(self.text, self.file, &spec)?;
            if SAME_FOR_EVERY_VALUE.contains(&field.as_str()) {
                return Err(SolveError::Invalid(format!(
                    "--vary {field}: every value runs the same trials from the same start with the same seed; set \
                     it with --trials, --seed or --set"
                )));
            }
            if axes.iter().any(|a| a.field == field) {
                return Err(SolveError::Invalid(format!("--vary {field} is given twice")));
            }
            let mut axis = Axis { path, field, grid };
            if self.is_whole(&axis)? {
                axis.grid = axis.grid.whole();
            }
            self.at(&axis, 0)?;
            self.at(&axis, axis.grid.len() - 1)?;
            axes.push(axis);
        }
        Ok(axes)
    }
}

impl Setup<'_> {
    /// True for a field of whole numbers: an uncertain input of people or
    /// days (rounded when drawn), or a plain field that rounds a value a
    /// quarter off the range's start back to it (`pledged`, `waves`).
    fn is_whole(&self, axis: &Axis) -> Result<bool, SolveError> {
        let start = self.at(axis, 0)?;
        if let Some(input) = start.inputs().into_iter().find(|i| i.path == axis.field) {
            use crate::scenario::ValueKind::{Count, Day, PositiveCount, SignedDay};
            return Ok(matches!(input.kind, Count | PositiveCount | Day | SignedDay));
        }
        let Grid::Numbers { lo, .. } = axis.grid else {
            return Ok(false);
        };
        // The scenario as read, without the text it was read from.
        let read = |mut s: Scenario| {
            s.source.clear();
            s.overrides.clear();
            format!("{s:?}")
        };
        let off = format!("{}={}", axis.path, crate::output::number(lo + 0.25, 6));
        let off = self.scenario(Some(off));
        Ok(lo.fract() == 0.0 && off.is_ok_and(|off| read(off) == read(start)))
    }
}

/// Whether the event asked about happened in `trial`: the target `t`
/// reached by `day` (or not, with `avoid`).
fn happened(trial: &Trial, (t, day): (usize, u32), avoid: bool) -> bool {
    let reached = trial.first_reached.get(t).copied().flatten().is_some_and(|d| d <= day);
    reached != avoid
}

/// The event's count in `model` over `trials`; `at` is the target's index
/// and the day (see [`Question::locate`]).
pub fn count(
    model: &Model,
    at: (usize, u32),
    avoid: bool,
    trials: Range<u64>,
    threads: usize,
    progress: &Progress,
) -> Result<Count, EngineError> {
    let parts = engine::map_chunks(trials, threads, progress, |chunk| {
        let mut trial = Trial::default();
        let mut count = Count::default();
        for index in chunk {
            model.run_trial(index, &mut trial);
            count.add(Count {
                hits: u64::from(happened(&trial, at, avoid)),
                trials: 1,
            });
        }
        count
    })?;
    Ok(parts.into_iter().fold(Count::default(), |mut total, part| {
        total.add(part);
        total
    }))
}

/// Both ends of a range on the same trials, and the trials where their
/// events differ.
pub fn count_ends(
    models: [(&Model, (usize, u32)); 2],
    avoid: bool,
    trials: Range<u64>,
    threads: usize,
    progress: &Progress,
) -> Result<Ends, EngineError> {
    let parts = engine::map_chunks(trials, threads, progress, |chunk| {
        let (mut a, mut b) = (Trial::default(), Trial::default());
        let mut ends = Ends::default();
        for index in chunk {
            models[0].0.run_trial(index, &mut a);
            models[1].0.run_trial(index, &mut b);
            let (x, y) = (happened(&a, models[0].1, avoid), happened(&b, models[1].1, avoid));
            ends.lo.add(Count {
                hits: u64::from(x),
                trials: 1,
            });
            ends.hi.add(Count {
                hits: u64::from(y),
                trials: 1,
            });
            ends.differ += u64::from(x != y);
        }
        ends
    })?;
    Ok(parts.into_iter().fold(Ends::default(), |mut total, part| {
        total.lo.add(part.lo);
        total.hi.add(part.hi);
        total.differ += part.differ;
        total
    }))
}

/// The message of a search without an answer.
pub fn refusal_message(axis: &Axis, question: &Question, refusal: Refusal, trials: u64) -> String {
    let (field, grid) = (&axis.field, &axis.grid);
    let (lo, hi) = (grid.text(0), grid.text(grid.len() - 1));
    let percent = |p: f64| format!("{:.1}%", 100.0 * p);
    match refusal {
        Refusal::NoEffect { chance } => format!(
            "--vary {field}: {} in exactly the same trials at {lo} as at {hi} (in {} of all {trials}): this input \
             does not change it over the range (a constant no trial uses, or one without effect on this target), \
             so no value of it can be solved for",
            question.event(),
            percent(chance),
        ),
        Refusal::NotReached { start, end } => {
            let (first, last) = if question.largest { (&hi, &lo) } else { (&lo, &hi) };
            let hint = if start.chance() > end.chance() {
                format!(
                    "; the chance falls from {first} to {last}, so {} may be what you mean",
                    if question.largest {
                        "leaving out --largest"
                    } else {
                        "--largest"
                    }
                )
            } else {
                "; widen the range".to_string()
            };
            format!(
                "--vary {field}: the goal, a chance of at least {} that {}, is not reached inside {lo}..{hi}: the \
                 chance is {} (SE {:.1} points) at {first} and {} (SE {:.1}) at {last}{hint}",
                percent(question.chance),
                question.event(),
                percent(start.chance()),
                100.0 * start.se(),
                percent(end.chance()),
                100.0 * end.se(),
            )
        }
    }
}

/// What the terminal adds to an answer: the goal met at the start of the
/// range, an interval that reaches an end of it, a chance that does not
/// rise steadily with the value.
pub fn notes(axis: &Axis, question: &Question, answer: &Answer) -> Vec<String> {
    let (field, grid) = (&axis.field, &axis.grid);
    let (lo, hi) = (grid.text(0), grid.text(grid.len() - 1));
    let (start, end, beyond) = match question.largest {
        false => (&lo, &hi, "below"),
        true => (&hi, &lo, "above"),
    };
    let mut notes = Vec::new();
    if answer.at_start {
        notes.push(format!(
            "{field}: the goal is met already at {start}, the start of the range; a value {beyond} it may meet it \
             too (widen the range)"
        ));
    } else if answer.open_start {
        notes.push(format!(
            "{field}: the values not distinguishable from the goal reach {start}, the start of the range, and may \
             go on past it"
        ));
    }
    if answer.open_end {
        notes.push(format!(
            "{field}: the values not distinguishable from the goal reach {end}, the end of the range, and may go on \
             past it"
        ));
    }
    if !answer.steady {
        notes.push(format!(
            "{field}: the chance does not move steadily towards the goal over the values tried (it turns back by \
             more than two standard errors): the answer is one crossing of the goal; `forcegen sweep` shows the \
             whole curve"
        ));
    }
    notes
}
