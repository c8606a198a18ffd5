//! Exact, mergeable per-day distributions.
//!
//! A [`DayHistogram`] counts, for each report day, how many trials had each
//! value. Whole-person values up to [`EXACT_LIMIT`] get a bin each, so their
//! percentiles are exact; larger values and ratios share bins of relative
//! width 2^-10 (under 0.1%), keyed by the top bits of the `f64`. Counts are
//! integers, so merging is exact and the same whatever the order.
//!
//! A trial's value tends to stay in one bin for many consecutive days, so a
//! histogram is filled by *runs*: a trial in bin `b` from day `r1` to just
//! before day `r2` adds +1 at `(b, r1)` and -1 at `(b, r2)`, and
//! [`DayHistogram::finish`] turns these differences into counts with one
//! prefix sum per bin. Recording costs two writes per run instead of one per
//! day. Layout is `[bin][day]`, so both writes of a short run share a cache
//! line. Differences are stored as wrapping `u32`: the prefix sums are exact
//! because every true count fits.
//!
//! Runs are not written at once: each histogram queues its writes and
//! applies them in batches, so a batch's writes all land in one metric's
//! table (which stays in cache) instead of hopping between the tables of
//! every metric on every trial.

use serde::{Deserialize, Serialize};

/// Whole-person values below this are binned exactly.
pub const EXACT_LIMIT: u32 = 1 << 16;
const FLOAT_SHIFT: u32 = 42;

/// The bin key of a whole-person value.
#[inline]
pub fn count_key(value: u32) -> i64 {
    if value < EXACT_LIMIT {
        i64::from(value)
    } else {
        i64::from(EXACT_LIMIT) + (float_key(f64::from(value)) - float_key(f64::from(EXACT_LIMIT)))
    }
}

/// Ratios below this share one bin, reported as 0; without the floor, a
/// single 0 would stretch the key range across every tiny float.
pub const RATIO_FLOOR: f64 = 1e-9;

/// The bin key of a non-negative ratio.
#[inline]
pub fn float_key(value: f64) -> i64 {
    if value >= RATIO_FLOOR {
        (value.to_bits() >> FLOAT_SHIFT) as i64
    } else {
        (RATIO_FLOOR.to_bits() >> FLOAT_SHIFT) as i64 - 1
    }
}

/// The value reported for a bin: the value itself for exact bins, else the
/// bin's midpoint (within 0.05% of every value in it).
pub fn count_value(key: i64) -> f64 {
    if key < i64::from(EXACT_LIMIT) {
        key as f64
    } else {
        float_value(key - i64::from(EXACT_LIMIT) + float_key(f64::from(EXACT_LIMIT))).round()
    }
}

/// The midpoint of a ratio bin.
pub fn float_value(key: i64) -> f64 {
    if key < float_key(RATIO_FLOOR) {
        return 0.0;
    }
    let low = f64::from_bits((key as u64) << FLOAT_SHIFT);
    let high = f64::from_bits(((key + 1) as u64) << FLOAT_SHIFT);
    (low + high) / 2.0
}

/// Bins per page: the table is allocated a page at a time, only where
/// values fall, so a metric that is either 0 or 60,000 costs two pages, not
/// 60,000 rows.
const PAGE_ROWS: i64 = 64;

/// Trials after which the 16-bit differences must be folded into the full ones.
pub const FOLD_EVERY: u64 = i16::MAX as u64;

/// Pages allocated beyond a newly seen value, on each side.
const MARGIN_PAGES: i64 = 1;

/// Queued writes per histogram before they are applied.
const QUEUE_LIMIT: usize = 1 << 11;

/// Runs recorded before a histogram checks whether its runs are so short
/// (under two report days on average) that writing each day's count
/// directly takes fewer writes than two run ends.
const CHECK_RUNS_AFTER: u64 = 1 << 14;

/// Counts per (bin, day), in pages of [`PAGE_ROWS`] bins over a growable key range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHistogram {
    days: usize,
    /// Key of the first row of page 0 (a multiple of PAGE_ROWS).
    low: i64,
    /// `[row][day]` cells of each page: run differences while recording,
    /// counts once finished.
    pages: Vec<Option<Vec<u32>>>,
    finished: bool,
    /// Recent differences, in 16 bits so the table being written stays in
    /// cache; folded into `pages` at least every [`FOLD_EVERY`] trials, before
    /// any cell could leave the i16 range (a trial moves a cell by at most 1).
    #[serde(skip)]
    hot: Vec<Option<Vec<i16>>>,
    /// Queued writes: `page << 40 | cell << 1 | 1` adds one, `... | 0` removes one.
    #[serde(skip)]
    queue: Vec<u64>,
    /// While recording: cells hold counts (one write per day) instead of
    /// run differences. Only speed depends on it, never the counts.
    #[serde(skip)]
    points: bool,
    /// Runs and the report days they covered, until the mode is settled.
    #[serde(skip)]
    runs: u64,
    #[serde(skip)]
    run_days: u64,
}

impl DayHistogram {
    pub fn new(days: usize) -> DayHistogram {
        DayHistogram {
            days,
            low: 0,
            pages: Vec::new(),
            finished: false,
            hot: Vec::new(),
            queue: Vec::new(),
            points: false,
            runs: 0,
            run_days: 0,
        }
    }

    /// Bytes held by this histogram's tables (allocated pages, both widths).
    pub fn table_bytes(&self) -> u64 {
        let cells = (PAGE_ROWS as usize * self.days) as u64;
        let cold = self.pages.iter().flatten().count() as u64 * cells * 4;
        let hot = self.hot.iter().flatten().count() as u64 * cells * 2;
        cold + hot + self.pages.len() as u64 * 24
    }

    /// Number of report days.
    pub fn days(&self) -> usize {
        self.days
    }

    /// Counts one trial in bin `key` on report days `from..to`.
    #[inline(always)]
    pub fn add_run(&mut self, key: i64, from: usize, to: usize) {
        debug_assert!(!self.finished && from < to && to <= self.days);
        let mut row = key.wrapping_sub(self.low) as u64;
        if row >= (self.pages.len() as u64) * PAGE_ROWS as u64 {
            self.make_room(key);
            row = (key - self.low) as u64;
        }
        let page = row / PAGE_ROWS as u64;
        let start = (row % PAGE_ROWS as u64) * self.days as u64;
        if self.points {
            for day in from..to {
                self.queue.push(page << 40 | (start + day as u64) << 1 | 1);
            }
        } else {
            self.queue.push(page << 40 | (start + from as u64) << 1 | 1);
            if to < self.days {
                self.queue.push(page << 40 | (start + to as u64) << 1);
            }
            self.runs += 1;
            self.run_days += (to - from) as u64;
            if self.runs == CHECK_RUNS_AFTER {
                self.settle_mode();
            }
        }
        if self.queue.len() >= QUEUE_LIMIT {
            self.apply_queue();
        }
    }

    /// Switches to writing counts directly when runs average under two
    /// days: the differences recorded so far become counts first.
    #[cold]
    #[inline(never)]
    fn settle_mode(&mut self) {
        if self.run_days >= 2 * self.runs {
            return;
        }
        self.fold();
        self.prefix_sums();
        self.points = true;
    }

    /// Turns each row's run differences into counts.
    fn prefix_sums(&mut self) {
        if self.days == 0 {
            return;
        }
        for page in self.pages.iter_mut().flatten() {
            for row in page.chunks_exact_mut(self.days) {
                let mut running = 0u32;
                for cell in row {
                    running = running.wrapping_add(*cell);
                    *cell = running;
                }
            }
        }
    }

    /// Counts one trial's value (bin `key`) on report day `day` only.
    pub fn add(&mut self, key: i64, day: usize) {
        self.add_run(key, day, day + 1);
    }

    /// Extends the page directory to cover `key` (pages stay unallocated).
    #[cold]
    #[inline(never)]
    fn make_room(&mut self, key: i64) {
        // Queued and hot writes name pages by position, which a prepend
        // shifts: fold them first (the zeroed hot pages are kept, shifted
        // along with the pages, rather than freed and allocated again).
        self.fold();
        let page_of = |k: i64| k.div_euclid(PAGE_ROWS) * PAGE_ROWS;
        // Cover the key and a margin of pages beyond it, and allocate them
        // now: the rare values that a longer run adds to the tails then fall
        // in pages a short run already has, so memory barely grows with the
        // number of trials.
        // (Not for a first page: a metric that never leaves one value, like
        // a contributor that never comes, keeps a single page.)
        let margin = if self.pages.is_empty() {
            0
        } else {
            MARGIN_PAGES * PAGE_ROWS
        };
        let (from, to) = (page_of(key - margin), page_of(key + margin));
        if self.pages.is_empty() {
            self.low = from;
        }
        if from < self.low {
            let extra = ((self.low - from) / PAGE_ROWS) as usize;
            self.pages.splice(0..0, std::iter::repeat_n(None, extra));
            if !self.hot.is_empty() {
                self.hot.splice(0..0, std::iter::repeat_n(None, extra));
            }
            self.low = from;
        }
        let needed = ((to - self.low) / PAGE_ROWS) as usize + 1;
        if needed > self.pages.len() {
            self.pages.resize(needed, None);
        }
        for page in ((from - self.low) / PAGE_ROWS) as usize..needed {
            self.page_mut(page);
        }
    }

    fn page_mut(&mut self, page: usize) -> &mut Vec<u32> {
        let cells = PAGE_ROWS as usize * self.days;
        self.pages[page].get_or_insert_with(|| vec![0; cells])
    }

    /// Applies the queued writes to the 16-bit differences.
    fn apply_queue(&mut self) {
        if self.hot.len() < self.pages.len() {
            self.hot.resize(self.pages.len(), None);
        }
        let cells = PAGE_ROWS as usize * self.days;
        for &entry in &self.queue {
            let page = self.hot[(entry >> 40) as usize].get_or_insert_with(|| vec![0; cells]);
            let cell = &mut page[((entry & ((1 << 40) - 1)) >> 1) as usize];
            *cell = if entry & 1 == 1 {
                cell.wrapping_add(1)
            } else {
                cell.wrapping_sub(1)
            };
        }
        self.queue.clear();
    }

    /// Moves all recorded differences into the full-width table. Must run at
    /// least every [`FOLD_EVERY`] recorded trials.
    pub fn fold(&mut self) {
        self.apply_queue();
        for page in 0..self.hot.len() {
            let Some(mut hot) = self.hot[page].take() else { continue };
            let cold = self.page_mut(page);
            for (c, h) in cold.iter_mut().zip(&hot) {
                *c = c.wrapping_add(i32::from(*h) as u32);
            }
            hot.fill(0);
            self.hot[page] = Some(hot);
        }
    }

    /// Turns recorded runs into counts. Call once, after the last run and
    /// before reading or merging.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.fold();
        self.hot = Vec::new();
        if !self.points {
            self.prefix_sums();
        }
        self.finished = true;
    }

    /// Adds another finished histogram's counts (same days) to this finished one.
    pub fn merge(&mut self, other: &DayHistogram) {
        debug_assert!(self.finished && other.finished, "merge finished histograms only");
        let Some(last) = other.pages.len().checked_sub(1) else {
            return;
        };
        self.apply_queue();
        self.make_room(other.low);
        self.make_room(other.low + last as i64 * PAGE_ROWS);
        let offset = ((other.low - self.low) / PAGE_ROWS) as usize;
        for (i, page) in other.pages.iter().enumerate() {
            if let Some(theirs) = page {
                for (mine, theirs) in self.page_mut(offset + i).iter_mut().zip(theirs) {
                    *mine = mine.wrapping_add(*theirs);
                }
            }
        }
    }

    /// Bin keys and their counts on `day`, in ascending key order.
    pub fn column(&self, day: usize) -> impl Iterator<Item = (i64, u64)> + '_ {
        debug_assert!(self.finished, "read a histogram before finish()");
        let days = self.days;
        self.pages
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_ref().map(|p| (i, p)))
            .flat_map(move |(i, page)| {
                let first = self.low + i as i64 * PAGE_ROWS;
                (0..PAGE_ROWS as usize).filter_map(move |row| {
                    let count = page[row * days + day];
                    (count > 0).then(|| (first + row as i64, u64::from(count)))
                })
            })
    }

    /// For each share in `percents` (0-100): the key of the smallest bin such
    /// that at least that share of the `total` values are at or below it.
    pub fn percentile_keys(&self, day: usize, total: u64, percents: &[u32]) -> Vec<i64> {
        let mut keys = Vec::with_capacity(percents.len());
        let mut cumulative = 0u64;
        let mut last = self.low;
        for (key, count) in self.column(day) {
            cumulative += count;
            last = key;
            while keys.len() < percents.len() && cumulative * 100 >= u64::from(percents[keys.len()]) * total {
                keys.push(key);
            }
        }
        keys.resize(percents.len(), last);
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_the_smallest_value_covering_the_share() {
        let mut h = DayHistogram::new(1);
        for v in 1..=100u32 {
            h.add(count_key(v), 0);
        }
        h.finish();
        let keys = h.percentile_keys(0, 100, &[5, 25, 50, 75, 95, 100]);
        assert_eq!(keys, vec![5, 25, 50, 75, 95, 100]);
    }

    #[test]
    fn merging_equals_adding_in_one() {
        let (mut a, mut b, mut both) = (DayHistogram::new(3), DayHistogram::new(3), DayHistogram::new(3));
        for (i, v) in [5u32, 900, 70_000, 3, 12].iter().enumerate() {
            let target = if i % 2 == 0 { &mut a } else { &mut b };
            target.add(count_key(*v), i % 3);
            both.add(count_key(*v), i % 3);
        }
        for h in [&mut a, &mut b, &mut both] {
            h.finish();
        }
        let mut merged_ab = a.clone();
        merged_ab.merge(&b);
        let mut merged_ba = b.clone();
        merged_ba.merge(&a);
        for day in 0..3 {
            let expect: Vec<_> = both.column(day).collect();
            assert_eq!(merged_ab.column(day).collect::<Vec<_>>(), expect);
            assert_eq!(merged_ba.column(day).collect::<Vec<_>>(), expect);
        }
    }

    #[test]
    fn runs_count_every_day_they_cover() {
        let mut h = DayHistogram::new(5);
        h.add_run(7, 0, 5);
        h.add_run(7, 1, 3);
        h.add_run(9, 3, 5);
        h.finish();
        let per_day: Vec<Vec<(i64, u64)>> = (0..5).map(|d| h.column(d).collect()).collect();
        assert_eq!(per_day[0], vec![(7, 1)]);
        assert_eq!(per_day[1], vec![(7, 2)]);
        assert_eq!(per_day[2], vec![(7, 2)]);
        assert_eq!(per_day[3], vec![(7, 1), (9, 1)]);
        assert_eq!(per_day[4], vec![(7, 1), (9, 1)]);
    }

    #[test]
    fn short_runs_switch_to_counts_with_the_same_result() {
        // A value that changes every day: runs of one day each, so the
        // histogram switches to writing counts part-way; the counts must be
        // those of a histogram that never switched.
        let days = 10;
        let mut switched = DayHistogram::new(days);
        let mut reference: Vec<std::collections::BTreeMap<i64, u64>> = vec![Default::default(); days];
        let trials = CHECK_RUNS_AFTER / days as u64 + 100;
        for trial in 0..trials {
            for (day, counts) in reference.iter_mut().enumerate() {
                let key = ((trial * 7 + day as u64 * 3) % 50) as i64 + 100 * (day as i64 % 2);
                switched.add_run(key, day, day + 1);
                *counts.entry(key).or_default() += 1;
            }
            if (trial + 1) % FOLD_EVERY == 0 {
                switched.fold();
            }
        }
        assert!(switched.points, "runs of one day must switch to counts");
        // A long run after the switch still counts every day it covers.
        switched.add_run(5, 0, days);
        for day in reference.iter_mut() {
            *day.entry(5).or_default() += 1;
        }
        switched.finish();
        for (day, expected) in reference.iter().enumerate() {
            let got: Vec<(i64, u64)> = switched.column(day).collect();
            let want: Vec<(i64, u64)> = expected.iter().map(|(k, c)| (*k, *c)).collect();
            assert_eq!(got, want, "day {day}");
        }
    }

    #[test]
    fn large_counts_and_ratios_stay_within_a_twentieth_of_a_percent() {
        for v in [65_536u32, 100_000, 1_234_567, 99_999_999] {
            let back = count_value(count_key(v));
            assert!((back - f64::from(v)).abs() / f64::from(v) < 5e-4, "{v} -> {back}");
        }
        for x in [1e-6, 0.4567, 1.0, 47.25, 222.0, 123_456.7] {
            let back = float_value(float_key(x));
            assert!((back - x).abs() / x < 5e-4, "{x} -> {back}");
        }
        assert_eq!(float_value(float_key(0.0)), 0.0);
        assert!(count_key(65_535) < count_key(65_536) && count_key(65_536) <= count_key(65_600));
    }
}
