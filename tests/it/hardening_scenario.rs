//! Scenarios that once took minutes or gigabytes to read, or could make a
//! head count wrap silently: each is refused at validation with exit code
//! 2 and a message naming the file, line, field and the limit.

use std::path::Path;

use crate::cli_support::{forcegen, write_file};
use forcegen::scenario::{MAX_CORRELATED_INPUTS, MAX_CORRELATIONS, MAX_HEAD_COUNT, MAX_SHOWN_PROBLEMS};

const HEAD: &str = "name = \"hardening\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 365\n\
                    [population]\ninitial = 1000000\n";

/// Runs `forcegen validate` on `text`; returns (exit code, stderr).
fn validate(dir: &Path, text: &str) -> (i32, String) {
    let path = write_file(dir, "hard.toml", text);
    let output = forcegen().arg("validate").arg(&path).output().expect("run forcegen");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Refused with exit code 2, naming the field and each of `needles`.
fn assert_refused(text: &str, field: &str, needles: &[&str]) {
    let work = tempfile::tempdir().unwrap();
    let (code, stderr) = validate(work.path(), text);
    assert_eq!(code, 2, "stderr: {stderr}");
    assert!(stderr.contains("hard.toml:"), "{stderr}");
    assert!(
        stderr.contains(&format!("field `{field}`")),
        "no field `{field}` in: {stderr}"
    );
    for needle in needles {
        assert!(stderr.contains(needle), "no \"{needle}\" in: {stderr}");
    }
}

/// `count` contributors `C0`... whose fulfilment is uncertain.
fn contributors(count: usize) -> String {
    (0..count)
        .map(|c| format!("[[contributors]]\nname = \"C{c}\"\nfulfilment = \"uniform(0, 1)\"\n"))
        .collect()
}

fn correlation(a: usize, b: usize, rank: f64) -> String {
    format!(
        "[[correlations]]\ninputs = [\"contributors.C{a}.fulfilment\", \"contributors.C{b}.fulfilment\"]\n\
         rank_correlation = {rank}\n"
    )
}

#[test]
fn forty_thousand_chained_correlations_are_refused() {
    let n = 40_000;
    let mut text = HEAD.replace("horizon_days = 365", "horizon_days = 1");
    text += &contributors(n + 1);
    for c in 0..n {
        text += &correlation(c, c + 1, 0.3);
    }
    assert!(
        text.len() > 5_000_000 && text.len() < 10 * 1024 * 1024,
        "{}",
        text.len()
    );
    assert_refused(&text, "correlations", &["too many [[correlations]]", "40,000", "1,000"]);
    assert_eq!(MAX_CORRELATIONS, 1_000);
}

#[test]
fn one_impossible_triple_among_the_most_inputs_is_named() {
    // A chain of mild correlations, then three inputs of their own whose
    // correlations contradict each other: 200 inputs in all.
    let n = MAX_CORRELATED_INPUTS;
    let mut text = HEAD.to_string() + &contributors(n);
    for c in 0..n - 4 {
        text += &correlation(c, c + 1, 0.3);
    }
    let (a, b, c) = (n - 3, n - 2, n - 1);
    text += &correlation(a, b, 0.9);
    text += &correlation(b, c, 0.9);
    text += &correlation(a, c, -0.9);
    let triple = format!("contributors.C{a}.fulfilment, contributors.C{b}.fulfilment, contributors.C{c}.fulfilment");
    let field = format!("correlations.{}.rank_correlation", n - 4 + 3);
    assert_refused(&text, &field, &["impossible together", &triple]);
}

#[test]
fn too_many_correlated_inputs_are_refused() {
    let n = MAX_CORRELATED_INPUTS + 1;
    let mut text = HEAD.to_string() + &contributors(n);
    for c in 0..n - 1 {
        text += &correlation(c, c + 1, 0.3);
    }
    let field = format!("correlations.{}.inputs", n - 1);
    assert_refused(&text, &field, &["too many correlated inputs", "201", "limit of 200"]);
}

#[test]
fn host_police_that_could_pass_two_to_the_32_are_refused() {
    // The case: 100 million host police and a daily class of 100 million.
    let text = HEAD.to_string()
        + "[host_police]\ninitial = 100000000\n\
           [[host_police.intakes]]\nfirst_day = 0\nevery_days = 1\nsize = 100000000\n";
    assert_refused(
        &text,
        "host_police.intakes.1.size",
        &["head counts could pass", "36,700,000,000", "4,294,967,296"],
    );
    // The largest draw counts, not the typical one: a class of normal(10, 1)
    // may draw up to 100,000,000.
    let text = HEAD.to_string()
        + "[host_police]\ninitial = 10\n\
           [[host_police.intakes]]\nfirst_day = 0\nevery_days = 7\nsize = \"normal(10, 1)\"\n";
    assert_refused(&text, "host_police.intakes.1.size", &["5,300,000,010"]);
    // Classes that never graduate, or fall after the horizon, add nobody.
    let work = tempfile::tempdir().unwrap();
    let text = HEAD.to_string()
        + "[host_police]\ninitial = 100000000\n\
           [[host_police.intakes]]\nfirst_day = 0\nevery_days = 1\nsize = 100000000\nprobability = 0\n\
           [[host_police.intakes]]\nday = 366\nsize = 100000000\n\
           [[host_police.intakes]]\nfirst_day = 0\nevery_days = 10\nsize = \"uniform(0, 100000)\"\n";
    let (code, stderr) = validate(work.path(), &text);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn contingents_and_their_sum_with_the_host_police_stay_below_two_to_the_32() {
    let pledges = |count: usize| -> String {
        (0..count)
            .map(|c| format!("[[contributors]]\nname = \"P{c}\"\npledged = 100000000\n"))
            .collect()
    };
    let work = tempfile::tempdir().unwrap();
    // 42 pledges of 100 million: 4.2 billion, just below 2^32.
    let (code, stderr) = validate(work.path(), &(HEAD.to_string() + &pledges(42)));
    assert_eq!(code, 0, "{stderr}");
    assert_refused(
        &(HEAD.to_string() + &pledges(43)),
        "contributors.P42.pledged",
        &["head counts could pass", "4,300,000,000"],
    );
    // With 100 million host police, the 42nd pledge takes the security forces past.
    let text = HEAD.to_string() + "[host_police]\ninitial = 100000000\n" + &pledges(42);
    assert_refused(
        &text,
        "contributors.P41.pledged",
        &["4,200,000,000", "security forces 4,300,000,000"],
    );
    assert_eq!(MAX_HEAD_COUNT, u64::from(u32::MAX));
}

#[test]
fn many_unknown_inputs_in_a_large_scenario_are_reported_quickly() {
    // 20,000 uncertain inputs and 1,000 correlations of unknown ones: each
    // message lists 40 of the inputs, not all of them.
    let mut text = HEAD.to_string() + &contributors(20_000);
    for c in 0..MAX_CORRELATIONS {
        text += &format!("[[correlations]]\ninputs = [\"x{c}\", \"y{c}\"]\nrank_correlation = 0\n");
    }
    let work = tempfile::tempdir().unwrap();
    let (code, stderr) = validate(work.path(), &text);
    assert_eq!(code, 2, "{}", &stderr[..stderr.len().min(2000)]);
    // The terminal gets the first MAX_SHOWN_PROBLEMS, then how many more.
    let error = forcegen::scenario::parse_str(&text, "hard.toml").expect_err("refused");
    let shown = stderr.matches("is not an input of this scenario").count();
    assert!(
        (MAX_SHOWN_PROBLEMS / 2..=MAX_SHOWN_PROBLEMS).contains(&shown),
        "{stderr}"
    );
    assert_eq!(stderr.matches("and 19960 more").count(), shown);
    let more = error.problems.len() - MAX_SHOWN_PROBLEMS;
    assert!(
        stderr.contains(&format!("\n... and {more} more problems\n")),
        "{stderr}"
    );
    assert!(stderr.len() < 100_000, "{}", stderr.len());
    // The error itself holds every problem.
    let unknown = error
        .problems
        .iter()
        .filter(|p| p.message.contains("is not an input of this scenario"));
    assert_eq!(unknown.count(), 2 * MAX_CORRELATIONS);
}
