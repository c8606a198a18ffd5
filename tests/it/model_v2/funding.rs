//! The fund (docs/MODEL.md §2.12): cover before deploying, donors paid
//! with their probability, freezes, payers outside the fund, arrears and
//! the withdrawal hazard they raise, and the four fund metrics by hand.

use super::{assert_series, exact_series, means, run_exact, scenario, steps};
use crate::common::{MEAN_PRINT, SHARE_PRINT, check_mean, check_share, day, num, run};

/// Days in a month: a person-month's cost is spread over them.
const DAYS_PER_MONTH: f64 = 365.25 / 12.0;
/// Money is recorded in whole USD.
const USD: f64 = 0.5 + 1e-6;

#[test]
fn a_contingent_deploys_on_the_first_day_the_fund_covers_its_first_months() {
    // B (30 people, deployed) costs c = 30 × 1000 / 30.4375 a day. A's 100
    // need 3 × 100 × 1000 = 300,000 in the fund on their day. Before
    // arrivals on day d (payments first, then the day's departures and
    // arrivals, then the day's cost): 200,000 + 105,000 [d ≥ 10] +
    // 50,000 [d ≥ 30] − d c. Day 0: 200,000 < 300,000; day 10: 295,143.7,
    // still short; day 30: 325,431.2: A comes on day 30.
    let body = r#"
[funding]
start_balance = 200000
cost_per_person_month = 1000
cover_months = 3

[[funding.contributions]]
name = "D1"
amount = 105000
day = 10

[[funding.contributions]]
name = "D2"
amount = 50000
day = 30

[[contributors]]
name = "A"
pledged = 100

[[contributors]]
name = "B"
deployed = 30
"#;
    let run = run_exact(&scenario(40, body));
    assert_series(
        "A",
        &exact_series(&run, "contributor:A"),
        &steps(41, &[(0, 0.0), (30, 100.0)]),
        0.0,
    );
    let c = 30_000.0 / DAYS_PER_MONTH;
    let c130 = 130_000.0 / DAYS_PER_MONTH;
    let balance: Vec<f64> = (0..=40)
        .map(|d| {
            let paid = 200_000.0 + if d >= 10 { 105_000.0 } else { 0.0 } + if d >= 30 { 50_000.0 } else { 0.0 };
            let spent = if d < 30 {
                f64::from(d + 1) * c
            } else {
                30.0 * c + f64::from(d - 29) * c130
            };
            paid - spent
        })
        .collect();
    assert_series("fund_balance", &exact_series(&run, "fund_balance"), &balance, USD);
    let monthly = steps(41, &[(0, 30_000.0), (30, 130_000.0)]);
    assert_series("monthly_cost", &exact_series(&run, "monthly_cost"), &monthly, USD);
    let cover: Vec<f64> = balance.iter().zip(&monthly).map(|(b, m)| b / m).collect();
    assert_series("months_of_cover", &means(&run, "months_of_cover"), &cover, 1e-4);
    assert_eq!(run.contributor("A")["last_wave_date_p50"], "2024-01-31");
}

#[test]
fn balance_cost_arrears_and_cover_follow_the_hand_computed_ledger() {
    // Charged: B's 30 at the default 1000 and D's 10 at their own 3000, so
    // 60,000 a month; C is funded outside. From day 20 an outside payer
    // takes 25% of every cost. The fund starts with 10,000 (gone on day 5)
    // and gets 30,000 on day 15, which first settles the arrears (19,568.75)
    // and lasts until day 20. With net(d) = 10,000 + 30,000 [d ≥ 15] −
    // Σ_{j ≤ d} cost(j): balance = max(0, net), gap = max(0, −net).
    let body = r#"
[funding]
start_balance = 10000
cost_per_person_month = 1000

[[funding.contributions]]
name = "late"
amount = 30000
day = 15

[[funding.outside]]
name = "UN"
day = 20
share = 0.25

[[contributors]]
name = "B"
deployed = 30

[[contributors]]
name = "C"
deployed = 50
funded_outside = true

[[contributors]]
name = "D"
deployed = 10
cost_per_person_month = 3000
"#;
    let run = run_exact(&scenario(40, body));
    let monthly: Vec<f64> = (0..=40).map(|d| if d < 20 { 60_000.0 } else { 45_000.0 }).collect();
    let mut spent = 0.0;
    let mut balance = Vec::new();
    let mut gap = Vec::new();
    for (d, m) in monthly.iter().enumerate() {
        spent += m / DAYS_PER_MONTH;
        let net = 10_000.0 + if d >= 15 { 30_000.0 } else { 0.0 } - spent;
        balance.push(net.max(0.0));
        gap.push((-net).max(0.0));
    }
    let states: Vec<(bool, bool)> = [4, 5, 14, 15, 19, 20]
        .iter()
        .map(|&d| (balance[d] > 0.0, gap[d] > 0.0))
        .collect();
    let (paying, owing) = ((true, false), (false, true));
    assert_eq!(states, [paying, owing, owing, paying, paying, owing]);
    assert!((gap[14] - (15.0 * 60_000.0 / DAYS_PER_MONTH - 10_000.0)).abs() < 1e-6);
    assert_series("monthly_cost", &exact_series(&run, "monthly_cost"), &monthly, USD);
    assert_series("fund_balance", &exact_series(&run, "fund_balance"), &balance, USD);
    assert_series("funding_gap", &exact_series(&run, "funding_gap"), &gap, USD);
    let cover: Vec<f64> = balance.iter().zip(&monthly).map(|(b, m)| b / m).collect();
    assert_series("months_of_cover", &means(&run, "months_of_cover"), &cover, 1e-4);
    assert_series("international", &exact_series(&run, "international"), &[90.0; 41], 0.0);
}

#[test]
fn donors_pay_with_their_probability_and_freezes_take_their_share() {
    // P pays 1,000 on day 5 with probability 0.3. Q pays 10,000 on day 20
    // and is frozen on day 30 with probability 0.4, taking back 25%
    // (2,500). R's 100,000 due on day 50 is surely frozen by half on day 40,
    // before it is paid: 50,000 comes. Nothing is charged.
    let body = r#"
[funding]
cost_per_person_month = 1000

[[funding.contributions]]
name = "P"
amount = 1000
probability = 0.3
day = 5

[[funding.contributions]]
name = "Q"
amount = 10000
day = 20
freeze_probability = 0.4
freeze_day = 30
freeze_share = 0.25

[[funding.contributions]]
name = "R"
amount = 100000
day = 50
freeze_probability = 1
freeze_day = 40
freeze_share = 0.5

[[contributors]]
name = "X"
deployed = 10
funded_outside = true

[[targets]]
name = "P paid"
metric = "fund_balance"
at_least = 500
"#;
    let n = 4000;
    let run = run(&scenario(60, body), n, 3);
    let (p, q): (f64, f64) = (0.3, 0.4);
    let p_sd = 1000.0 * (p * (1.0 - p)).sqrt();
    let q_sd = 2500.0 * (q * (1.0 - q)).sqrt();
    let balance = means(&run, "fund_balance");
    check_mean("day 4", balance[4], 0.0, 0.0, n, USD);
    check_mean("day 10", balance[10], 1000.0 * p, p_sd, n, USD);
    check_mean("day 25", balance[25], 1000.0 * p + 10_000.0, p_sd, n, USD);
    let frozen_sd = (p_sd * p_sd + q_sd * q_sd).sqrt();
    check_mean(
        "day 35",
        balance[35],
        1000.0 * p + 10_000.0 - 2500.0 * q,
        frozen_sd,
        n,
        USD,
    );
    let day_55 = 1000.0 * p + 10_000.0 - 2500.0 * q + 50_000.0;
    check_mean("day 55", balance[55], day_55, frozen_sd, n, USD);
    // Reached by day 19 exactly when P paid.
    let row = run.target("P paid").into_iter().find(|r| day(r) == 19).expect("day 19");
    check_share("P paid by day 19", num(row, "p_reached"), p, n, SHARE_PRINT);
}

/// P(withdrawn by day d) for a daily hazard r, k times r on days that start
/// in arrears (every day from day 1 here): withdrawn on day d when
/// r + k r (d − 1) + k r / 2 reaches an Exp(1) wait (day 0: r / 2).
fn p_withdrawn(d: u32, r: f64, k: f64) -> f64 {
    let hazard = if d == 0 {
        r / 2.0
    } else {
        r * (1.0 + k * (f64::from(d) - 0.5))
    };
    1.0 - (-hazard).exp()
}

#[test]
fn arrears_multiply_the_withdrawal_hazard_by_the_factor() {
    let n = 4000;
    // withdrawal_per_year = 0.5: r = −ln(1 − 0.5) / 365 a day.
    let r = 2f64.ln() / 365.0;
    // An empty fund is in arrears from the end of day 0; a rich one never.
    for (start, k) in [(0.0, 4.0), (1e12, 1.0)] {
        let body = format!(
            r#"
[funding]
start_balance = {start}
cost_per_person_month = 1000
arrears_withdrawal_factor = 4

[[contributors]]
name = "W"
deployed = 100
withdrawal_per_year = 0.5
"#
        );
        let run = run(&scenario(300, &body), n, 11);
        let counts = means(&run, "contributor:W");
        for d in [0, 1, 30, 100, 300] {
            let p = p_withdrawn(d, r, k);
            let what = format!("start {start}, day {d}");
            check_mean(
                &what,
                counts[d as usize],
                100.0 * (1.0 - p),
                100.0 * (p * (1.0 - p)).sqrt(),
                n,
                MEAN_PRINT,
            );
        }
    }
}
