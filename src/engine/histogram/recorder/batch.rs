//! Buffered trials: a tile of the last few trials' bins, moved to rows of
//! 16-bit offsets per day, and counted one day's column at a time.

use super::super::column::{Cell, Column, PAGE_BINS};
use super::{HistogramRecorder, TILE};

/// A buffered bin: its key less its day's base for the batch (see
/// [`HistogramRecorder::store_tile`]). Sixteen bits buffer twice the
/// trials in the same memory.
pub(super) type Offset = u16;
/// Marks a buffered bin too far from its day's base to be an [`Offset`]
/// (a rare outlier): it is counted at once instead.
const FAR: Offset = Offset::MAX;
/// How far below the batch's first bin a day's base lies, so that bins on
/// either side of it are buffered.
const BASE_MARGIN: u32 = 1 << (Offset::BITS - 1);
/// Widest range of bins a day's buffered trials are counted through a
/// run of dense cells (see [`Column::add_offsets_densely`]).
const DENSE_BINS: usize = 1 << 14;
/// ... and at most this many bins per trial counted.
const DENSE_BINS_PER_OFFSET: usize = 32;

impl HistogramRecorder {
    /// Moves the tile's trials to their places in `pending`, as offsets
    /// from each day's base: [`BASE_MARGIN`] below the batch's first bin
    /// that day. A bin out of an offset's reach is counted at once.
    pub(super) fn store_tile(&mut self) {
        let first = (self.pending_trials - 1) / TILE * TILE;
        let lanes = self.pending_trials - first;
        let stride = self.pending_stride();
        let HistogramRecorder {
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
    pub(super) fn count_pending(&mut self) {
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
}

impl Column {
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
    use super::super::super::keys::float_key;
    use super::super::super::testing::{assert_counts, below_from, record_with_reference};
    use super::*;

    /// Bins out of a 16-bit offset's reach from their day's base (below
    /// it, or 2^16 - 1 and more above it) are counted at once, the others
    /// buffered; both count like a plain tally.
    #[test]
    fn far_bins_count_like_a_reference() {
        let days = 10;
        let mut histogram = HistogramRecorder::new(days);
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
        let histogram = histogram.finish();
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
        let mut histogram = HistogramRecorder::new(days);
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
        let histogram = histogram.finish();
        assert_counts(&histogram, &reference);
        assert_eq!(histogram.check(trials), Ok(()));
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
}
