//! What every command shares: the output and simulation flags (one clap
//! struct, flattened into each command), loading the scenario, and where
//! results go by default.

use std::path::{Path, PathBuf};

use clap::Args;

use super::Failure;
use crate::analysis::precision::Rule;
use crate::scenario::overrides;
use crate::scenario::{self, BASELINE_NAME, BASELINE_TEXT, STDIN_NAME, Scenario, ScenarioError};

/// Most worker threads anyone may ask for; past it `--threads` is refused.
pub const MAX_THREADS: usize = 1024;
/// Threads per core beyond which more threads only cost memory: a larger
/// `--threads` is lowered to this many per core (results do not depend on it).
pub const THREADS_PER_CORE: usize = 4;

/// Where results go and how much is said on the terminal.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputOptions {
    /// Output folder [default: output/<scenario file stem>/, with -<command>
    /// appended for the analysis commands].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar and no summary on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace results of another scenario (or files forcegen did not write)
    /// that have this command's file names in the output folder. Without it,
    /// such a folder is refused (exit code 2); rerunning the same scenario
    /// (any seed or trials) needs no --force.
    #[arg(long)]
    pub force: bool,
}

/// The flags of every command that simulates.
#[derive(Debug, Clone, Default, Args)]
pub struct RunOptions {
    #[command(flatten)]
    pub output: OutputOptions,
    /// Number of trials (overrides simulation.trials).
    #[arg(long)]
    pub trials: Option<u64>,
    /// Random seed (overrides simulation.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// `--observed` and `--min-accepted`.
#[derive(Debug, Clone, Default, Args)]
pub struct ObservedOptions {
    /// Condition the run on observations: a CSV file with columns date,
    /// metric, value and optionally contributor and error (relative, e.g.
    /// 0.1 for "about"; empty or 0: exact). Only the trials consistent with
    /// them are kept (approximate Bayesian rejection, docs/MODEL.md §5.19);
    /// posterior.csv and observations.csv are written too.
    #[arg(long, value_name = "FILE", conflicts_with = "until_se")]
    pub observed: Option<PathBuf>,
    /// With --observed: the fewest kept trials a run may rest on; with
    /// fewer it is refused [default: 100].
    #[arg(long, value_name = "N", requires = "observed")]
    pub min_accepted: Option<u64>,
}

/// `--until-se` and `--max-trials` (`run`, `sweep`, `compare`, `solve`).
#[derive(Debug, Clone, Default, Args)]
pub struct PrecisionOptions {
    /// Add batches of trials (the first: --trials, rounded up to a multiple
    /// of 512) until every target's probability has a standard error of at
    /// most SE, or --max-trials is reached. The results equal those of a
    /// plain run of the trials it ends with.
    #[arg(long, value_name = "SE")]
    pub until_se: Option<f64>,
    /// With --until-se: the most trials to run [default: 1,000,000].
    #[arg(long, value_name = "N", requires = "until_se")]
    pub max_trials: Option<u64>,
}

impl PrecisionOptions {
    /// The checked rule, if `--until-se` was given; `trials` is the first
    /// batch's (`--trials` or the scenario's).
    pub fn rule(&self, trials: u64) -> Result<Option<Rule>, Failure> {
        self.until_se
            .map(|se| Rule::new(se, self.max_trials, trials).map_err(Failure::Usage))
            .transpose()
    }
}

impl RunOptions {
    /// Applies `--trials` and `--seed` (which win over the file and `--set`).
    pub fn apply_to(&self, scenario: &mut Scenario) -> Result<(), Failure> {
        crate::analysis::set_trials_and_seed(scenario, self.trials, self.seed)
            .map_err(|e| Failure::Usage(e.to_string()))
    }

    /// The number of worker threads to start (0: one per core), within
    /// [`THREADS_PER_CORE`] per core; more than [`MAX_THREADS`] is refused.
    pub fn threads(&self) -> Result<usize, Failure> {
        let Some(asked) = self.threads else {
            return Ok(0);
        };
        if asked > MAX_THREADS {
            return Err(Failure::Usage(format!(
                "--threads must be at most {MAX_THREADS}, got {asked} (results do not depend on the number of \
                 threads; by default there is one per core)"
            )));
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(asked.min(cores.saturating_mul(THREADS_PER_CORE)))
    }
}

/// A date flag (`--report-date`, ...): the one date grammar of
/// [`crate::scenario::dates`], `YYYY-MM-DD`; clap shows the error.
pub fn date_flag(text: &str) -> Result<chrono::NaiveDate, String> {
    crate::scenario::dates::parse(text)
}

/// The text of the scenario file (or of the built-in baseline) and the
/// name messages give it.
/// `-` reads the scenario from standard input, named `<stdin>`.
pub fn scenario_text(path: Option<&Path>) -> Result<(String, String), ScenarioError> {
    match path {
        Some(path) if is_stdin(path) => Ok((scenario::read_stdin()?, STDIN_NAME.to_string())),
        Some(path) => Ok((scenario::read_file(path)?, path.display().to_string())),
        None => Ok((BASELINE_TEXT.to_string(), format!("{BASELINE_NAME} (built in)"))),
    }
}

/// True for `-`, the scenario path that means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// Loads the scenario file, or the built-in baseline when there is none,
/// with the `--set PATH=VALUE` overrides `sets` applied in order.
pub fn load_scenario(path: Option<&Path>, sets: &[String]) -> Result<Scenario, Failure> {
    let (text, file) = scenario_text(path)?;
    Ok(overrides::apply(&text, &file, sets)?)
}

/// `output/<scenario file stem>/`, or `output/<stem>-<suffix>/` for an
/// analysis command's files beside the run's own folder; `output/stdin/`
/// for a scenario read from standard input (`-`).
pub fn default_out_dir(scenario_path: Option<&Path>, suffix: Option<&str>) -> PathBuf {
    let stdin = Path::new("stdin");
    let mut stem = scenario_path
        .map(|p| if is_stdin(p) { stdin } else { p })
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| BASELINE_NAME.trim_end_matches(".toml").to_string());
    if let Some(suffix) = suffix {
        stem.push('-');
        stem.push_str(suffix);
    }
    Path::new("output").join(stem)
}

/// `--out`, or the default folder of [`default_out_dir`].
pub fn out_dir(options: &OutputOptions, scenario_path: Option<&Path>, suffix: Option<&str>) -> PathBuf {
    options
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(scenario_path, suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_folders_sit_under_output() {
        assert_eq!(
            default_out_dir(Some(Path::new("a/b/haiti.toml")), None),
            Path::new("output/haiti")
        );
        assert_eq!(
            default_out_dir(Some(Path::new("haiti.toml")), Some("sweep")),
            Path::new("output/haiti-sweep")
        );
        assert_eq!(default_out_dir(None, None), Path::new("output/haiti-mss-2024-09"));
        assert_eq!(default_out_dir(Some(Path::new("-")), None), Path::new("output/stdin"));
    }

    #[test]
    fn thread_counts_are_bounded() {
        let options = |threads| RunOptions {
            threads: Some(threads),
            ..RunOptions::default()
        };
        assert!(options(MAX_THREADS + 1).threads().is_err());
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(
            options(MAX_THREADS).threads().ok(),
            Some(MAX_THREADS.min(cores * THREADS_PER_CORE))
        );
        assert_eq!(options(1).threads().ok(), Some(1));
        assert_eq!(RunOptions::default().threads().ok(), Some(0));
    }
}
