//! Value stability (rand_distr's habit): the same seed gives the same numbers
//! in every version of forcegen, so a published result can be reproduced.
//!
//! Pinned here, as literals:
//! - the first values of named random streams (`forcegen::model::stream`):
//!   eight raw `u64`s, the engine's uniforms (`strength::unit`), and the
//!   first draws of every distribution form a scenario may name (`Sampler`,
//!   which rests on rand_distr, whose algorithms may change between releases);
//! - the SHA-256 of each of the five CSV files of the built-in baseline run
//!   with `--trials 2000 --seed 7`, and of the four it writes for its report
//!   (`benchmarks.csv`, `distribution.csv`, `drivers.csv`, `assumptions.csv`).
//!
//! Any change that alters a random draw, or the arithmetic or printing of
//! the results (a dependency update, a new sampling method, a reordered
//! draw), fails a test here. Such a change must be deliberate: bump the
//! version in Cargo.toml, say in the README (or changelog) that results of
//! the same seed change and why, and update the pins in the same commit.
//! A version bump alone changes no pin: `run_info.csv` is hashed with its
//! `forcegen_version` cell (checked separately) replaced by `VERSION`.
//!
//! The hashes were taken on x86_64 Linux. The model's logarithms and
//! exponentials come from the platform's maths library, so another platform
//! could in principle round a last bit differently; the printed values
//! (4 to 6 decimals) hide almost all such differences.

use forcegen::model::strength::unit;
use forcegen::model::{StreamId, stream};
use forcegen::scenario::{Dist, Sampler};
use rand::RngExt;

use crate::cli_support::{FILES, forcegen, sha256_hex};

/// The stream every pin below draws from (a real input of the baseline).
const NAME: &str = "contributors.Kenya.fulfilment";

#[test]
fn first_u64s_of_a_named_stream_are_pinned() {
    let mut rng = stream(7, 0, StreamId::of(NAME));
    let first: [u64; 8] = std::array::from_fn(|_| rng.random());
    assert_eq!(
        first,
        [
            2729121594984782675,
            13093323942102820502,
            16600610639515180262,
            17713318343346665936,
            16541320392291861908,
            1288852014464956173,
            10228020732839088859,
            395410930839590813,
        ]
    );
    // A large trial index and seed: the key mixing, not just its low bits.
    let mut rng = stream(u64::MAX, 1 << 40, StreamId::of(NAME));
    let first: [u64; 2] = std::array::from_fn(|_| rng.random());
    assert_eq!(first, [10851540640217948399, 8941546633056439487]);
}

#[test]
fn first_uniforms_of_a_named_stream_are_pinned() {
    let mut rng = stream(7, 1, StreamId::of(NAME));
    let first: [f64; 4] = std::array::from_fn(|_| unit(&mut rng));
    assert_eq!(
        first,
        [
            0.4536496750661677,
            0.3781016427133107,
            0.9049427319554415,
            0.9728208522690479
        ]
    );
}

#[test]
fn first_draws_of_every_distribution_form_are_pinned() {
    let pinned: [(&str, [f64; 3]); 11] = [
        (
            "uniform(2, 10)",
            [3.1835678249038413, 5.629197400529341, 5.336349604996265],
        ),
        (
            "triangular(14, 45, 180)",
            [41.592209106365445, 69.34869733361843, 65.70192184903452],
        ),
        (
            "pert(10, 20, 60)",
            [15.924565173274178, 23.73967625614462, 22.778667699970413],
        ),
        (
            "normal(0.012, 0.002)",
            [0.009377876852781302, 0.011547115551109518, 0.011830960503048089],
        ),
        (
            "lognormal(3, 0.5)",
            [10.42773635350269, 17.935444377289947, 19.254410006863303],
        ),
        (
            "beta(8, 2)",
            [0.9199794705583794, 0.8173383279414498, 0.8303710790332562],
        ),
        (
            "beta(0.5, 0.5)",
            [0.9869046245683493, 0.4080891775576779, 0.33853212587396403],
        ),
        (
            "gamma(3, 2)",
            [2.0951222069938957, 4.627433490368446, 5.0620279948928015],
        ),
        (
            "gamma(0.5, 2)",
            [0.08384688972454786, 0.350216930220702, 0.06942889684225201],
        ),
        (
            "exponential(60)",
            [20.626905291942645, 101.65006915838212, 6.818994440455124],
        ),
        ("30 to 240", [37.047064691494285, 73.53656841073797, 80.43848796348331]),
    ];
    let mut changed = Vec::new();
    for (text, expected) in pinned {
        let dist = Dist::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let sampler = Sampler::new(&dist).unwrap_or_else(|e| panic!("{text}: {e}"));
        // One stream per trial, first value taken, as the model draws an input.
        let draws: [f64; 3] =
            std::array::from_fn(|trial| sampler.sample(&mut stream(7, trial as u64, StreamId::of(NAME))));
        if draws != expected {
            changed.push(format!("(\"{text}\", {draws:?}),"));
        }
    }
    assert!(changed.is_empty(), "first draws changed:\n{}", changed.join("\n"));
}

#[test]
fn baseline_csv_files_are_pinned() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    forcegen()
        .arg("run")
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--trials", "2000", "--seed", "7", "--threads", "2"])
        .assert()
        .success();
    let pinned = [
        (
            "timeseries.csv",
            "f61c6a094149abaac8b86fec7fd29e8b60d480cdae8bc02e1fc8f41b79f69245",
        ),
        (
            "targets.csv",
            "dacb8a77aadf6427cef45b3ca4d4f37746631927d7533166971b2f520ea49987",
        ),
        (
            "summary.csv",
            "b0d50810615ceb6e3880154a7be5a4dda8eca3374cf2062581df6cb4310a8f6b",
        ),
        (
            "contributors.csv",
            "00ae2db0cf3908be61955dec499208b0ef494ac02c9dcf242810b2fed0f2d986",
        ),
        (
            "run_info.csv",
            "d957e3ef7ca59e43dae1b5f38342e1b7292495943feae580114b34ae88f31344",
        ),
    ];
    assert_eq!(pinned.map(|(file, _)| file), FILES);
    let mut changed = Vec::new();
    for (file, expected) in pinned {
        let path = out.join(file);
        let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if file == "run_info.csv" {
            bytes = without_version(&bytes);
        }
        let got = sha256_hex(&bytes);
        if got != expected {
            changed.push(format!("{file}: {got}"));
        }
    }
    assert!(
        changed.is_empty(),
        "the baseline's results changed (see this file's top comment for what a deliberate change needs):\n{}",
        changed.join("\n")
    );
}

/// The CSV files a run writes for its report (benchmarks, distribution,
/// drivers, assumptions), pinned as the five are: the drivers' quick pass
/// and the assumptions' draws are as reproducible as the results.
#[test]
fn baseline_report_csv_files_are_pinned() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    forcegen()
        .arg("run")
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--trials", "2000", "--seed", "7", "--threads", "2"])
        .assert()
        .success();
    let pinned = [
        (
            "benchmarks.csv",
            "b7acf18b195132b0d0023a4e6826ca1baee459ed02f096e285fbe267f2f8f82b",
        ),
        (
            "distribution.csv",
            "8da678f8033727d55e3b1b2db9f10fca3385d46a9cd48f38ad86baf0a6c78dd3",
        ),
        (
            "drivers.csv",
            "cf7b601bdf6d28babcbccaf8a4eef8c850ce26ea4815785789d17edf56b5d90c",
        ),
        (
            "assumptions.csv",
            "44f21a265014c94aa327386124892c7fa84a7a2da8292e2754bcb8a73d0be894",
        ),
    ];
    assert_eq!(pinned.map(|(file, _)| file), forcegen::output::schema::RUN_EXTRA_FILES);
    let changed: Vec<String> = pinned
        .iter()
        .filter_map(|(file, expected)| {
            let path = out.join(file);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let got = sha256_hex(&bytes);
            (got != *expected).then(|| format!("{file}: {got}"))
        })
        .collect();
    assert!(
        changed.is_empty(),
        "the baseline's report files changed (see this file's top comment):\n{}",
        changed.join("\n")
    );
}

/// `run_info.csv` with its `forcegen_version` cell, which must be this
/// crate's version, replaced by `VERSION`.
fn without_version(bytes: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).expect("run_info.csv is UTF-8");
    let cell = format!(",{},", env!("CARGO_PKG_VERSION"));
    assert_eq!(text.matches(&cell).count(), 1, "one forcegen_version cell in:\n{text}");
    text.replacen(&cell, ",VERSION,", 1).into_bytes()
}
