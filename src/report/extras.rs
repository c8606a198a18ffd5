//! The CSV files of a run besides the five, parsed back for the report
//! ([`schema::RUN_EXTRA_FILES`]): the benchmarks, the distribution on one
//! date, the drivers and the assumptions. Each may be missing (a folder
//! written by an older forcegen, or a run with `--no-drivers`): the report
//! is then built without it and says so. Every value a chart uses is
//! checked, as in [`super::data`].

use chrono::NaiveDate;

use super::ReportError;
use super::data::{Table, quoted};
use crate::output::schema;
use crate::scenario::MAX_TRIALS;

/// A benchmark of `benchmarks.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    pub name: String,
    pub metric: String,
    pub value: f64,
    pub source: String,
}

/// `distribution.csv`: each metric's values and their shares, on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub date: NaiveDate,
    /// Metric name, then (value, share) in file order.
    pub metrics: Vec<(String, Vec<(f64, f64)>)>,
}

impl Distribution {
    /// The values and shares of `metric`, if the file has it.
    pub fn of(&self, metric: &str) -> Option<&[(f64, f64)]> {
        self.metrics
            .iter()
            .find(|(m, _)| m == metric)
            .map(|(_, values)| values.as_slice())
    }
}

/// Everything the report shows from the extra files.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub benchmarks: Vec<Benchmark>,
    pub distribution: Option<Distribution>,
    pub drivers: Option<Table>,
    pub assumptions: Option<Table>,
    /// The extra files that were not there, in [`schema::RUN_EXTRA_FILES`] order.
    pub missing: Vec<&'static str>,
    /// A conditioned run's `posterior.csv` and `observations.csv`
    /// ([`schema::CONDITIONED_FILES`]), when both are there.
    pub conditioned: Option<(Table, Table)>,
}

impl Extras {
    /// Parses the extra files among `files` (name and bytes; any order);
    /// the others are noted as missing.
    pub fn parse(files: &[(&str, Vec<u8>)]) -> Result<Extras, ReportError> {
        let mut extras = Extras::default();
        for name in schema::RUN_EXTRA_FILES {
            let Some((_, bytes)) = files.iter().find(|(n, _)| *n == name) else {
                extras.missing.push(name);
                continue;
            };
            let table = Table::parse(name, bytes)?;
            match name {
                schema::BENCHMARKS => extras.benchmarks = benchmarks(&table)?,
                schema::DISTRIBUTION => extras.distribution = Some(distribution(&table)?),
                schema::DRIVERS => extras.drivers = Some(drivers(checked(table, name)?)?),
                _ => extras.assumptions = Some(checked(table, name)?),
            }
        }
        extras.conditioned = conditioned(files)?;
        Ok(extras)
    }

    /// The benchmarks on `metric`: name and value.
    pub fn benchmarks_on(&self, metric: &str) -> Vec<(String, f64)> {
        self.benchmarks
            .iter()
            .filter(|b| b.metric == metric)
            .map(|b| (b.name.clone(), b.value))
            .collect()
    }
}

/// `posterior.csv` and `observations.csv`, each with every column of its
/// file, if both are among `files`.
fn conditioned(files: &[(&str, Vec<u8>)]) -> Result<Option<(Table, Table)>, ReportError> {
    let find = |name: &str| files.iter().find(|(n, _)| *n == name).map(|(_, b)| b);
    let (Some(posterior), Some(observations)) = (find(schema::POSTERIOR), find(schema::OBSERVATIONS)) else {
        return Ok(None);
    };
    let with_columns = |name: &str, bytes: &[u8], columns: &[&str]| -> Result<Table, ReportError> {
        let table = Table::parse(name, bytes)?;
        for column in columns {
            table.column(name, column)?;
        }
        Ok(table)
    };
    Ok(Some((
        with_columns(schema::POSTERIOR, posterior, &schema::POSTERIOR_COLUMNS)?,
        with_columns(schema::OBSERVATIONS, observations, &schema::OBSERVATIONS_COLUMNS)?,
    )))
}

/// A table shown as it is: it must have every column of its file.
fn checked(table: Table, file: &str) -> Result<Table, ReportError> {
    for name in schema::run_columns(file).unwrap_or_default() {
        table.column(file, name)?;
    }
    Ok(table)
}

/// The most a driver's outcome mean can be: the largest outcome, police
/// per 100,000 at the horizon (days and head counts are far below it).
const LARGEST_OUTCOME: f64 = 1e15;

/// `drivers.csv`, every number as a run writes it: ranks from 1; a
/// Spearman correlation from -1 to 1 and a first-order index from 0 to 1,
/// each empty where the input does not vary; the outcome's means from 0 to
/// [`LARGEST_OUTCOME`]; trials from 1 to [`MAX_TRIALS`].
fn drivers(table: Table) -> Result<Table, ReportError> {
    let file = schema::DRIVERS;
    let column = |name: &'static str| table.column(file, name).map(|c| (c, name));
    let rank = column("rank")?;
    let spearman = column("spearman")?;
    let first_order = column("first_order")?;
    let means = [column("mean_when_input_low")?, column("mean_when_input_high")?];
    let trials = column("trials")?;
    for r in 0..table.rows.len() {
        for (col, top) in [(rank, 1e6), (trials, MAX_TRIALS as f64)] {
            let value = table.bounded(file, r, col, 1.0, top)?;
            if value.fract() != 0.0 {
                let message = format!("{} is not a whole number", quoted(&table.rows[r][col.0]));
                return Err(table.error(file, r, col.1, message));
            }
        }
        table.optional(file, r, spearman, -1.0, 1.0)?;
        table.optional(file, r, first_order, 0.0, 1.0)?;
        for mean in means {
            table.bounded(file, r, mean, 0.0, LARGEST_OUTCOME)?;
        }
    }
    Ok(table)
}

fn benchmarks(table: &Table) -> Result<Vec<Benchmark>, ReportError> {
    let file = schema::BENCHMARKS;
    let [name, metric, value, source] = schema::BENCHMARKS_COLUMNS.map(|c| table.column(file, c));
    let (name, metric, value, source) = (name?, metric?, value?, source?);
    (0..table.rows.len())
        .map(|r| {
            let row = &table.rows[r];
            Ok(Benchmark {
                name: row[name].clone(),
                metric: row[metric].clone(),
                value: table.number(file, r, (value, "value"), 0.0)?,
                source: row[source].clone(),
            })
        })
        .collect()
}

/// `distribution.csv`: one date in every row, values of at least 0, shares
/// from 0 to 1; grouped by metric in first-seen order.
fn distribution(table: &Table) -> Result<Distribution, ReportError> {
    let file = schema::DISTRIBUTION;
    let [metric, date, value, share] = schema::DISTRIBUTION_COLUMNS.map(|c| table.column(file, c));
    let (metric, date, value, share) = (metric?, date?, value?, share?);
    let mut the_date: Option<NaiveDate> = None;
    let mut metrics: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let text = &row[date];
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| table.error(file, r, "date", format!("{} is not a date (YYYY-MM-DD)", quoted(text))))?;
        if the_date.is_some_and(|d| d != day) {
            let message = format!(
                "{} is not the date of the first row; the file describes one date",
                quoted(text)
            );
            return Err(table.error(file, r, "date", message));
        }
        the_date = Some(day);
        let v = table.number(file, r, (value, "value"), 0.0)?;
        let s = table.number(file, r, (share, "share"), 0.0)?;
        if s > 1.0 {
            let message = format!("{} is not a share from 0 to 1", quoted(&row[share]));
            return Err(table.error(file, r, "share", message));
        }
        match metrics.iter_mut().find(|(m, _)| *m == row[metric]) {
            Some((_, values)) => values.push((v, s)),
            None => metrics.push((row[metric].clone(), vec![(v, s)])),
        }
    }
    Ok(Distribution {
        date: the_date.unwrap_or_default(),
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_noted_and_bad_values_refused() {
        let extras = Extras::parse(&[]).expect("nothing to parse");
        assert_eq!(extras.missing, schema::RUN_EXTRA_FILES);
        let good = b"metric,date,value,share\ninternational,2025-01-01,10,0.25\ninternational,2025-01-01,12,0.75\n";
        let extras = Extras::parse(&[(schema::DISTRIBUTION, good.to_vec())]).expect("valid");
        let d = extras.distribution.expect("parsed");
        assert_eq!(d.of("international"), Some(&[(10.0, 0.25), (12.0, 0.75)][..]));
        for (bad, says) in [
            (&b"metric,date,value,share\ni,2025-01-01,1,1.5\n"[..], "not a share"),
            (
                b"metric,date,value,share\ni,2025-01-01,1,0.5\ni,2025-01-02,1,0.5\n",
                "one date",
            ),
            (b"metric,date,value,share\ni,2025-13-01,1,0.5\n", "not a date"),
            (b"metric,date,value\ni,2025-01-01,1\n", "no column \"share\""),
        ] {
            let error = Extras::parse(&[(schema::DISTRIBUTION, bad.to_vec())]).expect_err("bad");
            assert!(error.to_string().contains(says), "{error}");
        }
        let bench = b"name,metric,value,source\nQ,police_per_100k,inf,RAND\n";
        let error = Extras::parse(&[(schema::BENCHMARKS, bench.to_vec())]).expect_err("bad");
        assert!(error.to_string().contains("not a finite number"), "{error}");
    }
}
