//! Which kind of file a text is: by content, with the extension as a hint
//! for text that is not JSON.

use serde_json::Value;

/// The kinds of file the app reads, in the order a batch applies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// faasplan project JSON.
    Project,
    /// Jolteon grid side file `[[memory_mb, d], ...]`.
    JolteonGrid,
    /// Jolteon workflow JSON.
    JolteonWorkflow,
    /// Jolteon profile JSON.
    JolteonProfile,
    /// Native profile CSV.
    ProfileCsv,
}

const STEPS: [&str; 4] = ["cold", "read", "compute", "write"];

/// Detects the kind of `text` (file `name`), or says why it is none of them.
pub fn detect_kind(name: &str, text: &str) -> Result<FileKind, String> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.is_empty() {
        return Err("the file is empty".into());
    }
    let looks_json = body.starts_with('{') || body.starts_with('[');
    if looks_json || ext == "json" {
        return match serde_json::from_str::<Value>(body) {
            Ok(value) => json_kind(&value),
            Err(e) if ext == "csv" && !looks_json => Err(format!("profile csv: {e}")),
            Err(e) => Err(format!("not valid JSON: {e}")),
        };
    }
    let header = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    if ext == "csv" || (header.contains("memory_mb") && header.contains(',')) {
        return Ok(FileKind::ProfileCsv);
    }
    Err(unknown())
}

fn json_kind(value: &Value) -> Result<FileKind, String> {
    match value {
        Value::Object(obj) if obj.contains_key("format") => Ok(FileKind::Project),
        Value::Object(obj)
            if obj.contains_key("workflow_name") || obj.contains_key("num_stages") =>
        {
            Ok(FileKind::JolteonWorkflow)
        }
        Value::Object(obj)
            if !obj.is_empty()
                && obj.values().all(|stage| {
                    stage
                        .as_object()
                        .is_some_and(|s| s.keys().any(|k| STEPS.contains(&k.as_str())))
                }) =>
        {
            Ok(FileKind::JolteonProfile)
        }
        Value::Array(_) => Ok(FileKind::JolteonGrid),
        _ => Err(unknown()),
    }
}

fn unknown() -> String {
    "not a file faasplan reads (expected a faasplan project, a Jolteon workflow, profile or grid JSON, or a profile CSV)".into()
}
