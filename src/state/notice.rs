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

/// `n` with thousands separators, as messages to the user write counts: 130,122.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn counts_get_a_comma_every_three_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(130_122), "130,122");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
