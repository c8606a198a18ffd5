//! Why a command failed, and the exit code that says so: the one place that
//! maps errors to exit codes (docs/MODEL.md §7).

use crate::analysis::backtest::ObservedError;
use crate::analysis::calibrate::RecordsError;
use crate::analysis::solve::SolveError;
use crate::analysis::sweep::SweepError;
use crate::engine::EngineError;
use crate::output::OutputError;
use crate::partial::PartialError;
use crate::report::ReportError;
use crate::scenario::ScenarioError;
use crate::scenario::overrides::OverrideError;

/// Exit code for bad input: an invalid scenario, flag, partial or CSV file,
/// or an output folder that needs `--force`.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a failure while running or writing results.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code after Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

/// A command's failure.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("{0}")]
    Overrides(#[from] OverrideError),
    /// A flag or argument the user gave is not acceptable.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Partial(#[from] PartialError),
    #[error("{0}")]
    Output(#[from] OutputError),
    #[error("{0}")]
    Sweep(#[from] SweepError),
    /// A damaged or unusable observed-data file given to `backtest`.
    #[error("{0}")]
    Observed(#[from] ObservedError),
    /// A bad pledge-records file (or `--by` column) given to `calibrate`.
    #[error("{0}")]
    Records(#[from] RecordsError),
    /// A damaged CSV file given to `report`, or one whose values cannot be
    /// drawn (a run's own report failing is [`Failure::Internal`]).
    #[error("{0}")]
    Report(#[from] ReportError),
    #[error("{0}")]
    Engine(EngineError),
    /// A bug in forcegen rather than in what it was given.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Failure {
    /// 2 for bad input or usage, 130 for an interrupt, 1 for anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Scenario(_)
            | Failure::Overrides(_)
            | Failure::Usage(_)
            | Failure::Sweep(_)
            | Failure::Observed(_)
            | Failure::Records(_)
            | Failure::Report(_) => EXIT_BAD_INPUT,
            Failure::Partial(e) if e.is_bad_input() => EXIT_BAD_INPUT,
            Failure::Output(e) if e.is_bad_input() => EXIT_BAD_INPUT,
            Failure::Engine(EngineError::Cancelled) => EXIT_INTERRUPTED,
            Failure::Partial(_) | Failure::Output(_) | Failure::Engine(_) | Failure::Internal(_) => EXIT_FAILURE,
        }
    }
}

/// A question `solve` cannot take is bad input (exit code 2); an engine
/// error stays one (Ctrl-C is 130).
impl From<SolveError> for Failure {
    fn from(error: SolveError) -> Failure {
        match error {
            SolveError::Overrides(e) => Failure::Overrides(e),
            SolveError::Engine(e) => Failure::Engine(e),
            SolveError::Trials(e) => Failure::Usage(e.to_string()),
            SolveError::Invalid(message) => Failure::Usage(message),
        }
    }
}

impl From<EngineError> for Failure {
    fn from(error: EngineError) -> Failure {
        Failure::Engine(error)
    }
}
