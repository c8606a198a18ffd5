//! Every file forcegen writes, and every fixed column, in one place
//! (docs/MODEL.md §5): the writers, the report reader and the tests all
//! take names from here, so a renamed column changes in one line.

/// The five CSV files of a run, in the order they are written.
pub const RUN_FILES: [&str; 5] = [TIMESERIES, TARGETS, SUMMARY, CONTRIBUTORS, RUN_INFO];

pub const TIMESERIES: &str = "timeseries.csv";
pub const TARGETS: &str = "targets.csv";
pub const SUMMARY: &str = "summary.csv";
pub const CONTRIBUTORS: &str = "contributors.csv";
pub const RUN_INFO: &str = "run_info.csv";
/// `run --wide`: `timeseries.csv` pivoted to one row per date.
pub const WIDE: &str = "timeseries_wide.csv";

/// The CSV files a run writes besides [`RUN_FILES`], for the report: the
/// scenario's benchmarks, the distribution on one date, the drivers and the
/// assumptions. The report reads them when they are there; a folder from
/// an older forcegen, without them, still gives a report (saying what is
/// missing).
pub const RUN_EXTRA_FILES: [&str; 4] = [BENCHMARKS, DISTRIBUTION, DRIVERS, ASSUMPTIONS];

pub const BENCHMARKS: &str = "benchmarks.csv";
pub const DISTRIBUTION: &str = "distribution.csv";
pub const DRIVERS: &str = "drivers.csv";
pub const ASSUMPTIONS: &str = "assumptions.csv";

/// The CSV files of a run conditioned on observations (`run --observed`),
/// after the others: what the observations taught about each input, and
/// the observations the run was conditioned on. The report reads them when
/// they are there.
pub const CONDITIONED_FILES: [&str; 2] = [POSTERIOR, OBSERVATIONS];

pub const POSTERIOR: &str = "posterior.csv";
pub const OBSERVATIONS: &str = "observations.csv";
pub const POSTERIOR_COLUMNS: [&str; 9] = [
    "input",
    "mean_before",
    "mean_after",
    "p5_before",
    "p5_after",
    "p50_before",
    "p50_after",
    "p95_before",
    "p95_after",
];
/// One row per metric and date observed (rows of one metric on one date
/// combined), in date order.
pub const OBSERVATIONS_COLUMNS: [&str; 10] = [
    "date",
    "day",
    "metric",
    "value",
    "error",
    "rows",
    "line",
    "mean_before",
    "mean_after",
    "mean_likelihood",
];
/// The columns `run_info.csv` gains with `--observed`.
pub const CONDITIONED_INFO_COLUMNS: [&str; 6] = [
    "observed_file",
    "observed_sha256",
    "observations",
    "trials_run",
    "trials_accepted",
    "min_accepted",
];

/// The report page and its charts, in the order they are written.
pub const REPORT_FILES: [&str; 6] = [
    "report.html",
    "chart_international.svg",
    "chart_police_ratio.svg",
    "chart_targets.svg",
    "chart_contributors.svg",
    "chart_distribution.svg",
];

/// `--xlsx` (`run`, `merge`, `report`): the CSV files in one workbook, with
/// charts.
pub const WORKBOOK: &str = "results.xlsx";

/// The files `report --xlsx` replaces: the report and the workbook.
pub const REPORT_AND_WORKBOOK: [&str; 7] = [
    REPORT_FILES[0],
    REPORT_FILES[1],
    REPORT_FILES[2],
    REPORT_FILES[3],
    REPORT_FILES[4],
    REPORT_FILES[5],
    WORKBOOK,
];

/// Every file a run writes or removes in its output folder: the CSV files,
/// the wide file, the report, the workbook and a conditioned run's files. A folder holding any of them
/// is a run's folder, owned by the scenario named in its `run_info.csv`.
pub const RUN_OWNED: [&str; 19] = [
    TIMESERIES,
    TARGETS,
    SUMMARY,
    CONTRIBUTORS,
    RUN_INFO,
    WIDE,
    REPORT_FILES[0],
    REPORT_FILES[1],
    REPORT_FILES[2],
    REPORT_FILES[3],
    REPORT_FILES[4],
    REPORT_FILES[5],
    BENCHMARKS,
    DISTRIBUTION,
    DRIVERS,
    ASSUMPTIONS,
    WORKBOOK,
    POSTERIOR,
    OBSERVATIONS,
];

/// The statistics of each metric and day, in column order (`mean`, `sd`,
/// then the percentiles).
pub const STATS: [&str; 7] = ["mean", "sd", "p5", "p25", "p50", "p75", "p95"];

pub const TIMESERIES_COLUMNS: [&str; 10] = ["date", "day", "metric", "mean", "sd", "p5", "p25", "p50", "p75", "p95"];

/// The header of `timeseries.csv` with the percentile columns `percents`
/// (`run --percentiles 1,10,50,90,99`: `p1`, `p10`, ...); the default
/// gives [`TIMESERIES_COLUMNS`].
pub fn timeseries_columns(percents: &[u32]) -> Vec<String> {
    let mut header: Vec<String> = TIMESERIES_COLUMNS[..5].iter().map(|c| c.to_string()).collect();
    header.extend(percents.iter().map(|p| format!("p{p}")));
    header
}
pub const TARGETS_COLUMNS: [&str; 5] = ["target", "date", "day", "p_reached", "p_reached_se"];
pub const SUMMARY_COLUMNS: [&str; 8] = [
    "target",
    "metric",
    "at_least",
    "p_reached_by_horizon",
    "p_reached_by_horizon_se",
    "date_p5",
    "date_p50",
    "date_p95",
];
pub const CONTRIBUTORS_COLUMNS: [&str; 7] = [
    "contributor",
    "pledged",
    "mean_delivered",
    "p_full_delivery",
    "last_wave_date_p5",
    "last_wave_date_p50",
    "last_wave_date_p95",
];

/// The first columns of every info file (`run_info.csv`, `sweep_info.csv`,
/// ...): who wrote the folder's files, from what.
pub const INFO_COLUMNS: [&str; 6] = [
    "scenario",
    "scenario_sha256",
    "seed",
    "trials",
    "forcegen_version",
    "generator",
];
pub const RUN_INFO_COLUMNS: [&str; 10] = [
    INFO_COLUMNS[0],
    INFO_COLUMNS[1],
    INFO_COLUMNS[2],
    INFO_COLUMNS[3],
    INFO_COLUMNS[4],
    INFO_COLUMNS[5],
    "start",
    "horizon_days",
    "step",
    "overrides",
];

/// The header of each CSV file of a run, in [`RUN_FILES`] order.
pub const RUN_COLUMNS: [&[&str]; 5] = [
    &TIMESERIES_COLUMNS,
    &TARGETS_COLUMNS,
    &SUMMARY_COLUMNS,
    &CONTRIBUTORS_COLUMNS,
    &RUN_INFO_COLUMNS,
];

pub const BENCHMARKS_COLUMNS: [&str; 4] = ["name", "metric", "value", "source"];
pub const DISTRIBUTION_COLUMNS: [&str; 4] = ["metric", "date", "value", "share"];
/// `drivers.csv`: the columns of `sensitivity.csv`, then the trials the
/// quick pass used.
pub const DRIVERS_COLUMNS: [&str; 8] = [
    SENSITIVITY_COLUMNS[0],
    SENSITIVITY_COLUMNS[1],
    SENSITIVITY_COLUMNS[2],
    SENSITIVITY_COLUMNS[3],
    SENSITIVITY_COLUMNS[4],
    SENSITIVITY_COLUMNS[5],
    SENSITIVITY_COLUMNS[6],
    "trials",
];
pub const ASSUMPTIONS_COLUMNS: [&str; 8] = ["kind", "name", "value", "unit", "p5", "p50", "p95", "source"];

/// The header of each file of [`RUN_EXTRA_FILES`], in its order.
pub const RUN_EXTRA_COLUMNS: [&[&str]; 4] = [
    &BENCHMARKS_COLUMNS,
    &DISTRIBUTION_COLUMNS,
    &DRIVERS_COLUMNS,
    &ASSUMPTIONS_COLUMNS,
];

/// The columns of one of the run's CSV files ([`RUN_FILES`] and
/// [`RUN_EXTRA_FILES`]), by file name.
pub fn run_columns(file: &str) -> Option<&'static [&'static str]> {
    RUN_FILES
        .iter()
        .position(|f| *f == file)
        .map(|i| RUN_COLUMNS[i])
        .or_else(|| {
            RUN_EXTRA_FILES
                .iter()
                .position(|f| *f == file)
                .map(|i| RUN_EXTRA_COLUMNS[i])
        })
}

/// `forcegen sweep`: `sweep.csv` has `point`, one column per swept field,
/// then [`SWEEP_TAIL`] and `<metric>_p50` per standard metric (on the
/// row's `report_date`).
pub const SWEEP: &str = "sweep.csv";
pub const SWEEP_INFO: &str = "sweep_info.csv";
pub const SWEEP_TAIL: [&str; 7] = [
    "target",
    "report_date",
    "p_reached_by_report_date",
    "p_reached_by_report_date_se",
    "p_reached_by_horizon",
    "p_reached_by_horizon_se",
    "date_p50",
];
pub const SWEEP_INFO_COLUMNS: [&str; 8] = [
    INFO_COLUMNS[0],
    INFO_COLUMNS[1],
    INFO_COLUMNS[2],
    INFO_COLUMNS[3],
    "points",
    INFO_COLUMNS[4],
    INFO_COLUMNS[5],
    "sets",
];

/// The page of the sweep's charts (built from `sweep.csv` and `sweep_info.csv`).
pub const SWEEP_PAGE: &str = "sweep.html";

/// `forcegen sensitivity`.
pub const SENSITIVITY: &str = "sensitivity.csv";
pub const SENSITIVITY_INFO: &str = "sensitivity_info.csv";
/// The page of its tornado charts.
pub const SENSITIVITY_PAGE: &str = "sensitivity.html";
pub const SENSITIVITY_COLUMNS: [&str; 7] = [
    "outcome",
    "rank",
    "input",
    "spearman",
    "first_order",
    "mean_when_input_low",
    "mean_when_input_high",
];

/// `forcegen sensitivity --sobol`: first- and total-order Sobol indices.
pub const SOBOL: &str = "sobol.csv";
pub const SOBOL_COLUMNS: [&str; 8] = [
    "output",
    "input",
    "first",
    "first_low",
    "first_high",
    "total",
    "total_low",
    "total_high",
];

/// `forcegen solve`: every value tried, one answer per input, what
/// produced them, and the page of its charts.
pub const SOLVE: &str = "solve.csv";
pub const SOLVE_SUMMARY: &str = "solve_summary.csv";
pub const SOLVE_INFO: &str = "solve_info.csv";
pub const SOLVE_PAGE: &str = "solve.html";
pub const SOLVE_COLUMNS: [&str; 5] = ["input", "value", "chance", "chance_se", "trials"];
pub const SOLVE_SUMMARY_COLUMNS: [&str; 6] = ["input", "answer", "low", "high", "chance", "chance_se"];
pub const SOLVE_INFO_COLUMNS: [&str; 14] = [
    INFO_COLUMNS[0],
    INFO_COLUMNS[1],
    INFO_COLUMNS[2],
    INFO_COLUMNS[3],
    INFO_COLUMNS[4],
    INFO_COLUMNS[5],
    "target",
    "by",
    "event",
    "goal",
    "direction",
    "band_se",
    "overrides",
    "varies",
];

/// `forcegen compare`.
pub const COMPARE: &str = "compare.csv";
pub const COMPARE_INFO: &str = "compare_info.csv";
/// Each scenario's fan by date and its paired difference to the first.
pub const COMPARE_TIMESERIES: &str = "compare_timeseries.csv";
/// The page of its charts.
pub const COMPARE_PAGE: &str = "compare.html";
pub const COMPARE_TIMESERIES_COLUMNS: [&str; 12] = [
    "date",
    "day",
    "scenario",
    "metric",
    "mean",
    "p5",
    "p25",
    "p50",
    "p75",
    "p95",
    "difference_to_first",
    "difference_se",
];
pub const COMPARE_COLUMNS: [&str; 9] = [
    "kind",
    "quantity",
    "date",
    "scenario",
    "value",
    "value_se",
    "difference_to_first",
    "difference_se",
    "unpaired_difference_se",
];

/// `forcegen backtest --rolling`: each forecast date's scores on the
/// observations after it, and the page of its chart.
pub const BACKTEST_ROLLING: &str = "backtest_rolling.csv";
pub const BACKTEST_ROLLING_PAGE: &str = "backtest_rolling.html";
pub const BACKTEST_ROLLING_COLUMNS: [&str; 9] = [
    "forecast_date",
    "horizon_days",
    "crps",
    "wis",
    "in_50",
    "in_90",
    "persistence_crps",
    "metric",
    "observed",
];

/// `forcegen backtest`.
pub const BACKTEST: &str = "backtest.csv";
pub const BACKTEST_INFO: &str = "backtest_info.csv";
/// The page of its charts.
pub const BACKTEST_PAGE: &str = "backtest.html";
pub const BACKTEST_COLUMNS: [&str; 17] = [
    "row",
    "date",
    "day",
    "metric",
    "n",
    "observed",
    "p5",
    "p25",
    "p50",
    "p75",
    "p95",
    "pit",
    "in_50",
    "in_90",
    "band_50_mass",
    "band_90_mass",
    "crps",
];

/// `forcegen explain --csv FILE`.
pub const EXPLAIN_COLUMNS: [&str; 9] = [
    "path",
    "kind",
    "distribution",
    "constant",
    "p5",
    "p50",
    "p95",
    "mean",
    "clamped_share",
];

/// The observed-data file `backtest` reads.
pub const OBSERVED_COLUMNS: [&str; 3] = ["date", "metric", "value"];

/// The pledge records `forcegen calibrate` reads (docs/calibration.md), in
/// the order the issue lists them; [`RECORDS_OPTIONAL`] may follow.
pub const RECORDS_COLUMNS: [&str; 10] = [
    "mission",
    "contributor",
    "region",
    "kind",
    "pledge_date",
    "pledged",
    "first_arrival_date",
    "peak_deployed",
    "peak_date",
    "as_of_date",
];
/// `exclude`: a reason to keep the row out of the fit (docs/calibration.md).
pub const RECORDS_OPTIONAL: [&str; 5] = ["id", "source", "confidence", "exclude", "notes"];

/// `forcegen calibrate`: `calibration.csv`, `priors.toml` and the info file.
pub const CALIBRATION: &str = "calibration.csv";
pub const PRIORS: &str = "priors.toml";
pub const CALIBRATION_INFO: &str = "calibration_info.csv";
/// `calibrate --validate COLUMN`: the held-out scores (docs/calibration.md).
pub const VALIDATION: &str = "validation.csv";
pub const VALIDATION_COLUMNS: [&str; 5] = ["mission", "records", "score", "fitted", "flat"];
pub const CALIBRATION_COLUMNS: [&str; 11] = [
    "group",
    "quantity",
    "estimate",
    "low_90",
    "high_90",
    "records",
    "censored",
    "never_honoured",
    "used",
    "resamples",
    "shrinkage",
];
