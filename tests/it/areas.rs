//! `[[areas]]` and a contributor's `areas = { AREA = SHARE }`: the ratios
//! `police_per_100k:AREA` and `security_per_1000:AREA` (docs/MODEL.md §3.1).
//!
//! Closed forms: with constant head counts an area's ratio is computed by
//! hand; with `population_share = uniform(a, b)` (and everything else
//! fixed) its mean is `count * scale / population * E[1/S]`, `E[1/S] =
//! ln(b/a) / (b - a)`, checked within 4 Monte Carlo SEs from the exact sd
//! (`common::check_mean`).

use crate::cli_support::{forcegen, run_ok, stderr_of, write_file};
use crate::common::{self, MEAN_PRINT, SHARE_PRINT, check_mean, check_share, num};
use forcegen::model::Model;
use forcegen::scenario::parse_str;

/// 2,000 host police, 400 police of K (3/4 of them in the capital) and
/// 100 soldiers of M (half there), 1,000,000 people; the capital has
/// `population_share` of the people and `host` of the host police.
fn scenario(population_share: &str, host: &str, extra: &str) -> String {
    format!(
        "name = \"areas\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 60\nstep = \"month\"\n\
         [population]\ninitial = 1000000\n[host_police]\ninitial = 2000\n\
         [[contributors]]\nname = \"K\"\ndeployed = 400\nareas = {{ \"Port-au-Prince\" = 0.75 }}\n\
         [[contributors]]\nname = \"M\"\ndeployed = 100\nkind = \"military\"\nareas = {{ \"Port-au-Prince\" = 0.5 }}\n\
         [[areas]]\nname = \"Port-au-Prince\"\npopulation_share = {population_share}\nhost_police_share = {host}\n\
         {extra}"
    )
}

const POLICE: &str = "police_per_100k:Port-au-Prince";
const SECURITY: &str = "security_per_1000:Port-au-Prince";

/// By hand: police (0.4 * 2,000 + 0.75 * 400) * 100,000 / (0.25 *
/// 1,000,000) = 440; security (800 + 300 + 0.5 * 100) * 1,000 / 250,000 =
/// 4.6, on every report day; a target at 440 is met on day 0, one just
/// above never; the national ratios are unchanged by areas.
#[test]
fn a_deterministic_areas_ratios_are_computed_by_hand() {
    let targets = format!(
        "[[targets]]\nname = \"at\"\nmetric = \"{POLICE}\"\nat_least = 440\n\
         [[targets]]\nname = \"above\"\nmetric = \"{SECURITY}\"\nat_least = 4.6001\n\
         [[benchmarks]]\nname = \"B\"\nmetric = \"{POLICE}\"\nvalue = 300\nsource = \"a source\"\n"
    );
    let run = common::run(&scenario("0.25", "0.4", &targets), 200, 1);
    for (metric, exact) in [(POLICE, 440.0), (SECURITY, 4.6), ("police_per_100k", 240.0)] {
        let rows = run.series(metric);
        assert!(rows.len() >= 3, "{metric}: a row per report day");
        for row in rows {
            assert_eq!(num(row, "mean"), exact, "{metric}");
            assert_eq!(num(row, "sd"), 0.0, "{metric}");
            // Percentiles are value bins' midpoints: within 2^-11 (MODEL.md §4.2).
            assert!((num(row, "p50") / exact - 1.0).abs() <= 2f64.powi(-11), "{metric}");
        }
    }
    assert_eq!(num(run.summary_of("at"), "p_reached_by_horizon"), 1.0);
    assert_eq!(num(run.summary_of("above"), "p_reached_by_horizon"), 0.0);
    // The areas' rows come last, police then security.
    let metrics: Vec<&str> = run
        .timeseries
        .iter()
        .filter(|r| r["day"] == "0")
        .map(|r| r["metric"].as_str())
        .collect();
    assert_eq!(metrics[metrics.len() - 2..], [POLICE, SECURITY]);
}

/// With `population_share = uniform(0.2, 0.3)` the capital's police ratio
/// is 1,100 * 0.1 / S per 100,000: mean 110 ln(1.5) / 0.1, sd from
/// E[1/S^2] = 1 / (a b); its security ratio 1.15 / S likewise. An
/// uncertain host share (mean 0.4, independent) leaves the mean as it is.
#[test]
fn an_uncertain_population_share_gives_the_mean_ratio() {
    let trials = 20_000;
    let (a, b) = (0.2f64, 0.3f64);
    let inverse = (b / a).ln() / (b - a);
    let inverse_sd = (1.0 / (a * b) - inverse * inverse).sqrt();
    let run = common::run(&scenario("\"uniform(0.2, 0.3)\"", "0.4", ""), trials, 7);
    for (metric, count) in [(POLICE, 110.0), (SECURITY, 1.15)] {
        let row = run.series(metric)[1];
        check_mean(
            metric,
            num(row, "mean"),
            count * inverse,
            count * inverse_sd,
            trials,
            MEAN_PRINT,
        );
    }
    // An uncertain host share: police 0.1 * (2,000 H + 300) / S with H ~
    // uniform(0.3, 0.5) independent of S: mean 0.1 * 1,100 * E[1/S].
    let run = common::run(
        &scenario("\"uniform(0.2, 0.3)\"", "\"uniform(0.3, 0.5)\"", ""),
        trials,
        8,
    );
    let (eh, eh2) = (0.4, (0.5f64.powi(3) - 0.3f64.powi(3)) / (3.0 * 0.2));
    let second = 0.01 * (4e6 * eh2 + 2.0 * 2000.0 * 300.0 * eh + 300.0 * 300.0) / (a * b);
    let mean = 110.0 * inverse;
    check_mean(
        POLICE,
        num(run.at(POLICE, 60), "mean"),
        mean,
        (second - mean * mean).sqrt(),
        trials,
        MEAN_PRINT,
    );
}

/// A target on an area's ratio with an uncertain share S ~ uniform(0.2,
/// 0.3): 110 / S before L's 100 police arrive on day 10 (all of them in
/// the capital), 120 / S after. It is met by day 0 when 110 / S >= 500
/// (S <= 0.22: probability 0.2) and by the horizon when S <= 0.24 (0.4);
/// day 10 is evaluated for the target but is no report day, so the
/// recorded ratios are picked out of more evaluated days.
#[test]
fn a_target_on_an_areas_ratio_follows_its_share() {
    let trials = 20_000;
    let extra = format!(
        "[[contributors]]\nname = \"L\"\npledged = 100\nfirst_arrival_days = 10\nareas = {{ \"Port-au-Prince\" = 1 }}\n\
         [[targets]]\nname = \"pap\"\nmetric = \"{POLICE}\"\nat_least = 500\n"
    );
    let run = common::run(&scenario("\"uniform(0.2, 0.3)\"", "0.4", &extra), trials, 9);
    let by_day_zero = num(run.target("pap")[0], "p_reached");
    check_share("S <= 0.22", by_day_zero, 0.2, trials, SHARE_PRINT);
    let reached = num(run.summary_of("pap"), "p_reached_by_horizon");
    check_share("S <= 0.24", reached, 0.4, trials, SHARE_PRINT);
    let (a, b) = (0.2f64, 0.3f64);
    let inverse = (b / a).ln() / (b - a);
    let sd = 120.0 * (1.0 / (a * b) - inverse * inverse).sqrt();
    check_mean(
        "after day 10",
        num(run.at(POLICE, 60), "mean"),
        120.0 * inverse,
        sd,
        trials,
        MEAN_PRINT,
    );
}

/// The shares are inputs: explain and assumptions.csv list them, `--set`
/// fixes them, and sensitivity's input table has a column for each.
#[test]
fn area_shares_are_inputs_everywhere() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = scenario("\"uniform(0.2, 0.3)\"", "\"beta(4, 6)\"", "");
    let path = write_file(dir.path(), "a.toml", &text);
    let output = forcegen().arg("explain").arg(&path).output().expect("run forcegen");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for path in [
        "areas.Port-au-Prince.population_share",
        "areas.Port-au-Prince.host_police_share",
    ] {
        assert!(stdout.contains(path), "explain lacks {path}:\n{stdout}");
    }
    let out = dir.path().join("out");
    run_ok(
        &path,
        &out,
        &[
            "--trials",
            "50",
            "--set",
            "areas.Port-au-Prince.population_share=0.25",
            "--set",
            "areas.Port-au-Prince.host_police_share=0.4",
        ],
    );
    let rows = common::read_csv(&out.join("timeseries.csv"));
    let row = rows.iter().find(|r| r["metric"] == POLICE).expect("a row");
    assert_eq!(num(row, "mean"), 440.0, "the --set values are used");

    let out = dir.path().join("report");
    run_ok(&path, &out, &["--trials", "50"]);
    let assumptions = std::fs::read_to_string(out.join("assumptions.csv")).expect("assumptions.csv");
    assert!(
        assumptions.contains("input,areas.Port-au-Prince.population_share,\"uniform(0.2, 0.3)\",fraction,"),
        "{assumptions}"
    );
    assert!(assumptions.contains("input,areas.Port-au-Prince.host_police_share,\"beta(4, 6)\",fraction,"));

    let model = Model::new(&parse_str(&text, "a.toml").expect("valid"));
    let table = model.input_table();
    let columns = model.input_columns(&table, 0..1_000);
    let at = |p: &str| table.paths.iter().position(|q| q == p).expect("a column");
    let shares = &columns[at("areas.Port-au-Prince.population_share")];
    assert!(shares.iter().all(|s| (0.2..=0.3).contains(s)));
}
