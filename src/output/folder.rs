//! The one output-folder guard every command writes through.
//!
//! [`OutputFolder::open`] runs before any work: it creates the folder if
//! needed, checks that files can be made there, takes an advisory lock on
//! the folder (a second forcegen writing into it is refused, not mixed in),
//! and checks that every file this command writes or removes there is its
//! own (see [`check_owner_of`]). [`OutputFolder::commit`] then replaces the
//! whole set: each new file is written to a fresh temporary name (created
//! with `O_EXCL` and a random name, so a planted link is never followed),
//! every file it replaces or removes is first hard-linked to a backup name,
//! and if any rename fails the renames already done are rolled back, so the
//! folder holds either the earlier run or this one, never a mix. A folder
//! created by a command that then fails is removed again.
//!
//! The rules: docs/MODEL.md §5.9.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::{Builder, NamedTempFile};

use super::replaced::Committed;
use super::{Identity, OutputError, check_owner_of};

/// The files a command owns in its output folder: those it writes and
/// those it removes when they no longer belong (an earlier run's
/// `timeseries_wide.csv`), and the one of them that says who wrote them.
#[derive(Debug, Clone, Copy)]
pub struct FileSet {
    pub owned: &'static [&'static str],
    /// The info file (`run_info.csv`, `sweep_info.csv`, ...): a header with
    /// `scenario`, `scenario_sha256` and `forcegen_version`, and one row.
    pub info: &'static str,
}

/// An output folder, checked and locked, ready to take one set of files.
#[derive(Debug)]
pub struct OutputFolder {
    path: PathBuf,
    files: FileSet,
    owner: Identity,
    force: bool,
    /// Created by this command: removed again unless something is committed.
    created: bool,
    committed: bool,
    /// Holds the advisory lock while the guard lives.
    _lock: fs::File,
}

impl OutputFolder {
    /// Creates `path` if needed, checks it can be written, locks it, and
    /// checks (unless `force`) that the files of `files` there are results
    /// of the scenario `owner` (by name, or by text).
    pub fn open(path: &Path, files: FileSet, owner: &Identity, force: bool) -> Result<OutputFolder, OutputError> {
        let created = prepare_dir(path)?;
        let lock = match lock(path) {
            Ok(lock) => lock,
            Err(e) => {
                if created {
                    let _ = fs::remove_dir(path);
                }
                return Err(e);
            }
        };
        let guard = OutputFolder {
            path: path.to_path_buf(),
            files,
            owner: owner.clone(),
            force,
            created,
            committed: false,
            _lock: lock,
        };
        guard.check()?;
        Ok(guard)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks the owner of the folder's files again.
    pub fn check(&self) -> Result<(), OutputError> {
        check_owner_of(&self.path, self.files.owned, self.files.info, &self.owner, self.force)
    }

    /// Replaces the folder's set with `files` (each must be one of the owned
    /// names): writes them, and removes owned files not among them. All or
    /// nothing: on failure the earlier files are back in place. Returns the
    /// paths written and what they replaced ([`Committed::note`] says it).
    pub fn commit(mut self, files: &[(&str, Vec<u8>)]) -> Result<Committed, OutputError> {
        self.check()?;
        let earlier = super::replaced::earlier(&self.path, self.files.info);
        let replaced: Vec<String> = files
            .iter()
            .filter(|(name, _)| fs::symlink_metadata(self.path.join(name)).is_ok())
            .map(|(name, _)| name.to_string())
            .collect();
        let fresh = files
            .iter()
            .map(|(name, bytes)| write_temporary(&self.path, name, bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let stale: Vec<&str> = self
            .files
            .owned
            .iter()
            .copied()
            .filter(|name| !files.iter().any(|(n, _)| n == name))
            .filter(|name| fs::symlink_metadata(self.path.join(name)).is_ok())
            .collect();
        let mut swap = Swap::new(&self.path);
        for ((name, _), temp) in files.iter().zip(fresh) {
            swap.replace(name, temp)?;
        }
        for name in &stale {
            swap.remove(name)?;
        }
        swap.done();
        self.committed = true;
        Ok(Committed {
            dir: self.path.clone(),
            paths: files.iter().map(|(name, _)| self.path.join(name)).collect(),
            replaced,
            removed: stale.iter().map(|name| name.to_string()).collect(),
            earlier,
        })
    }
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        if self.created && !self.committed {
            // Leave no empty folder behind (fails harmlessly if anything is in it).
            let _ = fs::remove_dir(&self.path);
        }
    }
}

/// Creates `dir` if needed (true if it did) and checks that it is a folder
/// in which files can be made.
fn prepare_dir(dir: &Path) -> Result<bool, OutputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError::NotADir {
            path: dir.to_path_buf(),
        });
    }
    let created = !dir.exists();
    fs::create_dir_all(dir).map_err(|source| OutputError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let probe = Builder::new().prefix(".forcegen-probe.").tempfile_in(dir);
    if let Err(source) = probe {
        if created {
            let _ = fs::remove_dir(dir);
        }
        return Err(OutputError::NotWritable {
            path: dir.to_path_buf(),
            source,
        });
    }
    Ok(created)
}

/// Takes the folder's advisory lock (`flock` on the folder itself, so no
/// lock file is left behind); refused if another process holds it. On a
/// file system without locks (some network and FUSE mounts) the folder is
/// used unlocked, as forcegen did before it took locks.
fn lock(dir: &Path) -> Result<fs::File, OutputError> {
    let handle = fs::File::open(dir).map_err(|source| OutputError::NotWritable {
        path: dir.to_path_buf(),
        source,
    })?;
    match handle.try_lock() {
        Ok(()) => Ok(handle),
        Err(fs::TryLockError::WouldBlock) => Err(OutputError::Busy {
            path: dir.to_path_buf(),
        }),
        Err(fs::TryLockError::Error(source)) if locks_unsupported(&source) => Ok(handle),
        Err(fs::TryLockError::Error(source)) => Err(OutputError::NotWritable {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// True for the errors of a file system that has no locks (or no hard
/// links): `ENOLCK`, `ENOTSUP`/`EOPNOTSUPP`, `EPERM` from a link.
fn locks_unsupported(error: &std::io::Error) -> bool {
    if error.kind() == std::io::ErrorKind::Unsupported {
        return true;
    }
    #[cfg(unix)]
    {
        matches!(
            error.raw_os_error(),
            Some(libc::ENOLCK | libc::ENOTSUP | libc::EPERM | libc::EMLINK)
        )
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Writes `bytes` to a new temporary file in `dir` (random name, created
/// exclusively, removed again if anything fails).
pub fn write_temporary(dir: &Path, name: &str, bytes: &[u8]) -> Result<NamedTempFile, OutputError> {
    let error = |source| OutputError::Write {
        path: dir.join(name),
        source,
    };
    let mut temp = temporary_builder(".forcegen-new.").tempfile_in(dir).map_err(error)?;
    temp.write_all(bytes).map_err(error)?;
    temp.as_file().sync_all().map_err(error)?;
    Ok(temp)
}

/// A builder of hidden temporary files readable by others, as the files
/// forcegen wrote before were (a temporary file is private by default).
fn temporary_builder(prefix: &str) -> Builder<'_, '_> {
    let mut builder = Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    builder
}

/// One step of a commit, remembered so that it can be undone.
struct Step {
    target: PathBuf,
    /// A hard link to the file the step replaced or removed, if any.
    backup: Option<NamedTempFile<()>>,
}

/// The renames of one commit, rolled back unless [`Swap::done`] is called.
struct Swap<'a> {
    dir: &'a Path,
    steps: Vec<Step>,
    finished: bool,
}

impl<'a> Swap<'a> {
    fn new(dir: &'a Path) -> Swap<'a> {
        Swap {
            dir,
            steps: Vec::new(),
            finished: false,
        }
    }

    /// Keeps the file at `target`, if any, under a backup name: a hard link,
    /// so that the file stays in place until it is replaced; on a file
    /// system without hard links it is renamed to the backup name instead.
    fn back_up(&self, target: &Path) -> Result<Option<NamedTempFile<()>>, OutputError> {
        let Ok(meta) = fs::symlink_metadata(target) else {
            return Ok(None);
        };
        let error = |source| OutputError::Write {
            path: target.to_path_buf(),
            source,
        };
        if meta.is_dir() {
            // A folder where a file goes: never moved, and the commit fails.
            return Err(error(std::io::Error::other("a folder is in the way")));
        }
        match temporary_builder(".forcegen-old.").make_in(self.dir, |backup| fs::hard_link(target, backup)) {
            Ok(backup) => Ok(Some(backup)),
            Err(e) if locks_unsupported(&e) => {
                let backup = temporary_builder(".forcegen-old.")
                    .make_in(self.dir, |_| Ok(()))
                    .map_err(error)?;
                fs::rename(target, backup.path()).map_err(error)?;
                Ok(Some(backup))
            }
            Err(e) => Err(error(e)),
        }
    }

    /// Renames `temp` to `name`, keeping what was there for a rollback.
    fn replace(&mut self, name: &str, temp: NamedTempFile) -> Result<(), OutputError> {
        let target = self.dir.join(name);
        let backup = self.back_up(&target)?;
        // Remembered first: undoing a step that failed half way is harmless,
        // and a backup made by renaming must go back even then.
        self.steps.push(Step {
            target: target.clone(),
            backup,
        });
        temp.persist(&target).map_err(|e| OutputError::Write {
            path: target,
            source: e.error,
        })?;
        Ok(())
    }

    /// Removes `name`, keeping it for a rollback.
    fn remove(&mut self, name: &str) -> Result<(), OutputError> {
        let target = self.dir.join(name);
        let backup = self.back_up(&target)?;
        self.steps.push(Step {
            target: target.clone(),
            backup,
        });
        fs::remove_file(&target).map_err(|source| OutputError::Write { path: target, source })?;
        Ok(())
    }

    /// Keeps the new set (the backups are removed as they drop).
    fn done(mut self) {
        self.finished = true;
    }
}

impl Drop for Swap<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        for step in self.steps.drain(..).rev() {
            match step.backup {
                Some(backup) => {
                    if fs::rename(backup.path(), &step.target).is_err() {
                        // Never delete the only copy of an earlier file: it
                        // stays under its `.forcegen-old.*` name.
                        let _ = backup.keep();
                    }
                }
                None => {
                    let _ = fs::remove_file(&step.target);
                }
            }
        }
    }
}

/// Writes one file the user named (`--partial`, `explain --csv`): a regular
/// file (or a new one) is replaced atomically through a temporary file
/// beside it; `/dev/stdout` and `/dev/stderr` (or `-`) go to this process's
/// own standard output or error; an existing device or pipe (`/dev/null`)
/// is written through, never replaced; a symbolic link or a folder is
/// refused, so that no planted link is followed or replaced.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let error = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    if path == Path::new("-") || path == Path::new("/dev/stdout") {
        let mut out = std::io::stdout().lock();
        return out.write_all(bytes).and_then(|()| out.flush()).map_err(error);
    }
    if path == Path::new("/dev/stderr") {
        return std::io::stderr().write_all(bytes).map_err(error);
    }
    if let Ok(meta) = fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(OutputError::IsALink {
                path: path.to_path_buf(),
            });
        }
        if meta.is_dir() {
            return Err(OutputError::IsADir {
                path: path.to_path_buf(),
            });
        }
        if !meta.is_file() {
            let mut through = fs::OpenOptions::new().write(true).open(path).map_err(error)?;
            return through.write_all(bytes).map_err(error);
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let temp = write_temporary(dir, &name, bytes)?;
    temp.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: FileSet = FileSet {
        owned: &["a.csv", "b.csv", "old.csv", "info.csv"],
        info: "info.csv",
    };

    fn owner(name: &str) -> Identity {
        Identity {
            name: name.to_string(),
            sha256: "a".repeat(64),
        }
    }

    fn info(sha: char) -> Vec<u8> {
        format!(
            "scenario,scenario_sha256,forcegen_version\nx,{},0\n",
            sha.to_string().repeat(64)
        )
        .into_bytes()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .map(|read| {
                read.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_commit_replaces_the_set_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("old.csv"), "stale").expect("write");
        fs::write(dir.path().join("info.csv"), info('a')).expect("write");
        let folder = OutputFolder::open(dir.path(), SET, &owner("x"), false).expect("open");
        folder
            .commit(&[("a.csv", b"1".to_vec()), ("info.csv", info('a'))])
            .expect("commit");
        assert_eq!(names(dir.path()), ["a.csv", "info.csv"]);
    }

    #[test]
    fn a_failed_rename_rolls_back_the_ones_done() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("a.csv"), "earlier a").expect("write");
        fs::write(dir.path().join("info.csv"), info('a')).expect("write");
        // A folder where b.csv goes: renaming a file over it fails.
        fs::create_dir(dir.path().join("b.csv")).expect("dir");
        fs::write(dir.path().join("b.csv").join("x"), "x").expect("write");
        let folder = OutputFolder::open(dir.path(), SET, &owner("x"), false).expect("open");
        let files = [
            ("a.csv", b"new a".to_vec()),
            ("b.csv", b"new b".to_vec()),
            ("info.csv", info('a')),
        ];
        assert!(folder.commit(&files).is_err());
        assert_eq!(fs::read(dir.path().join("a.csv")).expect("a"), b"earlier a");
        assert_eq!(fs::read(dir.path().join("info.csv")).expect("info"), info('a'));
        assert_eq!(names(dir.path()), ["a.csv", "b.csv", "info.csv"]);
    }

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = OutputFolder::open(dir.path(), SET, &owner("x"), false).expect("open");
        let second = OutputFolder::open(dir.path(), SET, &owner("x"), false);
        assert!(matches!(second, Err(OutputError::Busy { .. })), "{second:?}");
    }

    #[test]
    fn a_folder_made_for_a_failed_command_is_removed() {
        let parent = tempfile::tempdir().expect("temp dir");
        let path = parent.path().join("new");
        drop(OutputFolder::open(&path, SET, &owner("x"), false).expect("open"));
        assert!(!path.exists());
    }

    #[test]
    fn a_folder_belongs_to_the_scenario_name_or_its_text() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("a.csv"), "x").expect("write");
        fs::write(dir.path().join("info.csv"), info('b')).expect("write");
        let identity = |name: &str, sha: char| Identity {
            name: name.to_string(),
            sha256: sha.to_string().repeat(64),
        };
        // The same name, edited text: its own folder.
        assert!(OutputFolder::open(dir.path(), SET, &identity("x", 'a'), false).is_ok());
        // Another name, the same text: its own folder too.
        assert!(OutputFolder::open(dir.path(), SET, &identity("y", 'b'), false).is_ok());
        let refused = OutputFolder::open(dir.path(), SET, &identity("y", 'a'), false);
        assert!(matches!(refused, Err(OutputError::OtherScenario { .. })), "{refused:?}");
    }

    #[test]
    fn files_of_another_scenario_need_force() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("old.csv"), "someone's").expect("write");
        let refused = OutputFolder::open(dir.path(), SET, &owner("x"), false);
        assert!(matches!(refused, Err(ref e) if e.needs_force()), "{refused:?}");
        assert!(OutputFolder::open(dir.path(), SET, &owner("x"), true).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_named_as_the_file_is_refused_not_followed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").expect("write");
        let link = dir.path().join("out.csv");
        std::os::unix::fs::symlink(&victim, &link).expect("link");
        assert!(matches!(write_file(&link, b"x"), Err(OutputError::IsALink { .. })));
        assert_eq!(fs::read(&victim).expect("read"), b"precious");
        assert!(fs::symlink_metadata(&link).expect("meta").file_type().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_through_not_replaced() {
        write_file(Path::new("/dev/null"), b"x").expect("write through");
        let meta = fs::metadata("/dev/null").expect("meta");
        assert!(!meta.is_file());
    }
}
