//! AWS Lambda Power Tuning results as duration-by-memory curves.
//!
//! Reads the state machine's output (`{"results": {..}}` or the bare result:
//! `power`, `cost`, `duration`, `stateMachine.visualization`, and `stats` when
//! the run had `includeOutputResults`), the visualization URL
//! (`https://lambda-power-tuning.show/#<powers>;<durations>;<costs>`, base64 of
//! little-endian Int16 / Float32 / Float32 arrays, or the 8-part comparison form
//! `A;A;A;B;B;B;legendA;legendB`), and markdown run histories (every URL and
//! fenced output in the file, one run each). The documented output with
//! `, ...` ellipses reads too. The execution *input* (`lambdaARN`,
//! `powerValues`, `num`) holds no measurements and is refused as such.

use base64::Engine;
use serde_json::Value;

use crate::arch::Arch;
use crate::profile::{ProfileRun, StepStat};

/// One measured point: average duration and cost at one memory size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TuningPoint {
    /// Memory size, MB.
    pub memory_mb: u32,
    /// Average duration, ms.
    pub duration_ms: f64,
    /// Average cost per invocation (USD, or CNY for `?currency=CNY`), if known.
    pub cost: Option<f64>,
}

/// One Power Tuning run (or one side of a comparison).
#[derive(Clone, Debug, PartialEq)]
pub struct TuningRun {
    /// A label: the comparison legend, the markdown heading, or empty.
    pub label: String,
    /// The function, when the file names it (`lambdaARN` of the input).
    pub function: Option<String>,
    /// The points, ascending by memory.
    pub points: Vec<TuningPoint>,
    /// The memory Power Tuning chose, when the file says.
    pub chosen_mb: Option<u32>,
    /// The architecture the run was measured on, when its label names one
    /// (a comparison legend such as `JS ARM64`, a markdown heading); Power
    /// Tuning's output itself does not record it.
    pub architecture: Option<Arch>,
}

/// The architecture a label names: a word such as `arm64`, `ARM`, `aarch64`
/// or `Graviton2`, or `x86`, `x86_64`, `amd64`; `None` when it names none or both.
pub fn label_architecture(label: &str) -> Option<Arch> {
    let mut found = None;
    for word in label.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
        let lower = word.to_ascii_lowercase();
        let arch = if lower.starts_with("graviton") {
            Some(Arch::Arm64)
        } else {
            Arch::parse(&lower)
        };
        match (found, arch) {
            (_, None) => {}
            (None, a) => found = a,
            (Some(f), Some(a)) if f != a => return None,
            _ => {}
        }
    }
    found
}

/// Everything a Power Tuning file gives.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TuningImport {
    /// The runs, in file order.
    pub runs: Vec<TuningRun>,
    /// What the file was.
    pub form: &'static str,
    /// Oddities the reader worked around (malformed hash, broken fenced block).
    pub notes: Vec<String>,
}

/// Why a Power Tuning file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {message}")]
pub struct TuningError {
    /// Where: a line, a JSON path, a hash part.
    pub place: String,
    /// What is wrong.
    pub message: String,
}

fn err(place: impl Into<String>, message: impl Into<String>) -> TuningError {
    TuningError {
        place: place.into(),
        message: message.into(),
    }
}

const HOST: &str = "lambda-power-tuning.show/";

/// Whether a JSON value is a Power Tuning execution input.
pub fn is_input(v: &Value) -> bool {
    v.get("lambdaARN").is_some() && v.get("powerValues").is_some()
}

/// Whether a JSON value is a Power Tuning output.
pub fn is_output(v: &Value) -> bool {
    let r = v.get("results").unwrap_or(v);
    r.get("power").is_some() && (r.get("duration").is_some() || r.get("stats").is_some())
}

/// Whether a text is (or holds) Power Tuning results.
pub fn looks_like_tuning(text: &str) -> bool {
    text.contains(HOST)
        || (text.contains("\"power\"")
            && text.contains("\"duration\"")
            && text.contains("\"cost\""))
}

/// Decodes a visualization URL into one run (3 parts) or two (8 parts).
pub fn decode_url(url: &str) -> Result<(Vec<TuningRun>, Vec<String>), TuningError> {
    let url = url.trim();
    let hash = url
        .split_once('#')
        .map(|(_, h)| h)
        .ok_or_else(|| err("URL", "no `#` data part"))?;
    let parts: Vec<&str> = hash.split(';').collect();
    let mut notes = Vec::new();
    let part = |i: usize| -> Result<&str, TuningError> {
        parts.get(i).copied().ok_or_else(|| {
            err(
                "URL #",
                format!(
                    "{} parts; a result needs powers;durations;costs",
                    parts.len()
                ),
            )
        })
    };
    let run = |base: usize, label: String| -> Result<TuningRun, TuningError> {
        let powers =
            decode_i16(part(base)?).map_err(|m| err(format!("URL # part {}", base + 1), m))?;
        let durations =
            decode_f32(part(base + 1)?).map_err(|m| err(format!("URL # part {}", base + 2), m))?;
        let costs =
            decode_f32(part(base + 2)?).map_err(|m| err(format!("URL # part {}", base + 3), m))?;
        if powers.len() != durations.len() || powers.len() != costs.len() || powers.is_empty() {
            return Err(err(
                format!("URL # parts {}-{}", base + 1, base + 3),
                format!(
                    "{} powers, {} durations, {} costs: the three lists must be equally long and not empty",
                    powers.len(),
                    durations.len(),
                    costs.len()
                ),
            ));
        }
        let mut points = Vec::with_capacity(powers.len());
        for (i, ((p, d), c)) in powers.iter().zip(&durations).zip(&costs).enumerate() {
            if *p <= 0 || !d.is_finite() || *d < 0.0 {
                return Err(err(
                    format!("URL # point {}", i + 1),
                    format!("memory {p} MB, duration {d} ms is not a measurement"),
                ));
            }
            points.push(TuningPoint {
                memory_mb: *p as u32,
                duration_ms: *d,
                cost: c.is_finite().then_some(*c),
            });
        }
        points.sort_by_key(|p| p.memory_mb);
        Ok(TuningRun {
            label,
            function: None,
            points,
            chosen_mb: None,
            architecture: None,
        })
    };
    let runs = match parts.len() {
        3 => vec![run(0, String::new())?],
        8 => vec![
            run(0, percent_decode(parts[6]))?,
            run(3, percent_decode(parts[7]))?,
        ],
        n if n > 3 => {
            notes.push(format!(
                "the URL's data has {n} parts (3 or 8 expected); read the first 3, as the visualization page does"
            ));
            vec![run(0, String::new())?]
        }
        n => {
            return Err(err(
                "URL #",
                format!("{n} parts; a result needs powers;durations;costs"),
            ));
        }
    };
    Ok((runs, notes))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn b64(part: &str) -> Result<Vec<u8>, String> {
    let cleaned: String = percent_decode(part.trim())
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let unpadded = cleaned.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(unpadded)
        .map_err(|e| format!("not base64: {e}"))
}

fn decode_i16(part: &str) -> Result<Vec<i16>, String> {
    let bytes = b64(part)?;
    if bytes.len() % 2 != 0 {
        return Err(format!(
            "{} bytes is not a list of 16-bit integers",
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect())
}

fn decode_f32(part: &str) -> Result<Vec<f64>, String> {
    let bytes = b64(part)?;
    if bytes.len() % 4 != 0 {
        return Err(format!(
            "{} bytes is not a list of 32-bit floats",
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .collect())
}

/// Every visualization URL in a text.
fn urls(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find(HOST) {
            let from = rest[..at]
                .rfind(|c: char| c.is_whitespace() || matches!(c, '"' | '(' | '<' | '\'' | '['))
                .map_or(0, |p| p + 1);
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '"' | ')' | '>' | '\'' | ']' | ',')
                })
                .unwrap_or(tail.len());
            out.push((i + 1, &rest[from..at + end]));
            rest = &tail[end..];
        }
    }
    out
}

/// Reads JSON that may carry the documented `, ...` ellipsis or trailing commas.
fn lenient_json(text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str(text) {
        return Some(v);
    }
    let mut s = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            s.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                s.push(c);
            }
            '.' if chars.peek() == Some(&'.') => {
                while chars.peek() == Some(&'.') {
                    chars.next();
                }
            }
            _ => s.push(c),
        }
    }
    // Drop commas before a closing bracket.
    let mut out = String::with_capacity(s.len());
    let bytes: Vec<char> = s.chars().collect();
    for (i, &c) in bytes.iter().enumerate() {
        if c == ',' {
            let next = bytes[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some(']' | '}')) {
                continue;
            }
        }
        out.push(c);
    }
    serde_json::from_str(&out).ok()
}

fn number_or_string(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One output object as a run.
fn output_run(v: &Value, place: &str) -> Result<(TuningRun, Option<String>), TuningError> {
    let r = v.get("results").unwrap_or(v);
    let chosen_mb = number_or_string(r.get("power")).map(|p| p as u32);
    let mut notes = None;
    let mut points: Vec<TuningPoint> = Vec::new();
    if let Some(stats) = r.get("stats").and_then(Value::as_array) {
        for (i, s) in stats.iter().enumerate() {
            let p = number_or_string(s.get("value"))
                .filter(|p| *p >= 1.0)
                .ok_or_else(|| {
                    err(
                        format!("{place}stats[{i}].value"),
                        "missing or not a memory size",
                    )
                })?;
            let d = number_or_string(s.get("averageDuration"))
                .filter(|d| d.is_finite() && *d >= 0.0)
                .ok_or_else(|| {
                    err(
                        format!("{place}stats[{i}].averageDuration"),
                        "missing or not a duration",
                    )
                })?;
            points.push(TuningPoint {
                memory_mb: p as u32,
                duration_ms: d,
                cost: number_or_string(s.get("averagePrice")),
            });
        }
    }
    if points.is_empty()
        && let Some(Ok((mut runs, n))) = r
            .get("stateMachine")
            .and_then(|s| s.get("visualization"))
            .and_then(Value::as_str)
            .map(decode_url)
    {
        notes = n.into_iter().next();
        points = runs.swap_remove(0).points;
    }
    if points.is_empty() {
        let d = number_or_string(r.get("duration"))
            .filter(|d| d.is_finite() && *d >= 0.0)
            .ok_or_else(|| err(format!("{place}duration"), "missing or not a duration"))?;
        let p = chosen_mb
            .filter(|p| *p >= 1)
            .ok_or_else(|| err(format!("{place}power"), "missing or not a memory size"))?;
        points.push(TuningPoint {
            memory_mb: p,
            duration_ms: d,
            cost: number_or_string(r.get("cost")),
        });
        notes = Some("only the chosen memory's average: no stats and no visualization data".into());
    }
    points.sort_by_key(|p| p.memory_mb);
    Ok((
        TuningRun {
            label: String::new(),
            function: None,
            points,
            chosen_mb,
            architecture: None,
        },
        notes,
    ))
}

/// Reads a Power Tuning file: output JSON, a visualization URL, or markdown.
/// A run whose label (a comparison legend, a heading) names an architecture
/// ([`label_architecture`]) is marked as measured on it.
pub fn import_tuning(text: &str) -> Result<TuningImport, TuningError> {
    let mut out = read_tuning(text)?;
    for r in &mut out.runs {
        r.architecture = r.architecture.or_else(|| label_architecture(&r.label));
    }
    Ok(out)
}

fn read_tuning(text: &str) -> Result<TuningImport, TuningError> {
    let trimmed = text.trim();
    let mut out = TuningImport::default();
    if trimmed.starts_with('{') {
        let v = lenient_json(trimmed).ok_or_else(|| {
            let e = serde_json::from_str::<Value>(trimmed).err();
            err(
                e.as_ref().map_or("JSON".to_string(), |e| {
                    format!("line {}, column {}", e.line(), e.column())
                }),
                "not valid JSON",
            )
        })?;
        if is_input(&v) {
            return Err(err(
                "top level",
                "a Power Tuning execution input (lambdaARN, powerValues): it holds no measurements; import the execution's output",
            ));
        }
        if !is_output(&v) {
            return Err(err(
                "top level",
                "no `power` and `duration` (or `stats`): not a Power Tuning output",
            ));
        }
        let (run, note) = output_run(
            &v,
            if v.get("results").is_some() {
                "results."
            } else {
                ""
            },
        )?;
        out.form = "Power Tuning output JSON";
        out.notes.extend(note);
        out.runs.push(run);
        return Ok(out);
    }
    let found = urls(text);
    let is_markdown = text
        .lines()
        .any(|l| l.starts_with('#') || l.starts_with("```"));
    if !is_markdown {
        if found.is_empty() {
            return Err(err(
                "whole file",
                "no Power Tuning output or visualization URL",
            ));
        }
        out.form = "Power Tuning visualization URL";
        for (line, url) in found {
            let (runs, notes) =
                decode_url(url).map_err(|e| err(format!("line {line}, {}", e.place), e.message))?;
            out.runs.extend(runs);
            out.notes
                .extend(notes.into_iter().map(|n| format!("line {line}: {n}")));
        }
        return Ok(out);
    }
    out.form = "Power Tuning run history (markdown)";
    markdown(text, &mut out)?;
    if out.runs.is_empty() {
        return Err(err(
            "whole file",
            "markdown without Power Tuning results (no output block or visualization URL)",
        ));
    }
    Ok(out)
}

fn markdown(text: &str, out: &mut TuningImport) -> Result<(), TuningError> {
    let mut heading = String::new();
    let mut function: Option<String> = None;
    let mut fence: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if let Some((start, body)) = fence.as_mut() {
            if line.trim_start().starts_with("```") {
                let block = std::mem::take(body);
                let start = *start;
                fence = None;
                block_run(&block, start, &heading, &mut function, out)?;
            } else {
                body.push_str(line);
                body.push('\n');
            }
            continue;
        }
        if line.trim_start().starts_with("```") {
            fence = Some((line_no + 1, String::new()));
        } else if let Some(h) = line.strip_prefix('#') {
            heading = h.trim_start_matches('#').trim().to_string();
        } else {
            for (_, url) in urls(line) {
                if let Ok((runs, _)) = decode_url(url) {
                    for mut r in runs {
                        r.label = heading.clone();
                        r.function = function.clone();
                        out.runs.push(r);
                    }
                }
            }
        }
    }
    Ok(())
}

fn block_run(
    block: &str,
    line: usize,
    heading: &str,
    function: &mut Option<String>,
    out: &mut TuningImport,
) -> Result<(), TuningError> {
    let trimmed = block.trim();
    let value = lenient_json(trimmed).or_else(|| lenient_json(&format!("{{{trimmed}")));
    if let Some(v) = &value {
        if is_input(v) {
            *function = v.get("lambdaARN").and_then(Value::as_str).map(String::from);
            return Ok(());
        }
        if is_output(v) {
            let place = format!("line {line}, ");
            let (mut run, note) = output_run(v, &place)?;
            run.label = heading.to_string();
            run.function = function.clone();
            out.notes.extend(note.map(|n| format!("line {line}: {n}")));
            out.runs.push(run);
            return Ok(());
        }
    }
    // A block that is not valid JSON: take what can be recovered.
    if let Some(arn) = trimmed
        .split("\"lambdaARN\"")
        .nth(1)
        .and_then(|t| t.split('"').nth(1))
    {
        *function = Some(arn.to_string());
        if value.is_none() {
            out.notes.push(format!(
                "line {line}: an input block that is not valid JSON; read its lambdaARN"
            ));
        }
        return Ok(());
    }
    let found = urls(block);
    if let Some((l, url)) = found.first() {
        let (runs, _) = decode_url(url)
            .map_err(|e| err(format!("line {}, {}", line + l - 1, e.place), e.message))?;
        out.notes.push(format!(
            "line {line}: an output block that is not valid JSON; read its visualization URL"
        ));
        for mut r in runs {
            r.label = heading.to_string();
            r.function = function.clone();
            r.chosen_mb = trimmed
                .split("\"power\"")
                .nth(1)
                .and_then(|t| {
                    t.trim_start_matches([':', ' ', '"'])
                        .split(|c: char| !c.is_ascii_digit())
                        .next()
                })
                .and_then(|n| n.parse().ok());
            out.runs.push(r);
        }
    }
    Ok(())
}

/// Profile rows of a run: one duration-only row per memory size (the average
/// duration as `compute`, one instance).
pub fn profile_runs(run: &TuningRun) -> Vec<ProfileRun> {
    run.points
        .iter()
        .map(|p| {
            let s = p.duration_ms / 1000.0;
            ProfileRun {
                memory_mb: p.memory_mb,
                d: 1,
                rep: 0,
                cold: false,
                start: StepStat {
                    mean_s: 0.0,
                    p95_s: 0.0,
                },
                read: StepStat {
                    mean_s: 0.0,
                    p95_s: 0.0,
                },
                compute: StepStat {
                    mean_s: s,
                    p95_s: s,
                },
                write: None,
                timestamp: None,
                architecture: run.architecture,
            }
        })
        .collect()
}
