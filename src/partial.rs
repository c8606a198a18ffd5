//! Partial results of a sharded run: the aggregates of one shard's trials
//! plus everything needed to check and finish the merge (the scenario text,
//! its hash, seed, total trials, shard numbers and program version).
//! Merging integer aggregates is exact, so the merged CSV files are
//! byte-identical to a single run.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Aggregates;
use crate::output::sha256_hex;
use crate::scenario::{self, Scenario};

const FORMAT: &str = "forcegen-partial-3";
/// How every partial file starts (the format field comes first).
pub const HEADER_START: &str = "{\"format\":\"forcegen-partial";
/// Most shards a run may be split into.
pub const MAX_SHARDS: u64 = 1_000_000;
/// Shard K of N (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with 1 <= K <= N <= [`MAX_SHARDS`].
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard must look like K/N with 1 <= K <= N <= {MAX_SHARDS} (e.g. 3/8), got \"{text}\"");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        let shard = Shard { index, count };
        if !shard.is_valid() {
            return Err(bad());
        }
        Ok(shard)
    }

    /// 1 <= K <= N <= [`MAX_SHARDS`].
    pub fn is_valid(self) -> bool {
        (1..=self.count).contains(&self.index) && self.count <= MAX_SHARDS
    }

    /// The trial numbers of this shard out of `total`: contiguous, and
    /// together the shards cover `0..total` exactly once.
    pub fn trials(self, total: u64) -> Range<u64> {
        let bound = |k: u64| (u128::from(total) * u128::from(k) / u128::from(self.count)) as u64;
        bound(self.index - 1)..bound(self.index)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partial {
    format: String,
    forcegen_version: String,
    scenario_file: String,
    /// Output folder name a merge uses by default.
    out_stem: Option<String>,
    scenario_source: String,
    scenario_sha256: String,
    /// The `--set` overrides already applied to `scenario_source` (for `run_info.csv`).
    #[serde(default)]
    overrides: Vec<String>,
    seed: u64,
    total_trials: u64,
    shard: Shard,
    pub aggregates: Aggregates,
}

impl Partial {
    pub fn new(scenario: &Scenario, out_stem: Option<String>, shard: Shard, aggregates: Aggregates) -> Partial {
        Partial {
            format: FORMAT.to_string(),
            forcegen_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario_file: scenario.file.clone(),
            out_stem,
            scenario_source: scenario.source.clone(),
            scenario_sha256: sha256_hex(&scenario.source),
            overrides: scenario.overrides.clone(),
            seed: scenario.simulation.seed,
            total_trials: scenario.simulation.trials,
            shard,
            aggregates,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    #[error("cannot write the partial result {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read the partial result {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a forcegen partial result ({detail})")]
    Format { path: PathBuf, detail: String },
    #[error("cannot merge {path}: {detail}")]
    Mismatch { path: PathBuf, detail: String },
    #[error("cannot merge: {0}")]
    Incomplete(String),
    #[error("{0}")]
    Scenario(#[from] scenario::ScenarioError),
}

impl PartialError {
    /// True for a damaged or mismatched partial (the user's input), false
    /// for a failure to write.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, PartialError::Write { .. })
    }
}

/// The folder name a merge writes to by default, from a partial's
/// `out_stem`: only letters, digits, `-`, `_` and `.` (not leading), at
/// most 100 characters, so that a damaged or hostile partial cannot choose
/// a path outside `output/`; `merged` when nothing is left.
pub fn safe_stem(stem: Option<&str>) -> String {
    let kept: String = stem
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(100)
        .collect();
    let kept = kept.trim_start_matches('.');
    if kept.is_empty() {
        "merged".to_string()
    } else {
        kept.to_string()
    }
}

/// Fails early if the partial's folder does not exist.
pub fn check_writable(path: &Path) -> Result<(), PartialError> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if parent.is_dir() {
        Ok(())
    } else {
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, "its folder does not exist");
        Err(PartialError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Writes a partial atomically (a temporary file beside it, then a rename),
/// or through an existing device or pipe.
pub fn write(path: &Path, partial: &Partial) -> Result<(), PartialError> {
    let err = |source| PartialError::Write {
        path: path.to_path_buf(),
        source,
    };
    let bytes = serde_json::to_vec(partial).map_err(|e| err(std::io::Error::other(e)))?;
    crate::output::folder::write_file(path, &bytes).map_err(|e| err(std::io::Error::other(e)))
}

fn read(path: &Path) -> Result<Partial, PartialError> {
    let bytes = std::fs::read(path).map_err(|source| PartialError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |detail: String| PartialError::Format {
        path: path.to_path_buf(),
        detail,
    };
    let partial: Partial = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if partial.format != FORMAT {
        return Err(bad(format!("format \"{}\", expected \"{FORMAT}\"", partial.format)));
    }
    check_histograms(&partial).map_err(|d| bad(format!("damaged: {d}")))?;
    if !partial.shard.is_valid() {
        let detail = format!(
            "damaged: shard {}/{} is not K/N with 1 <= K <= N <= {MAX_SHARDS}",
            partial.shard.index, partial.shard.count
        );
        return Err(bad(detail));
    }
    if partial.total_trials == 0 || partial.total_trials > scenario::MAX_TRIALS {
        return Err(bad(format!("damaged: {} total trials", partial.total_trials)));
    }
    let expected = partial.shard.trials(partial.total_trials);
    if partial.aggregates.trials != expected.end - expected.start {
        let detail = format!(
            "damaged: it holds {} trials, but shard {}/{} of {} trials has {}",
            partial.aggregates.trials,
            partial.shard.index,
            partial.shard.count,
            partial.total_trials,
            expected.end - expected.start
        );
        return Err(bad(detail));
    }
    if sha256_hex(&partial.scenario_source) != partial.scenario_sha256 {
        return Err(bad(
            "damaged: its scenario text does not match its scenario_sha256".to_string()
        ));
    }
    Ok(partial)
}

/// Checks every histogram in a partial, which the merge relies on.
fn check_histograms(partial: &Partial) -> Result<(), String> {
    for (m, histogram) in partial.aggregates.metrics.iter().enumerate() {
        histogram
            .check(partial.aggregates.trials)
            .map_err(|e| format!("metric {m}: {e}"))?;
    }
    Ok(())
}

/// Checks that a partial's aggregates have the shape of this scenario's
/// (as a run of it would make them), so that merging cannot go out of bounds.
fn check_shape(path: &Path, aggregates: &Aggregates, model: &crate::model::Model) -> Result<(), PartialError> {
    let expected = Aggregates::new(model);
    let rows = |v: &[Vec<u64>]| v.iter().map(Vec::len).collect::<Vec<_>>();
    let ratio_rows = |v: &[Vec<(u128, u128)>]| v.iter().map(Vec::len).collect::<Vec<_>>();
    let days = |a: &Aggregates| a.metrics.iter().map(|h| h.days()).collect::<Vec<_>>();
    let same = days(aggregates) == days(&expected)
        && ratio_rows(&aggregates.ratio_sums) == ratio_rows(&expected.ratio_sums)
        && rows(&aggregates.first_reached) == rows(&expected.first_reached)
        && rows(&aggregates.last_wave) == rows(&expected.last_wave)
        && aggregates.delivered.len() == expected.delivered.len()
        && aggregates.full_delivery.len() == expected.full_delivery.len();
    if same {
        Ok(())
    } else {
        Err(PartialError::Format {
            path: path.to_path_buf(),
            detail: "damaged: its results do not have the shape of its scenario's".to_string(),
        })
    }
}

/// The result of merging every shard of a run.
pub struct Merged {
    pub scenario: Scenario,
    pub aggregates: Aggregates,
    pub out_stem: Option<String>,
}

/// Reads, checks and merges partial files: all from the same scenario
/// (hash), seed, total trials, shard count and version, each shard exactly once.
pub fn merge_files(paths: &[PathBuf]) -> Result<Merged, PartialError> {
    let mut parts = Vec::new();
    for path in paths {
        parts.push((path, read(path)?));
    }
    let Some((_, first)) = parts.first() else {
        return Err(PartialError::Incomplete("no partial files given".to_string()));
    };
    let first = first.clone();
    for (path, part) in &parts {
        let mismatch = |what: &str, mine: String, theirs: String| PartialError::Mismatch {
            path: path.to_path_buf(),
            detail: format!("its {what} is {theirs}, but the first partial's is {mine}"),
        };
        if part.scenario_sha256 != first.scenario_sha256 {
            return Err(mismatch(
                "scenario (SHA-256)",
                first.scenario_sha256.clone(),
                part.scenario_sha256.clone(),
            ));
        }
        if part.overrides != first.overrides {
            return Err(mismatch(
                "list of --set overrides",
                format!("[{}]", first.overrides.join("; ")),
                format!("[{}]", part.overrides.join("; ")),
            ));
        }
        if part.seed != first.seed {
            return Err(mismatch("seed", first.seed.to_string(), part.seed.to_string()));
        }
        if part.total_trials != first.total_trials {
            return Err(mismatch(
                "total trials",
                first.total_trials.to_string(),
                part.total_trials.to_string(),
            ));
        }
        if part.shard.count != first.shard.count {
            return Err(mismatch(
                "shard count",
                first.shard.count.to_string(),
                part.shard.count.to_string(),
            ));
        }
        if part.forcegen_version != first.forcegen_version {
            return Err(mismatch(
                "forcegen version",
                first.forcegen_version.clone(),
                part.forcegen_version.clone(),
            ));
        }
    }
    let count = first.shard.count;
    let mut seen = vec![false; count as usize];
    for (path, part) in &parts {
        let slot = &mut seen[(part.shard.index - 1) as usize];
        if *slot {
            return Err(PartialError::Mismatch {
                path: path.to_path_buf(),
                detail: format!("shard {}/{count} is given twice", part.shard.index),
            });
        }
        *slot = true;
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(PartialError::Incomplete(format!(
            "missing shard(s) {}",
            missing.join(", ")
        )));
    }
    let mut scenario = scenario::parse_str(&first.scenario_source, &first.scenario_file)?;
    scenario.simulation.seed = first.seed;
    scenario.simulation.trials = first.total_trials;
    scenario.overrides = first.overrides.clone();
    let model = crate::model::Model::new(&scenario);
    for (path, part) in &parts {
        check_shape(path, &part.aggregates, &model)?;
    }
    parts.sort_by_key(|(_, p)| p.shard.index);
    let mut aggregates = parts[0].1.aggregates.clone();
    for (_, part) in &parts[1..] {
        aggregates.merge(&part.aggregates);
    }
    Ok(Merged {
        scenario,
        aggregates,
        out_stem: first.out_stem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_trial_once() {
        for count in 1..=7u64 {
            let mut next = 0;
            for index in 1..=count {
                let range = Shard { index, count }.trials(1000);
                assert_eq!(range.start, next);
                next = range.end;
            }
            assert_eq!(next, 1000);
        }
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(Shard::parse("3/8"), Ok(Shard { index: 3, count: 8 }));
        for bad in ["0/8", "9/8", "3", "a/b", "3/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
