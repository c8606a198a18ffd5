//! A worker's recording of trials: what [`Aggregates`] keeps, and the work
//! space of recording it, until [`Recorder::finish`] gives the aggregates.

use super::Aggregates;
use std::cell::Cell;

use super::aggregate::{LARGE_CAP, RATIO_CAP, RATIO_SCALE, sum_scale};
use super::histogram::{EXACT_LIMIT, HistogramRecorder, count_key, count_key_u64, float_key, money_key};
use crate::model::{CountSeries, Model, Trial};
use crate::scenario::Metric;

/// One worker's [`Aggregates`] while trials are recorded: the same sums,
/// the metrics' histograms as recorders, and one trial's values.
#[derive(Debug)]
pub struct Recorder {
    trials: u64,
    metrics: Vec<HistogramRecorder>,
    ratio_sums: Vec<Vec<(u128, u128)>>,
    large_sums: Vec<Vec<(u128, u128)>>,
    first_reached: Vec<Vec<u64>>,
    last_wave: Vec<Vec<u64>>,
    delivered: Vec<u64>,
    full_delivery: Vec<u64>,
    /// One trial's values of a ratio metric on each report day, while it
    /// is recorded (left empty between trials).
    ratio_values: Vec<f64>,
    /// One trial's values of a head-count metric on each report day, or a
    /// ratio metric's bins, while they are recorded.
    count_values: Vec<u32>,
    /// Per metric: the earlier metric whose series it always is (the
    /// payroll is the host police), recorded once and copied by `finish`.
    same_as: Vec<Option<usize>>,
    /// Per metric: its place among the real-valued metrics' sums, if one.
    ratio_slot: Vec<Option<usize>>,
}

impl Recorder {
    /// Nothing recorded yet: the sums of [`Aggregates::new`].
    pub fn new(model: &Model) -> Recorder {
        let Aggregates {
            trials,
            metrics: _,
            ratio_sums,
            large_sums,
            first_reached,
            last_wave,
            delivered,
            full_delivery,
        } = Aggregates::new(model);
        let days = model.report_days.len();
        Recorder {
            trials,
            metrics: model
                .metrics
                .iter()
                .map(|_| HistogramRecorder::sharing(days, model.metrics.len()))
                .collect(),
            ratio_sums,
            large_sums,
            first_reached,
            last_wave,
            delivered,
            full_delivery,
            ratio_values: Vec::new(),
            count_values: Vec::new(),
            same_as: (0..model.metrics.len()).map(|m| model.same_series_as(m)).collect(),
            ratio_slot: ratio_slots(model),
        }
    }

    /// Adds one finished trial.
    pub fn record(&mut self, model: &Model, trial: &Trial) {
        // Report positions are ascending and distinct, so as many as the
        // evaluated days are `0, 1, 2...`.
        let all_reports = trial.report_positions.len() == trial.days.len();
        self.record_from(model, trial, all_reports);
    }

    /// [`Recorder::record`]: head counts are recorded from their series
    /// as they are when `all_reports` (every evaluated day is a report
    /// day), else picked out report day by report day.
    #[inline(always)]
    fn record_from(&mut self, model: &Model, trial: &Trial, all_reports: bool) {
        self.trials += 1;
        let mut ratio = 0;
        let reports = &trial.report_positions;
        for (m, &metric) in model.metrics.iter().enumerate() {
            if self.same_as[m].is_some() {
                ratio += usize::from(self.ratio_slot[m].is_some());
                continue;
            }
            let histogram = &mut self.metrics[m];
            let values = &mut self.count_values;
            match metric {
                Metric::Contributor(c) if trial.is_empty(c) => histogram.record_constant(count_key(0)),
                Metric::PolicePer100k
                | Metric::SecurityPer1000
                | Metric::PolicePer100kPayroll
                | Metric::PolicePer100kAvailable
                | Metric::AreaPolicePer100k(_)
                | Metric::AreaSecurityPer1000(_) => {
                    let sums = &mut self.ratio_sums[ratio];
                    ratio += 1;
                    let ratios = &mut self.ratio_values;
                    trial.ratios(metric, reports, all_reports, ratios);
                    record_ratios(histogram, sums, ratios, values);
                    ratios.clear();
                }
                Metric::FundBalance | Metric::MonthlyCost | Metric::FundingGap | Metric::MonthsOfCover => {
                    let sums = &mut self.ratio_sums[ratio];
                    ratio += 1;
                    let fund = &mut self.ratio_values;
                    trial.values(metric, reports, all_reports, fund);
                    let (scale, cap) = sum_scale(metric);
                    record_scaled(histogram, sums, fund, values, scale, cap, money_key);
                    fund.clear();
                }
                count => {
                    if let Some(series) = trial.count_series(count) {
                        let sums = &mut self.large_sums[m];
                        record_counts(histogram, sums, values, reports, series, all_reports);
                    }
                }
            }
        }
        let never = model.horizon as usize + 1;
        for (counts, first) in self.first_reached.iter_mut().zip(&trial.first_reached) {
            counts[first.map_or(never, |d| d as usize)] += 1;
        }
        for (c, delivery) in trial.deliveries.iter().enumerate() {
            self.last_wave[c][delivery.last_wave_day.map_or(never, |d| d as usize)] += 1;
            self.delivered[c] += u64::from(delivery.delivered);
            self.full_delivery[c] += u64::from(delivery.delivered == model.pledged(c));
        }
    }

    /// Bytes held by the per-day tables and their buffers.
    pub fn table_bytes(&self) -> u64 {
        self.metrics.iter().map(HistogramRecorder::table_bytes).sum()
    }

    /// Counts what is buffered, and gives the aggregates (a metric whose
    /// series is another's gets a copy of the other's).
    pub fn finish(self) -> Aggregates {
        let mut aggregates = Aggregates {
            trials: self.trials,
            metrics: self.metrics.into_iter().map(HistogramRecorder::finish).collect(),
            ratio_sums: self.ratio_sums,
            large_sums: self.large_sums,
            first_reached: self.first_reached,
            last_wave: self.last_wave,
            delivered: self.delivered,
            full_delivery: self.full_delivery,
        };
        for (m, same) in self.same_as.iter().enumerate() {
            let Some(original) = *same else { continue };
            aggregates.metrics[m] = aggregates.metrics[original].clone();
            aggregates.large_sums[m] = aggregates.large_sums[original].clone();
            if let (Some(mine), Some(theirs)) = (self.ratio_slot[m], self.ratio_slot[original]) {
                aggregates.ratio_sums[mine] = aggregates.ratio_sums[theirs].clone();
            }
        }
        aggregates
    }
}

/// Per metric: its place among the real-valued metrics' sums
/// ([`Aggregates::ratio_sums`]), in metric order, if it is one.
fn ratio_slots(model: &Model) -> Vec<Option<usize>> {
    let mut next = 0;
    model
        .metrics
        .iter()
        .map(|metric| {
            let real = metric.is_ratio() || Metric::FUNDING.contains(metric);
            real.then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

/// Records a head count, `series` on the evaluated days: from the series
/// as it is when `all_reports` (every evaluated day is a report day; a sum
/// of two is worked out in `values` first), else report day by report
/// day, `reports[r]` the index of report day `r`. Values of [`EXACT_LIMIT`]
/// or more (rare) also add to `sums`, the day's exact sums behind the mean
/// and sd; below it, the bins are exact and nothing more is done.
#[inline(always)]
fn record_counts(
    histogram: &mut HistogramRecorder,
    sums: &mut [(u128, u128)],
    values: &mut Vec<u32>,
    reports: &[u32],
    series: CountSeries,
    all_reports: bool,
) {
    let widen = |v: &u32| u64::from(*v);
    match (series, all_reports) {
        (CountSeries::One(series), true) => {
            if histogram.record_counts(series) {
                add_large(sums, series.iter().map(widen));
            }
        }
        (CountSeries::Sum(a, b), true) => {
            values.clear();
            values.extend(a.iter().zip(b).map(|(&x, &y)| x.saturating_add(y)));
            if histogram.record_counts(values) {
                add_large(sums, values.iter().map(widen));
            }
        }
        (series, false) => {
            // Every day's value passes through `value_at` (the recorder asks
            // for each day at least once), so `bits` is their `or`.
            let bits = Cell::new(0u32);
            let value_at = |r: usize| {
                let value = series.at(reports[r] as usize);
                bits.set(bits.get() | value);
                value
            };
            histogram.record(|r| count_key(value_at(r)));
            if bits.get() >= EXACT_LIMIT {
                add_large(sums, reports.iter().map(|&k| u64::from(series.at(k as usize))));
            }
        }
    }
}

/// Records a whole-count metric of any size (money in whole USD, say),
/// `series[k]` on evaluated day `k`, the same way as a head count (see
/// `record_counts`): its bins, and the exact sums of its values of
/// [`EXACT_LIMIT`] or more in `sums` (one per report day). The entry point
/// for `u64` metrics.
pub fn record_wide_counts(
    histogram: &mut HistogramRecorder,
    sums: &mut [(u128, u128)],
    reports: &[u32],
    series: &[u64],
    all_reports: bool,
) {
    if all_reports {
        if histogram.record_wide_counts(series) {
            add_large(sums, series.iter().copied());
        }
        return;
    }
    // As in `record_counts`: every day's value passes through `value_at`.
    let large = Cell::new(false);
    let value_at = |r: usize| {
        let value = series[reports[r] as usize];
        large.set(large.get() | (value >= u64::from(EXACT_LIMIT)));
        value
    };
    histogram.record(|r| count_key_u64(value_at(r)));
    if large.get() {
        add_large(sums, reports.iter().map(|&k| series[k as usize]));
    }
}

/// Adds each of `values` (one per report day) of [`EXACT_LIMIT`] or more,
/// capped at [`LARGE_CAP`], to its day's exact sum and sum of squares.
#[cold]
#[inline(never)]
fn add_large(sums: &mut [(u128, u128)], values: impl Iterator<Item = u64>) {
    for (slot, value) in sums.iter_mut().zip(values) {
        if value >= u64::from(EXACT_LIMIT) {
            let x = u128::from(value.min(LARGE_CAP));
            slot.0 = slot.0.wrapping_add(x);
            slot.1 = slot.1.wrapping_add(x * x);
        }
    }
}

/// Records a ratio metric's `values` on the report days (their bins made
/// in `keys`); ratios also add to the fixed-point sums behind their mean
/// and sd. (The values are worked out beforehand, so their divisions
/// overlap rather than wait in turn.)
fn record_ratios(histogram: &mut HistogramRecorder, sums: &mut [(u128, u128)], values: &[f64], keys: &mut Vec<u32>) {
    record_scaled(histogram, sums, values, keys, RATIO_SCALE, RATIO_CAP, float_key);
}

/// [`record_ratios`] for any real-valued metric: its sums in units of
/// 1/`scale`, its values capped at `cap` in them, its bins by `key`.
#[inline(always)]
fn record_scaled(
    histogram: &mut HistogramRecorder,
    sums: &mut [(u128, u128)],
    values: &[f64],
    keys: &mut Vec<u32>,
    scale: f64,
    cap: f64,
    key: fn(f64) -> i64,
) {
    for (slot, &value) in sums.iter_mut().zip(values) {
        // Non-negative, so adding 0.5 and truncating rounds.
        // Under 2^41, so the conversion through i64 is exact (and one instruction).
        let fixed = u128::from((value.min(cap) * scale + 0.5) as i64 as u64);
        slot.0 = slot.0.wrapping_add(fixed);
        slot.1 = slot.1.wrapping_add(fixed * fixed);
    }
    // Ratio and money keys are below 2^22.
    keys.clear();
    keys.extend(values.iter().map(|&value| key(value) as u32));
    histogram.record_keys(keys);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{BASELINE_TEXT, Step, parse_str};

    /// Daily trials (every evaluated day a report day) recorded from their
    /// series give the same aggregates, to the page, as recorded report day
    /// by report day.
    #[test]
    fn series_and_report_days_record_the_same() {
        let mut scenario = parse_str(BASELINE_TEXT, "baseline").expect("the built-in baseline parses");
        scenario.simulation.step = Step::Day;
        let model = Model::new(&scenario);
        let mut from_series = Recorder::new(&model);
        let mut by_report_day = Recorder::new(&model);
        let mut trial = Trial::default();
        for index in 0..3_000 {
            model.run_trial(index, &mut trial);
            assert_eq!(trial.report_positions.len(), trial.days.len());
            from_series.record_from(&model, &trial, true);
            by_report_day.record_from(&model, &trial, false);
        }
        assert!(from_series.finish() == by_report_day.finish());
    }

    /// Head counts of 65,536 and more add to the exact sums whichever way
    /// they are recorded (as the series, or report day by report day),
    /// and those sums are the values' own; counts below add nothing.
    #[test]
    fn large_counts_add_their_exact_sums() {
        let text = "name = \"large\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 60\nstep = \"day\"\n\
                    [population]\ninitial = 1000000\n\
                    [host_police]\ninitial = 66000\nattrition_per_year = 0.9\n\
                    [[contributors]]\nname = \"A\"\ndeployed = 70\n";
        let scenario = parse_str(text, "large.toml").expect("a valid scenario");
        let model = Model::new(&scenario);
        let host = model
            .metrics
            .iter()
            .position(|&m| m == Metric::HostPolice)
            .expect("host_police");
        let mut from_series = Recorder::new(&model);
        let mut by_report_day = Recorder::new(&model);
        let mut trial = Trial::default();
        let mut expected = vec![(0u128, 0u128); model.report_days.len()];
        for index in 0..300 {
            model.run_trial(index, &mut trial);
            from_series.record_from(&model, &trial, true);
            by_report_day.record_from(&model, &trial, false);
            for (slot, &count) in expected.iter_mut().zip(&trial.host) {
                if count >= EXACT_LIMIT {
                    slot.0 += u128::from(count);
                    slot.1 += u128::from(count) * u128::from(count);
                }
            }
        }
        let aggregates = from_series.finish();
        assert!(aggregates == by_report_day.finish());
        assert_eq!(aggregates.large_sums[host], expected);
        // Some days above the limit in some trials, and the last all below.
        assert!(expected[0].0 == 300 * 66_000 && expected[60].0 == 0);
        assert!(aggregates.large_sums.iter().enumerate().all(|(m, sums)| m == host
            || model.metrics[m].is_ratio()
            || matches!(model.metrics[m], Metric::Police | Metric::SecurityForces)
            || sums.iter().all(|&s| s == (0, 0))));
        assert_eq!(aggregates.check(&model), Ok(()));
    }

    /// `u64` counts record like head counts of the same values: the same
    /// bins and sums, from the series or report day by report day.
    #[test]
    fn wide_counts_record_like_head_counts() {
        let days = 9;
        let reports: Vec<u32> = (0..days as u32).collect();
        let picks: Vec<u32> = (0..days as u32).map(|r| 2 * r).collect();
        let mut counts = (HistogramRecorder::new(days), vec![(0, 0); days]);
        let mut wide = (HistogramRecorder::new(days), vec![(0, 0); days]);
        let mut picked = (HistogramRecorder::new(days), vec![(0, 0); days]);
        let mut values = Vec::new();
        for trial in 0..200u32 {
            let series: Vec<u32> = (0..2 * days as u32)
                .map(|d| (trial * 997 + d * 40_013) % 150_000)
                .collect();
            let on_reports: Vec<u32> = picks.iter().map(|&k| series[k as usize]).collect();
            let one = CountSeries::One(&on_reports);
            record_counts(&mut counts.0, &mut counts.1, &mut values, &reports, one, true);
            let as_u64: Vec<u64> = on_reports.iter().map(|&v| u64::from(v)).collect();
            record_wide_counts(&mut wide.0, &mut wide.1, &reports, &as_u64, true);
            let all_u64: Vec<u64> = series.iter().map(|&v| u64::from(v)).collect();
            record_wide_counts(&mut picked.0, &mut picked.1, &picks, &all_u64, false);
        }
        assert!(counts.1.iter().any(|&(sum, _)| sum > 0));
        assert_eq!(counts.1, wide.1);
        assert_eq!(counts.1, picked.1);
        let [counts, wide, picked] = [counts.0, wide.0, picked.0].map(HistogramRecorder::finish);
        assert!(counts == wide && counts == picked);
    }
}
