//! Rotations (docs/MODEL.md §2.13): each group leaves at the end of its
//! tour and a share of it is relieved after a gap (strength dips) or
//! before it leaves (an overlap); an overlap as long as the tour is refused.

use super::{assert_series, exact_series, means, run_exact, scenario, steps};
use crate::cli_support::{forcegen, stderr_of, write_file};
use crate::common::{MEAN_PRINT, check_mean, num, run};

#[test]
fn a_gap_makes_strength_dip_on_the_hand_computed_days() {
    // Deployed 80 (first tour 10 days) and a wave of 40 on day 4, 30-day
    // tours, half relieved 5 days after a group leaves:
    //   80 leave on day 10, their 40 come on 15, leave on 45, their 20 on 50;
    //   the wave's 40 leave on 34, their 20 come on 39, leave on 69.
    let body = r#"
[[contributors]]
name = "K"
deployed = 80
pledged = 40
first_arrival_days = 4
tour_days = 30
first_rotation_days = 10
relief = 0.5
relief_gap_days = 5
"#;
    let run = run_exact(&scenario(60, body));
    let want = steps(
        61,
        &[
            (0, 80.0),
            (4, 120.0),
            (10, 40.0),
            (15, 80.0),
            (34, 40.0),
            (39, 60.0),
            (45, 20.0),
            (50, 40.0),
        ],
    );
    assert_series("K", &exact_series(&run, "contributor:K"), &want, 0.0);
    // Reliefs are not deliveries: the one wave came on day 4.
    let k = run.contributor("K");
    assert_eq!(
        (num(k, "mean_delivered"), k["last_wave_date_p50"].as_str()),
        (40.0, "2024-01-05")
    );
}

#[test]
fn a_negative_gap_is_an_overlap() {
    // 80 deployed on 30-day tours, relieved in full 5 days before they
    // leave: both present on days 25..29, and again on 50..54.
    let body = r#"
[[contributors]]
name = "K"
deployed = 80
tour_days = 30
relief_gap_days = -5
"#;
    let run = run_exact(&scenario(60, body));
    let want = steps(61, &[(0, 80.0), (25, 160.0), (30, 80.0), (50, 160.0), (55, 80.0)]);
    assert_series("K", &exact_series(&run, "contributor:K"), &want, 0.0);
}

#[test]
fn kenyas_eighteen_month_tours_replace_a_uniform_share() {
    // docs/scenario-reference.md: tour_days = 540, relief uniform(0.4, 0.7).
    // On day 540 the count is round(400 U): 400 U is uniform on (160, 280),
    // whose rounding is symmetric about 220; its sd is 120 / sqrt(12) (plus
    // the rounding's, under 0.001).
    let body = r#"
[[contributors]]
name = "Kenya"
deployed = 400
tour_days = 540
relief = "uniform(0.4, 0.7)"
"#;
    let n = 4000;
    let run = run(&scenario(560, body), n, 17);
    let counts = means(&run, "contributor:Kenya");
    check_mean("day 539", counts[539], 400.0, 0.0, n, MEAN_PRINT);
    let sd = (120.0f64 * 120.0 / 12.0 + 1.0 / 12.0).sqrt();
    check_mean("day 540", counts[540], 220.0, sd, n, MEAN_PRINT);
    check_mean("day 560", counts[560], 220.0, sd, n, MEAN_PRINT);
}

#[test]
fn the_bahamas_platoons_rotate_every_four_months() {
    // docs/scenario-reference.md: 150 in three platoons 40 days apart on
    // 120-day tours. Relieved in full on the day they leave: 150 from day
    // 80 on. With a 10-day gap, platoon i (arriving 40 i) is there on
    // [40 i + 130 j, 40 i + 130 j + 120) for j = 0, 1, ...
    let body = r#"
[[contributors]]
name = "Bahamas"
pledged = 150
waves = 3
wave_interval_days = 40
tour_days = 120
"#;
    let run = run_exact(&scenario(400, body));
    let want = steps(401, &[(0, 50.0), (40, 100.0), (80, 150.0)]);
    assert_series("no gap", &exact_series(&run, "contributor:Bahamas"), &want, 0.0);

    let gap = body.replace("tour_days = 120", "tour_days = 120\nrelief_gap_days = 10");
    let run = run_exact(&scenario(400, &gap));
    let want: Vec<f64> = (0..=400u32)
        .map(|d| {
            let there = (0..3).filter(|i| d >= 40 * i && (d - 40 * i) % 130 < 120).count();
            50.0 * there as f64
        })
        .collect();
    assert_series("10-day gap", &exact_series(&run, "contributor:Bahamas"), &want, 0.0);
}

/// The stderr of `forcegen validate` on a scenario with this contributor,
/// and whether it succeeded.
fn validate(contributor: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario(
        100,
        &format!("[[contributors]]\nname = \"K\"\ndeployed = 10\n{contributor}"),
    );
    let path = write_file(dir.path(), "s.toml", &text);
    let output = forcegen().arg("validate").arg(&path).output().expect("run forcegen");
    (output.status.success(), stderr_of(&output))
}

#[test]
fn an_overlap_longer_than_half_the_tour_is_refused_with_the_rule() {
    for rotation in [
        "tour_days = 30\nrelief_gap_days = -30\n",
        "tour_days = 30\nrelief_gap_days = -16\n",
        // The issue's case: 1,000 deployed, tour 180, gap -120 gave 3,000 from day 120.
        "tour_days = 180\nrelief_gap_days = -120\n",
        "tour_days = 30\nrelief_gap_days = -45\n",
        "tour_days = \"uniform(35, 60)\"\nrelief_gap_days = \"uniform(-40, -5)\"\n",
        "tour_days = 30\nrelief_gap_days = \"normal(-25, 2)\"\n",
    ] {
        let (ok, stderr) = validate(rotation);
        assert!(!ok, "accepted: {rotation}");
        assert!(
            stderr.contains("contributors.K.relief_gap_days") && stderr.contains("must be at most half the tour"),
            "{rotation}: {stderr}"
        );
        assert!(stderr.contains("s.toml:15:"), "the line of relief_gap_days: {stderr}");
    }
    for rotation in [
        "tour_days = 30\nrelief_gap_days = -15\n",
        "tour_days = \"uniform(35, 60)\"\nrelief_gap_days = \"triangular(-17, -5, 10)\"\n",
        "tour_days = 30\nrelief_gap_days = \"normal(-5, 1)\"\nfirst_rotation_days = 5\n",
    ] {
        let (ok, stderr) = validate(rotation);
        assert!(ok, "{rotation}: {stderr}");
    }
}
