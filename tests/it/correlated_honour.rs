//! `[[correlations]]` naming `contributors.NAME.honour` (the yes/no draw
//! that decides whether a pledge is honoured) and
//! `contributors.NAME.withdrawal` (the contingent's Exp(1) withdrawal
//! wait): pledges that fail together, contingents that leave together
//! (docs/MODEL.md §1.7).
//!
//! Closed forms: two yes/no draws of probability 1/2 whose latent normals
//! have Pearson correlation r are both yes with probability
//! 1/4 + asin(r) / (2 pi) (the orthant probability of a bivariate normal),
//! with r = 2 sin(pi rho / 6) for the rank correlation rho asked for. The
//! same holds for two withdrawals each due by day d with probability 1/2.
//! Shares are checked within 4 binomial SEs (`common::check_share`); rank
//! correlations on the Fisher scale, as in `correlations.rs`.

use std::f64::consts::PI;

use crate::cli_support::{entries, forcegen, run_ok, stderr_of, write_file};
use crate::common::{self, SHARE_PRINT, Z, check_share, num};
use forcegen::analysis::sensitivity::{pearson, ranks};
use forcegen::model::{Model, Trial};
use forcegen::scenario::parse_str;

const TRIALS: u64 = 20_000;

/// P(both) for two yes/no draws of probability 1/2 under rank correlation `rho`.
fn both_of_two_halves(rho: f64) -> f64 {
    let r = 2.0 * (PI * rho / 6.0).sin();
    0.25 + r.clamp(-1.0, 1.0).asin() / (2.0 * PI)
}

fn honour_scenario(rho: f64) -> String {
    format!(
        "name = \"honour\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 30\n\
         [population]\ninitial = 1000000\n\
         [[contributors]]\nname = \"A\"\npledged = 100\nprobability = 0.5\n\
         [[contributors]]\nname = \"B\"\npledged = 100\nprobability = 0.5\n\
         [[targets]]\nname = \"both\"\nmetric = \"international\"\nat_least = 200\n\
         [[targets]]\nname = \"A\"\nmetric = \"contributor:A\"\nat_least = 100\n\
         [[correlations]]\ninputs = [\"contributors.A.honour\", \"contributors.B.honour\"]\n\
         rank_correlation = {rho}\n"
    )
}

/// Two pledges of probability 1/2 whose honour draws have rank correlation
/// rho are both honoured with probability 1/4 + asin(r)/(2 pi); each alone
/// keeps its 1/2; a perfect correlation makes them one draw.
#[test]
fn correlated_honour_gives_the_orthant_probability() {
    for (rho, seed) in [(0.6, 1), (-0.5, 2), (0.0, 3), (1.0, 4)] {
        let run = common::run(&honour_scenario(rho), TRIALS, seed);
        let both = num(run.summary_of("both"), "p_reached_by_horizon");
        check_share(
            &format!("both honoured at rank {rho}"),
            both,
            both_of_two_halves(rho),
            TRIALS,
            SHARE_PRINT,
        );
        let alone = num(run.summary_of("A"), "p_reached_by_horizon");
        check_share(&format!("A honoured at rank {rho}"), alone, 0.5, TRIALS, SHARE_PRINT);
        if rho == 1.0 {
            assert_eq!(both, alone, "one draw for both at rank 1");
        }
    }
}

/// The withdrawal rate whose wait ends by day `d` (rounded to the nearest
/// day) with probability 1/2: `lambda (d + 1/2) = ln 2`.
fn half_by(d: f64) -> f64 {
    let lambda = 2f64.ln() / (d + 0.5);
    1.0 - (-365.0 * lambda).exp()
}

fn withdrawal_scenario(rho: f64, horizon: u32, per_year: f64) -> String {
    format!(
        "name = \"withdrawal\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = {horizon}\nstep = \"month\"\n\
         [population]\ninitial = 1000000\n\
         [[contributors]]\nname = \"A\"\ndeployed = 100\nwithdrawal_per_year = {per_year}\n\
         [[contributors]]\nname = \"B\"\ndeployed = 100\nwithdrawal_per_year = {per_year}\n\
         [[correlations]]\ninputs = [\"contributors.A.withdrawal\", \"contributors.B.withdrawal\"]\n\
         rank_correlation = {rho}\n"
    )
}

/// Two contingents each gone by day 365 with probability 1/2, their waits
/// rank-correlated: `international` on day 365 is 0 (both gone) with
/// probability 1/4 + asin(r)/(2 pi), 200 (neither) with the same, and 100
/// with the rest (distribution.csv's shares on the horizon).
#[test]
fn correlated_withdrawals_leave_together_as_the_closed_form_says() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (rho, seed) in [(0.7, "5"), (-0.4, "6")] {
        let path = write_file(dir.path(), "w.toml", &withdrawal_scenario(rho, 365, half_by(365.0)));
        let out = dir.path().join(format!("out{rho}"));
        run_ok(&path, &out, &["--trials", &TRIALS.to_string(), "--seed", seed]);
        let rows = common::read_csv(&out.join("distribution.csv"));
        let share = |value: &str| {
            rows.iter()
                .find(|r| r["metric"] == "international" && r["value"] == value)
                .map_or(0.0, |r| num(r, "share"))
        };
        let both = both_of_two_halves(rho);
        let print = 5e-11;
        check_share(&format!("both gone at rank {rho}"), share("0"), both, TRIALS, print);
        check_share(
            &format!("neither gone at rank {rho}"),
            share("200"),
            both,
            TRIALS,
            print,
        );
        check_share(
            &format!("one gone at rank {rho}"),
            share("100"),
            1.0 - 2.0 * both,
            TRIALS,
            print,
        );
    }
}

/// The withdrawal days the trials use (the sensitivity table's
/// `withdrawal_day` inputs) have the rank correlation asked for: over a
/// horizon of 100 years nobody stays past it, and days of a wait of
/// about 500 days have few ties.
#[test]
fn withdrawal_days_take_the_rank_correlation() {
    for rho in [0.5, -0.7] {
        let scenario = parse_str(&withdrawal_scenario(rho, 36_525, 0.5), "w.toml").expect("valid");
        let model = Model::new(&scenario);
        let table = model.input_table();
        let columns = model.input_columns(&table, 0..TRIALS);
        let column = |path: &str| {
            let at = table.paths.iter().position(|p| p == path).expect("a column");
            &columns[at]
        };
        let (a, b) = (
            column("contributors.A.withdrawal_day"),
            column("contributors.B.withdrawal_day"),
        );
        let r = pearson(&ranks(a), &ranks(b)).expect("both vary");
        let se = ((1.0 + rho * rho / 2.0) / (TRIALS as f64 - 3.0)).sqrt();
        let off = (r.atanh() - f64::atanh(rho)).abs();
        assert!(off < Z * se, "Spearman {r:.4}, asked {rho}: {:.2} SE off", off / se);
    }
}

/// Sensitivity sees the correlated draws: each trial's `probability`
/// input (honoured: 1, not: 0) is what the trial did, and so is its
/// `withdrawal_day`; an uncorrelated contributor keeps its own draws.
#[test]
fn the_input_table_follows_the_correlated_draws() {
    let c = "[[contributors]]\nname = \"C\"\npledged = 100\nprobability = 0.3\n";
    let text = honour_scenario(0.8) + c;
    let scenario = parse_str(&text, "h.toml").expect("valid");
    let model = Model::new(&scenario);
    let table = model.input_table();
    let honoured: Vec<usize> = ["A", "B", "C"]
        .iter()
        .map(|c| {
            let path = format!("contributors.{c}.probability");
            table.paths.iter().position(|p| *p == path).expect("a column")
        })
        .collect();
    let mut trial = Trial::default();
    let mut values = Vec::new();
    for index in 0..2_000 {
        model.run_trial(index, &mut trial);
        model.input_values(&table, index, &mut values);
        for (c, &column) in honoured.iter().enumerate() {
            let arrived = trial.deliveries[c].delivered > 0;
            assert_eq!(values[column] == 1.0, arrived, "trial {index}, contributor {c}");
        }
    }
    // C's honour is its own stream's, as without the correlation.
    let (uncorrelated, _) = text.split_once("[[correlations]]").expect("a correlation");
    let plain = format!("{uncorrelated}{c}");
    let without = Model::new(&parse_str(&plain, "p.toml").expect("valid"));
    let x = without.input_columns(&without.input_table(), 0..2_000);
    let y = model.input_columns(&table, 0..2_000);
    assert_eq!(x[honoured[2]], y[honoured[2]]);
    assert_ne!(x[honoured[0]], y[honoured[0]]);
}

/// `explain` lists the correlation with its sampled rank correlation (of
/// the latent draws: the uniform behind the yes/no, the wait).
#[test]
fn explain_shows_the_sampled_rank_correlation_of_latent_draws() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = honour_scenario(0.6)
        + "[[contributors]]\nname = \"D\"\ndeployed = 5\nwithdrawal_per_year = \"uniform(0.1, 0.3)\"\n\
           [[correlations]]\ninputs = [\"contributors.D.withdrawal\", \"contributors.A.honour\"]\n\
           rank_correlation = -0.3\n";
    let path = write_file(dir.path(), "e.toml", &text);
    let output = forcegen().arg("explain").arg(&path).output().expect("run forcegen");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for (line, rho) in [
        (
            "contributors.A.honour ~ contributors.B.honour: rank correlation +0.600 requested, ",
            0.6f64,
        ),
        (
            "contributors.D.withdrawal ~ contributors.A.honour: rank correlation -0.300 requested, ",
            -0.3,
        ),
    ] {
        let at = stdout.find(line).unwrap_or_else(|| panic!("no {line:?} in:\n{stdout}"));
        let sampled: f64 = stdout[at + line.len()..]
            .split_whitespace()
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no sampled value after {line:?}"));
        let se = ((1.0 + rho * rho / 2.0) / (20_000.0 - 3.0)).sqrt();
        assert!(
            (f64::atanh(sampled) - f64::atanh(rho)).abs() < Z * se,
            "{sampled} for {rho}"
        );
    }
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

/// A draw that cannot vary cannot be correlated: a certain pledge, a pledge
/// of nobody, a contingent that never withdraws or always on day 0; a
/// misspelt path gets a suggestion.
#[test]
fn latent_draws_that_cannot_vary_are_refused() {
    let head = "name = \"bad\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 30\n\
                [population]\ninitial = 1000\n\
                [[contributors]]\nname = \"A\"\npledged = 10\nprobability = 0.5\nwithdrawal_per_year = 0.2\n\
                [[contributors]]\nname = \"Sure\"\npledged = 10\n\
                [[contributors]]\nname = \"Nobody\"\ndeployed = 10\nprobability = 0.5\n\
                [[contributors]]\nname = \"Gone\"\ndeployed = 10\nwithdrawal_per_year = 1\n";
    for (other, needles) in [
        (
            "contributors.Sure.honour",
            vec!["correlations.1.inputs", "is certain here (probability = 1)"],
        ),
        (
            "contributors.Nobody.honour",
            vec!["has no pledge to honour here (pledged = 0)"],
        ),
        (
            "contributors.Sure.withdrawal",
            vec!["never withdraws here (withdrawal_per_year = 0)"],
        ),
        (
            "contributors.Gone.withdrawal",
            vec!["withdraws on day 0 in every trial"],
        ),
        (
            "contributors.A.honor",
            vec!["not an input", "did you mean `contributors.A.honour`"],
        ),
    ] {
        let text = format!(
            "{head}[[correlations]]\ninputs = [\"contributors.A.withdrawal\", \"{other}\"]\nrank_correlation = 0.5\n"
        );
        let message = refused(&text);
        for needle in needles {
            assert!(message.contains(needle), "{other}: missing {needle:?} in: {message}");
        }
    }
}
