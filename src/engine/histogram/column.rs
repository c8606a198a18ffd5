//! One report day's counts: a [`Column`] of bins, allocated a page at a
//! time, with 16-bit cells and the carries past them.

/// Bins per page of a day's column: a column is allocated a page at a time,
/// only where values fall, so a metric that is either 0 or 60,000 costs two
/// pages, not 60,000 bins.
pub(super) const PAGE_BINS: usize = 128;

/// Every bin key lies in this range (count keys are under 2^17, ratio keys
/// under 2^22), with a page to spare on each side; checked when a saved
/// histogram is read.
const KEY_RANGE: std::ops::RangeInclusive<i64> = -(PAGE_BINS as i64)..=(1 << 22) + 2 * PAGE_BINS as i64;

/// A bin's count as kept in memory. Sixteen bits halve the tables (a day's
/// column stays in cache longer, and the tails that more trials reach cost
/// half as much); each time a cell passes `u16::MAX` the carry goes to the
/// column's `overflow`, so counts stay exact however many trials.
pub(super) type Cell = u16;
/// Bits of a [`Cell`]: a carry is worth `1 << CELL_BITS` trials.
pub(super) const CELL_BITS: u32 = Cell::BITS;

/// One page of a column: the counts of [`PAGE_BINS`] consecutive bins.
pub(super) type Page = Box<[Cell; PAGE_BINS]>;

/// One report day's counts per bin.
/// Saved and read back in the partial-file form (see `saved.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Column {
    /// Key of the first bin of page 0 (a multiple of [`PAGE_BINS`]).
    pub(super) low: i64,
    /// Pages of [`PAGE_BINS`] keys from `low`, each allocated on its own
    /// (so a column grows without moving or fragmenting memory).
    pub(super) pages: Vec<Option<Page>>,
    /// Bins whose count passed `u16::MAX`, sorted by key: the key and how
    /// many times 2^16 to add to the cell.
    pub(super) overflow: Vec<(i64, u64)>,
}

impl Column {
    /// The page that holds bin `key` (allocated or not), and the bin's place in it.
    #[inline(always)]
    pub(super) fn page_of(&self, key: i64) -> (usize, usize) {
        let offset = key.wrapping_sub(self.low) as u64;
        (
            (offset / PAGE_BINS as u64) as usize,
            (offset % PAGE_BINS as u64) as usize,
        )
    }

    /// The count of bin `key`, if its page is allocated.
    #[inline(always)]
    pub(super) fn cell_mut(&mut self, key: i64) -> Option<&mut Cell> {
        let (page, place) = self.page_of(key);
        Some(&mut self.pages.get_mut(page)?.as_mut()?[place])
    }

    /// Adds `count` trials to bin `key`.
    #[inline(always)]
    pub(super) fn add(&mut self, key: i64, count: u32) {
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

    /// Adds `delta` to bin `key` modulo 2^16, allocating only its page
    /// (for the running counts of [`HistogramRecorder::count_runs_of_day`],
    /// which stay below 2^16).
    #[inline(always)]
    pub(super) fn add_wrapping(&mut self, key: i64, delta: Cell) {
        if let Some(cell) = self.cell_mut(key) {
            *cell = cell.wrapping_add(delta);
            return;
        }
        self.allocate_page(key);
        self.add_wrapping(key, delta);
    }

    /// Adds `other`'s cells page by page (pages of both start at multiples
    /// of [`PAGE_BINS`], so they align); `other` has no carries.
    pub(super) fn add_pages(&mut self, other: &Column) {
        debug_assert!(other.overflow.is_empty());
        for (first_key, cells) in other.allocated() {
            self.add_page(first_key, cells);
        }
    }

    /// Adds `cells` to the page that starts at bin `first_key`, allocating
    /// it unless they are all 0.
    #[inline(always)]
    pub(super) fn add_page(&mut self, first_key: i64, cells: &[Cell; PAGE_BINS]) {
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

    /// Notes that bin `key` passed `u16::MAX` once more.
    #[cold]
    #[inline(never)]
    pub(super) fn carry(&mut self, key: i64) {
        self.carry_by(key, 1);
    }

    /// Notes that bin `key` passed `u16::MAX` `wraps` more times.
    pub(super) fn carry_by(&mut self, key: i64, wraps: u64) {
        match self.overflow.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => self.overflow[i].1 = self.overflow[i].1.saturating_add(wraps),
            Err(i) => self.overflow.insert(i, (key, wraps)),
        }
    }

    /// Adds `count` trials to bin `key`, however many.
    pub(super) fn add_many(&mut self, key: i64, mut count: u64) {
        while count > 0 {
            let part = count.min(u64::from(u32::MAX));
            self.add(key, part as u32);
            count -= part;
        }
    }

    /// Allocates the page holding `key`, extending the page list to it.
    #[cold]
    #[inline(never)]
    pub(super) fn allocate(&mut self, key: i64) {
        // The pages on either side too: the rare values that more trials
        // add to the tails then mostly fall in pages that exist, so memory
        // barely grows with the number of trials.
        for page_key in [key, key - PAGE_BINS as i64, key + PAGE_BINS as i64] {
            self.allocate_page(page_key);
        }
    }

    pub(super) fn allocate_page(&mut self, key: i64) {
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
    pub(super) fn allocated(&self) -> impl Iterator<Item = (i64, &[Cell; PAGE_BINS])> + '_ {
        self.pages
            .iter()
            .enumerate()
            .filter_map(move |(page, cells)| Some((self.low + (page * PAGE_BINS) as i64, cells.as_deref()?)))
    }

    /// Bin keys and their counts, in ascending key order (empty bins left
    /// out), gathered by [`Column::for_each_count`].
    pub(super) fn counts(&self) -> impl Iterator<Item = (i64, u64)> + use<> {
        let mut counts = Vec::new();
        self.for_each_count(|key, count| counts.push((key, count)));
        counts.into_iter()
    }

    /// Calls `f(key, count)` for each bin with a count, in ascending key
    /// order: a plain loop, for the output's passes over every day (a
    /// daily run's columns have millions of cells).
    #[inline]
    pub(super) fn for_each_count(&self, mut f: impl FnMut(i64, u64)) {
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
    pub(super) fn wraps(&self, key: i64) -> u64 {
        if self.overflow.is_empty() {
            return 0;
        }
        self.overflow
            .binary_search_by_key(&key, |(k, _)| *k)
            .map_or(0, |i| self.overflow[i].1)
    }

    /// Adds another column's counts.
    pub(super) fn merge(&mut self, other: &Column) {
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

    pub(super) fn bytes(&self) -> u64 {
        let page_bytes = std::mem::size_of::<[Cell; PAGE_BINS]>() + 16;
        let allocated = self.pages.iter().flatten().count() * page_bytes;
        (allocated + self.pages.capacity() * 8 + self.overflow.capacity() * 16) as u64
    }

    /// Checks a column read from a file (page sizes are checked as it is
    /// read): its bins lie in the range real keys can take, each overflow
    /// is of an allocated bin, and it counts `trials` trials in all, so
    /// that merging it allocates no more than a run would and no sum of
    /// counts can overflow.
    pub(super) fn check(&self, trials: u64) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
