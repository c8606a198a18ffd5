//! The one progress helper: runs engine work on a scoped thread while the
//! terminal shows a bar (unless `--quiet` or not a terminal) and Ctrl-C is
//! passed on to the workers as a cancel request.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Failure;
use super::interrupt;
use crate::engine::{EngineError, Progress};

/// How often the bar is redrawn and Ctrl-C is looked at.
const POLL: Duration = Duration::from_millis(20);

/// A progress bar over `total` trials, shared by one or more pieces of work
/// (a sweep's grid points run one after another under one bar).
pub struct Meter {
    bar: Option<indicatif::ProgressBar>,
    /// Trials finished by earlier pieces of work.
    done_before: u64,
}

impl Meter {
    /// A bar over `total` trials; `label` is shown after the count (e.g. the
    /// grid point), if any.
    pub fn new(total: u64, quiet: bool, label: Option<String>) -> Meter {
        let show = !quiet && std::io::stderr().is_terminal();
        let bar = show.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
            let template = match label {
                Some(_) => "{bar:40} {pos}/{len} trials  {msg}  {per_sec}  ETA {eta}",
                None => "{bar:40} {pos}/{len} trials  {per_sec}  ETA {eta}",
            };
            let style = indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            if let Some(label) = label {
                bar.set_message(label);
            }
            bar
        });
        Meter { bar, done_before: 0 }
    }

    /// Changes the label shown beside the count.
    pub fn label(&self, label: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(label);
        }
    }

    /// Runs `work` (which reports into the [`Progress`] it is given) of
    /// `trials` trials, moving the bar along and passing Ctrl-C on.
    pub fn run<T: Send>(
        &mut self,
        trials: u64,
        work: impl FnOnce(&Progress) -> Result<T, EngineError> + Send,
    ) -> Result<T, Failure> {
        let progress = Progress::default();
        let result = std::thread::scope(|scope| {
            let worker = scope.spawn(|| work(&progress));
            while !worker.is_finished() {
                if interrupt::requested() {
                    progress.cancel.store(true, Ordering::Relaxed);
                }
                if let Some(bar) = &self.bar {
                    bar.set_position(self.done_before + progress.done.load(Ordering::Relaxed));
                }
                std::thread::sleep(POLL);
            }
            worker.join()
        });
        self.done_before = self.done_before.saturating_add(trials);
        let outcome = match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(Failure::Engine(e)),
            Err(_) => Err(Failure::Internal("a worker thread panicked".to_string())),
        };
        if outcome.is_err() {
            self.clear();
        }
        outcome
    }

    /// Removes the bar from the terminal.
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Runs one piece of engine work of `trials` trials under its own bar.
pub fn with_progress<T: Send>(
    trials: u64,
    quiet: bool,
    work: impl FnOnce(&Progress) -> Result<T, EngineError> + Send,
) -> Result<T, Failure> {
    Meter::new(trials, quiet, None).run(trials, work)
}
