//! `timeseries_wide.csv` (`run --wide`): the rows of `timeseries.csv`
//! pivoted to one row per report date, `date,day` and then one column per
//! metric and statistic (`international_mean`, `international_sd`,
//! `international_p5`, ...), the layout a spreadsheet chart wants. The
//! values are the same text as in `timeseries.csv`.
//!
//! The rules: docs/MODEL.md §5.7.

/// The file name.
pub const FILE: &str = super::schema::WIDE;

/// True for a percentile column's name: `p` and a whole number (`p5`).
pub fn is_percentile(name: &str) -> bool {
    name.strip_prefix('p')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Pivots the bytes of `timeseries.csv` (as `output::render` made them).
pub fn from_timeseries(timeseries: &[u8]) -> Result<Vec<u8>, csv::Error> {
    let mut reader = csv::ReaderBuilder::new().from_reader(timeseries);
    let header = reader.headers()?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(date), Some(day), Some(metric)) = (column("date"), column("day"), column("metric")) else {
        return Ok(Vec::new());
    };
    // The statistics of each metric, in column order: `mean`, `sd` and the
    // percentile columns `timeseries.csv` has (`run --percentiles`).
    let names: Vec<String> = header
        .iter()
        .filter(|h| *h == "mean" || *h == "sd" || is_percentile(h))
        .map(str::to_string)
        .collect();
    let stats: Vec<Option<usize>> = names.iter().map(|s| column(s)).collect();
    let mut metrics: Vec<String> = Vec::new();
    // (date, day, values in metric order)
    let mut rows: Vec<(String, String, Vec<Vec<String>>)> = Vec::new();
    for record in reader.records() {
        let record = record?;
        let name = record.get(metric).unwrap_or_default().to_string();
        let m = match metrics.iter().position(|n| *n == name) {
            Some(m) => m,
            None => {
                metrics.push(name);
                metrics.len() - 1
            }
        };
        let (d, n) = (
            record.get(date).unwrap_or_default(),
            record.get(day).unwrap_or_default(),
        );
        if rows.last().is_none_or(|(last, _, _)| last != d) {
            rows.push((d.to_string(), n.to_string(), Vec::new()));
        }
        let values = &mut rows.last_mut().expect("a row was just pushed").2;
        if values.len() <= m {
            values.resize(m + 1, Vec::new());
        }
        values[m] = stats
            .iter()
            .map(|s| s.and_then(|s| record.get(s)).unwrap_or_default().to_string())
            .collect();
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut head = vec!["date".to_string(), "day".to_string()];
    for name in &metrics {
        head.extend(names.iter().map(|s| format!("{name}_{s}")));
    }
    writer.write_record(&head)?;
    for (d, n, mut values) in rows {
        values.resize(metrics.len(), Vec::new());
        let mut row = vec![d, n];
        for v in values {
            if v.is_empty() {
                row.extend(names.iter().map(|_| String::new()));
            } else {
                row.extend(v);
            }
        }
        writer.write_record(&row)?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivots_to_one_row_per_date() {
        let long = "date,day,metric,mean,sd,p5,p25,p50,p75,p95\n\
                    2024-01-01,0,international,10,1,8,9,10,11,12\n\
                    2024-01-01,0,police_per_100k,2.5,0.1,2.3,2.4,2.5,2.6,2.7\n\
                    2024-01-08,7,international,20,2,16,18,20,22,24\n\
                    2024-01-08,7,police_per_100k,3,0,3,3,3,3,3\n";
        let wide = String::from_utf8(from_timeseries(long.as_bytes()).unwrap()).unwrap();
        let lines: Vec<&str> = wide.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("date,day,international_mean,international_sd,international_p5,"));
        assert!(lines[0].ends_with(",police_per_100k_p75,police_per_100k_p95"));
        assert_eq!(lines[1], "2024-01-01,0,10,1,8,9,10,11,12,2.5,0.1,2.3,2.4,2.5,2.6,2.7");
        assert_eq!(lines[2], "2024-01-08,7,20,2,16,18,20,22,24,3,0,3,3,3,3,3");
    }
}
