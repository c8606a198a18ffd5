//! Partial results of a sharded run: the aggregates of one shard's trials
//! plus everything needed to check and finish the merge (the scenario text,
//! its hash, seed, total trials, shard numbers and program version).
//! Merging integer aggregates is exact, so the merged CSV files are
//! byte-identical to a single run.
//!
//! The rules: docs/MODEL.md §4.7 and §5.10.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{Aggregates, Evidence};
use crate::scenario::shown::quoted;
use crate::scenario::{self, Scenario};

const FORMAT: &str = "forcegen-partial-5";
/// How every partial file starts (the format field comes first).
pub const HEADER_START: &str = "{\"format\":\"forcegen-partial";
/// Most shards a run may be split into.
pub const MAX_SHARDS: u64 = 1_000_000;
/// Largest partial file `merge` reads, in bytes (real ones are far smaller:
/// a daily shard of the baseline is about 50 MB).
pub const MAX_PARTIAL_BYTES: u64 = 4 << 30;
/// The default output folder's name when a partial's `out_stem` is missing
/// or not a plain file name.
pub const FALLBACK_STEM: &str = "merged";
/// Most missing shards an error lists.
const LISTED_SHARDS: usize = 20;
/// Shard K of N (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with 1 <= K <= N <= [`MAX_SHARDS`].
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "--shard must look like K/N with 1 <= K <= N <= {MAX_SHARDS} (e.g. 3/8), got {}",
                quoted(text)
            )
        };
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
    /// The SHA-256 of the scenario's priors file, if any (in `scenario_sha256`).
    #[serde(default)]
    priors_sha256: Option<String>,
    /// The `--set` overrides already applied to `scenario_source` (for `run_info.csv`).
    #[serde(default)]
    overrides: Vec<String>,
    seed: u64,
    total_trials: u64,
    shard: Shard,
    pub aggregates: Aggregates,
    /// A conditioned shard's observations and evidence (`run --observed`).
    #[serde(default)]
    pub observed: Option<ObservedPart>,
}

/// What a shard of `run --observed` adds: the observed file (its text, so
/// that the merge reads the same observations, and its SHA-256, part of
/// the run's identity) and what its trials learned (its aggregates hold the
/// kept trials only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObservedPart {
    pub file: String,
    pub text: String,
    pub sha256: String,
    pub min_accepted: u64,
    pub evidence: Evidence,
}

impl Partial {
    pub fn new(scenario: &Scenario, out_stem: Option<String>, shard: Shard, aggregates: Aggregates) -> Partial {
        Partial {
            format: FORMAT.to_string(),
            forcegen_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario_file: scenario.file.clone(),
            out_stem,
            scenario_source: scenario.source.clone(),
            scenario_sha256: scenario.fingerprint(),
            priors_sha256: scenario.priors_sha256.clone(),
            overrides: scenario.overrides.clone(),
            seed: scenario.simulation.seed,
            total_trials: scenario.simulation.trials,
            shard,
            aggregates,
            observed: None,
        }
    }

    /// The same partial, conditioned on `observed`.
    pub fn with_observed(self, observed: ObservedPart) -> Partial {
        Partial {
            observed: Some(observed),
            ..self
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
    /// The partial files together would take more memory than the budget.
    #[error("{0}")]
    Budget(#[from] crate::budget::Exceeded),
}

impl PartialError {
    /// True for a damaged or mismatched partial (the user's input), false
    /// for a failure to write.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, PartialError::Write { .. })
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

/// Reads a partial file: a regular file of at most [`MAX_PARTIAL_BYTES`],
/// checked by [`parse`].
pub fn read(path: &Path) -> Result<Partial, PartialError> {
    let bytes = crate::readback::read_regular_file(path, MAX_PARTIAL_BYTES).map_err(|source| PartialError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &bytes)
}

/// Parses and checks a partial file's bytes (`path` names it in messages):
/// its format, shard, trials and scenario fingerprint. Its results are
/// checked against its scenario when merged ([`merge_partials`]).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Partial, PartialError> {
    let bad = |detail: String| PartialError::Format {
        path: path.to_path_buf(),
        detail,
    };
    let partial: Partial = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    if partial
        .format
        .strip_prefix("forcegen-partial-")
        .is_some_and(|n| ["1", "2", "3"].contains(&n))
    {
        return Err(bad(format!(
            "format {} was written by an older forcegen, which kept no exact sums of head counts of \
             65,536 and more; run its shard again with this forcegen (format \"{FORMAT}\")",
            quoted(&partial.format)
        )));
    }
    if partial.format != FORMAT {
        return Err(bad(format!(
            "format {}, expected \"{FORMAT}\"",
            quoted(&partial.format)
        )));
    }
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
    let ran = partial
        .observed
        .as_ref()
        .map_or(partial.aggregates.trials, |o| o.evidence.run);
    if let Some(observed) = &partial.observed {
        check_observed(observed, partial.aggregates.trials).map_err(|e| bad(format!("damaged: {e}")))?;
    }
    if ran != expected.end - expected.start {
        let detail = format!(
            "damaged: it holds {} trials, but shard {}/{} of {} trials has {}",
            ran,
            partial.shard.index,
            partial.shard.count,
            partial.total_trials,
            expected.end - expected.start
        );
        return Err(bad(detail));
    }
    if scenario::fingerprint(&partial.scenario_source, partial.priors_sha256.as_deref()) != partial.scenario_sha256 {
        return Err(bad(
            "damaged: its scenario text does not match its scenario_sha256".to_string()
        ));
    }
    Ok(partial)
}

/// A conditioned shard's evidence: its file's text matches its SHA-256,
/// its kept trials are those of its aggregates, and its counts hold
/// together (so that merging it cannot go wrong).
fn check_observed(observed: &ObservedPart, kept: u64) -> Result<(), String> {
    if crate::output::sha256_bytes_hex(observed.text.as_bytes()) != observed.sha256 {
        return Err("its observed file's text does not match its observed_sha256".into());
    }
    let evidence = &observed.evidence;
    if evidence.accepted != kept {
        return Err(format!(
            "{} trials kept, but its results hold {kept}",
            evidence.accepted
        ));
    }
    evidence.check(evidence.prior.days(), evidence.groups.len())
}

/// `stem` if it can name the default output folder, `output/<stem>/`: one
/// plain file name, so that an edited partial cannot send the merge's files
/// elsewhere (no separator, no `..`, no control character, not empty, at
/// most 255 bytes).
pub fn safe_stem(stem: &str) -> Option<&str> {
    let plain = !stem.is_empty()
        && stem.len() <= 255
        && stem != "."
        && !stem.contains("..")
        && !stem.chars().any(|c| matches!(c, '/' | '\\' | ':') || c.is_control());
    plain.then_some(stem)
}

/// The result of merging every shard of a run.
pub struct Merged {
    pub scenario: Scenario,
    pub aggregates: Aggregates,
    /// A conditioned run's observed file and the shards' evidence, merged.
    pub observed: Option<ObservedPart>,
    /// The shards' `out_stem`, if [`safe_stem`] passes it.
    pub out_stem: Option<String>,
}

impl Merged {
    /// `output/<out_stem>/`, or `output/merged/` without a safe stem.
    pub fn default_out_dir(&self) -> PathBuf {
        Path::new("output").join(self.out_stem.as_deref().unwrap_or(FALLBACK_STEM))
    }
}

/// Memory a partial file takes for each byte of it while merged (its bytes
/// and its parsed aggregates): about 2, measured.
pub const BYTES_PER_PARTIAL_BYTE: u64 = 2;

/// Reads, checks and merges partial files (see [`merge_partials`]), all of
/// them together within the memory budget ([`BYTES_PER_PARTIAL_BYTE`] for
/// each byte), checked before any is read.
pub fn merge_files(paths: &[PathBuf]) -> Result<Merged, PartialError> {
    // A file that cannot be sized is refused when it is read.
    let total = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|meta| if meta.is_file() { meta.len() } else { 0 })
        .fold(0u64, u64::saturating_add);
    let need = crate::budget::Need::new(
        format!("merging {} partial files", paths.len()),
        &[(total, "bytes")],
        BYTES_PER_PARTIAL_BYTE,
    );
    crate::budget::check(&need)?;
    let mut parts = Vec::new();
    for path in paths {
        parts.push((path.clone(), read(path)?));
    }
    merge_partials(parts)
}

/// Checks and merges partial results (each with the path that names it in
/// messages): all from the same scenario (hash), seed, total trials, shard
/// count and version, each shard exactly once, every result consistent
/// with the scenario ([`Aggregates::check`]), and no sum overflowing.
pub fn merge_partials(mut parts: Vec<(PathBuf, Partial)>) -> Result<Merged, PartialError> {
    let Some((_, first)) = parts.first() else {
        return Err(PartialError::Incomplete("no partial files given".to_string()));
    };
    check_same_run(&parts, first)?;
    check_every_shard_once(&parts, first.shard.count)?;
    let mut scenario = scenario::parse_str(&first.scenario_source, &first.scenario_file)?;
    if scenario.priors_sha256 != first.priors_sha256 {
        let path = parts.first().map_or_else(PathBuf::new, |(p, _)| p.clone());
        let detail = format!(
            "its scenario's priors file had SHA-256 {}, but the file read now has {}: the priors changed since \
             the shards ran",
            first.priors_sha256.as_deref().unwrap_or("(none)"),
            scenario.priors_sha256.as_deref().unwrap_or("(none)")
        );
        return Err(PartialError::Mismatch { path, detail });
    }
    scenario.simulation.seed = first.seed;
    scenario.simulation.trials = first.total_trials;
    scenario.overrides = first.overrides.clone();
    let out_stem = first.out_stem.as_deref().and_then(safe_stem).map(str::to_string);
    let model = crate::model::Model::new(&scenario);
    for (path, part) in &parts {
        part.aggregates.check(&model).map_err(|detail| PartialError::Format {
            path: path.to_path_buf(),
            detail: format!("damaged: {detail}"),
        })?;
    }
    parts.sort_by_key(|(_, p)| p.shard.index);
    let mut parts = parts.into_iter();
    let Some((_, lowest)) = parts.next() else {
        return Err(PartialError::Incomplete("no partial files given".to_string()));
    };
    let mut aggregates = lowest.aggregates;
    let mut observed = lowest.observed;
    for (path, part) in parts {
        aggregates
            .merge_checked(&part.aggregates)
            .map_err(|detail| PartialError::Mismatch {
                path: path.clone(),
                detail,
            })?;
        if let (Some(mine), Some(theirs)) = (&mut observed, &part.observed) {
            merge_evidence(&mut mine.evidence, &theirs.evidence)
                .map_err(|detail| PartialError::Mismatch { path, detail })?;
        }
    }
    Ok(Merged {
        scenario,
        aggregates,
        observed,
        out_stem,
    })
}

/// Adds another shard's evidence (of the same observations: the same shape).
fn merge_evidence(mine: &mut Evidence, theirs: &Evidence) -> Result<(), String> {
    if (mine.prior.days(), mine.groups.len()) != (theirs.prior.days(), theirs.groups.len()) {
        return Err("its conditioning results do not have the shape of the first partial's".into());
    }
    mine.merge(theirs)
}

/// Every partial is of the same run as the first: scenario, overrides,
/// seed, trials, shard count and forcegen version.
fn check_same_run(parts: &[(PathBuf, Partial)], first: &Partial) -> Result<(), PartialError> {
    for (path, part) in parts {
        let mismatch = |what: &str, mine: String, theirs: String| PartialError::Mismatch {
            path: path.to_path_buf(),
            detail: format!("its {what} is {theirs}, but the first partial's is {mine}"),
        };
        let observed = |p: &Partial| {
            p.observed.as_ref().map_or("none (not conditioned)".to_string(), |o| {
                format!("{} (--min-accepted {})", o.sha256, o.min_accepted)
            })
        };
        let fields: [(&str, String, String); 7] = [
            ("observed file (SHA-256)", observed(first), observed(part)),
            (
                "scenario (SHA-256)",
                first.scenario_sha256.clone(),
                part.scenario_sha256.clone(),
            ),
            (
                "list of --set overrides",
                format!("[{}]", first.overrides.join("; ")),
                format!("[{}]", part.overrides.join("; ")),
            ),
            ("seed", first.seed.to_string(), part.seed.to_string()),
            (
                "total trials",
                first.total_trials.to_string(),
                part.total_trials.to_string(),
            ),
            (
                "shard count",
                first.shard.count.to_string(),
                part.shard.count.to_string(),
            ),
            (
                "forcegen version",
                first.forcegen_version.escape_debug().to_string(),
                part.forcegen_version.escape_debug().to_string(),
            ),
        ];
        if let Some((what, mine, theirs)) = fields.into_iter().find(|(_, mine, theirs)| mine != theirs) {
            return Err(mismatch(what, mine, theirs));
        }
    }
    Ok(())
}

/// Each of the `count` shards is given exactly once; at most
/// [`LISTED_SHARDS`] missing ones are named.
fn check_every_shard_once(parts: &[(PathBuf, Partial)], count: u64) -> Result<(), PartialError> {
    let mut seen = vec![false; count as usize];
    for (path, part) in parts {
        let slot = &mut seen[(part.shard.index - 1) as usize];
        if *slot {
            return Err(PartialError::Mismatch {
                path: path.to_path_buf(),
                detail: format!("shard {}/{count} is given twice", part.shard.index),
            });
        }
        *slot = true;
    }
    let missing = seen.iter().filter(|s| !**s).count();
    if missing == 0 {
        return Ok(());
    }
    let mut listed: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .take(LISTED_SHARDS)
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if missing > LISTED_SHARDS {
        listed.push(format!("and {} more", missing - LISTED_SHARDS));
    }
    Err(PartialError::Incomplete(format!(
        "missing shard(s) {}",
        listed.join(", ")
    )))
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
