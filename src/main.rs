use std::process::ExitCode;

/// Output piped into a program that stops reading (`forcegen explain | head`)
/// ends forcegen quietly, as it does any Unix tool, instead of a panic on
/// the failed write.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE, before any thread
    // starts; no handler of ours is replaced.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    forcegen::cmd::main()
}
