//! Notices: messages shown to the user (refused edits, file errors, run failures).

/// How a notice is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Something happened that the user may want to know.
    Info,
    /// An action was refused or an input could not be read.
    Warning,
    /// Something failed.
    Error,
}

/// One message to the user.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// Unique within a session; used to dismiss it.
    pub id: u64,
    /// Severity.
    pub level: Level,
    /// The text shown.
    pub text: String,
}
