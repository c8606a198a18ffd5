//! `forcegen compare`: several scenarios on common random numbers.
//!
//! Trial `i` of every scenario uses the same seed and the same streams (each
//! input's stream is keyed by its path), so an input the scenarios share takes
//! the same value in trial `i` of each. The difference between two scenarios
//! is then measured trial by trial, and its standard error comes from the
//! spread of those paired differences, usually far below the standard error
//! of two independent runs.
//!
//! The rules: docs/MODEL.md §5.13.

use std::ops::Range;

use crate::engine::{self, EngineError, Progress};
use crate::model::{Model, Trial};
use crate::output::{cell_text, csv_bytes, number, schema};
use crate::scenario::{Metric, Scenario, Target};

/// Name of the output file.
pub const FILE: &str = schema::COMPARE;
/// Name of the file saying what produced it.
pub const INFO_FILE: &str = schema::COMPARE_INFO;

/// Most scenarios one `compare` takes: each is a column of every row, a
/// fan on the page and a model in memory.
pub const MAX_SCENARIOS: usize = 100;
/// Memory a compared scenario takes for each byte of its text (its parsed
/// form, its model and its sums: about 30 measured, on scenarios of
/// thousands of contributors).
pub const BYTES_PER_SCENARIO_BYTE: u64 = 32;

/// The memory of the compared scenarios, from the size of their files
/// (`bytes` in all): refused up front when past the budget.
pub fn scenarios_need(count: usize, bytes: u64) -> crate::budget::Need {
    crate::budget::Need::new(
        format!("comparing {count} scenarios"),
        &[(bytes, "bytes of scenario files")],
        BYTES_PER_SCENARIO_BYTE,
    )
    .advice("compare fewer or smaller scenarios")
}

/// A target's threshold: a level, or a share of the ceiling in force
/// that day (whose level moves with the ceiling).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    AtLeast(f64),
    ShareOfCeiling(f64),
}

impl Threshold {
    /// The threshold of `target`.
    pub fn of(target: &Target) -> Threshold {
        match target.share_of_ceiling {
            Some(share) => Threshold::ShareOfCeiling(share),
            None => Threshold::AtLeast(target.at_least),
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::AtLeast(v) => write!(f, "{}", number(*v, 6)),
            Threshold::ShareOfCeiling(share) => write!(f, "{}% of the ceiling", number(100.0 * share, 4)),
        }
    }
}

/// What is compared: a target (reached, yes or no) or a standard metric,
/// each by (on) the report date and the horizon ([`Measure`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    Target {
        name: String,
        metric: String,
        threshold: Threshold,
    },
    Metric(Metric),
}

impl Quantity {
    pub fn name(&self) -> String {
        match self {
            Quantity::Target { name, .. } => name.clone(),
            Quantity::Metric(m) => {
                let at = Metric::STANDARD.iter().position(|s| s == m).unwrap_or(0);
                Metric::STANDARD_NAMES[at].to_string()
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Quantity::Target { .. } => "target",
            Quantity::Metric(_) => "metric",
        }
    }
}

/// Two scenarios that give one target name two meanings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "target {} means {first} in {first_file} but {second} in {second_file}; give the two targets \
     different names to compare both",
    crate::scenario::shown::quoted(name)
)]
pub struct ClashingTarget {
    pub name: String,
    pub first: String,
    pub first_file: String,
    pub second: String,
    pub second_file: String,
}

/// Every target of any scenario (by name), then the seven standard metrics.
/// A name defined differently in two scenarios (another metric or
/// threshold) is an error: the two would be different questions under one
/// name.
pub fn quantities(scenarios: &[Scenario]) -> Result<Vec<Quantity>, ClashingTarget> {
    let mut quantities: Vec<Quantity> = Vec::new();
    let mut defined_in: Vec<&str> = Vec::new();
    for scenario in scenarios {
        for target in &scenario.targets {
            let this = target_quantity(scenario, target);
            let known = quantities
                .iter()
                .position(|q| matches!(q, Quantity::Target { name, .. } if *name == target.name));
            match known {
                None => {
                    quantities.push(this);
                    defined_in.push(&scenario.file);
                }
                Some(i) if quantities[i] == this => {}
                Some(i) => {
                    return Err(ClashingTarget {
                        name: target.name.clone(),
                        first: describe(&quantities[i]),
                        first_file: defined_in[i].to_string(),
                        second: describe(&this),
                        second_file: scenario.file.clone(),
                    });
                }
            }
        }
    }
    quantities.extend(Metric::STANDARD.iter().map(|&m| Quantity::Metric(m)));
    Ok(quantities)
}

fn describe(quantity: &Quantity) -> String {
    match quantity {
        Quantity::Target { metric, threshold, .. } => format!("{metric} >= {threshold}"),
        Quantity::Metric(m) => format!("{m:?}"),
    }
}

fn target_quantity(scenario: &Scenario, target: &Target) -> Quantity {
    Quantity::Target {
        name: target.name.clone(),
        metric: target.metric.name(scenario),
        threshold: Threshold::of(target),
    }
}

/// A quantity (by its index in the list of [`quantities`]) and when it is
/// measured: by (or on) the report day `day`, or by (on) the horizon (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    pub quantity: usize,
    pub day: Option<u32>,
}

/// What `compare.csv` measures: each quantity by the report day `report_day`
/// (when there is one before the horizon), then by the horizon.
pub fn measures(quantities: &[Quantity], report_day: Option<u32>) -> Vec<Measure> {
    let mut out = Vec::new();
    for quantity in 0..quantities.len() {
        if let Some(day) = report_day {
            out.push(Measure {
                quantity,
                day: Some(day),
            });
        }
        out.push(Measure { quantity, day: None });
    }
    out
}

/// One scenario ready to run against the common quantities.
#[derive(Debug, Clone)]
pub struct Arm {
    pub label: String,
    model: Model,
    /// Per quantity: which of the model's targets it is (`None` for a
    /// metric, or a target on a contributor this scenario does not have).
    target_slots: Vec<Option<usize>>,
    /// The index of its last report day on or before the report day of the
    /// measures, if any ([`Arm::with_report_day`]).
    report_index: Option<usize>,
}

impl Arm {
    /// Builds the model of `scenario` with the targets of `quantities` in
    /// place of its own (a share of the ceiling stays one, checked against
    /// the ceiling of each day as in a run).
    pub fn new(label: String, scenario: &Scenario, quantities: &[Quantity]) -> Arm {
        let mut compared = scenario.clone();
        compared.targets.clear();
        let target_slots = quantities
            .iter()
            .map(|q| match q {
                Quantity::Target {
                    name,
                    metric,
                    threshold,
                } => scenario.metric_named(metric).map(|metric| {
                    let (at_least, share_of_ceiling) = match *threshold {
                        Threshold::AtLeast(v) => (v, None),
                        Threshold::ShareOfCeiling(share) => (f64::NAN, Some(share)),
                    };
                    compared.targets.push(Target {
                        name: name.clone(),
                        metric,
                        at_least,
                        share_of_ceiling,
                    });
                    compared.targets.len() - 1
                }),
                Quantity::Metric(_) => None,
            })
            .collect();
        Arm {
            label,
            model: Model::new(&compared),
            target_slots,
            report_index: None,
        }
    }

    /// Measures metrics on the report day `day` at this arm's last report
    /// day on or before it (the arms may report on other steps).
    pub fn with_report_day(mut self, day: Option<u32>) -> Arm {
        self.report_index = day.and_then(|day| self.model.report_days.iter().rposition(|&d| d <= day));
        self
    }

    /// The scenario's model (its targets replaced by the compared ones).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The report days this arm shares with `first`: (index among the
    /// first arm's report days, index among this arm's).
    pub fn shared_days(&self, first: &Arm) -> Vec<(usize, usize)> {
        let mine = &self.model.report_days;
        first
            .model
            .report_days
            .iter()
            .enumerate()
            .filter_map(|(r, day)| mine.binary_search(day).ok().map(|k| (r, k)))
            .collect()
    }

    /// The trial's value of `quantity` by (on) `day`, or the horizon.
    fn value(&self, trial: &Trial, quantity: &Quantity, slot: Option<usize>, day: Option<u32>) -> f64 {
        let last = trial.days.len().saturating_sub(1);
        match quantity {
            Quantity::Metric(m) => {
                let at = match day {
                    None => last,
                    Some(_) => self
                        .report_index
                        .and_then(|k| trial.report_positions.get(k))
                        .map_or(0, |&p| (p as usize).min(last)),
                };
                trial.metric(*m, at)
            }
            // A contributor this scenario lacks has strength 0 throughout.
            Quantity::Target { threshold, .. } => match slot {
                Some(t) => {
                    let reached = trial.first_reached.get(t).copied().flatten();
                    f64::from(u8::from(reached.is_some_and(|d| day.is_none_or(|day| d <= day))))
                }
                None => f64::from(u8::from(matches!(threshold, Threshold::AtLeast(v) if *v <= 0.0))),
            },
        }
    }
}

/// The metrics drawn as fans, with their paired difference by date, on
/// `compare.html` (`compare_timeseries.csv`).
pub const FAN_METRICS: [Metric; 2] = [Metric::International, Metric::PolicePer100k];

/// Sums over trials: per arm and quantity the value and its square, and the
/// difference to the first arm and its square.
#[derive(Debug, Clone, PartialEq)]
pub struct Sums {
    pub trials: u64,
    pub value: Vec<Vec<(f64, f64)>>,
    pub difference: Vec<Vec<(f64, f64)>>,
    /// Per arm, [`FAN_METRICS`] entry and report day of the first arm: the
    /// difference to the first arm and its square (on the days the arm
    /// reports too; see [`Arm::shared_days`]).
    pub daily: Vec<Vec<Vec<(f64, f64)>>>,
}

impl Sums {
    /// No trials yet, for `arms` and `measures`.
    pub fn empty(arms: &[Arm], measures: &[Measure]) -> Sums {
        let days = arms.first().map_or(0, |a| a.model.report_days.len());
        Sums::new(arms.len(), measures.len(), days)
    }

    fn new(arms: usize, quantities: usize, days: usize) -> Sums {
        Sums {
            trials: 0,
            value: vec![vec![(0.0, 0.0); quantities]; arms],
            difference: vec![vec![(0.0, 0.0); quantities]; arms],
            daily: vec![vec![vec![(0.0, 0.0); days]; FAN_METRICS.len()]; arms],
        }
    }

    fn add(&mut self, other: &Sums) {
        self.trials += other.trials;
        for (mine, theirs) in [
            (&mut self.value, &other.value),
            (&mut self.difference, &other.difference),
        ] {
            for (a, b) in mine.iter_mut().zip(theirs) {
                for (x, y) in a.iter_mut().zip(b) {
                    x.0 += y.0;
                    x.1 += y.1;
                }
            }
        }
        for (mine, theirs) in self.daily.iter_mut().flatten().zip(other.daily.iter().flatten()) {
            for (x, y) in mine.iter_mut().zip(theirs) {
                x.0 += y.0;
                x.1 += y.1;
            }
        }
    }
}

/// Runs every arm on the same trials and sums values and paired differences.
/// Chunks are summed in trial order, so the result does not depend on the
/// thread count.
pub fn run(
    arms: &[Arm],
    (quantities, measures): (&[Quantity], &[Measure]),
    trials: Range<u64>,
    threads: usize,
    progress: &Progress,
) -> Result<Sums, EngineError> {
    let mut total = Sums::empty(arms, measures);
    add_run(&mut total, arms, (quantities, measures), trials, threads, progress)?;
    Ok(total)
}

/// [`run`] of more trials, added to `total` chunk by chunk in trial order:
/// after trials `0..n` (`n` a whole number of chunks), adding `n..m` gives
/// the sums of one run of `0..m` to the bit (`--until-se`).
pub fn add_run(
    total: &mut Sums,
    arms: &[Arm],
    (quantities, measures): (&[Quantity], &[Measure]),
    trials: Range<u64>,
    threads: usize,
    progress: &Progress,
) -> Result<(), EngineError> {
    let days = arms.first().map_or(0, |a| a.model.report_days.len());
    let shared: Vec<Vec<(usize, usize)>> = arms.iter().map(|a| a.shared_days(&arms[0])).collect();
    let parts = engine::map_chunks(trials, threads, progress, |chunk| {
        let mut sums = Sums::new(arms.len(), measures.len(), days);
        let mut buffers: Vec<Trial> = arms.iter().map(|_| Trial::default()).collect();
        let mut first = vec![0.0; measures.len()];
        let mut first_daily = vec![vec![0.0; days]; FAN_METRICS.len()];
        for index in chunk {
            sums.trials += 1;
            for (a, (arm, trial)) in arms.iter().zip(&mut buffers).enumerate() {
                arm.model.run_trial(index, trial);
                for (q, measure) in measures.iter().enumerate() {
                    let (quantity, slot) = (&quantities[measure.quantity], arm.target_slots[measure.quantity]);
                    let v = arm.value(trial, quantity, slot, measure.day);
                    let (sum, squares) = &mut sums.value[a][q];
                    *sum += v;
                    *squares += v * v;
                    if a == 0 {
                        first[q] = v;
                    }
                    let d = v - first[q];
                    let (sum, squares) = &mut sums.difference[a][q];
                    *sum += d;
                    *squares += d * d;
                }
                add_daily(&mut sums.daily[a], &mut first_daily, trial, &shared[a], a == 0);
            }
        }
        sums
    })?;
    for part in &parts {
        total.add(part);
    }
    Ok(())
}

/// Adds one trial's paired differences by date to `daily` (one arm's
/// sums): the first arm (`is_first`) keeps its values in `first`.
fn add_daily(
    daily: &mut [Vec<(f64, f64)>],
    first: &mut [Vec<f64>],
    trial: &Trial,
    shared: &[(usize, usize)],
    is_first: bool,
) {
    for ((sums, first), metric) in daily.iter_mut().zip(first.iter_mut()).zip(FAN_METRICS) {
        for &(r, k) in shared {
            let Some(&at) = trial.report_positions.get(k) else {
                continue;
            };
            let v = trial.metric(metric, at as usize);
            if is_first {
                first[r] = v;
            }
            let d = v - first[r];
            sums[r].0 += d;
            sums[r].1 += d * d;
        }
    }
}

/// One row of `compare.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: &'static str,
    pub quantity: String,
    /// The date it is measured by (or on): the report date or the horizon.
    pub date: String,
    pub scenario: String,
    pub value: f64,
    pub value_se: f64,
    /// `None` for the first scenario (the reference).
    pub difference: Option<(f64, f64, f64)>,
}

/// Mean and standard error of the mean from a sum and a sum of squares.
pub fn mean_se((sum, squares): (f64, f64), n: u64) -> (f64, f64) {
    let n = n.max(1) as f64;
    let mean = sum / n;
    let variance = if n > 1.0 {
        ((squares - n * mean * mean) / (n - 1.0)).max(0.0)
    } else {
        0.0
    };
    (mean, (variance / n).sqrt())
}

/// The rows: for each measure, each scenario's value and its difference to
/// the first (paired standard error, and the unpaired one for contrast).
/// `date` names the day of a measure (`None`: the horizon) as ISO text.
pub fn rows(
    arms: &[Arm],
    (quantities, measures): (&[Quantity], &[Measure]),
    sums: &Sums,
    date: impl Fn(Option<u32>) -> String,
) -> Vec<Row> {
    let n = sums.trials;
    let mut rows = Vec::new();
    for (q, measure) in measures.iter().enumerate() {
        let quantity = &quantities[measure.quantity];
        let (_, first_se) = mean_se(sums.value[0][q], n);
        for (a, arm) in arms.iter().enumerate() {
            let (value, se) = mean_se(sums.value[a][q], n);
            let difference = (a > 0).then(|| {
                let (d, d_se) = mean_se(sums.difference[a][q], n);
                (d, d_se, (se * se + first_se * first_se).sqrt())
            });
            rows.push(Row {
                kind: quantity.kind(),
                quantity: quantity.name(),
                date: date(measure.day),
                scenario: arm.label.clone(),
                value,
                value_se: se,
                difference,
            });
        }
    }
    rows
}

/// Columns of `compare.csv`.
pub const HEADER: [&str; 9] = schema::COMPARE_COLUMNS;

/// `compare.csv`: header and rows.
pub fn render(rows: &[Row]) -> Vec<u8> {
    csv_bytes(
        &HEADER,
        rows.iter().map(|row| {
            let (d, d_se, unpaired) = match row.difference {
                Some((d, se, unpaired)) => (number(d, 6), number(se, 6), number(unpaired, 6)),
                None => Default::default(),
            };
            vec![
                row.kind.to_string(),
                cell_text(&row.quantity),
                row.date.clone(),
                cell_text(&row.scenario),
                number(row.value, 6),
                number(row.value_se, 6),
                d,
                d_se,
                unpaired,
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_the_ceiling_is_the_same_target_in_a_copy() {
        let text = "name = \"t\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n[population]\ninitial = 1000\n\
                    [mission]\nceiling = 100\n[[contributors]]\nname = \"A\"\ndeployed = 95\n\
                    [[targets]]\nname = \"full\"\nmetric = \"international\"\nat_least_share_of_ceiling = 0.9\n";
        let a = crate::scenario::parse_str(text, "a.toml").expect("valid");
        let b = crate::scenario::parse_str(text, "b.toml").expect("valid");
        let quantities = quantities(&[a.clone(), b]).expect("the same target");
        assert_eq!(
            quantities[0],
            Quantity::Target {
                name: "full".to_string(),
                metric: "international".to_string(),
                threshold: Threshold::ShareOfCeiling(0.9),
            }
        );
        let mut other = a.clone();
        other.targets[0].share_of_ceiling = Some(0.8);
        let clash = quantities_of(&[a, other]).expect_err("two meanings");
        assert!(
            clash.to_string().contains("international >= 90% of the ceiling"),
            "{clash}"
        );
    }

    fn quantities_of(scenarios: &[Scenario]) -> Result<Vec<Quantity>, ClashingTarget> {
        quantities(scenarios)
    }

    #[test]
    fn mean_and_standard_error_from_sums() {
        // Values 1, 2, 3, 4: mean 2.5, sample variance 5/3.
        let (mean, se) = mean_se((10.0, 30.0), 4);
        assert_eq!(mean, 2.5);
        assert!((se - (5.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_se((3.0, 9.0), 1), (3.0, 0.0));
    }
}
