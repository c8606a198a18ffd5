//! `[[correlations]]`: the Gaussian copula gives the requested Spearman rank
//! correlation, keeps every input's own distribution, shows in the outputs,
//! and an impossible set of correlations is an error naming the inputs.
//!
//! Tolerances: a sample Spearman correlation r of n pairs is compared on the
//! Fisher scale, where atanh(r) has standard error sqrt((1 + rho^2 / 2) / (n - 3))
//! (Bonett and Wright 2000); the check is 4 of those (see `common::Z`).

use crate::cli_support::{entries, forcegen, stderr_of, write_file};
use crate::common::{self, Z, check_mean, check_sd, check_share, num};
use forcegen::analysis::sensitivity::{pearson, ranks};
use forcegen::model::Model;
use forcegen::scenario::parse_str;

const HEAD: &str = "name = \"copula\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n\
                    [population]\ninitial = 1000000\n";

fn contributors(specs: &[(&str, &str)]) -> String {
    specs
        .iter()
        .map(|(name, fulfilment)| {
            format!("[[contributors]]\nname = \"{name}\"\npledged = 1000\nfulfilment = \"{fulfilment}\"\n")
        })
        .collect()
}

fn correlation(a: &str, b: &str, rank: f64) -> String {
    format!(
        "[[correlations]]\ninputs = [\"contributors.{a}.fulfilment\", \"contributors.{b}.fulfilment\"]\nrank_correlation = {rank}\n"
    )
}

/// Each trial's fulfilment of the contributors, drawn through the model.
fn draws(text: &str, trials: u64) -> Vec<Vec<f64>> {
    let scenario = parse_str(text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    let model = Model::new(&scenario);
    model.input_columns(&model.input_table(), 0..trials)
}

fn check_spearman(what: &str, x: &[f64], y: &[f64], rho: f64) {
    let r = pearson(&ranks(x), &ranks(y)).expect("both vary");
    let n = x.len() as f64;
    let se = ((1.0 + rho * rho / 2.0) / (n - 3.0)).sqrt();
    let off = (r.atanh() - rho.atanh()).abs();
    assert!(
        off < Z * se,
        "{what}: Spearman {r:.4}, requested {rho}, {:.2} SE off",
        off / se
    );
}

#[test]
fn sampled_rank_correlations_match_the_requested_ones() {
    let mut text = HEAD.to_string();
    text += &contributors(&[
        ("A", "beta(2, 5)"),
        ("B", "uniform(0.2, 0.9)"),
        ("C", "triangular(0, 0.3, 1)"),
        ("D", "pert(0.1, 0.8, 1)"),
    ]);
    text += &correlation("A", "B", 0.6);
    text += &correlation("A", "C", -0.4);
    text += &correlation("B", "D", 0.5);
    let n = 20_000;
    let x = draws(&text, n);
    check_spearman("A-B", &x[0], &x[1], 0.6);
    check_spearman("A-C", &x[0], &x[2], -0.4);
    check_spearman("B-D", &x[1], &x[3], 0.5);
    // Pairs not listed are independent (rank 0): A-D here.
    check_spearman("A-D (not listed)", &x[0], &x[3], 0.0);
    let mut free = HEAD.to_string();
    free += &contributors(&[("A", "beta(2, 5)"), ("B", "uniform(0, 1)"), ("E", "uniform(0, 1)")]);
    free += &correlation("A", "B", 0.5);
    let y = draws(&free, n);
    check_spearman("A-E (none asked)", &y[0], &y[2], 0.0);
    check_spearman("A-B", &y[0], &y[1], 0.5);
}

#[test]
fn each_input_keeps_its_own_distribution() {
    let mut text = HEAD.to_string();
    text += &contributors(&[("A", "beta(2, 5)"), ("B", "uniform(0.2, 0.9)")]);
    text += &correlation("A", "B", 0.7);
    let n = 20_000u64;
    let x = draws(&text, n);
    // beta(2, 5): mean 2/7, variance 10/392.
    let a_sd = (10.0f64 / 392.0).sqrt();
    let mean_a = x[0].iter().sum::<f64>() / n as f64;
    check_mean("beta(2, 5) mean", mean_a, 2.0 / 7.0, a_sd, n, 0.0);
    // uniform(0.2, 0.9): share below 0.3 is 1/7; mean 0.55.
    let below = x[1].iter().filter(|v| **v < 0.3).count() as f64 / n as f64;
    check_share("uniform share below 0.3", below, 1.0 / 7.0, n, 0.0);
    let mean_b = x[1].iter().sum::<f64>() / n as f64;
    check_mean("uniform mean", mean_b, 0.55, 0.7 / 12f64.sqrt(), n, 0.0);
}

/// Two contributors of 1,000 whose fulfilment is uniform(0, 1) and arrive on
/// day 0: international = round(1000 U_A) + round(1000 U_B). With rank
/// correlation 1 the two move together (sd twice one's); with -1 they
/// cancel (U_B = 1 - U_A, total 1,000 up to rounding).
#[test]
fn correlation_shows_in_the_spread_of_the_total() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let n = 20_000u64;
    let one_sd = 1000.0 / 12f64.sqrt();
    for (rank, exact_sd, mu4) in [
        // 2 round(1000 U): sd 2 * 1000/sqrt(12); 4th moment 16 * 1000^4 / 80.
        (1.0, 2.0 * one_sd, 16.0 * 1e12 / 80.0),
        // Independent: variance 2 * 1000^2 / 12; 4th moment of a sum of two
        // independent centred uniforms: 2 mu4 + 6 sigma^4.
        (0.0, 2f64.sqrt() * one_sd, 2.0 * 1e12 / 80.0 + 6.0 * one_sd.powi(4)),
    ] {
        let mut text = HEAD.to_string();
        text += &contributors(&[("A", "uniform(0, 1)"), ("B", "uniform(0, 1)")]);
        text += &correlation("A", "B", rank);
        let path = write_file(dir.path(), "s.toml", &text);
        let out = dir.path().join(format!("out{rank}"));
        forcegen()
            .arg("run")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .args(["--trials", &n.to_string(), "-q"])
            .assert()
            .success();
        let rows = common::read_csv(&out.join("timeseries.csv"));
        let row = rows
            .iter()
            .find(|r| r["metric"] == "international" && r["day"] == "30")
            .expect("horizon row");
        // Rounding each term to a whole person adds at most 1/12 + 1/12 to
        // the variance: well inside the tolerance at this scale.
        check_sd(&format!("sd at rank {rank}"), num(row, "sd"), exact_sd, mu4, n, 0.5);
        check_mean(
            &format!("mean at rank {rank}"),
            num(row, "mean"),
            1000.0,
            exact_sd,
            n,
            1e-4,
        );
    }
    let mut text = HEAD.to_string();
    text += &contributors(&[("A", "uniform(0, 1)"), ("B", "uniform(0, 1)")]);
    text += &correlation("A", "B", -1.0);
    let path = write_file(dir.path(), "s.toml", &text);
    let out = dir.path().join("out-minus");
    forcegen()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .args(["--trials", "2000", "-q"])
        .assert()
        .success();
    let rows = common::read_csv(&out.join("timeseries.csv"));
    let row = rows
        .iter()
        .find(|r| r["metric"] == "international" && r["day"] == "30")
        .expect("horizon row");
    assert!(
        num(row, "sd") < 1.0,
        "perfectly opposed fulfilments must cancel: {row:?}"
    );
}

fn refused(text: &str) -> String {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = write_file(dir.path(), "bad.toml", text);
    let out = dir.path().join("out");
    let output = forcegen()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .output()
        .expect("run forcegen");
    assert_eq!(output.status.code(), Some(2), "must be refused: {}", stderr_of(&output));
    assert!(!out.exists() || entries(&out).is_empty(), "nothing may be written");
    stderr_of(&output)
}

#[test]
fn an_impossible_matrix_is_an_error_naming_the_inputs() {
    let mut text = HEAD.to_string();
    text += &contributors(&[("A", "uniform(0, 1)"), ("B", "uniform(0, 1)"), ("C", "uniform(0, 1)")]);
    text += &correlation("A", "B", 0.9);
    text += &correlation("B", "C", 0.9);
    text += &correlation("A", "C", -0.9);
    let message = refused(&text);
    for needle in [
        "bad.toml:",
        "correlations.3.rank_correlation",
        "impossible",
        "pairs not listed",
        "contributors.A.fulfilment, contributors.B.fulfilment, contributors.C.fulfilment",
    ] {
        assert!(message.contains(needle), "missing {needle:?} in: {message}");
    }
}

#[test]
fn bad_correlation_entries_say_what_is_allowed() {
    let base = HEAD.to_string()
        + &contributors(&[("Kenya", "uniform(0, 1)"), ("B", "uniform(0, 1)")])
        + "[[contributors]]\nname = \"W\"\npledged = 10\nwaves = 2\nwave_interval_days = \"uniform(1, 5)\"\n";
    for (entry, needles) in [
        (
            "inputs = [\"contributors.Kenia.fulfilment\", \"contributors.B.fulfilment\"]\nrank_correlation = 0.5",
            vec!["not an input", "did you mean `contributors.Kenya.fulfilment`"],
        ),
        (
            "inputs = [\"contributors.W.wave_interval_days\", \"contributors.B.fulfilment\"]\nrank_correlation = 0.5",
            vec!["drawn anew for every class or wave gap"],
        ),
        (
            "inputs = [\"contributors.W.fulfilment\", \"contributors.B.fulfilment\"]\nrank_correlation = 0.5",
            vec!["is a constant here"],
        ),
        (
            "inputs = [\"contributors.Kenya.fulfilment\", \"contributors.B.fulfilment\"]\nrank_correlation = 1.5",
            vec!["correlations.1.rank_correlation", "from -1 to 1"],
        ),
        (
            "inputs = [\"contributors.B.fulfilment\", \"contributors.B.fulfilment\"]\nrank_correlation = 0.5",
            vec!["twice"],
        ),
        (
            "inputs = [\"contributors.B.fulfilment\"]\nrank_correlation = 0.5",
            vec!["array of two input paths"],
        ),
        (
            "inputs = [\"contributors.B.fulfilment\", \"contributors.Kenya.fulfilment\"]",
            vec!["is required"],
        ),
        (
            "inputs = [\"contributors.B.fulfilment\", \"contributors.Kenya.fulfilment\"]\nrank = 0.5",
            vec!["unknown key `rank`"],
        ),
    ] {
        let message = refused(&format!("{base}[[correlations]]\n{entry}\n"));
        for needle in needles {
            assert!(message.contains(needle), "{entry}: missing {needle:?} in: {message}");
        }
    }
}

#[test]
fn a_scenario_without_correlations_is_unchanged_by_the_copula() {
    // The copula only touches inputs it names: adding a correlation between
    // A and B leaves C's draws exactly as they were.
    let plain =
        HEAD.to_string() + &contributors(&[("A", "uniform(0, 1)"), ("B", "uniform(0, 1)"), ("C", "beta(2, 2)")]);
    let correlated = plain.clone() + &correlation("A", "B", 0.5);
    let (x, y) = (draws(&plain, 500), draws(&correlated, 500));
    assert_eq!(x[2], y[2]);
    assert_ne!(x[1], y[1]);
}

/// A one-off academy class (a single `day`) is drawn once per trial, so its
/// size can be correlated; a recurring series cannot.
#[test]
fn a_one_off_class_size_can_be_correlated() {
    let text = HEAD.to_string()
        + "[host_police]\ninitial = 1000\n[[host_police.intakes]]\nday = 10\nsize = \"uniform(100, 900)\"\n"
        + "[[host_police.intakes]]\nfirst_day = 5\nevery_days = 10\nsize = \"uniform(1, 9)\"\n"
        + &contributors(&[("A", "beta(2, 2)")])
        + "[[correlations]]\ninputs = [\"host_police.intakes.1.size\", \"contributors.A.fulfilment\"]\n\
           rank_correlation = -0.6\n";
    let x = draws(&text, 20_000);
    // Inputs in scenario order: intake 1 size, intake 2 size, A's fulfilment.
    check_spearman("class size - fulfilment", &x[0], &x[2], -0.6);
    let recurring = text.replace("host_police.intakes.1.size", "host_police.intakes.2.size");
    let message = refused(&recurring);
    assert!(message.contains("drawn anew for every class or wave gap"), "{message}");
}
