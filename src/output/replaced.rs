//! What a commit replaced in an output folder, in a sentence: a rerun (with
//! `--set`, another seed or an edited scenario) replaces the folder's
//! earlier results and removes the files it did not write this time
//! (`results.xlsx` without `--xlsx`), and says so rather than doing it in
//! silence. The rules: docs/reliability.md, "The output folder".

use std::path::{Path, PathBuf};

use super::{MAX_INFO_BYTES, uncell};

/// The files a commit wrote, and what was there before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// The folder.
    pub dir: PathBuf,
    /// The paths written, in the order given.
    pub paths: Vec<PathBuf>,
    /// Files that were there and now hold this command's results.
    pub replaced: Vec<String>,
    /// Files of an earlier run that this one did not write, now removed.
    pub removed: Vec<String>,
    /// Who wrote the earlier files, from their info file ("\"name\": N
    /// trials, seed S; what-if --set ...").
    pub earlier: Option<String>,
}

impl Committed {
    /// The sentence for the terminal, or `None` when nothing was there.
    pub fn note(&self) -> Option<String> {
        if self.replaced.is_empty() && self.removed.is_empty() {
            return None;
        }
        let dir = self.dir.display();
        let mut sentence = match (&self.earlier, self.replaced.len()) {
            (Some(earlier), n) => format!("replaced the earlier results in {dir} ({earlier}): {n} {}", files(n)),
            (None, n) => format!("replaced {n} {} in {dir}", files(n)),
        };
        if !self.removed.is_empty() {
            let removed: Vec<String> = self.removed.iter().map(|name| why_removed(name)).collect();
            sentence.push_str(&format!("; removed {}", removed.join(", ")));
        }
        Some(sentence)
    }
}

fn files(n: usize) -> &'static str {
    if n == 1 { "file" } else { "files" }
}

/// A removed file, with the flag that would have kept it.
fn why_removed(name: &str) -> String {
    let flag = match name {
        super::schema::WORKBOOK => Some("--xlsx"),
        super::schema::WIDE => Some("--wide"),
        super::schema::DRIVERS => Some("no --no-drivers"),
        _ => None,
    };
    match flag {
        Some(flag) => format!("{name} (not asked for this time: {flag} writes it)"),
        None => format!("{name} (not written this time)"),
    }
}

/// Who wrote the files of the info file `info` in `dir`, if it is there
/// and readable: the scenario's name, the trials and seed, and the
/// overrides (`overrides` or `sets`) when there were any.
pub fn earlier(dir: &Path, info: &str) -> Option<String> {
    let bytes = crate::readback::read_regular_file(&dir.join(info), MAX_INFO_BYTES).ok()?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader.headers().ok()?.iter().map(str::to_string).collect();
    let row = reader.records().next()?.ok()?;
    let get = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .and_then(|i| row.get(i))
            .map(|v| uncell(v).to_string())
            .filter(|v| !v.is_empty())
    };
    let mut what = format!("\"{}\"", get("scenario")?);
    if let (Some(trials), Some(seed)) = (get("trials"), get("seed")) {
        what.push_str(&format!(": {trials} trials, seed {seed}"));
    }
    if let Some(overrides) = get("overrides") {
        what.push_str(&format!("; what-if --set {overrides}"));
    } else if let Some(sets) = get("sets") {
        what.push_str(&format!("; swept --set {sets}"));
    }
    Some(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rerun_says_what_it_replaced_and_removed() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("info.csv"),
            "scenario,scenario_sha256,seed,trials,overrides\nHaiti,abc,7,2000,contributors.Kenya.probability=1\n",
        )
        .expect("write");
        let committed = Committed {
            dir: PathBuf::from("out"),
            paths: Vec::new(),
            replaced: vec!["a.csv".to_string(), "info.csv".to_string()],
            removed: vec!["results.xlsx".to_string()],
            earlier: earlier(dir.path(), "info.csv"),
        };
        assert_eq!(
            committed.note().expect("a sentence"),
            "replaced the earlier results in out (\"Haiti\": 2000 trials, seed 7; what-if --set \
             contributors.Kenya.probability=1): 2 files; removed results.xlsx (not asked for this time: --xlsx \
             writes it)"
        );
        assert_eq!(
            Committed::default().note(),
            None,
            "a first run into a new folder says nothing"
        );
        assert_eq!(earlier(dir.path(), "missing.csv"), None);
    }
}
