//! Recording one worker's trials into per-day columns.
//!
//! A trial's bins are not counted at once: they are buffered (up to 2,048
//! trials, as 16-bit offsets from a base per day) and then counted one day
//! at a time, so the counting stays inside one day's column (a few
//! kilobytes, in cache) instead of hopping across every day of every metric
//! on every trial (see `batch`). Where a day's buffered bins span few
//! pages, they are first counted in a small dense array, then added to the
//! pages a page at a time. A trial with few runs of equal bins is buffered
//! as its runs (see `runs`); one with the same bin on every day (a
//! contributor that never comes) is counted once, and added to every day
//! when the recorder is finished.

mod batch;
mod runs;

use super::DayHistogram;
use super::column::{Cell, Column};
use super::keys::{EXACT_LIMIT, count_key, count_key_u64};
use batch::Offset;

/// Bins buffered per histogram before they are counted (2 MiB): the more
/// trials a day's column receives at a time, the more of them find its
/// bins already in cache.
const BATCH_KEYS: usize = 1 << 20;
/// Bytes of buffers (bins, and the run buffers' room) of all of a worker's
/// histograms together (128 MiB), so that a scenario with thousands of
/// contributors buffers fewer trials at a time rather than gigabytes.
const WORKER_BATCH_BYTES: usize = 1 << 25;
/// Bytes of one run change in the run buffers (a day and a bin, and the
/// bin again once sorted).
const RUN_CHANGE_BYTES: usize = size_of::<(u32, u32)>() + size_of::<u32>();
const MIN_BATCH: usize = 64;
/// Trials per tile of the buffer (one cache line of bins).
const TILE: usize = 16;
const MAX_BATCH: usize = 2048;
/// Offsets between two days' rows of `pending`, past the batch's: rows a
/// power of two apart (4 KiB for 2,048 trials) would all fall in the same
/// few sets of the processor's cache, which then holds only a handful of
/// the days a tile is stored to.
const PENDING_PAD: usize = 32;

/// Most runs of equal bins a trial may have to be recorded as runs (see
/// [`HistogramRecorder::record`]).
const MAX_RUNS: usize = 128;
/// A trial is recorded as runs when it has at most one run per this many
/// report days: two additions per run then cost less than buffering and
/// counting every day.
const DAYS_PER_RUN: usize = 6;

/// A worker's recording of one metric: the per-day columns, and the trials
/// buffered on their way to them. [`HistogramRecorder::finish`] counts what
/// is buffered and gives the [`DayHistogram`].
#[derive(Debug, Clone)]
pub struct HistogramRecorder {
    columns: Vec<Column>,
    /// Trials with the same bin on every day: key and number of trials,
    /// added to every column by [`HistogramRecorder::finish`].
    constant: std::collections::BTreeMap<i64, u64>,
    /// Buffered bins, `[day][trial]`, for up to `batch` trials, as offsets
    /// from their day's base (rows [`HistogramRecorder::pending_stride`] apart).
    pending: Vec<Offset>,
    /// Each day's base key for the buffered trials.
    bases: Vec<u32>,
    /// The last [`TILE`] trials' bins, `[day][trial]`, on their way to
    /// `pending`: a trial's bins land in nearby lines, then move a whole
    /// line per day.
    tile: Vec<u32>,
    batch: usize,
    /// Trials in `pending`.
    pending_trials: usize,
    /// Bytes of all columns when last counted (they only grow while
    /// buffered trials are counted).
    column_bytes: u64,
    /// Buffered trials recorded as runs: (report day, bin) where a run
    /// starts, or with `RUN_LEFT` (see `runs`) set, the bin a run left the
    /// day before.
    run_changes: Vec<(u32, u32)>,
    /// Trials in `run_changes`.
    run_trials: usize,
    /// `run_changes`' bins sorted by day, and where each day's end.
    run_sorted: Vec<u32>,
    run_day_ends: Vec<u32>,
    /// The runs' trials per bin on the day being counted.
    running: Column,
    /// Most runs a trial may have to be recorded as runs.
    max_runs: usize,
    /// Work space of [`Column::add_offsets_densely`] (left empty).
    dense: Vec<Cell>,
}

impl HistogramRecorder {
    pub fn new(days: usize) -> HistogramRecorder {
        HistogramRecorder::sharing(days, 1)
    }

    /// One of the `histograms` histograms a worker fills (see
    /// [`WORKER_BATCH_BYTES`]).
    pub fn sharing(days: usize, histograms: usize) -> HistogramRecorder {
        let days_or_one = days.max(1);
        let max_runs = (days / DAYS_PER_RUN).min(MAX_RUNS);
        // A trial's bins, and its share of the run buffers' room; the rows'
        // padding comes first out of this histogram's share of the budget.
        let trial_bytes = days_or_one * size_of::<Offset>() + max_runs.max(1) * RUN_CHANGE_BYTES;
        let padding_bytes = days_or_one * PENDING_PAD * size_of::<Offset>();
        let batch = (BATCH_KEYS / days_or_one)
            .min((WORKER_BATCH_BYTES / histograms.max(1)).saturating_sub(padding_bytes) / trial_bytes)
            .clamp(MIN_BATCH, MAX_BATCH)
            / TILE
            * TILE;
        HistogramRecorder {
            columns: vec![Column::default(); days],
            constant: std::collections::BTreeMap::new(),
            pending: Vec::new(),
            bases: Vec::new(),
            tile: Vec::new(),
            batch,
            pending_trials: 0,
            column_bytes: 0,
            run_changes: Vec::new(),
            run_trials: 0,
            run_sorted: Vec::new(),
            run_day_ends: Vec::new(),
            running: Column::default(),
            max_runs,
            dense: Vec::new(),
        }
    }

    /// Bytes held by the columns and the buffers.
    pub fn table_bytes(&self) -> u64 {
        self.column_bytes
            + self.running.bytes()
            // The run buffers' room is written in full when first used.
            + (self.run_changes.capacity().max(self.run_sorted.capacity()) * RUN_CHANGE_BYTES
                + self.run_day_ends.capacity() * 4) as u64
            + self.pending.capacity() as u64 * size_of::<Offset>() as u64
            + (self.bases.capacity() + self.tile.capacity()) as u64 * 4
            + self.dense.capacity() as u64 * size_of::<Cell>() as u64
            + self.constant.len() as u64 * 48
    }

    /// Number of report days.
    pub fn days(&self) -> usize {
        self.columns.len()
    }

    /// Records one trial: `key_at(r)` is its bin on report day `r` (it may
    /// be asked for a day more than once). Keys are below 2^31 (see
    /// [`count_key`] and [`float_key`]).
    #[inline(always)]
    pub fn record(&mut self, key_at: impl Fn(usize) -> i64) {
        let days = self.columns.len();
        if days == 0 {
            return;
        }
        self.make_tile();
        // First the trial's runs of equal bins, as far as it could be
        // recorded as runs: a constant trial is counted once, one with few
        // runs as its runs; only the others are written to the tile (a
        // line per day: on long horizons more than the processor's nearest
        // cache holds).
        // `run_ends[i]`: the last day of run i (each day writes the current
        // run's slot, the last slot absorbing extras).
        let mut run_ends = [0u32; MAX_RUNS + 1];
        let mut run = 0;
        let mut previous = key_at(0);
        let most_runs = self.max_runs.max(1);
        for day in 1..days {
            let key = key_at(day);
            run += usize::from(key != previous);
            run_ends[run.min(MAX_RUNS)] = day as u32;
            previous = key;
            if run >= most_runs {
                break;
            }
        }
        if run == 0 && days > 1 {
            self.record_constant(previous);
            return;
        }
        if run < self.max_runs {
            self.record_runs(&run_ends[..=run], key_at);
        } else {
            self.write_lane((0..days).map(|day| key_at(day) as u32));
        }
        self.count_if_full();
    }

    /// Records one trial of whole-person counts, `values[r]` on report day
    /// `r`: below [`EXACT_LIMIT`] (the common case) they are their own
    /// keys (see [`HistogramRecorder::record_keys`]), else [`count_key`] makes
    /// them. True when some value is [`EXACT_LIMIT`] or more (binned: its
    /// exact sums are the caller's to keep).
    #[inline(always)]
    pub fn record_counts(&mut self, values: &[u32]) -> bool {
        let (changes, bits) = changes_and_bits(values);
        const _: () = assert!(EXACT_LIMIT.is_power_of_two());
        if bits < EXACT_LIMIT {
            self.record_changing_keys(values, changes);
            false
        } else {
            self.record(|day| count_key(values[day]));
            true
        }
    }

    /// [`HistogramRecorder::record_counts`] for whole counts of any size
    /// (money in whole USD, say): the same bins for the same values. True
    /// when some value is [`EXACT_LIMIT`] or more.
    pub fn record_wide_counts(&mut self, values: &[u64]) -> bool {
        let large = values.iter().any(|&v| v >= u64::from(EXACT_LIMIT));
        self.record(|day| count_key_u64(values[day]));
        large
    }

    /// Records one trial by its bins, `keys[r]` on report day `r` (each
    /// below 2^31): what [`HistogramRecorder::record`] does, the same way, with
    /// less work: the changes are counted in one vectorized pass, and runs
    /// and tile read the keys as they are.
    #[inline(always)]
    pub fn record_keys(&mut self, keys: &[u32]) {
        let (changes, _) = changes_and_bits(keys);
        self.record_changing_keys(keys, changes);
    }

    /// [`HistogramRecorder::record_keys`] with the keys' `changes` from day to day.
    #[inline(always)]
    fn record_changing_keys(&mut self, keys: &[u32], changes: usize) {
        let days = self.columns.len();
        // A slice of another length would be recorded wrongly, not refused.
        assert_eq!(keys.len(), days, "one key per report day");
        if days < 2 {
            self.record(|day| i64::from(keys[day]));
            return;
        }
        if changes == 0 {
            self.record_constant(i64::from(keys[0]));
            return;
        }
        self.make_tile();
        if changes < self.max_runs {
            self.record_key_runs(keys);
        } else {
            self.write_lane(keys.iter().copied());
        }
        self.count_if_full();
    }

    /// Offsets from one day's row of `pending` to the next.
    fn pending_stride(&self) -> usize {
        self.batch + PENDING_PAD
    }

    /// Makes the tile and the buffers of bins on first use.
    #[inline(always)]
    fn make_tile(&mut self) {
        if self.tile.is_empty() {
            let days = self.columns.len();
            self.pending.resize(self.pending_stride() * days, 0);
            self.bases.resize(days, 0);
            self.tile.resize(TILE * days, 0);
        }
    }

    /// Writes a trial's bins, one a day, to its lane of the tile, and
    /// stores the tile when it is full.
    #[inline(always)]
    fn write_lane(&mut self, keys: impl Iterator<Item = u32>) {
        let lane = self.pending_trials % TILE;
        for (slots, key) in self.tile.chunks_exact_mut(TILE).zip(keys) {
            slots[lane] = key;
        }
        self.pending_trials += 1;
        if lane == TILE - 1 {
            self.store_tile();
        }
    }

    /// Counts the buffered trials when the batch is full, or when the run
    /// buffers have no room left for another trial's runs.
    #[inline(always)]
    fn count_if_full(&mut self) {
        if self.pending_trials + self.run_trials == self.batch
            || (self.run_trials > 0 && self.run_changes.len() + 2 * self.max_runs > self.run_changes.capacity())
        {
            self.count_pending();
        }
    }

    fn count_column_bytes(&mut self) {
        self.column_bytes = self.columns.iter().map(Column::bytes).sum();
    }

    /// Records one trial with bin `key` on every day.
    pub fn record_constant(&mut self, key: i64) {
        *self.constant.entry(key).or_default() += 1;
    }

    /// Counts one trial in bin `key` on report days `from..to`.
    pub fn add_run(&mut self, key: i64, from: usize, to: usize) {
        for column in &mut self.columns[from..to] {
            column.add(key, 1);
        }
    }

    /// Counts one trial's value (bin `key`) on report day `day` only.
    pub fn add(&mut self, key: i64, day: usize) {
        self.add_run(key, day, day + 1);
    }

    /// Counts everything buffered, and gives the counts. Call after the
    /// last trial.
    pub fn finish(mut self) -> DayHistogram {
        self.count_pending();
        for (key, trials) in std::mem::take(&mut self.constant) {
            for column in &mut self.columns {
                column.add_many(key, trials);
            }
        }
        DayHistogram { columns: self.columns }
    }
}

/// How many times `values` changes from one day to the next, and an `or`
/// of them all (below a power of two exactly when they all are; a `max`
/// of u32s is not vectorized on a plain x86-64): one pass, which the
/// compiler vectorizes.
#[inline(always)]
fn changes_and_bits(values: &[u32]) -> (usize, u32) {
    let Some((&first, rest)) = values.split_first() else {
        return (0, 0);
    };
    let mut changes = 0u32;
    let mut bits = first;
    for (&before, &value) in values.iter().zip(rest) {
        changes += u32::from(before != value);
        bits |= value;
    }
    (changes as usize, bits)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_counts, below_from, record_with_reference};
    use super::*;

    /// A worker's buffers together hold at most `WORKER_BATCH_BYTES`
    /// (at least `MIN_BATCH` trials each); a few histograms keep the full batch.
    #[test]
    fn many_histograms_buffer_fewer_trials_each() {
        assert_eq!(HistogramRecorder::sharing(106, 18).batch, MAX_BATCH);
        let many = HistogramRecorder::sharing(106, 10_000);
        assert_eq!(many.batch, MIN_BATCH);
        let some = HistogramRecorder::sharing(106, 200);
        let trial_bytes = 106 * size_of::<Offset>() + some.max_runs * RUN_CHANGE_BYTES;
        let padding_bytes = 106 * PENDING_PAD * size_of::<Offset>();
        assert!((some.batch * trial_bytes + padding_bytes) * 200 <= WORKER_BATCH_BYTES && some.batch > MIN_BATCH);
        assert_eq!(some.batch % TILE, 0);
    }

    #[test]
    fn runs_count_every_day_they_cover() {
        let mut h = HistogramRecorder::new(5);
        h.add_run(7, 0, 5);
        h.add_run(7, 1, 3);
        h.add_run(9, 3, 5);
        let h = h.finish();
        let per_day: Vec<Vec<(i64, u64)>> = (0..5).map(|d| h.column(d).collect()).collect();
        assert_eq!(per_day[0], vec![(7, 1)]);
        assert_eq!(per_day[1], vec![(7, 2)]);
        assert_eq!(per_day[2], vec![(7, 2)]);
        assert_eq!(per_day[3], vec![(7, 1), (9, 1)]);
        assert_eq!(per_day[4], vec![(7, 1), (9, 1)]);
    }

    #[test]
    fn buffered_and_constant_trials_count_like_a_reference() {
        // More trials than one batch, some constant over all days: the
        // counts must be those of a plain per-day tally.
        let days = 10;
        let mut histogram = HistogramRecorder::new(days);
        let mut reference = record_with_reference(&mut histogram, 3 * MAX_BATCH as u64 + 17, |trial, day| {
            if trial % 5 == 0 {
                (trial % 3) as i64
            } else {
                ((trial * 7 + day as u64 * 3) % 300) as i64 + 1000 * (day as i64 % 2)
            }
        });
        histogram.add_run(5, 2, days);
        for day in reference.iter_mut().skip(2) {
            *day.entry(5).or_default() += 1;
        }
        let histogram = histogram.finish();
        assert_counts(&histogram, &reference);
    }

    /// Random trials (constant, in runs, or buffered; bins near 0, 2^15,
    /// 2^16, 2^22 and far apart, whatever comes first in a tile; all in
    /// the range of real keys, up to 2^22) over
    /// random horizons and batch sizes count like a plain tally.
    #[test]
    fn random_trials_count_like_a_reference() {
        let mut below = below_from(0x9E37_79B9_7F4A_7C15);
        for _ in 0..60 {
            let days = [1usize, 2, 7, 13, 60, 106, 400][below(7) as usize];
            let mut histogram = HistogramRecorder::sharing(days, [1, 300, 100_000][below(3) as usize]);
            let trials = below(3 * histogram.batch as u64 + 40).min(300_000 / days as u64);
            let centre = [0i64, 5, 32_768, 40_000, 65_536, 131_071, 1 << 22][below(7) as usize];
            let runs = histogram.max_runs as u64 + 2;
            let near = |below: &mut dyn FnMut(u64) -> u64, spread: u64| {
                (centre + below(2 * spread + 1) as i64 - spread as i64).clamp(0, 1 << 22)
            };
            let keys: Vec<Vec<i64>> = (0..trials)
                .map(|_| match below(4) {
                    0 => vec![near(&mut below, 50); days],
                    1 => {
                        let mut key = near(&mut below, 1_000);
                        let changes = 1 + below(runs);
                        (0..days)
                            .map(|_| {
                                if below(days as u64 / changes + 1) == 0 {
                                    key = near(&mut below, 100_000);
                                }
                                key
                            })
                            .collect()
                    }
                    _ => (0..days)
                        .map(|_| match below(6) {
                            0 => near(&mut below, 70_000),
                            1 => near(&mut below, 2) - 32_768,
                            2 => near(&mut below, 2) + 32_767,
                            3 => below(1 << 22) as i64,
                            4 => 0,
                            _ => near(&mut below, 32),
                        })
                        .map(|key| key.clamp(0, 1 << 22))
                        .collect(),
                })
                .collect();
            let reference = record_with_reference(&mut histogram, trials, |trial, day| keys[trial as usize][day]);
            let histogram = histogram.finish();
            assert_counts(&histogram, &reference);
            assert_eq!(histogram.check(trials), Ok(()));
        }
    }

    /// Whole counts recorded as values take the same way as their keys do
    /// (constant, runs, tile, early counts), so the histograms come out
    /// the same to the page; values from [`EXACT_LIMIT`] on are counted by
    /// their keys. Keys recorded as a slice do the same as keys recorded
    /// one day at a time.
    #[test]
    fn whole_counts_record_like_their_keys() {
        let mut below = below_from(0x2545_F491_4F6C_DD1D);
        let mut early_counts = 0;
        for case in 0..48 {
            let days = [0usize, 1, 2, 7, 17, 33, 106, 400][case % 8];
            let mut by_values = HistogramRecorder::new(days);
            let mut by_keys = HistogramRecorder::new(days);
            // The values as `u64`s, through the entry point for wide counts.
            let mut by_wide = HistogramRecorder::new(days);
            // The values taken as keys themselves, as ratio bins are.
            let mut as_keys = HistogramRecorder::new(days);
            let mut as_keys_reference = HistogramRecorder::new(days);
            let runs = by_values.max_runs as u64 + 2;
            let most_runs = by_values.max_runs;
            let trials = below(2 * by_values.batch as u64 + 40).min(200_000 / days.max(1) as u64);
            let high = if case % 5 == 4 { 200_000 } else { 5_000 };
            // Every other case, mostly trials with as many runs as may be
            // recorded as runs, so that the run buffers fill early.
            let full_runs = case % 2 == 1;
            for _ in 0..trials {
                let mut value = below(high) as u32;
                let changes = match below(if full_runs { 8 } else { 4 }) {
                    0 => 0,
                    1 => 1 + below(runs),
                    2 | 3 => days as u64,
                    _ => u64::MAX,
                };
                let values: Vec<u32> = (0..days)
                    .map(|day| {
                        if changes == u64::MAX {
                            // `most_runs` runs of equal values.
                            return value + (day * most_runs / days) as u32;
                        }
                        if changes > 0 && below(days as u64 / changes + 1) == 0 {
                            value = below(high) as u32;
                        }
                        value
                    })
                    .collect();
                let counted_before = by_values.pending_trials + by_values.run_trials;
                let large = by_values.record_counts(&values);
                assert_eq!(large, values.iter().any(|&v| v >= EXACT_LIMIT));
                let wide: Vec<u64> = values.iter().map(|&v| u64::from(v)).collect();
                assert_eq!(by_wide.record_wide_counts(&wide), large);
                // Counted (the buffers emptied) before the batch was full.
                let counted = by_values.pending_trials + by_values.run_trials == 0 && counted_before > 0;
                early_counts += usize::from(counted && counted_before + 1 < by_values.batch);
                by_keys.record(|day| count_key(values[day]));
                as_keys.record_keys(&values);
                as_keys_reference.record(|day| i64::from(values[day]));
            }
            let [by_values, by_keys, by_wide, as_keys, as_keys_reference] =
                [by_values, by_keys, by_wide, as_keys, as_keys_reference].map(HistogramRecorder::finish);
            assert!(by_values == by_keys, "case {case}: {days} days, {trials} trials");
            assert!(by_wide == by_keys, "case {case}: {days} days, {trials} trials, wide");
            assert!(
                as_keys == as_keys_reference,
                "case {case}: {days} days, {trials} trials, as keys"
            );
        }
        assert!(early_counts > 0, "no batch was counted early");
    }
}
