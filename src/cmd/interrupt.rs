//! Ctrl-C: the first SIGINT asks the run to stop at the next chunk of
//! trials; nothing is written, so earlier results stay as they were.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Installs the handler once per process (later calls do nothing).
pub fn install() {
    INSTALL.call_once(|| {
        // If a handler cannot be installed, Ctrl-C keeps its default
        // behaviour (the process ends and writes nothing): still safe.
        let _ = ctrlc::set_handler(|| REQUESTED.store(true, Ordering::SeqCst));
    });
}

/// Stops the command (exit 130) once Ctrl-C has been pressed: called after
/// the work and before anything is written.
pub fn check() -> Result<(), super::Failure> {
    match requested() {
        true => Err(super::Failure::Interrupted),
        false => Ok(()),
    }
}

/// True once Ctrl-C has been pressed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// How often [`interruptible`] looks at Ctrl-C.
const POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// Runs `work` (which must write nothing) on a thread of its own, with
/// Ctrl-C installed: its result, or exit 130 within [`POLL`] of Ctrl-C,
/// leaving the work to end with the process. For the commands that only
/// compute before they print or write (`validate`, `explain`, and `run`'s
/// warnings), which have no chunks of trials to stop between.
pub fn interruptible<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, super::Failure> {
    install();
    let (send, receive) = std::sync::mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("forcegen-work".to_string())
        .spawn(move || {
            // The receiver is gone only after Ctrl-C, when nobody waits.
            let _ = send.send(work());
        })
        .map_err(|e| super::Failure::Internal(format!("cannot start a thread: {e}")))?;
    loop {
        check()?;
        match receive.recv_timeout(POLL) {
            Ok(value) => {
                let _ = worker.join();
                return Ok(value);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(super::Failure::Internal("the work panicked".to_string()));
            }
        }
    }
}
