//! `[simulation]`: the start date, horizon, report step, trials and seed.

use chrono::NaiveDate;
use toml::de::DeValue;

use crate::scenario::limits::{LAST_DATE, MAX_FILE_SEED, MAX_HORIZON_DAYS, MAX_TRIALS};
use crate::scenario::reader::{Reader, Tbl, fmt_num};
use crate::scenario::shown::quoted;
use crate::scenario::{Simulation, Step};

impl Reader<'_> {
    /// `simulation.start`; `None` (with a problem) when missing or not a date.
    pub(crate) fn start(&mut self, t: &Tbl) -> Option<NaiveDate> {
        match t.get("start") {
            Some(_) => self.date_field(t, "start"),
            None => {
                self.missing(t, "start", "the date of day 0, e.g. start = 2024-09-30");
                None
            }
        }
    }

    /// The rest of `[simulation]`, given its `start` (read by [`Reader::start`]).
    pub(crate) fn simulation(&mut self, t: &Tbl, start: Option<NaiveDate>) -> Option<Simulation> {
        self.check_keys(t, &["start", "horizon_days", "step", "trials", "seed", "report_date"]);
        let horizon = if t.get("horizon_days").is_some() {
            let what = format!("must be a whole number of days from 1 to {MAX_HORIZON_DAYS}");
            self.bounded(t, "horizon_days", 1.0, f64::from(MAX_HORIZON_DAYS), true, &what)
        } else {
            self.missing(t, "horizon_days", "how many days to simulate, e.g. horizon_days = 730");
            None
        };
        let step = match self.string(t, "step").as_deref() {
            None | Some("week") => Some(Step::Week),
            Some("day") => Some(Step::Day),
            Some("month") => Some(Step::Month),
            Some(other) => {
                let span = t.get("step").map(|v| v.span()).unwrap_or(t.span.clone());
                self.problem(
                    span,
                    &t.field("step"),
                    format!("must be \"day\", \"week\" or \"month\", got {}", quoted(other)),
                );
                None
            }
        };
        let trials_what = format!(
            "must be a whole number of trials from 1 to {}",
            fmt_num(MAX_TRIALS as f64)
        );
        let trials = self.bounded(t, "trials", 1.0, MAX_TRIALS as f64, true, &trials_what);
        let seed = self.seed(t);
        let report_date = self.report_date(t, start, horizon);
        let trials = if t.get("trials").is_some() { trials? } else { 10_000.0 };
        let seed = if t.get("seed").is_some() { seed? } else { 0 };
        if let (Some(start), Some(horizon)) = (start, horizon) {
            let last = start.checked_add_days(chrono::Days::new(horizon as u64));
            if last.is_none_or(|last| last > LAST_DATE) {
                let span = t.get("horizon_days").map(|v| v.span()).unwrap_or(t.span.clone());
                let message = format!(
                    "the last simulated day (start + horizon_days) must be on or before {LAST_DATE}, so that every \
                     date is a four-digit year; with start = {start} horizon_days can be at most {}",
                    (LAST_DATE - start).num_days()
                );
                self.problem(span, &t.field("horizon_days"), message);
                return None;
            }
        }
        Some(Simulation {
            start: start?,
            horizon_days: horizon? as u32,
            step: step?,
            trials: trials as u64,
            seed,
            report_date,
        })
    }

    /// `simulation.report_date`: a TOML date (or the text `"YYYY-MM-DD"`)
    /// from `start` to `start + horizon_days`; `None` if absent or wrong
    /// (then with a problem naming the period, when it is known).
    fn report_date(&mut self, t: &Tbl, start: Option<NaiveDate>, horizon: Option<f64>) -> Option<NaiveDate> {
        let value = t.get("report_date")?;
        let field = t.field("report_date");
        let date = self.date_field(t, "report_date")?;
        let end = start
            .zip(horizon)
            .and_then(|(s, h)| Some((s, s.checked_add_days(chrono::Days::new(h as u64))?)));
        if let Some((start, end)) = end
            && (date < start || date > end)
        {
            let message = format!(
                "must be a date within the simulated period, {start} to {end} (start to start + horizon_days), \
                 got {date}; e.g. {end}"
            );
            self.problem(value.span(), &field, message);
            return None;
        }
        Some(date)
    }

    /// `simulation.seed`: a whole number up to [`MAX_FILE_SEED`], read
    /// exactly when written as an integer; `None` if absent or wrong.
    pub(crate) fn seed(&mut self, t: &Tbl) -> Option<u64> {
        let value = t.get("seed")?;
        let what = format!(
            "must be a whole number from 0 to {MAX_FILE_SEED} in a scenario file or --set (the --seed option \
             takes any whole number up to {})",
            u64::MAX
        );
        let DeValue::Integer(integer) = value.get_ref() else {
            return self
                .bounded(t, "seed", 0.0, MAX_FILE_SEED as f64, true, &what)
                .map(|v| v as u64);
        };
        match i128::from_str_radix(&integer.as_str().replace('_', ""), integer.radix()) {
            Ok(v) if (0..=i128::from(MAX_FILE_SEED)).contains(&v) => Some(v as u64),
            _ => {
                let shown = integer.to_string().replace('_', "");
                self.problem(value.span(), &t.field("seed"), format!("{what}, got {shown}"));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::MINIMAL;
    use crate::scenario::{MAX_FILE_SEED, Step, parse_str};

    #[test]
    fn minimal_scenario_gets_the_documented_defaults() {
        let s = parse_str(MINIMAL, "t.toml").expect("valid");
        assert_eq!(
            (s.simulation.trials, s.simulation.seed, s.simulation.step),
            (10_000, 0, Step::Week)
        );
        assert!(s.host_police.is_none() && s.contributors.is_empty() && s.events.is_empty() && s.targets.is_empty());
        // Weekly from day 0, and the horizon closes the series.
        assert_eq!(s.report_days(), vec![0, 7, 14, 21, 28, 30]);
    }

    #[test]
    fn a_bad_simulation_value_leaves_dates_elsewhere_alone() {
        let event = "[[events]]\nname = \"e\"\nday = 2024-01-11\neffect = \"unlock\"\n";
        for (from, to) in [
            ("horizon_days = 30", "horizon_days = \"abc\""),
            ("horizon_days = 30", "horizon_days = 30\ntrials = 0"),
            ("start = 2024-01-01", "start = \"2024-13-01\""),
            ("start = 2024-01-01\n", ""),
        ] {
            let text = format!("{MINIMAL}{event}").replacen(from, to, 1);
            let p = parse_str(&text, "t.toml").expect_err("invalid").problems;
            assert_eq!(p.len(), 1, "{to:?}: {p:?}");
            assert!(p[0].field.starts_with("simulation."), "{to:?}: {p:?}");
        }
    }

    #[test]
    fn seeds_are_read_exactly_up_to_two_to_the_53() {
        let with_seed = |seed: &str| {
            parse_str(
                &MINIMAL.replace("horizon_days = 30", &format!("horizon_days = 30\nseed = {seed}")),
                "t.toml",
            )
        };
        assert_eq!(
            with_seed("9007199254740992").expect("valid").simulation.seed,
            MAX_FILE_SEED
        );
        assert_eq!(with_seed("0x1F").expect("valid").simulation.seed, 31);
        for bad in ["9007199254740993", "18446744073709551615", "-1", "1e300"] {
            let p = with_seed(bad).expect_err("too large").problems;
            assert_eq!(p.len(), 1, "{bad}: {p:?}");
            assert!(p[0].message.contains("from 0 to 9007199254740992"), "{bad}: {p:?}");
            assert!(p[0].message.contains(&format!("got {bad}")), "{bad}: {p:?}");
        }
    }

    #[test]
    fn a_report_date_is_a_date_within_the_simulated_period() {
        let with = |value: &str| {
            parse_str(
                &MINIMAL.replace(
                    "horizon_days = 30",
                    &format!("horizon_days = 30\nreport_date = {value}"),
                ),
                "t.toml",
            )
        };
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(
            parse_str(MINIMAL, "t.toml").expect("valid").simulation.report_date,
            None
        );
        for (value, expected) in [
            ("2024-01-10", "2024-01-10"),
            ("\"2024-01-10\"", "2024-01-10"),
            ("2024-01-01", "2024-01-01"),
            ("2024-01-31", "2024-01-31"),
        ] {
            let s = with(value).expect("valid");
            assert_eq!(s.simulation.report_date, date(expected), "{value}");
        }
        for (value, says) in [
            (
                "2024-02-01",
                "within the simulated period, 2024-01-01 to 2024-01-31 (start to start + horizon_days), got 2024-02-01",
            ),
            ("2023-12-31", "2024-01-01 to 2024-01-31"),
            (
                "\"2024-13-01\"",
                "`2024-13-01` is not a day of the calendar; write dates as YYYY-MM-DD",
            ),
            ("\"2024-1-10\"", "`2024-1-10` is not a date; write dates as YYYY-MM-DD"),
            ("10", "must be a date (YYYY-MM-DD, quotes optional), found integer"),
            ("2024-01-10T12:00:00", "must be a date without a time"),
        ] {
            let p = with(value).expect_err("invalid").problems;
            assert_eq!(p.len(), 1, "{value}: {p:?}");
            assert_eq!(
                (p[0].field.as_str(), p[0].line),
                ("simulation.report_date", 5),
                "{value}: {p:?}"
            );
            assert!(p[0].message.contains(says), "{value}: {p:?}");
            assert!(
                p[0].message.contains("e.g. 20"),
                "every date error shows an example: {p:?}"
            );
        }
    }

    #[test]
    fn start_takes_the_one_date_grammar_quoted_or_not() {
        let with = |value: &str| {
            parse_str(
                &MINIMAL.replace("start = 2024-01-01", &format!("start = {value}")),
                "t.toml",
            )
        };
        for value in ["2024-01-01", "\"2024-01-01\"", "'2024-01-01'"] {
            let s = with(value).expect(value);
            assert_eq!(s.simulation.start.to_string(), "2024-01-01", "{value}");
        }
        for (value, example) in [
            ("30/04/2026", "e.g. 2026-04-30"),
            ("2026-4-30", "e.g. 2026-04-30"),
            ("\"2026-4-30\"", "e.g. 2026-04-30"),
            ("-2024-01-01", "e.g. 2024-09-30"),
            ("\"-2024-01-01\"", "e.g. 2024-09-30"),
        ] {
            let p = with(value).expect_err(value).problems;
            assert_eq!(p.len(), 1, "{value}: {p:?}");
            assert!(
                p[0].message.contains("YYYY-MM-DD") && p[0].message.ends_with(example),
                "{value}: {p:?}"
            );
        }
    }
}
