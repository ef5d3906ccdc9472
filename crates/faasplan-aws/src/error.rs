//! Errors of the AWS backend, and the redaction every message goes through.

use std::sync::Mutex;

/// What kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The workflow, plan or request cannot be run (nothing was changed).
    Input,
    /// No credentials, or the credential chain failed.
    Credentials,
    /// An AWS API call failed.
    Api,
    /// A function update failed or did not finish in time.
    Update,
    /// An execution did not end in time.
    Timeout,
    /// The run was cancelled.
    Cancelled,
    /// Restoring the original configuration failed.
    Restore,
}

/// A failure of the AWS backend. The message names the call or the field,
/// and has been through [`redact`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AwsError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What went wrong (redacted).
    pub message: String,
}

impl AwsError {
    /// An error of `kind` with `message` (redacted here).
    pub fn new(kind: ErrorKind, message: impl AsRef<str>) -> Self {
        AwsError {
            kind,
            message: redact(message.as_ref()),
        }
    }

    /// A failed API call, with the SDK's whole error chain.
    pub fn api(call: &crate::Call, err: &(dyn std::error::Error + 'static)) -> Self {
        let mut text = err.to_string();
        let mut source = err.source();
        while let Some(s) = source {
            let s_text = s.to_string();
            if !text.contains(&s_text) {
                text.push_str(": ");
                text.push_str(&s_text);
            }
            source = s.source();
        }
        Self::new(ErrorKind::Api, format!("{call}: {text}"))
    }

    /// This error with the failure of the restore that followed it.
    pub fn with_restore_failure(self, restore: &AwsError) -> Self {
        AwsError::new(
            ErrorKind::Restore,
            format!(
                "{}; restoring the original configuration afterwards also failed: {}",
                self.message, restore.message
            ),
        )
    }
}

/// Secrets known to this process (the resolved credentials), removed from every message.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Registers a secret that [`redact`] removes from now on (ignored when shorter than 8 bytes).
pub(crate) fn register_secret(secret: &str) {
    if secret.len() < 8 {
        return;
    }
    if let Ok(mut v) = SECRETS.lock()
        && !v.iter().any(|s| s == secret)
    {
        v.push(secret.to_string());
    }
}

/// `text` without credentials: every secret the session resolved, every
/// access key id (`AKIA…`/`ASIA…` and 16 more capitals or digits), and the
/// value of any `Credential=`, `Signature=`, `X-Amz-Security-Token=` or
/// `X-Amz-Signature=` parameter.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(v) = SECRETS.lock() {
        for s in v.iter() {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    out = redact_key_ids(&out);
    for param in [
        "Credential=",
        "Signature=",
        "X-Amz-Security-Token=",
        "X-Amz-Signature=",
        "X-Amz-Credential=",
    ] {
        out = redact_param(&out, param);
    }
    out
}

fn redact_key_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let is_key = i + 20 <= bytes.len()
            && (bytes[i..].starts_with(b"AKIA") || bytes[i..].starts_with(b"ASIA"))
            && bytes[i + 4..i + 20]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && bytes
                .get(i + 20)
                .is_none_or(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit()));
        if is_key {
            out.push_str("[redacted key id]");
            i += 20;
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn redact_param(text: &str, param: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(param) {
        let (head, tail) = rest.split_at(at + param.len());
        out.push_str(head);
        let end = tail
            .find(|c: char| c == ',' || c == '&' || c == '"' || c.is_whitespace())
            .unwrap_or(tail.len());
        if end > 0 {
            out.push_str("[redacted]");
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_and_signature_parameters_are_removed() {
        let t = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=abc123 key ASIAQWERTYUIOPASDFGH.";
        let r = redact(t);
        assert!(!r.contains("AKIAIOSFODNN7EXAMPLE"), "{r}");
        assert!(!r.contains("ASIAQWERTYUIOPASDFGH"), "{r}");
        assert!(!r.contains("abc123"), "{r}");
        assert!(r.contains("SignedHeaders=host"), "{r}");
        assert!(r.contains("[redacted key id]."), "{r}");
    }

    #[test]
    fn registered_secrets_are_removed_and_other_text_is_kept() {
        register_secret("s3cr3t-value-for-the-redaction-test");
        let r = redact("error: bad s3cr3t-value-for-the-redaction-test here; AKIA too short");
        assert_eq!(r, "error: bad [redacted] here; AKIA too short");
    }
}
