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
        true => Err(super::Failure::Engine(crate::engine::EngineError::Cancelled)),
        false => Ok(()),
    }
}

/// True once Ctrl-C has been pressed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
