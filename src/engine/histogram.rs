//! Exact, mergeable per-day distributions.
//!
//! A [`DayHistogram`] counts, for each report day, how many trials had each
//! value. Whole-person values up to [`EXACT_LIMIT`] get a bin each, so their
//! percentiles are exact; larger values and ratios share bins of relative
//! width 2^-10 (under 0.1%), keyed by the top bits of the `f64`. Counts are
//! integers, so merging is exact and the same whatever the order.
//!
//! Each report day has its own column of bins, allocated a page at a time
//! only where values fall. A trial's bins are not counted at once: they are
//! buffered (up to 2,048 trials, as 16-bit offsets from a base per day)
//! and then counted one day at a time, so the counting stays inside one
//! day's column (a few kilobytes, in cache) instead of hopping across
//! every day of every metric on every trial. Where a day's buffered bins
//! span few pages, they are first counted in a small dense array, then
//! added to the pages a page at a time.
//! A trial with the same bin on every day (a contributor that never comes)
//! is counted once, and added to every day when the histogram is finished.

use serde::{Deserialize, Serialize};

use crate::model::first_pair_where;

/// Whole-person values below this are binned exactly.
pub const EXACT_LIMIT: u32 = 1 << 16;
const FLOAT_SHIFT: u32 = 42;

/// The bin key of a whole-person value.
#[inline]
pub fn count_key(value: u32) -> i64 {
    if value < EXACT_LIMIT {
        i64::from(value)
    } else {
        large_count_key(value)
    }
}

/// [`count_key`] of a value of [`EXACT_LIMIT`] or more (rare: kept out of
/// line, so the common case is a plain comparison).
#[cold]
#[inline(never)]
fn large_count_key(value: u32) -> i64 {
    i64::from(EXACT_LIMIT) + (float_key(f64::from(value)) - float_key(f64::from(EXACT_LIMIT)))
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

/// Bins per page of a day's column: a column is allocated a page at a time,
/// only where values fall, so a metric that is either 0 or 60,000 costs two
/// pages, not 60,000 bins.
const PAGE_BINS: usize = 128;

/// A buffered bin: its key less its day's base for the batch (see
/// [`DayHistogram::store_tile`]). Sixteen bits buffer twice the trials in
/// the same memory.
type Offset = u16;
/// Marks a buffered bin too far from its day's base to be an [`Offset`]
/// (a rare outlier): it is counted at once instead.
const FAR: Offset = Offset::MAX;
/// How far below the batch's first bin a day's base lies, so that bins on
/// either side of it are buffered.
const BASE_MARGIN: u32 = 1 << (Offset::BITS - 1);

/// Bins buffered per histogram before they are counted (2 MiB): the more
/// trials a day's column receives at a time, the more of them find its
/// bins already in cache.
const BATCH_KEYS: usize = 1 << 20;
/// Bytes of buffers (bins, and the run buffers' room) of all of a worker's
/// histograms together (128 MiB), so that a scenario with thousands of
/// contributors buffers fewer trials at a time rather than gigabytes.
const WORKER_BATCH_BYTES: usize = 1 << 27;
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
/// Widest range of bins a day's buffered trials are counted through a
/// run of dense cells (see [`Column::add_offsets_densely`]).
const DENSE_BINS: usize = 1 << 14;
/// ... and at most this many bins per trial counted.
const DENSE_BINS_PER_OFFSET: usize = 32;

/// Most runs of equal bins a trial may have to be recorded as runs (see
/// [`DayHistogram::record`]).
const MAX_RUNS: usize = 128;
/// A trial is recorded as runs when it has at most one run per this many
/// report days: two additions per run then cost less than buffering and
/// counting every day.
const DAYS_PER_RUN: usize = 6;
/// Marks a run change as the bin a run left (counted -1).
const RUN_LEFT: u32 = 1 << 31;

/// Every bin key lies in this range (count keys are under 2^17, ratio keys
/// under 2^22), with a page to spare on each side; checked when a saved
/// histogram is read.
const KEY_RANGE: std::ops::RangeInclusive<i64> = -(PAGE_BINS as i64)..=(1 << 22) + 2 * PAGE_BINS as i64;

/// A bin's count as kept in memory. Sixteen bits halve the tables (a day's
/// column stays in cache longer, and the tails that more trials reach cost
/// half as much); each time a cell passes `u16::MAX` the carry goes to the
/// column's `overflow`, so counts stay exact however many trials.
type Cell = u16;
/// Bits of a [`Cell`]: a carry is worth `1 << CELL_BITS` trials.
const CELL_BITS: u32 = Cell::BITS;
// The runs' running counts (at most one per trial of a batch) fit a cell.
const _: () = assert!(MAX_BATCH < 1 << CELL_BITS);

/// One page of a column: the counts of [`PAGE_BINS`] consecutive bins.
type Page = Box<[Cell; PAGE_BINS]>;

/// One report day's counts per bin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SavedColumn")]
struct Column {
    /// Key of the first bin of page 0 (a multiple of [`PAGE_BINS`]).
    low: i64,
    /// Pages of [`PAGE_BINS`] keys from `low`, each allocated on its own
    /// (so a column grows without moving or fragmenting memory).
    pages: Vec<Option<Page>>,
    /// Bins whose count passed `u16::MAX`, sorted by key: the key and how
    /// many times 2^16 to add to the cell.
    overflow: Vec<(i64, u64)>,
}

/// A column as saved in a partial result file: 32-bit cells, and carries
/// of 2^32 (the format does not depend on the cells kept in memory).
#[derive(Deserialize)]
struct SavedColumn {
    low: i64,
    pages: Vec<Option<Vec<u32>>>,
    overflow: Vec<(i64, u64)>,
}

#[derive(Serialize)]
struct SavedColumnRef<'a> {
    low: i64,
    pages: Vec<Option<Vec<u32>>>,
    overflow: &'a [(i64, u64)],
}

impl Serialize for Column {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut pages: Vec<Option<Vec<u32>>> = self
            .pages
            .iter()
            .map(|page| page.as_ref().map(|cells| cells.iter().map(|&c| u32::from(c)).collect()))
            .collect();
        // Each carried bin's whole count, split into a 32-bit cell and carries of 2^32.
        let mut carries = Vec::new();
        for &(key, wraps) in &self.overflow {
            let (page, place) = self.page_of(key);
            if let Some(Some(cells)) = pages.get_mut(page) {
                let count = u64::from(cells[place]).saturating_add(wraps.saturating_mul(1 << CELL_BITS));
                cells[place] = count as u32;
                if count >> 32 > 0 {
                    carries.push((key, count >> 32));
                }
            }
        }
        SavedColumnRef {
            low: self.low,
            pages,
            overflow: &carries,
        }
        .serialize(serializer)
    }
}

impl TryFrom<SavedColumn> for Column {
    type Error = String;

    fn try_from(saved: SavedColumn) -> Result<Column, String> {
        // Whole counts above a cell go to `overflow` as carries of 2^16.
        let mut carries = std::collections::BTreeMap::<i64, u64>::new();
        let mut pages = Vec::with_capacity(saved.pages.len());
        for (page, cells) in saved.pages.into_iter().enumerate() {
            let Some(cells) = cells else {
                pages.push(None);
                continue;
            };
            if cells.len() != PAGE_BINS {
                return Err(format!("damaged: a page of {} bins, expected {PAGE_BINS}", cells.len()));
            }
            let mut kept: Page = Box::new([0; PAGE_BINS]);
            for (place, (&count, cell)) in cells.iter().zip(kept.iter_mut()).enumerate() {
                *cell = count as Cell;
                if count >> CELL_BITS > 0 {
                    let key = saved.low.saturating_add((page * PAGE_BINS + place) as i64);
                    *carries.entry(key).or_default() += u64::from(count >> CELL_BITS);
                }
            }
            pages.push(Some(kept));
        }
        for (key, wraps) in saved.overflow {
            // Carries of 2^32 are 2^16 carries of 2^16 each; more than a
            // u64 holds cannot be a real count.
            let wraps = wraps
                .checked_mul(1 << (32 - CELL_BITS))
                .ok_or_else(|| "damaged overflow counts".to_string())?;
            let entry = carries.entry(key).or_default();
            *entry = entry
                .checked_add(wraps)
                .ok_or_else(|| "damaged overflow counts".to_string())?;
        }
        Ok(Column {
            low: saved.low,
            pages,
            overflow: carries.into_iter().collect(),
        })
    }
}

impl Column {
    /// The page that holds bin `key` (allocated or not), and the bin's place in it.
    #[inline(always)]
    fn page_of(&self, key: i64) -> (usize, usize) {
        let offset = key.wrapping_sub(self.low) as u64;
        (
            (offset / PAGE_BINS as u64) as usize,
            (offset % PAGE_BINS as u64) as usize,
        )
    }

    /// The count of bin `key`, if its page is allocated.
    #[inline(always)]
    fn cell_mut(&mut self, key: i64) -> Option<&mut Cell> {
        let (page, place) = self.page_of(key);
        Some(&mut self.pages.get_mut(page)?.as_mut()?[place])
    }

    /// Adds `count` trials to bin `key`.
    #[inline(always)]
    fn add(&mut self, key: i64, count: u32) {
        if let Some(cell) = self.cell_mut(key) {
            let sum = u64::from(*cell) + u64::from(count);
            *cell = sum as Cell;
            let wraps = sum >> CELL_BITS;
            if wraps > 0 {
                self.carry_by(key, wraps);
            }
            return;
        }
        self.allocate(key);
        self.add(key, count);
    }

    /// Adds one trial to the bin of each of `offsets` from `base`
    /// (skipping [`FAR`] ones, counted already).
    #[inline(always)]
    fn add_offsets(&mut self, offsets: &[Offset], base: u32) {
        for &offset in offsets {
            if offset == FAR {
                continue;
            }
            let key = i64::from(base.wrapping_add(u32::from(offset)));
            let wrapped = match self.cell_mut(key) {
                Some(cell) => {
                    let (sum, wrapped) = cell.overflowing_add(1);
                    *cell = sum;
                    wrapped
                }
                None => {
                    self.add(key, 1);
                    false
                }
            };
            if wrapped {
                self.carry(key);
            }
        }
    }

    /// Adds `delta` to bin `key` modulo 2^16, allocating only its page
    /// (for the running counts of [`DayHistogram::count_runs_of_day`],
    /// which stay below 2^16).
    #[inline(always)]
    fn add_wrapping(&mut self, key: i64, delta: Cell) {
        if let Some(cell) = self.cell_mut(key) {
            *cell = cell.wrapping_add(delta);
            return;
        }
        self.allocate_page(key);
        self.add_wrapping(key, delta);
    }

    /// Adds `other`'s cells page by page (pages of both start at multiples
    /// of [`PAGE_BINS`], so they align); `other` has no carries.
    fn add_pages(&mut self, other: &Column) {
        debug_assert!(other.overflow.is_empty());
        for (first_key, cells) in other.allocated() {
            self.add_page(first_key, cells);
        }
    }

    /// Adds `cells` to the page that starts at bin `first_key`, allocating
    /// it unless they are all 0.
    #[inline(always)]
    fn add_page(&mut self, first_key: i64, cells: &[Cell; PAGE_BINS]) {
        if cells.iter().all(|&c| c == 0) {
            return;
        }
        if self.cell_mut(first_key).is_none() {
            self.allocate(first_key);
        }
        let (page, _) = self.page_of(first_key);
        let Some(Some(mine)) = self.pages.get_mut(page) else {
            return;
        };
        // A sum wrapped exactly when it came out below what was added.
        let mut wrapped = false;
        for (a, &b) in mine.iter_mut().zip(cells.iter()) {
            *a = a.wrapping_add(b);
            wrapped |= *a < b;
        }
        if wrapped {
            let carried: Vec<usize> = (0..PAGE_BINS).filter(|&i| mine[i] < cells[i]).collect();
            for place in carried {
                self.carry(first_key + place as i64);
            }
        }
    }

    /// [`Column::add_offsets`] through `dense`, a run of zeroed cells
    /// covering the pages the offsets fall in: each offset adds one to its
    /// cell there (a plain increment in a small array that stays in cache,
    /// where the pages' cells each sit behind a pointer, scattered), then
    /// the cells are added to the pages, a page at a time. False (nothing
    /// done) when those pages hold more than [`DENSE_BINS`] bins, or more
    /// than [`DENSE_BINS_PER_OFFSET`] per offset.
    #[inline(always)]
    fn add_offsets_densely(&mut self, offsets: &[Offset], base: u32, dense: &mut Vec<Cell>) -> bool {
        let Some((low, high)) = offset_range(offsets) else {
            return true;
        };
        let first_page = (i64::from(base) + i64::from(low)).div_euclid(PAGE_BINS as i64) * PAGE_BINS as i64;
        // An offset's cell: `base + offset - first_page`, at least 0 for
        // every offset from `low` up (the shift itself is mostly negative).
        let shift = i64::from(base) - first_page;
        let cell_of = |offset: Offset| (i64::from(offset) + shift) as usize;
        let bins = (cell_of(high) + 1).next_multiple_of(PAGE_BINS);
        // Zeroing and adding up the cells must stay cheap beside the counting.
        if bins > DENSE_BINS || bins > DENSE_BINS_PER_OFFSET * offsets.len() {
            return false;
        }
        dense.clear();
        dense.resize(bins, 0);
        let cells = &mut dense[..];
        for &offset in offsets {
            if offset != FAR {
                cells[cell_of(offset)] += 1;
            }
        }
        for (i, page_cells) in dense.as_chunks::<PAGE_BINS>().0.iter().enumerate() {
            self.add_page(first_page + (i * PAGE_BINS) as i64, page_cells);
        }
        dense.clear();
        true
    }

    /// Notes that bin `key` passed `u16::MAX` once more.
    #[cold]
    #[inline(never)]
    fn carry(&mut self, key: i64) {
        self.carry_by(key, 1);
    }

    /// Notes that bin `key` passed `u16::MAX` `wraps` more times.
    fn carry_by(&mut self, key: i64, wraps: u64) {
        match self.overflow.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => self.overflow[i].1 = self.overflow[i].1.saturating_add(wraps),
            Err(i) => self.overflow.insert(i, (key, wraps)),
        }
    }

    /// Adds `count` trials to bin `key`, however many.
    fn add_many(&mut self, key: i64, mut count: u64) {
        while count > 0 {
            let part = count.min(u64::from(u32::MAX));
            self.add(key, part as u32);
            count -= part;
        }
    }

    /// Allocates the page holding `key`, extending the page list to it.
    #[cold]
    #[inline(never)]
    fn allocate(&mut self, key: i64) {
        // The pages on either side too: the rare values that more trials
        // add to the tails then mostly fall in pages that exist, so memory
        // barely grows with the number of trials.
        for page_key in [key, key - PAGE_BINS as i64, key + PAGE_BINS as i64] {
            self.allocate_page(page_key);
        }
    }

    fn allocate_page(&mut self, key: i64) {
        let first_of_page = key.div_euclid(PAGE_BINS as i64) * PAGE_BINS as i64;
        if self.pages.is_empty() {
            self.low = first_of_page;
        }
        if first_of_page < self.low {
            let extra = ((self.low - first_of_page) / PAGE_BINS as i64) as usize;
            self.pages.splice(0..0, std::iter::repeat_n(None, extra));
            self.low = first_of_page;
        }
        let page = ((first_of_page - self.low) / PAGE_BINS as i64) as usize;
        if page >= self.pages.len() {
            self.pages.resize(page + 1, None);
        }
        self.pages[page].get_or_insert_with(|| Box::new([0; PAGE_BINS]));
    }

    /// Each allocated page's first key and counts, in ascending key order.
    fn allocated(&self) -> impl Iterator<Item = (i64, &[Cell; PAGE_BINS])> + '_ {
        self.pages
            .iter()
            .enumerate()
            .filter_map(move |(page, cells)| Some((self.low + (page * PAGE_BINS) as i64, cells.as_deref()?)))
    }

    /// Bin keys and their counts, in ascending key order (empty bins left
    /// out), gathered by [`Column::for_each_count`].
    fn counts(&self) -> impl Iterator<Item = (i64, u64)> + use<> {
        let mut counts = Vec::new();
        self.for_each_count(|key, count| counts.push((key, count)));
        counts.into_iter()
    }

    /// Calls `f(key, count)` for each bin with a count, in ascending key
    /// order: a plain loop, for the output's passes over every day (a
    /// daily run's columns have millions of cells).
    #[inline]
    fn for_each_count(&self, mut f: impl FnMut(i64, u64)) {
        const STRIDE: usize = 16;
        let carries = !self.overflow.is_empty();
        for (first_key, cells) in self.allocated() {
            for (chunk, cells) in cells.chunks_exact(STRIDE).enumerate() {
                // Most cells of a wide column are empty: 16 at a time
                // (an `or` of all, which the compiler does in one step).
                if !carries && cells.iter().fold(0, |any, &cell| any | cell) == 0 {
                    continue;
                }
                for (i, &cell) in cells.iter().enumerate() {
                    let key = first_key + (chunk * STRIDE + i) as i64;
                    let count = u64::from(cell) + (self.wraps(key) << CELL_BITS);
                    if count > 0 {
                        f(key, count);
                    }
                }
            }
        }
    }

    /// Times bin `key` passed `u16::MAX`.
    fn wraps(&self, key: i64) -> u64 {
        if self.overflow.is_empty() {
            return 0;
        }
        self.overflow
            .binary_search_by_key(&key, |(k, _)| *k)
            .map_or(0, |i| self.overflow[i].1)
    }

    /// Adds another column's counts.
    fn merge(&mut self, other: &Column) {
        for (first_key, cells) in other.allocated() {
            for (i, &cell) in cells.iter().enumerate() {
                if cell > 0 {
                    self.add(first_key + i as i64, u32::from(cell));
                }
            }
        }
        for &(key, wraps) in &other.overflow {
            // A count of a whole number of carries leaves its cell at 0, so
            // its page may not be here yet: a carry needs its cell.
            if self.cell_mut(key).is_none() {
                self.allocate(key);
            }
            self.carry_by(key, wraps);
        }
    }

    fn bytes(&self) -> u64 {
        let page_bytes = std::mem::size_of::<[Cell; PAGE_BINS]>() + 16;
        let allocated = self.pages.iter().flatten().count() * page_bytes;
        (allocated + self.pages.capacity() * 8 + self.overflow.capacity() * 16) as u64
    }

    /// Checks a column read from a file (page sizes are checked as it is
    /// read): its bins lie in the range real keys can take, each overflow
    /// is of an allocated bin, and it counts `trials` trials in all, so
    /// that merging it allocates no more than a run would and no sum of
    /// counts can overflow.
    fn check(&self, trials: u64) -> Result<(), String> {
        let high = self.low.saturating_add((self.pages.len() * PAGE_BINS) as i64);
        if self.low % PAGE_BINS as i64 != 0 || !KEY_RANGE.contains(&self.low) || !KEY_RANGE.contains(&high) {
            return Err("bins out of range".to_string());
        }
        let sorted = self.overflow.windows(2).all(|w| w[0].0 < w[1].0);
        let allocated = |key: i64| matches!(self.pages.get(self.page_of(key).0), Some(Some(_)));
        let plausible = self
            .overflow
            .iter()
            .all(|&(key, wraps)| wraps <= trials >> CELL_BITS && allocated(key));
        if !sorted || !plausible {
            return Err("damaged overflow counts".to_string());
        }
        let mut total = 0u128;
        for (_, cells) in self.allocated() {
            total += cells.iter().map(|&c| u128::from(c)).sum::<u128>();
        }
        total += self
            .overflow
            .iter()
            .map(|&(_, wraps)| u128::from(wraps) << CELL_BITS)
            .sum::<u128>();
        if total != u128::from(trials) {
            return Err(format!("counts {total} trials, not {trials}"));
        }
        Ok(())
    }
}

/// Counts per (day, bin): one [`Column`] per report day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHistogram {
    columns: Vec<Column>,
    finished: bool,
    /// Trials with the same bin on every day: key and number of trials,
    /// added to every column by [`DayHistogram::finish`].
    #[serde(skip)]
    constant: std::collections::BTreeMap<i64, u64>,
    /// Buffered bins, `[day][trial]`, for up to `batch` trials, as offsets
    /// from their day's base (rows [`DayHistogram::pending_stride`] apart).
    #[serde(skip)]
    pending: Vec<Offset>,
    /// Each day's base key for the buffered trials.
    #[serde(skip)]
    bases: Vec<u32>,
    /// The last [`TILE`] trials' bins, `[day][trial]`, on their way to
    /// `pending`: a trial's bins land in nearby lines, then move a whole
    /// line per day.
    #[serde(skip)]
    tile: Vec<u32>,
    #[serde(skip)]
    batch: usize,
    /// Trials in `pending`.
    #[serde(skip)]
    pending_trials: usize,
    /// Bytes of all columns when last counted (they only grow while
    /// buffered trials are counted).
    #[serde(skip)]
    column_bytes: u64,
    /// Buffered trials recorded as runs: (report day, bin) where a run
    /// starts, or with [`RUN_LEFT`] set, the bin a run left the day before.
    #[serde(skip)]
    run_changes: Vec<(u32, u32)>,
    /// Trials in `run_changes`.
    #[serde(skip)]
    run_trials: usize,
    /// `run_changes`' bins sorted by day, and where each day's end.
    #[serde(skip)]
    run_sorted: Vec<u32>,
    #[serde(skip)]
    run_day_ends: Vec<u32>,
    /// The runs' trials per bin on the day being counted.
    #[serde(skip)]
    running: Column,
    /// Most runs a trial may have to be recorded as runs.
    #[serde(skip)]
    max_runs: usize,
    /// Work space of [`Column::add_offsets_densely`] (left empty).
    #[serde(skip)]
    dense: Vec<Cell>,
}

impl DayHistogram {
    pub fn new(days: usize) -> DayHistogram {
        DayHistogram::sharing(days, 1)
    }

    /// One of the `histograms` histograms a worker fills (see
    /// [`WORKER_BATCH_BYTES`]).
    pub fn sharing(days: usize, histograms: usize) -> DayHistogram {
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
        DayHistogram {
            columns: vec![Column::default(); days],
            finished: false,
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

    /// Bytes held by this histogram's tables and buffer.
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
        debug_assert!(!self.finished);
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
    /// keys (see [`DayHistogram::record_keys`]), else [`count_key`] makes
    /// them.
    #[inline(always)]
    pub fn record_counts(&mut self, values: &[u32]) {
        let (changes, bits) = changes_and_bits(values);
        const _: () = assert!(EXACT_LIMIT.is_power_of_two());
        if bits < EXACT_LIMIT {
            self.record_changing_keys(values, changes);
        } else {
            self.record(|day| count_key(values[day]));
        }
    }

    /// Records one trial by its bins, `keys[r]` on report day `r` (each
    /// below 2^31): what [`DayHistogram::record`] does, the same way, with
    /// less work: the changes are counted in one vectorized pass, and runs
    /// and tile read the keys as they are.
    #[inline(always)]
    pub fn record_keys(&mut self, keys: &[u32]) {
        let (changes, _) = changes_and_bits(keys);
        self.record_changing_keys(keys, changes);
    }

    /// [`DayHistogram::record_keys`] with the keys' `changes` from day to day.
    #[inline(always)]
    fn record_changing_keys(&mut self, keys: &[u32], changes: usize) {
        debug_assert!(!self.finished);
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

    /// [`DayHistogram::record_runs`] for `keys[r]` on report day `r`: a run
    /// ends where the key changes.
    fn record_key_runs(&mut self, keys: &[u32]) {
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
    fn record_runs(&mut self, run_ends: &[u32], key_at: impl Fn(usize) -> i64) {
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
    fn sort_run_changes(&mut self) {
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
    fn count_runs_of_day(&mut self, day: usize) {
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

    fn count_column_bytes(&mut self) {
        self.column_bytes = self.columns.iter().map(Column::bytes).sum();
    }

    /// Records one trial with bin `key` on every day.
    pub fn record_constant(&mut self, key: i64) {
        *self.constant.entry(key).or_default() += 1;
    }

    /// Moves the tile's trials to their places in `pending`, as offsets
    /// from each day's base: [`BASE_MARGIN`] below the batch's first bin
    /// that day. A bin out of an offset's reach is counted at once.
    fn store_tile(&mut self) {
        let first = (self.pending_trials - 1) / TILE * TILE;
        let lanes = self.pending_trials - first;
        let stride = self.pending_stride();
        let DayHistogram {
            columns,
            pending,
            bases,
            tile,
            ..
        } = self;
        for (day, (keys, column)) in tile.chunks_exact(TILE).zip(columns.iter_mut()).enumerate() {
            if first == 0 {
                bases[day] = keys[0].saturating_sub(BASE_MARGIN);
            }
            let base = bases[day];
            let start = day * stride + first;
            let offsets = &mut pending[start..start + lanes];
            let far = match (
                <&mut [Offset; TILE]>::try_from(&mut *offsets),
                <&[u32; TILE]>::try_from(keys),
            ) {
                (Ok(offsets), Ok(keys)) => narrow(offsets, keys, base),
                _ => narrow(offsets, &keys[..lanes], base),
            };
            if far {
                count_far(column, offsets, &keys[..lanes], base);
            }
        }
    }

    /// Counts the buffered trials, one day's column at a time.
    fn count_pending(&mut self) {
        let trials = self.pending_trials;
        if !trials.is_multiple_of(TILE) {
            self.store_tile();
        }
        let runs = self.run_trials > 0;
        if runs {
            self.sort_run_changes();
        }
        let stride = self.pending_stride();
        for day in 0..self.columns.len() {
            if trials > 0 {
                let start = day * stride;
                let offsets = &self.pending[start..start + trials];
                let column = &mut self.columns[day];
                if !column.add_offsets_densely(offsets, self.bases[day], &mut self.dense) {
                    column.add_offsets(offsets, self.bases[day]);
                }
            }
            if runs {
                self.count_runs_of_day(day);
            }
        }
        if runs {
            // Every run trial's last run is still counted; start afresh.
            for page in self.running.pages.iter_mut().flatten() {
                page.fill(0);
            }
        }
        self.pending_trials = 0;
        self.run_trials = 0;
        self.count_column_bytes();
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

    /// Counts everything buffered. Call once, after the last trial and
    /// before reading or merging.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.count_pending();
        for (key, trials) in std::mem::take(&mut self.constant) {
            for column in &mut self.columns {
                column.add_many(key, trials);
            }
        }
        self.pending = Vec::new();
        self.bases = Vec::new();
        self.tile = Vec::new();
        self.run_changes = Vec::new();
        self.run_sorted = Vec::new();
        self.run_day_ends = Vec::new();
        self.running = Column::default();
        self.dense = Vec::new();
        self.finished = true;
        self.count_column_bytes();
    }

    /// Adds another finished histogram's counts (same days) to this finished one.
    pub fn merge(&mut self, other: &DayHistogram) {
        debug_assert!(self.finished && other.finished, "merge finished histograms only");
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            mine.merge(theirs);
        }
        self.count_column_bytes();
    }

    /// Checks a histogram of `trials` trials read from a file: finished,
    /// and every column well formed and counting each trial once, so that
    /// merging and reading it cannot go wrong.
    pub fn check(&self, trials: u64) -> Result<(), String> {
        if !self.finished {
            return Err("unfinished".to_string());
        }
        self.columns
            .iter()
            .enumerate()
            .try_for_each(|(day, column)| column.check(trials).map_err(|e| format!("report day {}: {e}", day + 1)))
    }

    /// Bin keys and their counts on `day`, in ascending key order.
    pub fn column(&self, day: usize) -> impl Iterator<Item = (i64, u64)> + use<> {
        debug_assert!(self.finished, "read a histogram before finish()");
        self.columns[day].counts()
    }

    /// Calls `f(key, count)` for each bin with a count on `day`, in
    /// ascending key order (what [`DayHistogram::column`] gives, without
    /// gathering them first).
    pub fn for_each_count(&self, day: usize, f: impl FnMut(i64, u64)) {
        debug_assert!(self.finished, "read a histogram before finish()");
        self.columns[day].for_each_count(f);
    }

    /// For each share in `percents` (0-100): the key of the smallest bin such
    /// that at least that share of the `total` values are at or below it.
    pub fn percentile_keys(&self, day: usize, total: u64, percents: &[u32]) -> Vec<i64> {
        let mut scan = self.percentile_scan(day, total, percents);
        self.for_each_count(day, |key, count| scan.add(key, count));
        scan.keys()
    }

    /// [`DayHistogram::percentile_keys`] a bin at a time, for a pass over
    /// the day's counts that works out other things too.
    pub fn percentile_scan<'a>(&self, day: usize, total: u64, percents: &'a [u32]) -> PercentileScan<'a> {
        PercentileScan {
            percents,
            total,
            cumulative: 0,
            last: self.columns[day].low,
            keys: Vec::with_capacity(percents.len()),
        }
    }
}

/// Percentile keys found in one pass over a day's counts, in ascending key
/// order (see [`DayHistogram::percentile_scan`]).
pub struct PercentileScan<'a> {
    percents: &'a [u32],
    total: u64,
    cumulative: u64,
    last: i64,
    keys: Vec<i64>,
}

impl PercentileScan<'_> {
    /// Takes the next bin and its count.
    #[inline]
    pub fn add(&mut self, key: i64, count: u64) {
        self.cumulative += count;
        self.last = key;
        while self.keys.len() < self.percents.len()
            && u128::from(self.cumulative) * 100 >= u128::from(self.percents[self.keys.len()]) * u128::from(self.total)
        {
            self.keys.push(key);
        }
    }

    /// The key of each percentile (the last bin's for those not reached).
    pub fn keys(mut self) -> Vec<i64> {
        self.keys.resize(self.percents.len(), self.last);
        self.keys
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

/// The first day `d` from `from` (at least 1) on with a key other than the
/// day before's, if any: the keys compared with the same keys a day
/// later (see [`first_pair_where`]).
#[inline(always)]
fn next_change(keys: &[u32], from: usize) -> Option<usize> {
    let ahead = keys.get(from..)?;
    first_pair_where(ahead, &keys[from - 1..], |key, before| key != before).map(|place| from + place)
}

/// The least and the greatest of `offsets` that are not [`FAR`], if any.
/// (As signed 16-bit numbers, shifted by 2^15, which plain x86-64 takes
/// the least and greatest of, eight at a time; a far offset counts as
/// the greatest signed number for the least, and as 0 less one, the
/// least, for the greatest.)
#[inline(always)]
fn offset_range(offsets: &[Offset]) -> Option<(Offset, Offset)> {
    const SIGN: Offset = 1 << 15;
    let (mut low, mut high_plus_one) = (i16::MAX, i16::MIN);
    for &offset in offsets {
        low = low.min((offset ^ SIGN) as i16);
        high_plus_one = high_plus_one.max((offset.wrapping_add(1) ^ SIGN) as i16);
    }
    let (low, high_plus_one) = (low as Offset ^ SIGN, high_plus_one as Offset ^ SIGN);
    (high_plus_one > 0).then(|| (low, high_plus_one - 1))
}

/// Writes `keys` less `base` into `offsets`; true if any is out of an
/// [`Offset`]'s reach (below `base`, or [`FAR`] or more above it).
#[inline(always)]
fn narrow(offsets: &mut [Offset], keys: &[u32], base: u32) -> bool {
    let mut far = false;
    for (offset, &key) in offsets.iter_mut().zip(keys) {
        let difference = key.wrapping_sub(base);
        far |= difference >= u32::from(FAR);
        *offset = difference as Offset;
    }
    far
}

/// Counts the bins among `keys` that [`narrow`] could not make offsets at
/// once, and marks them [`FAR`] in `offsets`.
#[cold]
#[inline(never)]
fn count_far(column: &mut Column, offsets: &mut [Offset], keys: &[u32], base: u32) {
    for (offset, &key) in offsets.iter_mut().zip(keys) {
        if key.wrapping_sub(base) >= u32::from(FAR) {
            column.add(i64::from(key), 1);
            *offset = FAR;
        }
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

    /// A worker's buffers together hold at most `WORKER_BATCH_BYTES`
    /// (at least `MIN_BATCH` trials each); a few histograms keep the full batch.
    #[test]
    fn many_histograms_buffer_fewer_trials_each() {
        assert_eq!(DayHistogram::sharing(106, 18).batch, MAX_BATCH);
        let many = DayHistogram::sharing(106, 10_000);
        assert_eq!(many.batch, MIN_BATCH);
        let some = DayHistogram::sharing(106, 200);
        let trial_bytes = 106 * size_of::<Offset>() + some.max_runs * RUN_CHANGE_BYTES;
        let padding_bytes = 106 * PENDING_PAD * size_of::<Offset>();
        assert!((some.batch * trial_bytes + padding_bytes) * 200 <= WORKER_BATCH_BYTES && some.batch > MIN_BATCH);
        assert_eq!(some.batch % TILE, 0);
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
    fn buffered_and_constant_trials_count_like_a_reference() {
        // More trials than one batch, some constant over all days: the
        // counts must be those of a plain per-day tally.
        let days = 10;
        let mut histogram = DayHistogram::new(days);
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
        histogram.finish();
        assert_counts(&histogram, &reference);
    }

    /// Records `trials` trials, `key_on(trial, day)` their bins, and
    /// returns the plain per-day tally of the same bins.
    fn record_with_reference(
        histogram: &mut DayHistogram,
        trials: u64,
        key_on: impl Fn(u64, usize) -> i64,
    ) -> Vec<std::collections::BTreeMap<i64, u64>> {
        let mut reference: Vec<std::collections::BTreeMap<i64, u64>> = vec![Default::default(); histogram.days()];
        for trial in 0..trials {
            histogram.record(|day| key_on(trial, day));
            for (day, counts) in reference.iter_mut().enumerate() {
                *counts.entry(key_on(trial, day)).or_default() += 1;
            }
        }
        reference
    }

    /// Checks a finished histogram's counts against a per-day tally.
    fn assert_counts(histogram: &DayHistogram, reference: &[std::collections::BTreeMap<i64, u64>]) {
        for (day, expected) in reference.iter().enumerate() {
            let got: Vec<(i64, u64)> = histogram.column(day).collect();
            let want: Vec<(i64, u64)> = expected.iter().map(|(k, c)| (*k, *c)).collect();
            assert_eq!(got, want, "day {day}");
        }
    }

    /// Bins out of a 16-bit offset's reach from their day's base (below
    /// it, or 2^16 - 1 and more above it) are counted at once, the others
    /// buffered; both count like a plain tally.
    #[test]
    fn far_bins_count_like_a_reference() {
        let days = 10;
        let mut histogram = DayHistogram::new(days);
        assert_eq!(histogram.batch % 8, 0);
        // Each batch's first trial (trial % 8 == 0) has bin 40,000 + day,
        // which puts the day's base 2^15 below it. The first batch mixes
        // all kinds of bins; later ones have only the edges of the reach
        // (so a tile may have no other far bin than base + 2^16 - 1).
        let batch = histogram.batch as u64;
        let trials = 2 * batch + 11;
        let reference = record_with_reference(&mut histogram, trials, |trial, day| {
            let first = 40_000 + day as i64;
            let base = first - i64::from(BASE_MARGIN);
            let keys = [
                first,
                0,
                base - 1,
                base,
                base + 65_534,
                base + 65_535,
                float_key(1.0),
                131_071,
            ];
            keys[match trial % 8 {
                0 => 0,
                _ if trial < batch => (trial as usize + day) % 7 + 1,
                _ => (trial as usize + day) % 3 + 3,
            }]
        });
        histogram.finish();
        assert_counts(&histogram, &reference);
        assert_eq!(histogram.check(trials), Ok(()));
    }

    /// A day's buffered bins are counted through dense cells when they
    /// span few pages, else one by one; both count like a plain tally,
    /// with far bins among them, across page edges, with every trial in
    /// one bin, at the widest span counted densely and just past it, and
    /// in a last batch too small for its span.
    #[test]
    fn dense_and_wide_days_count_like_a_reference() {
        let days = 7;
        let mut histogram = DayHistogram::new(days);
        let batch = histogram.batch as u64;
        let widest = (DENSE_BINS - PAGE_BINS) as i64;
        let trials = 2 * batch + 5;
        let reference = record_with_reference(&mut histogram, trials, |trial, day| {
            let spread = |width: i64| (trial as i64 * 7_919) % width;
            match day {
                0 => 40_000 + spread(300),
                1 => 40_000 + spread(60_000),
                // Every 50th trial far above the day's base.
                2 if trial % 50 == 49 => float_key(1.0),
                2 => 40_000 + spread(200),
                // Across the edges of several pages.
                3 => 128 * 300 - 250 + spread(500),
                4 => 12_345,
                // The first trial of a batch sets the base; the others
                // span at most `widest` bins (and so fit) on day 5, one
                // page more (and so do not) on day 6.
                5 => 30_000 + spread(widest),
                _ => 30_000 + spread(widest + PAGE_BINS as i64 + 1),
            }
        });
        histogram.finish();
        assert_counts(&histogram, &reference);
        assert_eq!(histogram.check(trials), Ok(()));
    }

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

    /// The least and greatest offsets that are not far, against a plain
    /// search, at the edges of the signed shift and with far ones mixed in.
    #[test]
    fn offset_ranges_leave_far_offsets_out() {
        let plain = |offsets: &[Offset]| {
            let near: Vec<Offset> = offsets.iter().copied().filter(|&o| o != FAR).collect();
            Some((*near.iter().min()?, *near.iter().max()?))
        };
        let edges = [0, 1, 0x7FFE, 0x7FFF, 0x8000, 0x8001, 0xFFFD, 0xFFFE, FAR];
        let mut cases: Vec<Vec<Offset>> = vec![vec![], vec![FAR], vec![FAR, FAR]];
        for &a in &edges {
            for &b in &edges {
                cases.push(vec![a, b]);
                cases.push(vec![b, FAR, a, b]);
            }
        }
        let mut next = below_from(7);
        for length in [1, 7, 8, 9, 100] {
            cases.push((0..length).map(|_| next(1 << 16) as Offset).collect());
            cases.push((0..length).map(|_| edges[next(edges.len() as u64) as usize]).collect());
        }
        for offsets in &cases {
            assert_eq!(offset_range(offsets), plain(offsets), "{offsets:?}");
        }
    }

    #[test]
    fn trials_recorded_as_runs_count_like_a_reference() {
        // Enough days that trials with few runs are recorded as runs,
        // mixed with buffered and constant ones, over several batches.
        let days = 60;
        let mut histogram = DayHistogram::new(days);
        assert!(histogram.max_runs > 3);
        let trials = 2 * histogram.batch as u64 + 37;
        let reference = record_with_reference(&mut histogram, trials, |trial, day| match trial % 4 {
            0 => 40,
            // A few runs, ending on various days (the last one at the end).
            1 => (trial % 7) as i64 + 100 * (day as i64 / (5 + (trial % 11) as i64)).min(4),
            2 => 300 + ((trial + day as u64) % 2) as i64,
            _ => 5000 - day as i64 - (trial % 3) as i64,
        });
        histogram.finish();
        assert_counts(&histogram, &reference);
        assert_eq!(histogram.check(trials), Ok(()));
    }

    /// A small xorshift generator for the randomized tests: `below(n)` is
    /// a number under `n` (0 for `n` 0), the same for the same `seed`.
    fn below_from(seed: u64) -> impl FnMut(u64) -> u64 {
        let mut state = seed;
        move |n| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n.max(1)
        }
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
            let mut histogram = DayHistogram::sharing(days, [1, 300, 100_000][below(3) as usize]);
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
            histogram.finish();
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
            let mut by_values = DayHistogram::new(days);
            let mut by_keys = DayHistogram::new(days);
            // The values taken as keys themselves, as ratio bins are.
            let mut as_keys = DayHistogram::new(days);
            let mut as_keys_reference = DayHistogram::new(days);
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
                by_values.record_counts(&values);
                // Counted (the buffers emptied) before the batch was full.
                let counted = by_values.pending_trials + by_values.run_trials == 0 && counted_before > 0;
                early_counts += usize::from(counted && counted_before + 1 < by_values.batch);
                by_keys.record(|day| count_key(values[day]));
                as_keys.record_keys(&values);
                as_keys_reference.record(|day| i64::from(values[day]));
            }
            for histogram in [&mut by_values, &mut by_keys, &mut as_keys, &mut as_keys_reference] {
                histogram.finish();
            }
            assert!(by_values == by_keys, "case {case}: {days} days, {trials} trials");
            assert!(
                as_keys == as_keys_reference,
                "case {case}: {days} days, {trials} trials, as keys"
            );
        }
        assert!(early_counts > 0, "no batch was counted early");
    }

    /// Trials with as many runs as may be recorded as runs fill the run
    /// buffers before a batch is full: the batch is counted early, the
    /// buffers keep their room, and the counts are a plain tally's.
    #[test]
    fn batches_with_many_runs_are_counted_early() {
        let days = 60;
        let mut histogram = DayHistogram::new(days);
        let runs = histogram.max_runs;
        let room = histogram.batch * runs;
        // `runs` runs of 6 days each (the most recorded as runs), the
        // first bins varying with the trial.
        let trials = 3 * histogram.batch as u64 + 5;
        let reference = record_with_reference(&mut histogram, trials, |trial, day| {
            (trial % 13) as i64 + 50 * (day / (days / runs)) as i64
        });
        assert_eq!(histogram.run_changes.capacity(), room);
        histogram.finish();
        assert_counts(&histogram, &reference);
        assert_eq!(histogram.check(trials), Ok(()));
    }

    #[test]
    fn counts_past_u32_carry_over() {
        let mut column = Column::default();
        column.add(3, u32::MAX);
        column.add(3, 2);
        column.add(900, 7);
        let mut other = Column::default();
        other.add(3, u32::MAX);
        column.merge(&other);
        let expected = 2 * u64::from(u32::MAX) + 2;
        assert_eq!(column.counts().collect::<Vec<_>>(), vec![(3, expected), (900, 7)]);
        assert_eq!(column.check(expected + 7), Ok(()));
    }

    /// Cells are 16 bits: counts past 2^16 carry over whether they come a
    /// trial at a time (buffered trials), by runs, or by merging.
    #[test]
    fn counts_past_a_cell_carry_over() {
        let days = 60;
        let trials = 140_000u64;
        let mut histogram = DayHistogram::new(days);
        for trial in 0..trials {
            histogram.record(|day| match trial % 2 {
                // A new bin every day: buffered and counted one by one.
                0 => (day % 2) as i64,
                // Two runs: recorded as runs.
                _ if day < 30 => 7,
                _ => 9,
            });
        }
        histogram.finish();
        let half = trials / 2;
        assert_eq!(histogram.column(0).collect::<Vec<_>>(), vec![(0, half), (7, half)]);
        assert_eq!(histogram.column(59).collect::<Vec<_>>(), vec![(1, half), (9, half)]);
        assert_eq!(histogram.check(trials), Ok(()));
        let mut doubled = histogram.clone();
        doubled.merge(&histogram);
        assert_eq!(doubled.column(31).collect::<Vec<_>>(), vec![(1, trials), (9, trials)]);
        assert_eq!(doubled.check(2 * trials), Ok(()));
        // The output's plain loop gives the columns read above.
        for day in [0, 31, 59] {
            let mut looped = Vec::new();
            doubled.for_each_count(day, |key, count| looped.push((key, count)));
            assert_eq!(looped, doubled.column(day).collect::<Vec<_>>());
        }
    }

    /// Merging a count that is a whole number of carries (its cell at 0)
    /// into tables without its page keeps it, and saves and reads back.
    #[test]
    fn merged_carries_find_their_cells() {
        let mut empty = DayHistogram::new(2);
        empty.finish();
        let mut elsewhere = DayHistogram::new(2);
        elsewhere.record(|day| 5000 + day as i64);
        elsewhere.finish();
        let mut zeros = DayHistogram::new(2);
        for _ in 0..1 << 16 {
            zeros.record_constant(count_key(0));
        }
        zeros.finish();
        for mut base in [empty, elsewhere] {
            let trials = base.columns[0].counts().map(|(_, count)| count).sum::<u64>();
            base.merge(&zeros);
            assert_eq!(base.column(1).next(), Some((0, 1 << 16)));
            assert_eq!(base.check(trials + (1 << 16)), Ok(()));
            let back: DayHistogram = serde_json::from_str(&serde_json::to_string(&base).unwrap()).unwrap();
            assert_eq!(back.column(1).collect::<Vec<_>>(), base.column(1).collect::<Vec<_>>());
            assert_eq!(back.check(trials + (1 << 16)), Ok(()));
        }
    }

    /// A saved column holds whole counts as 32-bit cells and carries of
    /// 2^32, whatever the cells in memory, and reads back the same.
    #[test]
    fn saved_columns_hold_whole_counts_in_32_bit_cells() {
        let mut column = Column::default();
        column.add_many(3, (1 << 32) + 70_000);
        column.add_many(900, 70_000);
        column.add(901, 5);
        let text = serde_json::to_string(&column).unwrap();
        let saved: SavedColumn = serde_json::from_str(&text).unwrap();
        let cell = |key: i64| {
            let offset = (key - saved.low) as usize;
            saved.pages[offset / PAGE_BINS].as_ref().unwrap()[offset % PAGE_BINS]
        };
        assert_eq!((cell(3), cell(900), cell(901)), (70_000, 70_000, 5));
        assert_eq!(saved.overflow, vec![(3, 1)]);
        let back: Column = serde_json::from_str(&text).unwrap();
        assert_eq!(back, column);
        assert_eq!(
            back.counts().collect::<Vec<_>>(),
            vec![(3, (1 << 32) + 70_000), (900, 70_000), (901, 5)]
        );
    }

    #[test]
    fn damaged_columns_are_refused() {
        let mut column = Column::default();
        column.add(10, 1);
        column.add(1000, 1);
        assert_eq!(column.check(2), Ok(()));
        assert!(column.check(3).is_err(), "a column must count every trial once");
        let mut far = column.clone();
        far.low = -(1 << 40);
        let mut wide = column.clone();
        wide.pages.resize(1 << 16, None);
        let mut unsorted = column.clone();
        unsorted.overflow = vec![(5, 1), (3, 1)];
        let mut unallocated = column.clone();
        unallocated.overflow = vec![(500, 1)];
        for damaged in [far, wide, unsorted, unallocated] {
            assert!(damaged.check(2 + (1 << 32)).is_err(), "{damaged:?}");
        }
        let text = serde_json::to_string(&column).unwrap();
        let back: Column = serde_json::from_str(&text).unwrap();
        assert_eq!(back, column);
        let short = text.replacen("[0,", "[", 1);
        let error = serde_json::from_str::<Column>(&short).unwrap_err().to_string();
        assert!(error.contains("damaged: a page of 127 bins"), "{error}");
        let huge = text.replace("\"overflow\":[]", "\"overflow\":[[10,18446744073709551615]]");
        assert_ne!(huge, text);
        let error = serde_json::from_str::<Column>(&huge).unwrap_err().to_string();
        assert!(error.contains("damaged overflow counts"), "{error}");
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
