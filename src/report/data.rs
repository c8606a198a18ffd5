//! The CSV files of a run, parsed back into what the report shows.

use chrono::NaiveDate;

use super::ReportError;

/// A parsed CSV file: its header and its rows, as text.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn parse(file: &str, bytes: &[u8]) -> Result<Table, ReportError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
        let error = |e: csv::Error| ReportError::Csv {
            file: file.to_string(),
            message: e.to_string(),
        };
        let header = reader.headers().map_err(error)?.iter().map(str::to_string).collect();
        let rows = reader
            .records()
            .map(|r| r.map(|r| r.iter().map(str::to_string).collect()).map_err(error))
            .collect::<Result<_, _>>()?;
        Ok(Table { header, rows })
    }

    /// The index of column `name`, or an error naming the file.
    fn column(&self, file: &str, name: &str) -> Result<usize, ReportError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ReportError::Csv {
                file: file.to_string(),
                message: format!("no column \"{name}\""),
            })
    }
}

/// One metric of `timeseries.csv`, by report date.
#[derive(Debug, Clone)]
pub struct Series {
    pub metric: String,
    /// Report day of each point.
    pub days: Vec<i32>,
    pub mean: Vec<f64>,
    /// p5, p25, p50, p75, p95 of each point.
    pub percentiles: Vec<[f64; 5]>,
}

/// One target of `targets.csv`: the share of trials that reached it by day.
#[derive(Debug, Clone)]
pub struct TargetSeries {
    pub name: String,
    pub days: Vec<i32>,
    pub p_reached: Vec<f64>,
}

/// Everything the report shows, from the five CSV files.
#[derive(Debug, Clone)]
pub struct RunData {
    /// `run_info.csv`: column name and value.
    pub info: Vec<(String, String)>,
    pub start: NaiveDate,
    pub horizon_days: u32,
    pub series: Vec<Series>,
    pub targets: Vec<TargetSeries>,
    pub summary: Table,
    pub contributors: Table,
}

fn number(file: &str, text: &str) -> Result<f64, ReportError> {
    text.parse::<f64>().map_err(|_| ReportError::Csv {
        file: file.to_string(),
        message: format!("\"{text}\" is not a number"),
    })
}

impl RunData {
    /// Parses the five CSV files (name and bytes; any order).
    pub fn parse(files: &[(&str, Vec<u8>)]) -> Result<RunData, ReportError> {
        let table = |name: &str| -> Result<Table, ReportError> {
            let (_, bytes) = files.iter().find(|(n, _)| *n == name).ok_or_else(|| ReportError::Csv {
                file: name.to_string(),
                message: "missing".to_string(),
            })?;
            Table::parse(name, bytes)
        };
        let run_info = table("run_info.csv")?;
        let values = run_info.rows.first().ok_or_else(|| ReportError::Csv {
            file: "run_info.csv".to_string(),
            message: "no data row".to_string(),
        })?;
        let info: Vec<(String, String)> = run_info.header.iter().cloned().zip(values.iter().cloned()).collect();
        let get = |key: &str| -> Result<&str, ReportError> {
            info.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| ReportError::Csv {
                    file: "run_info.csv".to_string(),
                    message: format!("no column \"{key}\""),
                })
        };
        let start = NaiveDate::parse_from_str(get("start")?, "%Y-%m-%d").map_err(|e| ReportError::Csv {
            file: "run_info.csv".to_string(),
            message: format!("start: {e}"),
        })?;
        let horizon_days = get("horizon_days")?.parse::<u32>().map_err(|e| ReportError::Csv {
            file: "run_info.csv".to_string(),
            message: format!("horizon_days: {e}"),
        })?;

        let file = "timeseries.csv";
        let timeseries = table(file)?;
        let day_col = timeseries.column(file, "day")?;
        let metric_col = timeseries.column(file, "metric")?;
        let mean_col = timeseries.column(file, "mean")?;
        let p_cols = ["p5", "p25", "p50", "p75", "p95"]
            .iter()
            .map(|c| timeseries.column(file, c))
            .collect::<Result<Vec<_>, _>>()?;
        let mut series: Vec<Series> = Vec::new();
        for row in &timeseries.rows {
            let metric = &row[metric_col];
            let index = match series.iter().position(|s| &s.metric == metric) {
                Some(i) => i,
                None => {
                    series.push(Series {
                        metric: metric.clone(),
                        days: Vec::new(),
                        mean: Vec::new(),
                        percentiles: Vec::new(),
                    });
                    series.len() - 1
                }
            };
            let s = &mut series[index];
            s.days.push(number(file, &row[day_col])? as i32);
            s.mean.push(number(file, &row[mean_col])?);
            let mut p = [0.0; 5];
            for (slot, &col) in p.iter_mut().zip(&p_cols) {
                *slot = number(file, &row[col])?;
            }
            s.percentiles.push(p);
        }

        let file = "targets.csv";
        let targets_table = table(file)?;
        let (name_col, day_col, p_col) = (
            targets_table.column(file, "target")?,
            targets_table.column(file, "day")?,
            targets_table.column(file, "p_reached")?,
        );
        let mut targets: Vec<TargetSeries> = Vec::new();
        for row in &targets_table.rows {
            let name = &row[name_col];
            let index = match targets.iter().position(|t| &t.name == name) {
                Some(i) => i,
                None => {
                    targets.push(TargetSeries {
                        name: name.clone(),
                        days: Vec::new(),
                        p_reached: Vec::new(),
                    });
                    targets.len() - 1
                }
            };
            targets[index].days.push(number(file, &row[day_col])? as i32);
            targets[index].p_reached.push(number(file, &row[p_col])?);
        }

        Ok(RunData {
            info,
            start,
            horizon_days,
            series,
            targets,
            summary: table("summary.csv")?,
            contributors: table("contributors.csv")?,
        })
    }

    /// A `run_info.csv` value, or "" if the column is missing.
    pub fn info(&self, key: &str) -> &str {
        self.info
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The series of a metric, if the run reported it.
    pub fn series(&self, metric: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.metric == metric)
    }

    /// The `contributor:NAME` series, in file order.
    pub fn contributor_series(&self) -> Vec<&Series> {
        self.series
            .iter()
            .filter(|s| s.metric.trim_start_matches('\'').starts_with("contributor:"))
            .collect()
    }

    /// Targets on `metric` from `summary.csv`: name and threshold.
    pub fn targets_on(&self, metric: &str) -> Vec<(String, f64)> {
        let (Ok(t), Ok(m), Ok(a)) = (
            self.summary.column("summary.csv", "target"),
            self.summary.column("summary.csv", "metric"),
            self.summary.column("summary.csv", "at_least"),
        ) else {
            return Vec::new();
        };
        self.summary
            .rows
            .iter()
            .filter(|row| row[m] == metric)
            .filter_map(|row| row[a].parse::<f64>().ok().map(|v| (row[t].clone(), v)))
            .collect()
    }

    /// `p_reached_by_horizon` of a target from `summary.csv`.
    pub fn p_by_horizon(&self, target: &str) -> Option<f64> {
        let t = self.summary.column("summary.csv", "target").ok()?;
        let p = self.summary.column("summary.csv", "p_reached_by_horizon").ok()?;
        self.summary
            .rows
            .iter()
            .find(|row| row[t] == target)
            .and_then(|row| row[p].parse().ok())
    }

    /// The date of report day `day`.
    pub fn date_of(&self, day: i32) -> NaiveDate {
        self.start + chrono::Days::new(day.max(0) as u64)
    }
}
