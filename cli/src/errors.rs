//! How a failure is told. `main`, the commands and the workers report errors through these
//! two functions, so a message reads the same wherever it comes from, and a closed pipe is
//! recognised the same way wherever the write failed.

/// An error and its causes on one line, "a: b: c", leaving out a cause whose text the
/// message above it already ends with (an error that prints its source as part of its own
/// message, such as `cannot read X: No such file or directory`, would otherwise say it twice).
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// True when `error` comes from writing to a reader that went away (`… | head -1`).
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}
