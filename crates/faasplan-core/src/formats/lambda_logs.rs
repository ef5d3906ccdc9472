//! AWS Lambda `REPORT` lines as measured runs.
//!
//! Reads the text form (`REPORT RequestId: .. Duration: 12.34 ms Billed
//! Duration: 13 ms Memory Size: 128 MB Max Memory Used: 60 MB [Init Duration:
//! .. ms] [Restore Duration: .. ms] [Status: timeout]`, fields in any order,
//! separated by tabs, spaces or a literal `\t`; 100 ms and 1 ms billing) and the
//! JSON form (`"type": "platform.report"` with `record.metrics`), inside any of
//! these wrappers: plain lines (a console paste, `sam logs` output with its
//! stream and time prefix, JSON lines with text glued between them), an Invoke
//! `LogResult` (base64), a CloudWatch Logs subscription message
//! (`logGroup`, `logEvents`), and `aws logs get-log-events` /
//! `filter-log-events` output (`events`).
//!
//! Timeouts and errors (a `Status` other than success, a `Task timed out`
//! line, a runtime error line with the same request id) are flagged; they are
//! counted but kept out of the profile. `Init Duration` marks a cold start,
//! `Restore Duration` a SnapStart restore.

use base64::Engine;
use serde_json::Value;

use crate::profile::{ProfileRun, StepStat};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Returned normally.
    Success,
    /// Hit the function's timeout.
    Timeout,
    /// Ended with an error (crash, out of memory, runtime error).
    Error,
}

/// One `REPORT`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRun {
    /// Request id.
    pub request_id: String,
    /// Function name, from the log group (`/aws/lambda/<name>`) when known.
    pub function: Option<String>,
    /// Duration, ms.
    pub duration_ms: f64,
    /// Billed duration, ms.
    pub billed_ms: Option<f64>,
    /// Memory size, MB.
    pub memory_mb: u32,
    /// Max memory used, MB.
    pub max_memory_used_mb: Option<u32>,
    /// Init duration of a cold start, ms.
    pub init_ms: Option<f64>,
    /// SnapStart restore duration, ms.
    pub restore_ms: Option<f64>,
    /// How the run ended.
    pub status: RunStatus,
    /// Line of the file the report is on (1-based; for wrapped logs, the line of the wrapper).
    pub line: usize,
    /// When the report was written (the invocation's end), Unix time in seconds:
    /// the CloudWatch event's `timestamp`, the JSON record's `time`, or an
    /// RFC 3339 time before `REPORT` on its line (`sam logs`, console pastes).
    pub timestamp: Option<f64>,
}

/// The runs of a log file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogImport {
    /// Every report, in file order.
    pub runs: Vec<LogRun>,
    /// How the file was wrapped.
    pub wrapper: &'static str,
}

impl LogImport {
    /// Successful runs (the ones a profile uses).
    pub fn successful(&self) -> impl Iterator<Item = &LogRun> {
        self.runs.iter().filter(|r| r.status == RunStatus::Success)
    }

    /// Counts of (timeouts, errors).
    pub fn failures(&self) -> (usize, usize) {
        let t = self
            .runs
            .iter()
            .filter(|r| r.status == RunStatus::Timeout)
            .count();
        let e = self
            .runs
            .iter()
            .filter(|r| r.status == RunStatus::Error)
            .count();
        (t, e)
    }

    /// The distinct function names, in first-seen order.
    pub fn functions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in self.runs.iter().filter_map(|r| r.function.clone()) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }
}

/// Why a log could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {message}")]
pub struct LogError {
    /// Where: `line N` or a JSON path.
    pub place: String,
    /// What is wrong.
    pub message: String,
}

/// Whether a text holds a Lambda report (text or JSON form), possibly wrapped.
pub fn looks_like_log(text: &str) -> bool {
    text.contains("REPORT RequestId")
        || text.contains("platform.report")
        || decode_log_result(text).is_some()
}

/// Reads the `REPORT`s of a log file. A file without any is an error.
pub fn import_logs(text: &str) -> Result<LogImport, LogError> {
    let mut out = LogImport::default();
    let trimmed = text.trim();
    if let Some(decoded) = decode_log_result(trimmed) {
        out.wrapper = "Invoke LogResult (base64)";
        scan_lines(&decoded, None, 1, &mut out)?;
    } else if trimmed.starts_with('{') || trimmed.starts_with('[') {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => json_document(&v, &mut out, text)?,
            Err(_) => {
                out.wrapper = "log lines";
                scan_lines(text, None, 1, &mut out)?;
            }
        }
    } else {
        out.wrapper = "log lines";
        scan_lines(text, None, 1, &mut out)?;
    }
    if out.runs.is_empty() {
        return Err(LogError {
            place: "whole file".into(),
            message: "no Lambda REPORT line or platform.report record".into(),
        });
    }
    Ok(out)
}

/// A whole text that is base64 of a log holding a report.
fn decode_log_result(text: &str) -> Option<String> {
    let t = text.trim();
    if t.len() < 16
        || !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(t).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    (s.contains("REPORT RequestId") || s.contains("platform.report")).then_some(s)
}

fn json_document(v: &Value, out: &mut LogImport, text: &str) -> Result<(), LogError> {
    if let Some(events) = v.get("logEvents").and_then(Value::as_array) {
        out.wrapper = "CloudWatch Logs subscription message";
        let function = v
            .get("logGroup")
            .and_then(Value::as_str)
            .and_then(function_of_group);
        for e in events {
            if let Some(m) = e.get("message").and_then(Value::as_str) {
                let before = out.runs.len();
                scan_lines(m, function.clone(), 1, out)?;
                stamp_event(e, &mut out.runs[before..]);
            }
        }
        return Ok(());
    }
    if let Some(events) = v.get("events").and_then(Value::as_array) {
        out.wrapper = "CloudWatch Logs events (get-log-events / filter-log-events)";
        let group = v
            .get("logGroupName")
            .and_then(Value::as_str)
            .and_then(function_of_group);
        for e in events {
            if let Some(m) = e.get("message").and_then(Value::as_str) {
                let before = out.runs.len();
                scan_lines(m, group.clone(), 1, out)?;
                stamp_event(e, &mut out.runs[before..]);
            }
        }
        return Ok(());
    }
    if v.get("awslogs").is_some() {
        return Err(LogError {
            place: "awslogs.data".into(),
            message: "a compressed subscription payload: decode it first (base64 -d | gunzip)"
                .into(),
        });
    }
    if let Some(lr) = v.get("LogResult").and_then(Value::as_str) {
        out.wrapper = "Invoke response (LogResult)";
        let Some(decoded) = decode_log_result(lr) else {
            return Err(LogError {
                place: "LogResult".into(),
                message: "not base64 of a log with a REPORT line".into(),
            });
        };
        return scan_lines(&decoded, None, 1, out);
    }
    out.wrapper = "JSON log lines";
    scan_lines(text, None, 1, out)
}

/// Gives the runs read from a CloudWatch Logs event without a time of their
/// own the event's `timestamp` (ms since the Unix epoch).
fn stamp_event(event: &Value, runs: &mut [LogRun]) {
    let Some(ms) = event
        .get("timestamp")
        .and_then(Value::as_f64)
        .filter(|t| t.is_finite() && *t >= 0.0)
    else {
        return;
    };
    for r in runs.iter_mut().filter(|r| r.timestamp.is_none()) {
        r.timestamp = Some(ms / 1000.0);
    }
}

/// An RFC 3339 / ISO 8601 time `YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]` (no
/// zone: UTC) as Unix seconds; anything else is `None`.
pub fn rfc3339(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c == '"' || c == ',' || c == '[' || c == ']');
    let b = t.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let int = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (int(0..4)?, int(5..7)?, int(8..10)?);
    let (hour, minute, second) = (int(11..13)?, int(14..16)?, int(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &t[19..];
    let mut frac = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        frac = format!("0.{}", &r[..digits]).parse().ok()?;
        rest = &r[digits..];
    }
    let offset_s = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = &rest[1..];
            let (h, m) = r.split_once(':').unwrap_or((r.get(..2)?, r.get(2..)?));
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            sign * (h * 3600 + m * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(secs as f64 + frac)
}

/// The function name of a log group `/aws/lambda/<name>`.
pub fn function_of_group(group: &str) -> Option<String> {
    group
        .strip_prefix("/aws/lambda/")
        .map(|n| n.trim_end_matches('/').to_string())
        .filter(|n| !n.is_empty())
}

/// Reads every report in a block of lines.
fn scan_lines(
    text: &str,
    function: Option<String>,
    first_line: usize,
    out: &mut LogImport,
) -> Result<(), LogError> {
    let text = text.replace("\\t", "\t").replace("\\n", "\n");
    let mut failed: Vec<(String, RunStatus)> = Vec::new();
    let start = out.runs.len();
    for (i, line) in text.lines().enumerate() {
        let line_no = first_line + i;
        if let Some(at) = line.find("REPORT RequestId") {
            // A report never holds a double quote: one ends a quoted CSV cell
            // (a Logs Insights export) or a JSON string.
            let report = line[at..].split('"').next().unwrap_or("");
            let mut run = parse_text_report(report).map_err(|m| LogError {
                place: format!("line {line_no}"),
                message: m,
            })?;
            run.function = function.clone();
            run.line = line_no;
            run.timestamp = line[..at].split_whitespace().find_map(rfc3339);
            out.runs.push(run);
            continue;
        }
        let failure = if line.contains("Task timed out after") {
            Some(RunStatus::Timeout)
        } else if line.contains("Runtime exited")
            || line.contains("Runtime.ExitError")
            || line.contains("Process exited before completing request")
            || line.contains("Runtime.OutOfMemory")
        {
            Some(RunStatus::Error)
        } else {
            None
        };
        if let Some(status) = failure
            && let Some(id) = request_id_in(line)
        {
            failed.push((id, status));
        }
        // JSON records, possibly several or glued to text on one line.
        let mut from = 0;
        while let Some(off) = line[from..].find('{') {
            let at = from + off;
            let mut stream = serde_json::Deserializer::from_str(&line[at..]).into_iter::<Value>();
            match stream.next() {
                Some(Ok(v)) => {
                    from = at + stream.byte_offset();
                    if let Some(run) = json_report(&v, line_no, &function)? {
                        out.runs.push(run);
                    } else if let Some(m) = v.get("message").and_then(Value::as_str)
                        && (m.contains("REPORT RequestId") || m.contains("platform.report"))
                    {
                        scan_lines(m, function.clone(), line_no, out)?;
                    }
                }
                _ => from = at + 1,
            }
        }
    }
    for run in &mut out.runs[start..] {
        if let Some((_, s)) = failed.iter().find(|(id, _)| *id == run.request_id)
            && run.status == RunStatus::Success
        {
            run.status = *s;
        }
    }
    Ok(())
}

/// A request id (8-4-4-4-12 hex) somewhere in a line.
fn request_id_in(line: &str) -> Option<String> {
    line.split(|c: char| c.is_whitespace() || c == ',' || c == '"')
        .find(|t| {
            let parts: Vec<&str> = t.split('-').collect();
            parts.len() == 5
                && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
                && parts
                    .iter()
                    .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .map(String::from)
}

fn number(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0)
}

/// Parses the text after `REPORT`: `Label: value [unit]` fields in any order.
fn parse_text_report(text: &str) -> Result<LogRun, String> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut label: Vec<&str> = Vec::new();
    let mut i = 1; // skip "REPORT"
    while i < tokens.len() {
        let t = tokens[i];
        if let Some(word) = t.strip_suffix(':') {
            label.push(word);
            let value = tokens.get(i + 1).copied().unwrap_or("");
            fields.push((label.join(" "), value.to_string()));
            label.clear();
            i += 2;
            if tokens
                .get(i)
                .is_some_and(|u| matches!(*u, "ms" | "MB" | "s"))
            {
                i += 1;
            }
        } else {
            label.push(t);
            i += 1;
        }
    }
    let get = |name: &str| {
        fields
            .iter()
            .find(|(l, _)| l == name)
            .map(|(_, v)| v.as_str())
    };
    let num = |name: &str| -> Result<Option<f64>, String> {
        match get(name) {
            None => Ok(None),
            Some(v) => number(v)
                .map(Some)
                .ok_or_else(|| format!("{name}: {v:?} is not a duration or size")),
        }
    };
    let request_id = get("RequestId")
        .ok_or("a REPORT line without RequestId")?
        .to_string();
    let duration_ms = num("Duration")?.ok_or("a REPORT line without Duration")?;
    let memory = num("Memory Size")?.ok_or("a REPORT line without Memory Size")?;
    let status = match get("Status") {
        None | Some("success") => RunStatus::Success,
        Some("timeout") => RunStatus::Timeout,
        Some(_) => RunStatus::Error,
    };
    Ok(LogRun {
        request_id,
        function: None,
        duration_ms,
        billed_ms: num("Billed Duration")?,
        memory_mb: memory as u32,
        max_memory_used_mb: num("Max Memory Used")?.map(|x| x as u32),
        init_ms: num("Init Duration")?,
        restore_ms: num("Restore Duration")?,
        status,
        line: 0,
        timestamp: None,
    })
}

/// A `platform.report` record as a run; other JSON is `None`.
fn json_report(
    v: &Value,
    line: usize,
    function: &Option<String>,
) -> Result<Option<LogRun>, LogError> {
    if v.get("type").and_then(Value::as_str) != Some("platform.report") {
        return Ok(None);
    }
    let place = |f: &str| LogError {
        place: format!("line {line}, record.{f}"),
        message: "missing or not a number".into(),
    };
    let record = v.get("record").ok_or_else(|| LogError {
        place: format!("line {line}, record"),
        message: "missing".into(),
    })?;
    let metrics = record.get("metrics").ok_or_else(|| place("metrics"))?;
    let m = |k: &str| {
        metrics
            .get(k)
            .and_then(Value::as_f64)
            .filter(|x| x.is_finite() && *x >= 0.0)
    };
    let duration_ms = m("durationMs").ok_or_else(|| place("metrics.durationMs"))?;
    let memory = m("memorySizeMB").ok_or_else(|| place("metrics.memorySizeMB"))?;
    let status = match record.get("status").and_then(Value::as_str) {
        None | Some("success") => RunStatus::Success,
        Some("timeout") => RunStatus::Timeout,
        Some(_) => RunStatus::Error,
    };
    Ok(Some(LogRun {
        request_id: record
            .get("requestId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        function: function.clone(),
        duration_ms,
        billed_ms: m("billedDurationMs"),
        memory_mb: memory as u32,
        max_memory_used_mb: m("maxMemoryUsedMB").map(|x| x as u32),
        init_ms: m("initDurationMs"),
        restore_ms: m("restoreDurationMs"),
        status,
        line,
        timestamp: v.get("time").and_then(Value::as_str).and_then(rfc3339),
    }))
}

/// Profile rows of successful runs: duration only (the whole in-function time
/// is `compute`; read and write are zero), one instance, the memory from the
/// report; a cold start's or restore's time is the start-up part.
pub fn profile_runs<'a>(runs: impl IntoIterator<Item = &'a LogRun>) -> Vec<ProfileRun> {
    let mut reps: Vec<(u32, u32)> = Vec::new();
    runs.into_iter()
        .filter(|r| r.status == RunStatus::Success)
        .map(|r| {
            let rep = match reps.iter_mut().find(|(m, _)| *m == r.memory_mb) {
                Some((_, n)) => {
                    *n += 1;
                    *n - 1
                }
                None => {
                    reps.push((r.memory_mb, 1));
                    0
                }
            };
            let start_ms = r.init_ms.unwrap_or(0.0) + r.restore_ms.unwrap_or(0.0);
            let stat = |ms: f64| StepStat {
                mean_s: ms / 1000.0,
                p95_s: ms / 1000.0,
            };
            ProfileRun {
                memory_mb: r.memory_mb,
                d: 1,
                rep,
                cold: r.init_ms.is_some() || r.restore_ms.is_some(),
                start: stat(start_ms),
                read: stat(0.0),
                compute: stat(r.duration_ms),
                write: None,
                // The report is written at the end: the run started its
                // start-up and duration earlier.
                timestamp: r
                    .timestamp
                    .map(|t| (t - (start_ms + r.duration_ms) / 1000.0).max(0.0)),
                architecture: None,
            }
        })
        .collect()
}
