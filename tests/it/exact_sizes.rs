//! Means and standard deviations of head counts exact at any size
//! (docs/MODEL.md §4.3): counts of 65,536 and more share bins, but their
//! exact sums are kept beside the bins, so 200,000 people under attrition
//! give the binomial's mean and sd within their Monte Carlo standard
//! errors (binned, the mean would be off by up to half a bin, about 70
//! people at 140,000, some 20 standard errors, and the sd quantised), also
//! after a sharded run is merged; and an older partial file is refused
//! with what to do.

use crate::cli_support::forcegen;
use crate::common::{MEAN_PRINT, check_mean, check_sd, day, num, run};

/// 200,000 host police and 200,000 of contributor A, both with yearly
/// attrition `a` and nobody joining; B's 10 people arrive on day 3 and a
/// target counts A, so weekly runs are also evaluated on a day that is not
/// a report day (the head counts are then recorded report day by report
/// day, not as the whole series).
fn large_scenario(a: f64, step: &str) -> String {
    format!(
        "name = \"large counts\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 364\nstep = \"{step}\"\n\
         [population]\ninitial = 10000000\n\
         [host_police]\ninitial = 200000\nattrition_per_year = {a}\n\
         [[contributors]]\nname = \"A\"\ndeployed = 200000\nattrition_per_year = {a}\n\
         [[contributors]]\nname = \"B\"\npledged = 10\nfirst_arrival_days = 3\n\
         [[targets]]\nname = \"A whole\"\nmetric = \"contributor:A\"\nat_least = 200000\n"
    )
}

/// On day d each of n0 people is still there with probability
/// s = (1 - a)^(d / 365), independently: the count is Binomial(n0, s), mean
/// n0 s and sd sqrt(n0 s (1 - s)). The printed mean and sd are checked
/// within 4 standard errors: SE(mean) = sd / sqrt(trials), and SE(sd) from
/// the binomial's 4th central moment (`check_sd`).
fn check_binomial_rows(rows: &[&crate::common::Row], n0: f64, a: f64, trials: u64, what: &str) {
    assert!(rows.len() > 10, "{what}: {} rows", rows.len());
    for row in rows {
        let d = day(row);
        let s = (1.0 - a).powf(f64::from(d) / 365.0);
        let var = n0 * s * (1.0 - s);
        let mu4 = var * (1.0 + 3.0 * (n0 - 2.0) * s * (1.0 - s));
        let what = format!("{what} on day {d}");
        check_mean(&what, num(row, "mean"), n0 * s, var.sqrt(), trials, MEAN_PRINT);
        check_sd(&what, num(row, "sd"), var.sqrt(), mu4, trials, MEAN_PRINT);
    }
}

#[test]
fn two_hundred_thousand_under_attrition_have_the_binomial_mean_and_sd() {
    let (a, trials) = (0.3, 20_000);
    for (step, seed) in [("week", 1717), ("month", 1718)] {
        let out = run(&large_scenario(a, step), trials, seed);
        check_binomial_rows(&out.series("host_police"), 200_000.0, a, trials, step);
        check_binomial_rows(&out.series("contributor:A"), 200_000.0, a, trials, step);
    }
}

#[test]
fn merged_shards_of_large_counts_equal_a_single_run_and_old_partials_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let scenario = work.path().join("large.toml");
    std::fs::write(&scenario, large_scenario(0.3, "week")).unwrap();
    let args = ["--trials", "1500", "--seed", "99", "--quiet"];
    let single = work.path().join("single");
    forcegen()
        .arg("run")
        .arg(&scenario)
        .args(args)
        .arg("--out")
        .arg(&single)
        .assert()
        .success();
    let parts: Vec<_> = (1..=2).map(|k| work.path().join(format!("p{k}.part"))).collect();
    for (k, part) in parts.iter().enumerate() {
        let shard = format!("{}/2", k + 1);
        forcegen()
            .arg("run")
            .arg(&scenario)
            .args(args)
            .args(["--shard", &shard, "--partial"])
            .arg(part)
            .assert()
            .success();
    }
    let merged = work.path().join("merged");
    forcegen()
        .arg("merge")
        .args(&parts)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success();
    for file in ["timeseries.csv", "summary.csv"] {
        assert_eq!(
            std::fs::read(single.join(file)).unwrap(),
            std::fs::read(merged.join(file)).unwrap(),
            "{file}: merged shards differ from the single run"
        );
    }
    // A partial of the format before the exact sums (written by hand: the
    // current one, relabelled and without the sums).
    let text = std::fs::read_to_string(&parts[0]).unwrap();
    let format = "\"format\":\"forcegen-partial-5\"";
    assert!(text.contains(format), "the partial's format");
    let start = text.find(",\"large_sums\":").expect("the partial holds the large sums");
    let end = start + text[start..].find("]],\"first_reached\"").expect("the sums end") + 2;
    let old = format!("{}{}", &text[..start], &text[end..]).replace(format, "\"format\":\"forcegen-partial-3\"");
    let old_part = work.path().join("old.part");
    std::fs::write(&old_part, old).unwrap();
    let output = forcegen()
        .arg("merge")
        .arg(&old_part)
        .arg(&parts[1])
        .arg("--out")
        .arg(work.path().join("refused"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("old.part") && stderr.contains("older forcegen") && stderr.contains("run its shard again"),
        "{stderr}"
    );
    assert!(!work.path().join("refused").exists());
}
