//! Report days and targets against exact answers: monthly report dates,
//! a target met only between report days, and the standard error printed
//! beside a target's chance.

use super::{date_after_start, scenario};
use crate::common::{MEAN_PRINT, SHARE_PRINT, check_share, day, num, run, text};

#[test]
fn monthly_report_dates_keep_the_start_day_clamped_to_month_end() {
    // Each date is start + k months (clamped), not the previous date + 1 month
    // (which would drift to the 29th after February).
    let text_ = r#"name = "months"

[simulation]
start = 2024-01-31
horizon_days = 400
step = "month"

[population]
initial = 1000000

[[contributors]]
name = "M"
deployed = 1

[[targets]]
name = "M here"
metric = "contributor:M"
at_least = 1
"#;
    let expected = [
        ("2024-01-31", 0),
        ("2024-02-29", 29),
        ("2024-03-31", 60),
        ("2024-04-30", 90),
        ("2024-05-31", 121),
        ("2024-06-30", 151),
        ("2024-07-31", 182),
        ("2024-08-31", 213),
        ("2024-09-30", 243),
        ("2024-10-31", 274),
        ("2024-11-30", 304),
        ("2024-12-31", 335),
        ("2025-01-31", 366),
        ("2025-02-28", 394),
        // The horizon itself closes every series, on the grid or not.
        ("2025-03-06", 400),
    ];
    let out = run(text_, 20, 909);
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 31).expect("a date");
    for (date, d) in expected {
        let parsed = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("a date");
        assert_eq!(
            (parsed - start).num_days(),
            i64::from(d),
            "the expectation itself: {date}"
        );
    }
    for metric in ["international", "contributor:M", "police_per_100k"] {
        let got: Vec<(String, u32)> = out
            .series(metric)
            .iter()
            .map(|r| (text(r, "date").to_string(), day(r)))
            .collect();
        let want: Vec<(String, u32)> = expected.iter().map(|(s, d)| (s.to_string(), *d)).collect();
        assert_eq!(got, want, "timeseries dates of {metric}");
    }
    let got: Vec<(String, u32)> = out
        .target("M here")
        .iter()
        .map(|r| (text(r, "date").to_string(), day(r)))
        .collect();
    let want: Vec<(String, u32)> = expected.iter().map(|(s, d)| (s.to_string(), *d)).collect();
    assert_eq!(got, want, "targets.csv dates");
}

#[test]
fn a_target_met_only_between_report_days_still_counts() {
    // Weekly report days 0, 7, 14. The pledge (probability 0.6) arrives on
    // day round(U), U ~ uniform(0.5, 12.5): each of days 1..=12 with
    // probability 1/12. The mission ends on day 6 with no drawdown, so the
    // contingent is 0 on every report day, yet it was at 20 on some day
    // before day 7 exactly when it arrived on days 1..=5:
    // P = 0.6 * 5 / 12 = 0.25 by day 7 (and 14); 0 by day 0.
    let body = r#"
[[contributors]]
name = "T"
pledged = 20
probability = 0.6
first_arrival_days = "uniform(0.5, 12.5)"

[[events]]
name = "end"
day = 6
effect = "end_mission"

[[targets]]
name = "T at 20"
metric = "contributor:T"
at_least = 20
"#;
    let n = 20_000;
    let out = run(&scenario(14, "week", body), n, 1111);
    let p = 0.6 * 5.0 / 12.0;
    let rows = out.target("T at 20");
    assert_eq!(rows.iter().map(|r| day(r)).collect::<Vec<_>>(), vec![0, 7, 14]);
    for row in rows {
        let d = day(row);
        let exact = if d >= 7 { p } else { 0.0 };
        check_share(
            &format!("p_reached on day {d}"),
            num(row, "p_reached"),
            exact,
            n,
            SHARE_PRINT,
        );
        assert_eq!(
            num(out.at("contributor:T", d), "mean"),
            0.0,
            "never seen on a report day"
        );
    }
    let summary = out.summary_of("T at 20");
    check_share(
        "p_reached_by_horizon",
        num(summary, "p_reached_by_horizon"),
        p,
        n,
        SHARE_PRINT,
    );
    // 25% reached it by day 7: the 5% date is day 7; 50% and 95% never come.
    assert_eq!(text(summary, "date_p5"), date_after_start(7));
    assert_eq!(text(summary, "date_p50"), "");
    assert_eq!(text(summary, "date_p95"), "");
    // The arrivals did happen: delivered within the horizon.
    let t = out.contributor("T");
    check_share(
        "mean_delivered / 20",
        num(t, "mean_delivered") / 20.0,
        p,
        n,
        MEAN_PRINT / 20.0,
    );
}

#[test]
fn p_reached_se_is_the_binomial_standard_error_of_the_printed_share() {
    // An uneven number of trials, so shares are not round numbers.
    let body = r#"
[[contributors]]
name = "S"
pledged = 10
probability = 0.7
first_arrival_days = "uniform(0, 20)"

[[targets]]
name = "S here"
metric = "contributor:S"
at_least = 10
"#;
    let n: u64 = 12_345;
    let out = run(&scenario(21, "week", body), n, 1212);
    let nf = n as f64;
    let rows = out.target("S here");
    assert_eq!(rows.len(), 4);
    let mut interior = 0;
    for row in rows {
        let p = num(row, "p_reached");
        // The share is k / n for a whole k: recover k, then the exact SE.
        let k = (p * nf).round();
        assert!((p - k / nf).abs() <= SHARE_PRINT, "{p} is not a share of {n} trials");
        let exact = ((k / nf) * (1.0 - k / nf) / nf).sqrt();
        let se = num(row, "p_reached_se");
        assert!(
            (se - exact).abs() <= SHARE_PRINT,
            "day {}: se {se}, sqrt(p(1-p)/n) = {exact}",
            day(row)
        );
        interior += usize::from(k > 0.0 && k < nf);
    }
    assert!(interior >= 2, "the check should see shares strictly between 0 and 1");
    let summary = out.summary_of("S here");
    let p = num(summary, "p_reached_by_horizon");
    let exact = (p * (1.0 - p) / nf).sqrt();
    assert!((num(summary, "p_reached_by_horizon_se") - exact).abs() <= SHARE_PRINT + 1e-9);
    // Every run also passes common::Run::check_share_se on all rows.
}
