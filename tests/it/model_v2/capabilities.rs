//! Capabilities (docs/MODEL.md §2.13): split over the formed waves (never
//! more than the people delivered), brought when a wave's first people
//! come, gone with the contingent's last person unless a relief is on its
//! way; `capability:NAME` adds them up and targets watch it.

use super::{assert_series, exact_series, run_exact, scenario, steps};
use crate::common::{day, num};

#[test]
fn capabilities_arrive_with_the_waves_and_leave_with_the_contingent() {
    // 6 helicopters over 4 waves of 25 (days 0, 10, 20, 30): 2, 2, 1, 1.
    // B's 3 come on day 5 with its 20 people, who all leave unrelieved on
    // day 25. An end of mission on day 40 with a 10-day drawdown scales
    // them like people: floor(n (10 − k) / 10) on its k-th day.
    let body = r#"
[[events]]
name = "end"
day = 40
effect = "end_mission"
drawdown_days = 10

[[contributors]]
name = "A"
pledged = 100
waves = 4
wave_interval_days = 10
capabilities = { helicopters = 6 }

[[contributors]]
name = "B"
pledged = 20
first_arrival_days = 5
tour_days = 20
relief = 0
capabilities = { helicopters = 3, boats = 2 }

[[targets]]
name = "five helicopters"
metric = "capability:helicopters"
at_least = 5
"#;
    let run = run_exact(&scenario(50, body));
    let a = [0.0, 2.0, 4.0, 5.0, 6.0];
    let helicopters: Vec<f64> = (0..=50usize)
        .map(|d| {
            let mine = if d >= 40 {
                (6 * (50 - d) / 10) as f64
            } else {
                a[(d / 10 + 1).min(4)]
            };
            mine + if (5..25).contains(&d) { 3.0 } else { 0.0 }
        })
        .collect();
    assert_series(
        "helicopters",
        &exact_series(&run, "capability:helicopters"),
        &helicopters,
        0.0,
    );
    let boats = steps(51, &[(0, 0.0), (5, 2.0), (25, 0.0)]);
    assert_series("boats", &exact_series(&run, "capability:boats"), &boats, 0.0);
    // 5 helicopters first on day 5 (2 of A's and B's 3).
    let first = run
        .target("five helicopters")
        .into_iter()
        .find(|r| num(r, "p_reached") == 1.0)
        .map(day);
    assert_eq!(first, Some(5));
}

#[test]
fn a_contingent_brings_no_capability_of_waves_it_could_not_form() {
    // 3 people in 5 asked-for waves: 3 waves of 1 are formed (days 0, 10,
    // 20), so 6 helicopters are 2 a wave. The horizon (day 15) cuts the
    // third off: 4 helicopters come, not 2 + 1 (as if 5 waves were formed).
    let body = r#"
[[contributors]]
name = "A"
pledged = 3
waves = 5
wave_interval_days = 10
capabilities = { helicopters = 6 }
"#;
    let run = run_exact(&scenario(15, body));
    let want = steps(16, &[(0, 2.0), (10, 4.0)]);
    assert_series("helicopters", &exact_series(&run, "capability:helicopters"), &want, 0.0);
    // Not cut off: all 6 come with the 3 people.
    let run = run_exact(&scenario(25, body));
    let want = steps(26, &[(0, 2.0), (10, 4.0), (20, 6.0)]);
    assert_series("uncut", &exact_series(&run, "capability:helicopters"), &want, 0.0);
}

#[test]
fn capabilities_wait_out_a_rotation_gap_but_not_an_empty_contingent() {
    // R: 10 people with 2 helicopters on 10-day tours, relieved in full 5
    // days after they leave: the helicopters are counted while anyone is
    // there (0 on days 10..14) and stay for the relief.
    // E: two waves of 10 (days 0, 30) with 2 helicopters each, unrelieved
    // 10-day tours: the first wave's leave with its people on day 10 and
    // do not come back with the second wave, which brings its own 2.
    let body = r#"
[[contributors]]
name = "R"
pledged = 10
tour_days = 10
relief_gap_days = 5
capabilities = { helicopters = 2 }

[[contributors]]
name = "E"
pledged = 20
waves = 2
wave_interval_days = 30
tour_days = 10
relief = 0
capabilities = { vehicles = 4 }
"#;
    let run = run_exact(&scenario(45, body));
    let r = steps(
        46,
        &[
            (0, 2.0),
            (10, 0.0),
            (15, 2.0),
            (25, 0.0),
            (30, 2.0),
            (40, 0.0),
            (45, 2.0),
        ],
    );
    assert_series("R", &exact_series(&run, "capability:helicopters"), &r, 0.0);
    let e = steps(46, &[(0, 2.0), (10, 0.0), (30, 2.0), (40, 0.0)]);
    assert_series("E", &exact_series(&run, "capability:vehicles"), &e, 0.0);
}
