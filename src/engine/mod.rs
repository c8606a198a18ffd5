//! Runs trials in parallel and reduces them to [`Aggregates`].
//!
//! Trials are handed out in fixed-size chunks to one worker per thread; each
//! worker keeps one accumulator and one set of trial buffers. Every trial
//! draws only from streams keyed by (seed, trial index, input), and every
//! aggregate is an integer count or sum, so the merged result is the same
//! to the bit whatever the thread count or the order chunks finish in.

pub mod aggregate;
pub mod histogram;

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use aggregate::Aggregates;

use crate::model::{Model, Trial};

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
}

/// Runs the trials numbered `trials` on `threads` threads (0 = all cores).
pub fn run(model: &Model, trials: Range<u64>, threads: usize, progress: &Progress) -> Result<Aggregates, EngineError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| EngineError::Threads { threads, source })?;
    let next_chunk = AtomicU64::new(0);
    let chunks = (trials.end - trials.start).div_ceil(CHUNK);
    let results: Mutex<Vec<(usize, Aggregates)>> = Mutex::new(Vec::new());
    pool.broadcast(|context| {
        let mut aggregates = Aggregates::new(model);
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
                model.run_trial(index, &mut trial);
                aggregates.record(model, &trial);
            }
            progress.done.fetch_add(last - first, Ordering::Relaxed);
        }
        aggregates.finish();
        if let Ok(mut results) = results.lock() {
            results.push((context.index(), aggregates));
        }
    });
    if progress.cancel.load(Ordering::Relaxed) {
        return Err(EngineError::Cancelled);
    }
    let mut results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    results.sort_by_key(|(worker, _)| *worker);
    // Merge into the first worker's aggregates (integer sums: the order does
    // not change the result), dropping each part once merged.
    let mut parts = results.into_iter().map(|(_, part)| part);
    let mut total = parts.next().unwrap_or_else(|| {
        let mut empty = Aggregates::new(model);
        empty.finish();
        empty
    });
    for part in parts {
        total.merge(&part);
    }
    Ok(total)
}
