//! Trials with few runs of equal bins, buffered as their runs: where each
//! starts and is left, counted day by day as running counts.

use super::super::column::{CELL_BITS, Cell};
use super::{HistogramRecorder, MAX_BATCH};
use crate::model::first_pair_where;

/// Marks a run change as the bin a run left (counted -1).
const RUN_LEFT: u32 = 1 << 31;
// The runs' running counts (at most one per trial of a batch) fit a cell.
const _: () = assert!(MAX_BATCH < 1 << CELL_BITS);

impl HistogramRecorder {
    /// [`HistogramRecorder::record_runs`] for `keys[r]` on report day `r`:
    /// a run ends where the key changes.
    pub(super) fn record_key_runs(&mut self, keys: &[u32]) {
        if self.run_changes.capacity() == 0 {
            self.make_run_room();
        }
        let mut start = 0;
        while let Some(change) = next_change(keys, start + 1) {
            self.push_run(start, change, keys[start]);
            start = change;
        }
        self.push_run(start, keys.len(), keys[start]);
        self.run_trials += 1;
    }

    /// Records a trial by its runs, the last day of each in `run_ends`
    /// (`key_at` gives its bins): where each starts, and where each but
    /// the last is left.
    pub(super) fn record_runs(&mut self, run_ends: &[u32], key_at: impl Fn(usize) -> i64) {
        if self.run_changes.capacity() == 0 {
            self.make_run_room();
        }
        let mut start = 0;
        for &end in run_ends {
            let after = end as usize + 1;
            self.push_run(start, after, key_at(start) as u32);
            start = after;
        }
        self.run_trials += 1;
    }

    /// Notes a run of bin `key` from report day `start` to before `end`:
    /// where it starts, and (unless it lasts to the last day) where it is
    /// left.
    #[inline(always)]
    fn push_run(&mut self, start: usize, end: usize, key: u32) {
        debug_assert!(key < RUN_LEFT, "bin keys are below 2^23");
        self.run_changes.push((start as u32, key));
        if end < self.columns.len() {
            self.run_changes.push((end as u32, key | RUN_LEFT));
        }
    }

    /// Makes room in the run buffers for half what a batch of trials with
    /// the most runs needs (the baseline's batches mostly fit; about one
    /// in seven daily ones does not); a batch that needs more is counted
    /// early. The room is written at once, so that the memory it takes is
    /// all taken now rather than creeping up with the number of trials as
    /// ever rarer batches with more runs come.
    #[cold]
    fn make_run_room(&mut self) {
        let room = self.batch * self.max_runs.max(1);
        self.run_changes.resize(room, (0, 0));
        self.run_changes.clear();
        self.run_sorted.resize(room, 0);
        self.run_sorted.clear();
    }

    /// Sorts the buffered run changes by day (a counting sort).
    pub(super) fn sort_run_changes(&mut self) {
        let days = self.columns.len();
        self.run_day_ends.clear();
        self.run_day_ends.resize(days + 1, 0);
        for &(day, _) in &self.run_changes {
            self.run_day_ends[day as usize + 1] += 1;
        }
        for d in 1..=days {
            self.run_day_ends[d] += self.run_day_ends[d - 1];
        }
        self.run_sorted.clear();
        self.run_sorted.resize(self.run_changes.len(), 0);
        // Each change goes to its day's next free place; afterwards
        // `run_day_ends[d]` is where day d's changes end.
        for &(day, key) in &self.run_changes {
            let place = &mut self.run_day_ends[day as usize];
            self.run_sorted[*place as usize] = key;
            *place += 1;
        }
        self.run_changes.clear();
    }

    /// Counts the runs' trials on `day`: the running counts move by the
    /// day's changes, then add to the day's column.
    pub(super) fn count_runs_of_day(&mut self, day: usize) {
        let start = if day == 0 {
            0
        } else {
            self.run_day_ends[day - 1] as usize
        };
        let end = self.run_day_ends[day] as usize;
        for &key in &self.run_sorted[start..end] {
            // Leaving a bin counts -1, which is `Cell::MAX` modulo 2^16.
            let delta = if key & RUN_LEFT == 0 { 1 } else { Cell::MAX };
            self.running.add_wrapping(i64::from(key & !RUN_LEFT), delta);
        }
        self.columns[day].add_pages(&self.running);
    }
}

/// The first day `d` from `from` (at least 1) on with a key other than the
/// day before's, if any: the keys compared with the same keys a day
/// later (see [`first_pair_where`]).
#[inline(always)]
fn next_change(keys: &[u32], from: usize) -> Option<usize> {
    let ahead = keys.get(from..)?;
    first_pair_where(ahead, &keys[from - 1..], |key, before| key != before).map(|place| from + place)
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::{assert_counts, record_with_reference};
    use super::*;

    /// The next change of key, against a plain search: from every day of
    /// series with changes at block edges, inside blocks, at the very
    /// start and end, none at all, and in series shorter than a block.
    #[test]
    fn next_change_finds_the_first_day_whose_key_differs() {
        let mut series: Vec<Vec<u32>> = vec![vec![7; 40], vec![7; 5], vec![1, 2], vec![3]];
        for change in [1, 15, 16, 17, 31, 32, 33, 39] {
            let mut keys = vec![7; 40];
            keys[change..].fill(8);
            series.push(keys);
        }
        let mut every_other_day = vec![0; 50];
        for (day, key) in every_other_day.iter_mut().enumerate() {
            *key = (day / 2) as u32;
        }
        series.push(every_other_day);
        for keys in &series {
            for from in 1..=keys.len() {
                let plain = (from..keys.len()).find(|&day| keys[day] != keys[day - 1]);
                assert_eq!(next_change(keys, from), plain, "{keys:?} from {from}");
            }
        }
    }

    #[test]
    fn trials_recorded_as_runs_count_like_a_reference() {
        // Enough days that trials with few runs are recorded as runs,
        // mixed with buffered and constant ones, over several batches.
        let days = 60;
        let mut histogram = HistogramRecorder::new(days);
        assert!(histogram.max_runs > 3);
        let trials = 2 * histogram.batch as u64 + 37;
        let reference = record_with_reference(&mut histogram, trials, |trial, day| match trial % 4 {
            0 => 40,
            // A few runs, ending on various days (the last one at the end).
            1 => (trial % 7) as i64 + 100 * (day as i64 / (5 + (trial % 11) as i64)).min(4),
            2 => 300 + ((trial + day as u64) % 2) as i64,
            _ => 5000 - day as i64 - (trial % 3) as i64,
        });
        let histogram = histogram.finish();
        assert_counts(&histogram, &reference);
        assert_eq!(histogram.check(trials), Ok(()));
    }

    /// Trials with as many runs as may be recorded as runs fill the run
    /// buffers before a batch is full: the batch is counted early, the
    /// buffers keep their room, and the counts are a plain tally's.
    #[test]
    fn batches_with_many_runs_are_counted_early() {
        let days = 60;
        let mut histogram = HistogramRecorder::new(days);
        let runs = histogram.max_runs;
        let room = histogram.batch * runs;
        // `runs` runs of 6 days each (the most recorded as runs), the
        // first bins varying with the trial.
        let trials = 3 * histogram.batch as u64 + 5;
        let reference = record_with_reference(&mut histogram, trials, |trial, day| {
            (trial % 13) as i64 + 50 * (day / (days / runs)) as i64
        });
        assert_eq!(histogram.run_changes.capacity(), room);
        let histogram = histogram.finish();
        assert_counts(&histogram, &reference);
        assert_eq!(histogram.check(trials), Ok(()));
    }
}
