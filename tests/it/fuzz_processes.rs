//! The fuzz harness of issue #26: mutated scenarios, partial files and run
//! folders (the mutations of `fuzz_scenarios` and `fuzz_read_back`) given
//! to the real binary, each command in a process of its own under
//! `ulimit -v 2000000` (about 1.9 GiB of address space) and a 10-second
//! limit. No input may make forcegen abort (an allocation past the limit,
//! a signal), panic, print an internal error, or run past the limit; an
//! exit code of 0, 1 or 2 with a message is fine.
//!
//! - a scenario: `validate`, and when valid `explain` and `run --trials 3`;
//! - partial files: `merge`;
//! - the CSV files of a run: `report`.
//!
//! Forty cases in the normal test run (a few seconds); the long run is
//!
//! ```sh
//! FORCEGEN_FUZZ_PROCESSES=100000 cargo test --profile test-release --test it fuzz_processes:: -- --nocapture
//! ```
//!
//! with `FORCEGEN_FUZZ_SEED` for other cases. Case `k` depends only on the
//! seed and `k`, so a failure is rerun with `FORCEGEN_FUZZ_FIRST=k` and
//! `FORCEGEN_FUZZ_PROCESSES=1`; its inputs are saved under
//! `target/tmp/fuzz-process-failures/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common::Rng;
use crate::fuzz_read_back::{Case, bases, make_case};
use crate::fuzz_scenarios::{mutate, seeds};

/// The address space each command may have, in KiB (`ulimit -v`).
const ADDRESS_SPACE_KIB: u64 = 2_000_000;
/// How long each command may take.
const LIMIT: Duration = Duration::from_secs(10);

/// How one command ended.
struct Ended {
    code: Option<i32>,
    signal: Option<i32>,
    stderr: String,
    took: Duration,
    /// Peak resident memory, KiB.
    peak_kib: u64,
}

/// Runs forcegen with `args` in `dir` under the address-space limit; kills
/// it at [`LIMIT`] (then `took` is past it and it has no exit code).
#[allow(
    clippy::zombie_processes,
    reason = "reaped by wait4, which also gives its peak memory"
)]
fn forcegen_limited(dir: &Path, args: &[&str]) -> Ended {
    let stderr_path = dir.join("stderr.txt");
    let stderr = fs::File::create(&stderr_path).expect("stderr file");
    let script = format!("ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\"");
    let started = Instant::now();
    let child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_forcegen"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start sh");
    let pid = child.id() as libc::pid_t;
    let (status, peak_kib) = loop {
        let mut status = 0;
        // SAFETY: waits for our own child; `usage` is written by the call.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if done == pid {
            break (Some(status), usage.ru_maxrss as u64);
        }
        if started.elapsed() > LIMIT {
            // SAFETY: kills and reaps our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            break (None, 0);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let took = started.elapsed();
    let stderr = fs::read(&stderr_path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (code, signal) = match status {
        Some(s) if libc::WIFEXITED(s) => (Some(libc::WEXITSTATUS(s)), None),
        Some(s) if libc::WIFSIGNALED(s) => (None, Some(libc::WTERMSIG(s))),
        _ => (None, None),
    };
    Ended {
        code,
        signal,
        stderr,
        took,
        peak_kib,
    }
}

/// Why `ended` breaks the rules, if it does.
fn broken(ended: &Ended) -> Option<String> {
    let excerpt: String = ended.stderr.chars().take(600).collect();
    if ended.took > LIMIT && ended.code.is_none() {
        return Some(format!("still running after {LIMIT:?}"));
    }
    if let Some(signal) = ended.signal {
        return Some(format!("ended by signal {signal} (an abort is 6): {excerpt}"));
    }
    match ended.code {
        Some(0..=2 | 130) if !ended.stderr.contains("panicked") && !ended.stderr.contains("internal error") => None,
        code => Some(format!("exit code {code:?}: {excerpt}")),
    }
}

/// The commands of one case, with its input files written to `dir`.
fn commands(rng: &mut Rng, dir: &Path, seeds: &[Vec<u8>], bases: &crate::fuzz_read_back::Bases) -> Vec<Vec<String>> {
    let owned = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    if rng.below(2) == 0 {
        let mut bytes = rng.pick(seeds).clone();
        for _ in 0..=rng.below(4) {
            mutate(rng, &mut bytes);
        }
        fs::write(dir.join("fuzz.toml"), &bytes).expect("write");
        return vec![
            owned(&["validate", "fuzz.toml"]),
            owned(&["explain", "fuzz.toml"]),
            owned(&[
                "run",
                "fuzz.toml",
                "--trials",
                "3",
                "--no-drivers",
                "--quiet",
                "--force",
                "--out",
                "out",
            ]),
        ];
    }
    match make_case(rng, bases) {
        Case::Partials(files) => {
            let mut merge = owned(&["merge", "--quiet", "--force", "--out", "out"]);
            for (i, bytes) in files.iter().enumerate() {
                let name = format!("p{i}.part");
                fs::write(dir.join(&name), bytes).expect("write");
                merge.push(name);
            }
            vec![merge]
        }
        Case::Csvs(files) => {
            let run = dir.join("run");
            let _ = fs::remove_dir_all(&run);
            fs::create_dir_all(&run).expect("run folder");
            for (name, bytes) in files {
                fs::write(run.join(name), bytes).expect("write");
            }
            vec![owned(&["report", "run", "--quiet"])]
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Counts of a whole run, for its summary line.
#[derive(Default)]
struct Tally {
    commands: u64,
    by_code: [u64; 3],
    slowest: (Duration, u64),
    peak_kib: (u64, u64),
    failures: Vec<String>,
}

/// Runs case `k` in `dir` (emptied first) and adds it to `tally`.
fn run_case(k: u64, seed: u64, dir: &Path, inputs: (&[Vec<u8>], &crate::fuzz_read_back::Bases), tally: &Mutex<Tally>) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("case folder");
    let mut rng = Rng(seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    for args in commands(&mut rng, dir, inputs.0, inputs.1) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ended = forcegen_limited(dir, &args);
        let mut tally = tally.lock().unwrap_or_else(|e| e.into_inner());
        tally.commands += 1;
        if let Some(code @ 0..=2) = ended.code {
            tally.by_code[code as usize] += 1;
        }
        if ended.took > tally.slowest.0 {
            tally.slowest = (ended.took, k);
        }
        if ended.peak_kib > tally.peak_kib.0 {
            tally.peak_kib = (ended.peak_kib, k);
        }
        if let Some(why) = broken(&ended) {
            let saved = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-process-failures/case-{seed:x}-{k}"));
            let _ = fs::create_dir_all(saved.parent().unwrap_or(Path::new(".")));
            let _ = copy_dir(dir, &saved);
            tally.failures.push(format!(
                "case {k}: forcegen {}: {why}\n  inputs in {}",
                args.join(" "),
                saved.display()
            ));
            return;
        }
        // A rejected scenario has nothing to explain or run.
        if args[0] == "validate" && ended.code != Some(0) {
            return;
        }
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[test]
fn fuzzed_inputs_never_abort_panic_or_hang_in_a_process_of_their_own() {
    let cases = env_number("FORCEGEN_FUZZ_PROCESSES", 40);
    let first = env_number("FORCEGEN_FUZZ_FIRST", 0);
    let seed = env_number("FORCEGEN_FUZZ_SEED", 0x00f0_2626);
    let (seeds, bases) = (seeds(), bases());
    let work = tempfile::tempdir().expect("temporary folder");
    let next = AtomicU64::new(first);
    let tally = Mutex::new(Tally::default());
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..workers {
            let (next, tally, seeds, bases) = (&next, &tally, &seeds, &bases);
            let dir = work.path().join(format!("worker-{w}"));
            scope.spawn(move || {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= first + cases {
                        break;
                    }
                    run_case(k, seed, &dir, (seeds, bases), tally);
                    if k % 1000 == 999 {
                        eprintln!(
                            "fuzz_processes: {} cases in {:.0} s",
                            k + 1 - first,
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
            });
        }
    });
    let tally = tally.into_inner().unwrap_or_else(|e| e.into_inner());
    eprintln!(
        "fuzz_processes: {cases} cases (seed {seed:#x}) in {:.0} s, {} commands: exit 0 {}, 1 {}, 2 {}; slowest {:.2} s \
         (case {}), largest peak {} MiB (case {}); {} failures",
        started.elapsed().as_secs_f64(),
        tally.commands,
        tally.by_code[0],
        tally.by_code[1],
        tally.by_code[2],
        tally.slowest.0.as_secs_f64(),
        tally.slowest.1,
        tally.peak_kib.0 / 1024,
        tally.peak_kib.1,
        tally.failures.len()
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    assert!(
        tally.by_code[0] > 0 && tally.by_code[2] > 0,
        "the fuzzer should reach both sides"
    );
}
