//! Runs trials in parallel and reduces them to [`Aggregates`].
//!
//! Trials are handed out in fixed-size chunks to one worker per thread; each
//! worker keeps one [`Recorder`] and one set of trial buffers, and finishes
//! it into [`Aggregates`] when the trials run out. Every trial
//! draws only from streams keyed by (seed, trial index, input), and every
//! aggregate is an integer count or sum, so the merged result is the same
//! to the bit whatever the thread count or the order chunks finish in.
//!
//! The rules: docs/MODEL.md §4.6.

pub mod aggregate;
pub mod condition;
pub mod histogram;
mod recorder;

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use aggregate::Aggregates;
pub use condition::{Conditions, Evidence, Observed, run_conditioned};
pub use recorder::{Recorder, record_wide_counts};

use crate::model::{Model, Trial};

/// Trials between two checks of the table memory.
const MEMORY_CHECK_EVERY: u64 = 16;

/// Trials a worker takes at a time.
pub const CHUNK: u64 = 512;

/// Shared progress and cancellation between the workers and the caller.
#[derive(Debug, Default)]
pub struct Progress {
    /// Trials finished so far.
    pub done: AtomicU64,
    /// Set to stop the workers at their next chunk.
    pub cancel: AtomicBool,
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        threads: usize,
        source: rayon::ThreadPoolBuildError,
    },
    #[error("interrupted before all trials finished")]
    Cancelled,
    #[error(
        "stopped: the per-day tables passed {limit_mib} MiB ({used_mib} MiB). This scenario spreads head counts \
         over very many values on very many report days; use step = \"week\" or \"month\", a shorter \
         horizon_days, or fewer --threads (each keeps its own tables), or raise the limit with \
         FORCEGEN_MAX_TABLE_MIB"
    )]
    MemoryLimit { limit_mib: u64, used_mib: u64 },
}

/// Default ceiling on the memory of all workers' per-day tables together.
pub const DEFAULT_TABLE_LIMIT_MIB: u64 = 8 * 1024;

/// The table memory ceiling: `FORCEGEN_MAX_TABLE_MIB`, or the default.
pub fn table_limit_mib() -> u64 {
    std::env::var("FORCEGEN_MAX_TABLE_MIB")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_TABLE_LIMIT_MIB)
}

/// What one worker thread does with each trial it runs, and what it gives
/// when the trials run out (merged by the caller, in worker order).
pub trait Worker {
    type Output: Send;
    /// Runs trial `index` into `trial`'s buffers and keeps what it needs.
    fn trial(&mut self, index: u64, trial: &mut Trial);
    /// Bytes of per-day tables held (checked against the memory limit).
    fn table_bytes(&self) -> u64;
    /// Counts what is buffered: the output, and the bytes of its tables.
    fn finish(self) -> (Self::Output, u64);
}

/// The plain run's worker: every trial recorded.
struct Plain<'m> {
    model: &'m Model,
    recorder: Recorder,
}

impl Worker for Plain<'_> {
    type Output = Aggregates;

    #[inline(always)]
    fn trial(&mut self, index: u64, trial: &mut Trial) {
        self.model.run_trial(index, trial);
        self.recorder.record(self.model, trial);
    }

    fn table_bytes(&self) -> u64 {
        self.recorder.table_bytes()
    }

    fn finish(self) -> (Aggregates, u64) {
        let aggregates = self.recorder.finish();
        let bytes = aggregates.table_bytes();
        (aggregates, bytes)
    }
}

/// Runs the trials numbered `trials` on `threads` threads (0 = all cores).
pub fn run(model: &Model, trials: Range<u64>, threads: usize, progress: &Progress) -> Result<Aggregates, EngineError> {
    let parts = run_workers(trials, threads, progress, || Plain {
        model,
        recorder: Recorder::new(model),
    })?;
    // Merge into the first worker's aggregates (integer sums: the order does
    // not change the result), dropping each part once merged.
    let mut parts = parts.into_iter();
    let mut total = parts.next().unwrap_or_else(|| Aggregates::new(model));
    for part in parts {
        total.merge(&part);
    }
    Ok(total)
}

/// Runs the trials numbered `trials` on `threads` threads (0 = all cores),
/// each worker made by `make` and taking chunks of [`CHUNK`] trials as they
/// come; the workers' outputs in worker order (one per worker). Stops all of them when their tables
/// together pass [`table_limit_mib`], or on `progress.cancel`.
pub fn run_workers<W: Worker>(
    trials: Range<u64>,
    threads: usize,
    progress: &Progress,
    make: impl Fn() -> W + Sync,
) -> Result<Vec<W::Output>, EngineError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| EngineError::Threads { threads, source })?;
    let next_chunk = AtomicU64::new(0);
    let chunks = (trials.end - trials.start).div_ceil(CHUNK);
    let results: Mutex<Vec<(usize, W::Output)>> = Mutex::new(Vec::new());
    // Each worker's table memory when last checked (every few trials, and
    // after its last buffered trials are counted); past the limit, all stop.
    let limit = table_limit_mib().saturating_mul(1 << 20);
    let table_bytes: Vec<AtomicU64> = (0..pool.current_num_threads()).map(|_| AtomicU64::new(0)).collect();
    let over_limit = AtomicU64::new(0);
    pool.broadcast(|context| {
        // Notes this worker's table memory; false (and all workers told to
        // stop) once all workers' tables together pass the limit.
        let within_limit = |bytes: u64| {
            if let Some(slot) = table_bytes.get(context.index()) {
                slot.store(bytes, Ordering::Relaxed);
            }
            let used: u64 = table_bytes.iter().map(|b| b.load(Ordering::Relaxed)).sum();
            if used > limit {
                over_limit.fetch_max(used, Ordering::Relaxed);
                progress.cancel.store(true, Ordering::Relaxed);
            }
            used <= limit
        };
        let mut worker = make();
        let mut trial = Trial::default();
        loop {
            if progress.cancel.load(Ordering::Relaxed) {
                break;
            }
            let chunk = next_chunk.fetch_add(1, Ordering::Relaxed);
            if chunk >= chunks {
                break;
            }
            let first = trials.start + chunk * CHUNK;
            let last = (first + CHUNK).min(trials.end);
            for index in first..last {
                worker.trial(index, &mut trial);
                if (index - first).is_multiple_of(MEMORY_CHECK_EVERY) && !within_limit(worker.table_bytes()) {
                    break;
                }
            }
            progress.done.fetch_add(last - first, Ordering::Relaxed);
        }
        let (output, bytes) = worker.finish();
        // The last buffered trials are counted by `finish`: check again.
        if !within_limit(bytes) {
            return;
        }
        if let Ok(mut results) = results.lock() {
            results.push((context.index(), output));
        }
    });
    let used = over_limit.load(Ordering::Relaxed);
    if used > 0 {
        return Err(EngineError::MemoryLimit {
            limit_mib: limit >> 20,
            used_mib: used >> 20,
        });
    }
    if progress.cancel.load(Ordering::Relaxed) {
        return Err(EngineError::Cancelled);
    }
    let mut results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    results.sort_by_key(|(worker, _)| *worker);
    Ok(results.into_iter().map(|(_, output)| output).collect())
}

/// Applies `work` to fixed chunks of [`CHUNK`] trials in parallel and returns
/// the results in chunk order, so that a fold over them is the same whatever
/// the thread count. For analyses that need each trial's values (sensitivity,
/// paired comparison) rather than per-day tables.
pub fn map_chunks<T: Send>(
    trials: Range<u64>,
    threads: usize,
    progress: &Progress,
    work: impl Fn(Range<u64>) -> T + Sync,
) -> Result<Vec<T>, EngineError> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| EngineError::Threads { threads, source })?;
    let chunks = (trials.end - trials.start).div_ceil(CHUNK);
    let results: Vec<Option<T>> = pool.install(|| {
        (0..chunks)
            .into_par_iter()
            .map(|chunk| {
                if progress.cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let first = trials.start + chunk * CHUNK;
                let last = (first + CHUNK).min(trials.end);
                let result = work(first..last);
                progress.done.fetch_add(last - first, Ordering::Relaxed);
                Some(result)
            })
            .collect()
    });
    results
        .into_iter()
        .collect::<Option<Vec<T>>>()
        .ok_or(EngineError::Cancelled)
}
