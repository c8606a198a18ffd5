//! A worker's recording of trials: what [`Aggregates`] keeps, and the work
//! space of recording it, until [`Recorder::finish`] gives the aggregates.

use super::Aggregates;
use super::aggregate::{RATIO_CAP, RATIO_SCALE, sum_scale};
use super::histogram::{HistogramRecorder, count_key, float_key};
use crate::model::{CountSeries, Model, Trial};
use crate::scenario::Metric;

/// One worker's [`Aggregates`] while trials are recorded: the same sums,
/// the metrics' histograms as recorders, and one trial's values.
#[derive(Debug)]
pub struct Recorder {
    trials: u64,
    metrics: Vec<HistogramRecorder>,
    ratio_sums: Vec<Vec<(u128, u128)>>,
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
}

impl Recorder {
    /// Nothing recorded yet: the sums of [`Aggregates::new`].
    pub fn new(model: &Model) -> Recorder {
        let Aggregates {
            trials,
            metrics: _,
            ratio_sums,
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
            first_reached,
            last_wave,
            delivered,
            full_delivery,
            ratio_values: Vec::new(),
            count_values: Vec::new(),
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
            let histogram = &mut self.metrics[m];
            let values = &mut self.count_values;
            match metric {
                Metric::Contributor(c) if trial.is_empty(c) => histogram.record_constant(count_key(0)),
                Metric::PolicePer100k | Metric::SecurityPer1000 => {
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
                    record_scaled(histogram, sums, fund, values, scale, cap);
                    fund.clear();
                }
                count => {
                    if let Some(series) = trial.count_series(count) {
                        record_counts(histogram, values, reports, series, all_reports);
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

    /// Counts what is buffered, and gives the aggregates.
    pub fn finish(self) -> Aggregates {
        Aggregates {
            trials: self.trials,
            metrics: self.metrics.into_iter().map(HistogramRecorder::finish).collect(),
            ratio_sums: self.ratio_sums,
            first_reached: self.first_reached,
            last_wave: self.last_wave,
            delivered: self.delivered,
            full_delivery: self.full_delivery,
        }
    }
}

/// Records a head count, `series` on the evaluated days: from the series
/// as it is when `all_reports` (every evaluated day is a report day; a sum
/// of two is worked out in `values` first), else report day by report
/// day, `reports[r]` the index of report day `r`.
#[inline(always)]
fn record_counts(
    histogram: &mut HistogramRecorder,
    values: &mut Vec<u32>,
    reports: &[u32],
    series: CountSeries,
    all_reports: bool,
) {
    match (series, all_reports) {
        (CountSeries::One(series), true) => histogram.record_counts(series),
        (CountSeries::Sum(a, b), true) => {
            values.clear();
            values.extend(a.iter().zip(b).map(|(&x, &y)| x.saturating_add(y)));
            histogram.record_counts(values);
        }
        (CountSeries::One(series), false) => histogram.record(|r| count_key(series[reports[r] as usize])),
        (CountSeries::Sum(a, b), false) => histogram.record(|r| {
            let k = reports[r] as usize;
            count_key(a[k].saturating_add(b[k]))
        }),
    }
}

/// Records a ratio metric's `values` on the report days (their bins made
/// in `keys`); ratios also add to the fixed-point sums behind their mean
/// and sd. (The values are worked out beforehand, so their divisions
/// overlap rather than wait in turn.)
fn record_ratios(histogram: &mut HistogramRecorder, sums: &mut [(u128, u128)], values: &[f64], keys: &mut Vec<u32>) {
    record_scaled(histogram, sums, values, keys, RATIO_SCALE, RATIO_CAP);
}

/// [`record_ratios`] for any real-valued metric: its sums in units of
/// 1/`scale`, its values capped at `cap` in them.
#[inline(always)]
fn record_scaled(
    histogram: &mut HistogramRecorder,
    sums: &mut [(u128, u128)],
    values: &[f64],
    keys: &mut Vec<u32>,
    scale: f64,
    cap: f64,
) {
    for (slot, &value) in sums.iter_mut().zip(values) {
        // Non-negative, so adding 0.5 and truncating rounds.
        // Under 2^41, so the conversion through i64 is exact (and one instruction).
        let fixed = u128::from((value.min(cap) * scale + 0.5) as i64 as u64);
        slot.0 = slot.0.wrapping_add(fixed);
        slot.1 = slot.1.wrapping_add(fixed * fixed);
    }
    // Ratio keys are below 2^22.
    keys.clear();
    keys.extend(values.iter().map(|&value| float_key(value) as u32));
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
}
