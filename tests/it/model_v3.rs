//! Model v3 (docs/MODEL.md §2.14), end to end: shocks that hit several
//! contributors at once, pledges that wait on something, forces outside
//! the mission. Each rule with a small scenario and a closed-form or
//! hand-computed answer; the random ones within 4 Monte Carlo standard
//! errors (`common::Z`) with fixed seeds, on both ways a contingent is
//! sampled: on its own days, and followed event by event (a fund that
//! never binds makes every contingent followed, docs/MODEL.md §2.10).

use crate::common::{MEAN_PRINT, Run, check_mean, run};
use crate::model_v2::{assert_series, exact_series, run_exact, scenario, steps};

/// A fund no cost can use up: every contingent is then followed event by
/// event, with nothing else changed.
const FOLLOWED: &str = "[funding]\nstart_balance = 1e12\ncost_per_person_month = 2000\n\n";

/// Trials of the random scenarios.
const TRIALS: u64 = 20_000;

/// Runs `body` on both paths (own days, followed) and hands each run to `check`.
fn on_both_paths(horizon: u32, body: &str, check: impl Fn(&str, &Run)) {
    for (path, prefix) in [("own days", ""), ("followed", FOLLOWED)] {
        let run = run(&scenario(horizon, &format!("{prefix}{body}")), TRIALS, 11);
        check(path, &run);
    }
}

/// The mean head count of `metric` on day `d`.
fn mean_on(run: &Run, metric: &str, d: u32) -> f64 {
    crate::common::num(run.at(metric, d), "mean")
}

/// Checks a contingent of `size` present with chance `p` on day `d`.
fn check_present(what: &str, run: &Run, metric: &str, d: u32, size: f64, p: f64) {
    let sd = size * (p * (1.0 - p)).sqrt();
    check_mean(what, mean_on(run, metric, d), size * p, sd, run.trials, MEAN_PRINT);
}

#[test]
fn a_pause_holds_a_wave_until_it_ends_and_max_wait_days_lapses_it() {
    // A's 100 are due on day 120; a pause from day 100 lasts floor(D)
    // days, D ~ uniform(0, 60), so it holds them when floor(D) >= 21 and
    // they come on day 100 + floor(D): P(come by t) = (t - 99) / 60 for
    // t in 120..160. With max_wait_days = 30 a wave held more than 30
    // days (floor(D) >= 51) lapses: 51 / 60 ever come.
    let shock = r#"
[[events]]
name = "crisis"
probability = 1
day = 100
effect = "pause_arrivals"
duration_days = "uniform(0, 60)"
"#;
    for max_wait in ["", "max_wait_days = 30\n"] {
        let body =
            format!("{shock}\n[[contributors]]\nname = \"A\"\npledged = 100\nfirst_arrival_days = 120\n{max_wait}");
        on_both_paths(200, &body, |path, run| {
            let what = |d: u32| format!("{path}, {max_wait:?}, day {d}");
            check_present(&what(119), run, "contributor:A", 119, 100.0, 0.0);
            for d in [120, 130, 145] {
                check_present(&what(d), run, "contributor:A", d, 100.0, f64::from(d - 99) / 60.0);
            }
            let ever = if max_wait.is_empty() { 1.0 } else { 51.0 / 60.0 };
            check_present(&what(200), run, "contributor:A", 200, 100.0, ever);
        });
    }
}

#[test]
fn a_raised_withdrawal_hazard_multiplies_the_rate_while_it_lasts() {
    // Withdrawal at rate r = -ln(1 - 0.5) / 365 a day, times 3 on days
    // 100 to 149: present on day T while the summed hazard to T + 0.5
    // (the crossing is rounded to the nearest day) is below an Exp(1)
    // wait: P = exp(-H(T + 0.5)).
    let body = r#"
[[events]]
name = "court ruling"
probability = 1
day = 100
effect = "raise_withdrawal"
withdrawal_factor = 3
duration_days = 50

[[contributors]]
name = "K"
deployed = 100
withdrawal_per_year = 0.5
"#;
    let r = -(0.5f64).ln() / 365.0;
    let hazard = |t: f64| r * (t.min(100.0) + 3.0 * (t.clamp(100.0, 150.0) - 100.0) + (t.max(150.0) - 150.0));
    on_both_paths(250, body, |path, run| {
        for d in [50, 99, 120, 149, 200, 250] {
            let p = (-hazard(f64::from(d) + 0.5)).exp();
            check_present(&format!("{path}, day {d}"), run, "contributor:K", d, 100.0, p);
        }
    });
}

#[test]
fn cancel_pledges_cancels_each_wave_not_yet_come_with_its_share() {
    // Four waves of 25 on days 50, 60, 70, 80; on day 60 each wave not yet
    // come (a wave due that day has not) is cancelled with chance 0.3,
    // independently: on day 90, 25 + 25 K with K ~ Binomial(3, 0.7).
    let body = r#"
[[events]]
name = "recall"
probability = 1
day = 60
effect = "cancel_pledges"
share = 0.3

[[contributors]]
name = "A"
pledged = 100
first_arrival_days = 50
waves = 4
wave_interval_days = 10
"#;
    on_both_paths(90, body, |path, run| {
        check_mean(
            &format!("{path}, day 55"),
            mean_on(run, "contributor:A", 55),
            25.0,
            0.0,
            run.trials,
            MEAN_PRINT,
        );
        let sd = 25.0 * (3.0f64 * 0.7 * 0.3).sqrt();
        check_mean(
            &format!("{path}, day 90"),
            mean_on(run, "contributor:A", 90),
            77.5,
            sd,
            run.trials,
            MEAN_PRINT,
        );
    });
}

#[test]
fn a_shock_hits_only_the_contributors_it_names() {
    // The pause names B only: A's wave comes on its day, B's when the
    // pause ends (day 80).
    let body = r#"
[[events]]
name = "B's election"
probability = 1
day = 10
effect = "pause_arrivals"
duration_days = 70
contributors = ["B"]

[[contributors]]
name = "A"
pledged = 40
first_arrival_days = 20

[[contributors]]
name = "B"
pledged = 60
first_arrival_days = 20
"#;
    for prefix in ["", FOLLOWED] {
        let run = run_exact(&scenario(100, &format!("{prefix}{body}")));
        assert_series(
            "A",
            &exact_series(&run, "contributor:A"),
            &steps(101, &[(0, 0.0), (20, 40.0)]),
            0.0,
        );
        assert_series(
            "B",
            &exact_series(&run, "contributor:B"),
            &steps(101, &[(0, 0.0), (80, 60.0)]),
            0.0,
        );
    }
}

#[test]
fn freeze_funds_holds_a_share_of_the_balance_and_of_payments_until_it_ends() {
    // Balance 1,000,000; 30 people at 1,000 a person-month (c a day); a
    // payment of 100,000 on day 20; a freeze of half from day 10 for 20
    // days. Each day: what a freeze ending today held comes back, today's
    // payment comes in less the share held while a freeze lasts, a freeze
    // starting today holds its share of the balance, then the day's cost.
    let body = r#"
[funding]
start_balance = 1000000
cost_per_person_month = 1000

[[funding.contributions]]
name = "D"
amount = 100000
day = 20

[[events]]
name = "donor freeze"
probability = 1
day = 10
effect = "freeze_funds"
share = 0.5
duration_days = 20

[[contributors]]
name = "B"
deployed = 30
"#;
    let run = run_exact(&scenario(40, body));
    let c = 30_000.0 / (365.25 / 12.0);
    let (mut balance, mut held) = (1_000_000.0, 0.0);
    let mut want = Vec::new();
    for d in 0..=40 {
        if d == 30 {
            balance += std::mem::take(&mut held);
        }
        if d == 20 {
            held += 50_000.0;
            balance += 50_000.0;
        }
        if d == 10 {
            held += balance * 0.5;
            balance *= 0.5;
        }
        balance -= c;
        want.push(balance);
    }
    assert_series("fund_balance", &exact_series(&run, "fund_balance"), &want, 0.5 + 1e-6);
}

#[test]
fn requires_an_event_holds_the_pledge_until_the_event_happens() {
    // A is due on day 30 but requires "logistics" (chance 0.6, on day
    // floor(U), U ~ uniform(0, 100)): it comes on max(30, the event's
    // day), and never without it: P(come by t) = 0.6 (t + 1) / 100.
    let body = r#"
[[events]]
name = "logistics"
probability = 0.6
day = "uniform(0, 100)"
effect = "unlock"

[[contributors]]
name = "A"
pledged = 100
first_arrival_days = 30
requires = ["logistics"]
"#;
    let run = run(&scenario(150, body), TRIALS, 11);
    check_present("day 29", &run, "contributor:A", 29, 100.0, 0.0);
    for d in [30, 60, 99, 150] {
        let p = 0.6 * f64::from(d.min(99) + 1) / 100.0;
        check_present(&format!("day {d}"), &run, "contributor:A", d, 100.0, p);
    }
}

#[test]
fn requires_a_capability_or_another_arrival_is_met_the_same_day() {
    // X brings 2 helicopters on day 50; Y (due day 10) requires them, Z
    // (due day 5) requires Y: all three come on day 50, though Z and Y
    // are offered their place before X on that day.
    let body = r#"
[[contributors]]
name = "Z"
pledged = 30
first_arrival_days = 5
requires = ["arrived:Y"]

[[contributors]]
name = "Y"
pledged = 20
first_arrival_days = 10
requires = ["capability:helicopters >= 2"]

[[contributors]]
name = "X"
pledged = 10
first_arrival_days = 50
capabilities = { helicopters = 2 }
"#;
    let run = run_exact(&scenario(60, body));
    for (who, size) in [("X", 10.0), ("Y", 20.0), ("Z", 30.0)] {
        let got = exact_series(&run, &format!("contributor:{who}"));
        assert_series(who, &got, &steps(61, &[(0, 0.0), (50, size)]), 0.0);
    }
}

#[test]
fn requires_cover_months_waits_for_the_money() {
    // B's 10 cost 10,000 a month; the fund's 50,000 cover 5 months, less
    // each day: A (due day 10, 100 people) requires 6 months of cover at
    // the cost of the day, which the payment of 100,000 on day 40 gives.
    let body = r#"
[funding]
start_balance = 50000
cost_per_person_month = 1000

[[funding.contributions]]
name = "D"
amount = 100000
day = 40

[[contributors]]
name = "A"
pledged = 100
first_arrival_days = 10
requires = ["cover_months >= 6"]

[[contributors]]
name = "B"
deployed = 10
"#;
    let run = run_exact(&scenario(60, body));
    assert_series(
        "A",
        &exact_series(&run, "contributor:A"),
        &steps(61, &[(0, 0.0), (40, 100.0)]),
        0.0,
    );
}

#[test]
fn forces_outside_the_mission_take_no_room_cost_nothing_and_count_in_security_forces() {
    // Ceiling 100: A's 100 fit though the army's 500 (and 50 more on day
    // 20) are there, outside it; the fund pays A only; international is
    // A, outside_forces the army, security_forces both.
    let body = r#"
[mission]
name = "GSF"
ceiling = 100

[funding]
start_balance = 1e9
cost_per_person_month = 1000

[[contributors]]
name = "A"
pledged = 100
first_arrival_days = 10

[[contributors]]
name = "Army"
kind = "military"
deployed = 500
pledged = 50
first_arrival_days = 20
in_mission = false
"#;
    let run = run_exact(&scenario(30, body));
    let a = steps(31, &[(0, 0.0), (10, 100.0)]);
    assert_series("international", &exact_series(&run, "international"), &a, 0.0);
    let army = steps(31, &[(0, 500.0), (20, 550.0)]);
    assert_series("outside_forces", &exact_series(&run, "outside_forces"), &army, 0.0);
    let all: Vec<f64> = a.iter().zip(&army).map(|(a, b)| a + b).collect();
    assert_series("security_forces", &exact_series(&run, "security_forces"), &all, 0.0);
    let cost = steps(31, &[(0, 0.0), (10, 100_000.0)]);
    assert_series("monthly_cost", &exact_series(&run, "monthly_cost"), &cost, 0.5 + 1e-6);
}

#[test]
fn a_run_with_shocks_is_the_same_on_one_and_two_threads() {
    let body = format!(
        "{FOLLOWED}{}",
        r#"
[[events]]
name = "crisis"
probability = 0.5
day = "uniform(10, 200)"
effect = "pause_arrivals"
duration_days = "uniform(10, 90)"

[[events]]
name = "freeze"
probability = 0.4
day = "uniform(10, 200)"
effect = "freeze_funds"
share = "uniform(0.2, 0.8)"

[[contributors]]
name = "A"
pledged = 300
probability = 0.8
first_arrival_days = "uniform(5, 150)"
waves = 3
wave_interval_days = 20
max_wait_days = "uniform(30, 120)"
withdrawal_per_year = 0.2
"#
    );
    let work = tempfile::tempdir().unwrap();
    let path = crate::cli_support::write_file(work.path(), "v3.toml", &scenario(300, &body));
    let (one, two) = (work.path().join("one"), work.path().join("two"));
    crate::cli_support::run_ok(&path, &one, &["--trials", "1031", "--seed", "7", "--threads", "1"]);
    crate::cli_support::run_ok(&path, &two, &["--trials", "1031", "--seed", "7", "--threads", "2"]);
    crate::cli_support::assert_same_outputs(&one, &two, "model v3, --threads 1 vs 2");
}

#[test]
fn arrivals_on_the_same_day_each_reserve_their_cover() {
    // 3 months' cover for 100 people at 1,000 is 300,000: the fund's
    // 400,000 lets A in on day 10 (less the day 0 to 9 costs of nobody:
    // 0), and B, due the same day, waits: 100,000 is left for its
    // 300,000, until the payment on day 20.
    let body = r#"
[funding]
start_balance = 400000
cost_per_person_month = 1000
cover_months = 3

[[funding.contributions]]
name = "D"
amount = 500000
day = 20

[[contributors]]
name = "A"
pledged = 100
first_arrival_days = 10

[[contributors]]
name = "B"
pledged = 100
first_arrival_days = 10
"#;
    let run = run_exact(&scenario(30, body));
    assert_series(
        "A",
        &exact_series(&run, "contributor:A"),
        &steps(31, &[(0, 0.0), (10, 100.0)]),
        0.0,
    );
    assert_series(
        "B",
        &exact_series(&run, "contributor:B"),
        &steps(31, &[(0, 0.0), (20, 100.0)]),
        0.0,
    );
}

#[test]
fn the_end_of_the_mission_does_not_end_forces_outside_it() {
    // The mission ends on day 10 (everyone of it leaves that day); the
    // army outside it stays, and its wave due on day 20 still comes, on
    // both paths.
    let body = r#"
[[events]]
name = "not renewed"
probability = 1
day = 10
effect = "end_mission"

[[contributors]]
name = "A"
deployed = 100

[[contributors]]
name = "Army"
kind = "military"
deployed = 500
pledged = 50
first_arrival_days = 20
in_mission = false
"#;
    for prefix in ["", FOLLOWED] {
        let run = run_exact(&scenario(30, &format!("{prefix}{body}")));
        let a = steps(31, &[(0, 100.0), (10, 0.0)]);
        assert_series("A", &exact_series(&run, "contributor:A"), &a, 0.0);
        let army = steps(31, &[(0, 500.0), (20, 550.0)]);
        assert_series("outside_forces", &exact_series(&run, "outside_forces"), &army, 0.0);
    }
}

#[test]
fn cover_is_checked_for_the_part_that_fits_under_the_ceiling() {
    // A's 200 are due on day 10; one month's cover is 1,000 a person and
    // the fund holds 150,000: enough for 100, not for 200. Under a
    // ceiling of 100 the part that fits (100) is checked and comes; the
    // rest waits for room. Without the ceiling all 200 are checked and
    // none come.
    let fund = "[funding]\nstart_balance = 150000\ncost_per_person_month = 1000\ncover_months = 1\n\n";
    let a = "[[contributors]]\nname = \"A\"\npledged = 200\nfirst_arrival_days = 10\n";
    let ceiling = "[mission]\nname = \"M\"\nceiling = 100\n\n";
    let run = run_exact(&scenario(20, &format!("{ceiling}{fund}{a}")));
    assert_series(
        "under the ceiling",
        &exact_series(&run, "contributor:A"),
        &steps(21, &[(0, 0.0), (10, 100.0)]),
        0.0,
    );
    let run = run_exact(&scenario(20, &format!("{fund}{a}")));
    assert_series(
        "no ceiling",
        &exact_series(&run, "contributor:A"),
        &steps(21, &[(0, 0.0)]),
        0.0,
    );
}
