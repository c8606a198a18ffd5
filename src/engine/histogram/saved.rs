//! The partial-file form of the counts: columns with 32-bit cells and
//! carries of 2^32 (whatever the cells kept in memory), and histograms
//! marked finished, as every build has saved them.

use serde::{Deserialize, Serialize};

use super::DayHistogram;
use super::column::{CELL_BITS, Cell, Column, PAGE_BINS, Page};

/// A column as saved in a partial result file: 32-bit cells, and carries
/// of 2^32 (the format does not depend on the cells kept in memory).
#[derive(Deserialize)]
pub(super) struct SavedColumn {
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

/// Reads a column in its saved form, checking it ([`Column::try_from`]).
impl<'de> Deserialize<'de> for Column {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Column, D::Error> {
        let saved = SavedColumn::deserialize(deserializer)?;
        Column::try_from(saved).map_err(serde::de::Error::custom)
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

/// A histogram as saved in a partial result file: its columns, and
/// `finished`, always true (a histogram is saved only once finished; an
/// unfinished one is refused as damaged).
#[derive(Deserialize)]
struct SavedHistogram {
    columns: Vec<Column>,
    finished: bool,
}

#[derive(Serialize)]
struct SavedHistogramRef<'a> {
    columns: &'a [Column],
    finished: bool,
}

impl Serialize for DayHistogram {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SavedHistogramRef {
            columns: &self.columns,
            finished: true,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DayHistogram {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<DayHistogram, D::Error> {
        let saved = SavedHistogram::deserialize(deserializer)?;
        if !saved.finished {
            return Err(serde::de::Error::custom("damaged: an unfinished histogram"));
        }
        Ok(DayHistogram { columns: saved.columns })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A histogram saves as its columns and `finished: true`, and one
    /// saved unfinished is refused.
    #[test]
    fn histograms_save_as_finished_columns() {
        let mut recorder = super::super::HistogramRecorder::new(2);
        recorder.add(7, 1);
        let histogram = recorder.finish();
        let text = serde_json::to_string(&histogram).unwrap();
        assert!(
            text.starts_with("{\"columns\":[") && text.ends_with("],\"finished\":true}"),
            "{text}"
        );
        let back: DayHistogram = serde_json::from_str(&text).unwrap();
        assert_eq!(back, histogram);
        let unfinished = text.replace("\"finished\":true", "\"finished\":false");
        let error = serde_json::from_str::<DayHistogram>(&unfinished)
            .unwrap_err()
            .to_string();
        assert!(error.contains("damaged: an unfinished histogram"), "{error}");
    }
}
