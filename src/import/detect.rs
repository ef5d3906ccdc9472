//! Which kind of file a text is: by content, with the extension as a hint
//! for text that is not JSON.

use faasplan_core::formats::detect::{FormatKind, detect};
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
    /// AWS Step Functions state machine (ASL JSON/YAML, or a SAM/CloudFormation template).
    StateMachine,
    /// Lambda logs or Power Tuning results (read with their state machine).
    AwsMeasurements,
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
    match detect(name, body) {
        Some(FormatKind::StateMachine | FormatKind::Template) => return Ok(FileKind::StateMachine),
        Some(FormatKind::LambdaLog | FormatKind::PowerTuning) => {
            return Ok(FileKind::AwsMeasurements);
        }
        Some(FormatKind::ProfileCsv) => return Ok(FileKind::ProfileCsv),
        Some(
            k @ (FormatKind::PowerTuningInput | FormatKind::PowerTuningSummary | FormatKind::Plan),
        ) => {
            return Err(format!(
                "not a file faasplan opens: it looks like {}",
                k.describe()
            ));
        }
        _ => {}
    }
    let looks_json = body.starts_with('{') || body.starts_with('[');
    if looks_json || ext == "json" {
        return match serde_json::from_str::<Value>(body) {
            Ok(value) => json_kind(&value),
            Err(e) if ext == "csv" && !looks_json => Err(format!("profile csv: {e}")),
            Err(e) => Err(format!("not valid JSON: {e}")),
        };
    }
    // Text that is not JSON: the core's `detect` has already tried the CSV header.
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
    "unknown format (expected a faasplan project, a Jolteon workflow, profile or grid JSON, a profile CSV, a Step Functions state machine, Lambda logs or Power Tuning results)".into()
}
