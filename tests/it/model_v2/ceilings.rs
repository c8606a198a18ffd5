//! Ceilings and transforms (docs/MODEL.md §2.11): arrivals over the
//! ceiling wait for room in the order they were due, or are turned away; a
//! transform changes the ceiling and the default cost from its day and
//! unlocks pledges; targets as a share of the ceiling in force that day.

use super::{assert_series, exact_series, run_exact, scenario, steps};
use crate::common::{day, num};

const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

#[test]
fn arrivals_over_the_ceiling_wait_for_room_or_are_turned_away() {
    // Ceiling 120. A's 100 come on day 0 and leave unrelieved on day 30;
    // B's 50 are due on day 5, when 20 fit. The other 30 wait and come on
    // day 30, when A has left (departures come before arrivals); turned
    // away, they never come.
    let body = r#"
[mission]
ceiling = 120
over_ceiling = "OVER"

[[contributors]]
name = "A"
pledged = 100
tour_days = 30
relief = 0

[[contributors]]
name = "B"
pledged = 50
first_arrival_days = 5
"#;
    for (over, b_after) in [("wait", 50.0), ("turn_away", 20.0)] {
        let run = run_exact(&scenario(40, &body.replace("OVER", over)));
        let a = steps(41, &[(0, 100.0), (30, 0.0)]);
        assert_series(over, &exact_series(&run, "contributor:A"), &a, 0.0);
        let b = steps(41, &[(0, 0.0), (5, 20.0), (30, b_after)]);
        assert_series(over, &exact_series(&run, "contributor:B"), &b, 0.0);
        // A wave let in in parts is delivered when its last part comes.
        let delivered = run.contributor("B");
        assert_eq!(num(delivered, "mean_delivered"), b_after, "{over}");
        let last = if over == "wait" { "2024-01-31" } else { "" };
        assert_eq!(delivered["last_wave_date_p50"], last, "{over}");
    }
}

#[test]
fn a_transform_raises_the_ceiling_changes_the_cost_and_unlocks_pledges() {
    // Ceiling 100. Z's 30 are due on day 2, Y's and X's 60 on day 3 (Y is
    // first in the file): day 2 Z 30; day 3 Y 60, X 10, 50 wait. The GSF
    // transform on day 10 raises the ceiling to 200 and the cost from 1000
    // to 2000: X's 50 come on day 10; W, pledged after GSF with a 5-day
    // delay, comes on day 15.
    let body = r#"
[mission]
ceiling = 100

[funding]
start_balance = 1e12
cost_per_person_month = 1000

[[events]]
name = "GSF"
day = 10
effect = "transform"
mission = "GSF"
ceiling = 200
cost_per_person_month = 2000

[[contributors]]
name = "Y"
pledged = 60
first_arrival_days = 3

[[contributors]]
name = "X"
pledged = 60
first_arrival_days = 3

[[contributors]]
name = "Z"
pledged = 30
first_arrival_days = 2

[[contributors]]
name = "W"
pledged = 20
after = "GSF"
first_arrival_days = 5
"#;
    let run = run_exact(&scenario(20, body));
    let series = |name: &str| exact_series(&run, &format!("contributor:{name}"));
    assert_series("Z", &series("Z"), &steps(21, &[(0, 0.0), (2, 30.0)]), 0.0);
    assert_series("Y", &series("Y"), &steps(21, &[(0, 0.0), (3, 60.0)]), 0.0);
    assert_series("X", &series("X"), &steps(21, &[(0, 0.0), (3, 10.0), (10, 60.0)]), 0.0);
    assert_series("W", &series("W"), &steps(21, &[(0, 0.0), (15, 20.0)]), 0.0);
    let total = exact_series(&run, "international");
    let want = steps(21, &[(0, 0.0), (2, 30.0), (3, 100.0), (10, 150.0), (15, 170.0)]);
    assert_series("international", &total, &want, 0.0);
    let monthly: Vec<f64> = (0..=20)
        .map(|d| total[d] * if d < 10 { 1000.0 } else { 2000.0 })
        .collect();
    assert_series(
        "monthly_cost",
        &exact_series(&run, "monthly_cost"),
        &monthly,
        0.5 + 1e-6,
    );
    let spent: f64 = monthly.iter().map(|m| m / DAYS_PER_MONTH).sum();
    let balance = exact_series(&run, "fund_balance");
    assert!(
        (balance[20] - (1e12 - spent)).abs() <= 0.5 + 1e-3,
        "{} vs {}",
        balance[20],
        1e12 - spent
    );
}

#[test]
fn a_share_of_the_ceiling_is_of_the_ceiling_in_force_that_day() {
    // A's 100 are there from day 0 under a ceiling of 150 (90% is 135).
    // On day 10 it falls to 110 (90%: 99, reached), on day 20 to 50: nobody
    // leaves, and B's 10 due on day 25 wait for room that never opens.
    let body = r#"
[mission]
ceiling = 150

[[events]]
name = "shrink"
day = 10
effect = "transform"
ceiling = 110

[[events]]
name = "shrink more"
day = 20
effect = "transform"
ceiling = 50

[[contributors]]
name = "A"
deployed = 100

[[contributors]]
name = "B"
pledged = 10
first_arrival_days = 25

[[targets]]
name = "90% of the ceiling"
metric = "international"
at_least_share_of_ceiling = 0.9

[[targets]]
name = "B at 5% of the ceiling"
metric = "contributor:B"
at_least_share_of_ceiling = 0.05
"#;
    let run = run_exact(&scenario(40, body));
    assert_series("A", &exact_series(&run, "contributor:A"), &[100.0; 41], 0.0);
    assert_series("B", &exact_series(&run, "contributor:B"), &[0.0; 41], 0.0);
    for row in run.target("90% of the ceiling") {
        let want = if day(row) >= 10 { 1.0 } else { 0.0 };
        assert_eq!(num(row, "p_reached"), want, "day {}", day(row));
    }
    let summary = run.summary_of("90% of the ceiling");
    assert_eq!(summary["at_least"], "", "no single at_least");
    assert_eq!(summary["date_p50"], "2024-01-11");
    assert_eq!(
        num(run.summary_of("B at 5% of the ceiling"), "p_reached_by_horizon"),
        0.0
    );
}

#[test]
fn with_turn_away_an_arrival_waiting_for_money_still_waits() {
    // Room for everyone, but A's 50 need one month of cover (50,000) and
    // the fund is empty until 60,000 come on day 10: A comes on day 10 and
    // is not turned away while it waits; then C's 20 due on day 12 find
    // room for 10 only and the other 10 are turned away.
    let body = r#"
[mission]
ceiling = 60
over_ceiling = "turn_away"

[funding]
cost_per_person_month = 1000
cover_months = 1

[[funding.contributions]]
name = "D"
amount = 60000
day = 10

[[contributors]]
name = "A"
pledged = 50

[[contributors]]
name = "C"
pledged = 20
first_arrival_days = 12
funded_outside = true
"#;
    let run = run_exact(&scenario(20, body));
    assert_series(
        "A",
        &exact_series(&run, "contributor:A"),
        &steps(21, &[(0, 0.0), (10, 50.0)]),
        0.0,
    );
    assert_series(
        "C",
        &exact_series(&run, "contributor:C"),
        &steps(21, &[(0, 0.0), (12, 10.0)]),
        0.0,
    );
}
