//! Which kind of file a text is, for every format faasplan reads, by content
//! (the extension is only a hint for CSV). An importer asked to read a file of
//! another kind says so: "not a Step Functions state machine: it looks like a
//! Lambda log", or "unknown format", naming the file ([`expect_kind`]).

use serde_json::Value;

use super::{asl, lambda_logs, power_tuning};

/// Every kind of file faasplan reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FormatKind {
    /// faasplan project JSON (`"format": "faasplan-project"`).
    Project,
    /// faasplan plan JSON (an exported plan).
    Plan,
    /// Jolteon grid side file `[[memory_mb, d], ..]`.
    JolteonGrid,
    /// Jolteon workflow JSON.
    JolteonWorkflow,
    /// Jolteon profile JSON.
    JolteonProfile,
    /// faasplan profile CSV.
    ProfileCsv,
    /// Step Functions state machine (ASL JSON or YAML).
    StateMachine,
    /// SAM or CloudFormation template holding a state machine.
    Template,
    /// Lambda logs with REPORT lines or platform.report records.
    LambdaLog,
    /// Power Tuning output JSON, visualization URL or markdown run history.
    PowerTuning,
    /// Power Tuning execution input (no measurements).
    PowerTuningInput,
    /// A summary of Power Tuning's chosen memory sizes (a markdown table of
    /// function and memory, no measurements).
    PowerTuningSummary,
}

impl FormatKind {
    /// What the kind is called in messages.
    pub fn describe(self) -> &'static str {
        match self {
            FormatKind::Project => "a faasplan project",
            FormatKind::Plan => "a faasplan plan",
            FormatKind::JolteonGrid => "a Jolteon grid file",
            FormatKind::JolteonWorkflow => "a Jolteon workflow",
            FormatKind::JolteonProfile => "a Jolteon profile",
            FormatKind::ProfileCsv => "a faasplan profile CSV",
            FormatKind::StateMachine => "a Step Functions state machine",
            FormatKind::Template => "a SAM/CloudFormation template with a state machine",
            FormatKind::LambdaLog => "a Lambda log with REPORT lines",
            FormatKind::PowerTuning => "Power Tuning results",
            FormatKind::PowerTuningInput => {
                "a Power Tuning execution input (it holds no measurements)"
            }
            FormatKind::PowerTuningSummary => {
                "a summary of Power Tuning's chosen memory sizes (it holds no measurements: open the run histories)"
            }
        }
    }
}

const STEPS: [&str; 4] = ["cold", "read", "compute", "write"];

/// The kind of a JSON or YAML value, if it is one faasplan reads.
fn value_kind(v: &Value) -> Option<FormatKind> {
    match v {
        Value::Object(o) => {
            if o.get("format").and_then(Value::as_str) == Some("faasplan-project")
                || (o.contains_key("format")
                    && o.contains_key("workflow")
                    && o.contains_key("settings"))
            {
                Some(FormatKind::Project)
            } else if o.contains_key("status")
                && o.contains_key("stages")
                && o.contains_key("settings")
            {
                Some(FormatKind::Plan)
            } else if asl::is_definition(v) {
                Some(FormatKind::StateMachine)
            } else if asl::is_template_with_state_machine(v) {
                Some(FormatKind::Template)
            } else if power_tuning::is_input(v) {
                Some(FormatKind::PowerTuningInput)
            } else if power_tuning::is_output(v) {
                Some(FormatKind::PowerTuning)
            } else if o.contains_key("logEvents")
                || (o.contains_key("events") && v.to_string().contains("REPORT RequestId"))
                || o.get("type").and_then(Value::as_str) == Some("platform.report")
                || o.contains_key("LogResult")
            {
                Some(FormatKind::LambdaLog)
            } else if o.contains_key("workflow_name") || o.contains_key("num_stages") {
                Some(FormatKind::JolteonWorkflow)
            } else if !o.is_empty()
                && o.values().all(|stage| {
                    stage
                        .as_object()
                        .is_some_and(|s| s.keys().any(|k| STEPS.contains(&k.as_str())))
                })
            {
                Some(FormatKind::JolteonProfile)
            } else {
                None
            }
        }
        Value::Array(a)
            if !a.is_empty()
                && a.iter().all(|c| {
                    c.as_array()
                        .is_some_and(|p| p.len() == 2 && p.iter().all(Value::is_number))
                }) =>
        {
            Some(FormatKind::JolteonGrid)
        }
        _ => None,
    }
}

/// A text about Power Tuning whose markdown table gives a memory size per
/// function and no durations.
fn is_tuning_summary(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    lower.contains("power tuning")
        && body.lines().map(str::trim).any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with('|')
                && l.contains("function")
                && l.contains("memory")
                && !l.contains("duration")
                && !l.contains("cost")
        })
}

/// Detects the kind of `text` (file `name`), or `None` for an unknown format.
pub fn detect(name: &str, text: &str) -> Option<FormatKind> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.is_empty() {
        return None;
    }
    if body.starts_with('{') || body.starts_with('[') {
        if let Ok(v) = asl::parse_text(body)
            && let Some(k) = value_kind(&v)
        {
            return Some(k);
        }
        // JSON lines, a documented output with `...`, broken JSON.
        if lambda_logs::looks_like_log(body) {
            return Some(FormatKind::LambdaLog);
        }
        if power_tuning::looks_like_tuning(body) {
            return Some(FormatKind::PowerTuning);
        }
        if body.contains("\"StartAt\"") && body.contains("\"States\"") {
            return Some(FormatKind::StateMachine);
        }
        return None;
    }
    if lambda_logs::looks_like_log(body) {
        return Some(FormatKind::LambdaLog);
    }
    if power_tuning::looks_like_tuning(body) {
        return Some(FormatKind::PowerTuning);
    }
    if is_tuning_summary(body) {
        return Some(FormatKind::PowerTuningSummary);
    }
    let header = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    if ext == "csv" || (header.contains("memory_mb") && header.contains(',')) {
        return Some(FormatKind::ProfileCsv);
    }
    if (matches!(ext.as_str(), "yaml" | "yml" | "json" | "template" | "asl") || body.contains(':'))
        && let Ok(v) = asl::parse_text(body)
    {
        return value_kind(&v);
    }
    None
}

/// Why a file is not the kind an importer reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KindError {
    /// The file is another kind faasplan reads.
    #[error("{file}: not {expected}: it looks like {found}")]
    Other {
        /// File name.
        file: String,
        /// What the importer reads.
        expected: String,
        /// What the file looks like.
        found: &'static str,
    },
    /// The file is no kind faasplan reads.
    #[error("{file}: unknown format (not {expected} nor any other file faasplan reads)")]
    Unknown {
        /// File name.
        file: String,
        /// What the importer reads.
        expected: String,
    },
}

/// Checks that `text` (file `name`) is one of `wanted`; else says what it looks like.
pub fn expect_kind(name: &str, text: &str, wanted: &[FormatKind]) -> Result<FormatKind, KindError> {
    let expected = wanted
        .iter()
        .map(|k| k.describe())
        .collect::<Vec<_>>()
        .join(" or ");
    match detect(name, text) {
        Some(k) if wanted.contains(&k) => Ok(k),
        Some(found) => Err(KindError::Other {
            file: name.to_string(),
            expected,
            found: found.describe(),
        }),
        None => Err(KindError::Unknown {
            file: name.to_string(),
            expected,
        }),
    }
}
