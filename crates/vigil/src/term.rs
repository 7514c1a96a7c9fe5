//! Writing to the terminal without panicking.
//!
//! `println!` panics when stdout is a closed pipe (`vigil hunt … | head`) and `eprintln!` when stderr
//! is closed. vigil writes reports through [`out!`], which returns the I/O error to the caller, and
//! notes through [`note!`], which drops them (a note that cannot be shown must not stop the work).
//! `main` turns a broken pipe into a quiet exit, as Unix tools do, and any other write error (a full
//! disk) into an error.

/// Exit status after the reader of stdout went away: what a shell reports for a process ended by
/// SIGPIPE (128 + 13).
pub const BROKEN_PIPE_EXIT: u8 = 141;

/// `writeln!` to stdout, evaluating to `std::io::Result<()>`.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `writeln!` to stderr; a failure to write is ignored.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// Whether an error, anywhere in its chain, is a write to a pipe whose reader has gone.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A path as it may be shown on a terminal (control characters escaped).
pub fn path(p: &std::path::Path) -> String {
    vigil_model::text::path(p)
}

/// Untrusted text as it may be shown on a terminal (control characters escaped).
pub fn text(s: &str) -> std::borrow::Cow<'_, str> {
    vigil_model::text::terminal(s)
}

/// `write!` to stdout (no newline added), evaluating to `std::io::Result<()>`.
#[macro_export]
macro_rules! put {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}
