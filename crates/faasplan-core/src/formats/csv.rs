//! The native profile CSV: one row per measured stage run.
//!
//! Columns (the header names them; any order; all required except the two
//! `write_*` columns, `timestamp` and `architecture`, which may be absent or left empty in a row):
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `stage` | text | stage id (quote it as `"..."` if it contains a comma, a quote or starts with `#`; `""` is a quote inside) |
//! | `memory_mb` | integer ≥ 1 | memory per instance, MB |
//! | `d` | integer ≥ 1 | instance count (for a single-instance stage: its input's partitions) |
//! | `rep` | integer ≥ 0 | repetition number within the configuration |
//! | `cold` | `true`/`false` (or `1`/`0`) | whether the instances started cold |
//! | `start_mean_s`, `start_p95_s` | number | stage wall time minus mean in-function time, s (p95 may be negative) |
//! | `read_mean_s`, `read_p95_s` | number | reading the input: mean and 95th percentile over the instances, s |
//! | `compute_mean_s`, `compute_p95_s` | number | computing, s |
//! | `write_mean_s`, `write_p95_s` | number or empty | writing the output, s; both empty when the stage writes nothing |
//! | `timestamp` | number or empty, optional | when the run started, Unix time in seconds (UTC); a sliding window (`settings.window`) keeps the newest runs |
//! | `architecture` | `x86_64`, `arm64` or empty, optional | the architecture the run was measured on when it is not the platform's (see `faasplan_core::arch`) |
//!
//! Lines may end in CRLF; blank lines and lines starting with `#` are
//! skipped; whitespace around fields is ignored. Numbers must be finite.
//! Stages appear in the order of their first row, runs in row order. The
//! writer formats floats with Rust's shortest round-trip `Display`, so
//! [`write_profiles_csv`] followed by [`read_profiles_csv`] gives back the
//! same [`Profiles`] bit for bit (for finite values and ids without line breaks).
//! The file does not hold `mb_per_vcpu`: the reader takes it as a parameter.
//!
//! ```
//! use faasplan_core::formats::csv::{read_profiles_csv, write_profiles_csv};
//!
//! let text = "stage,memory_mb,d,rep,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,\
//!             compute_mean_s,compute_p95_s,write_mean_s,write_p95_s\n# a cold run\n\
//!             split,1792,4,0,true,1.2,0.9,0.5,0.6,10.25,11.5,,\n";
//! let profiles = read_profiles_csv(text, 1792.0).unwrap();
//! assert_eq!(profiles.stages[0].runs[0].wall_s(), 1.2 + 0.5 + 10.25);
//! assert_eq!(read_profiles_csv(&write_profiles_csv(&profiles), 1792.0).unwrap(), profiles);
//!
//! let err = read_profiles_csv(&text.replace("10.25", "abc"), 1792.0).unwrap_err();
//! assert_eq!(err.to_string(), "line 3, column compute_mean_s: \"abc\" is not a number");
//! ```

use std::collections::HashMap;

use thiserror::Error;

use crate::profile::{ProfileRun, Profiles, StageProfile, StepStat};

/// Every column, in the order the writer uses (it writes `timestamp` and
/// `architecture` only when some run has one).
pub const COLUMNS: [&str; 15] = [
    "stage",
    "memory_mb",
    "d",
    "rep",
    "cold",
    "start_mean_s",
    "start_p95_s",
    "read_mean_s",
    "read_p95_s",
    "compute_mean_s",
    "compute_p95_s",
    "write_mean_s",
    "write_p95_s",
    "timestamp",
    "architecture",
];

/// The columns that may be left out.
const OPTIONAL: [&str; 4] = ["write_mean_s", "write_p95_s", "timestamp", "architecture"];

/// Why a profile CSV could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CsvError {
    /// A problem with a whole line (header, field count, quoting).
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A problem with one value.
    #[error("line {line}, column {column}: {message}")]
    Cell {
        /// 1-based line number.
        line: usize,
        /// The column's header name.
        column: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The `mb_per_vcpu` parameter is not positive and finite.
    #[error("mb_per_vcpu: {0} is not a finite value above 0")]
    MbPerVcpu(String),
}

/// Reads a profile CSV (see the module docs). `mb_per_vcpu` is the MB per
/// vCPU of the platform the runs were measured on.
pub fn read_profiles_csv(text: &str, mb_per_vcpu: f64) -> Result<Profiles, CsvError> {
    if !(mb_per_vcpu.is_finite() && mb_per_vcpu > 0.0) {
        return Err(CsvError::MbPerVcpu(mb_per_vcpu.to_string()));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((header_line, header)) = lines.next() else {
        return Err(CsvError::Line {
            line: 1,
            message: "missing header line".into(),
        });
    };
    let header = Header::parse(header_line, header)?;
    let mut stages: Vec<StageProfile> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (line, text) in lines {
        let (stage, run) = header.row(line, text)?;
        let i = *index.entry(stage.clone()).or_insert_with(|| {
            stages.push(StageProfile {
                stage,
                runs: Vec::new(),
            });
            stages.len() - 1
        });
        stages[i].runs.push(run);
    }
    if stages.is_empty() {
        return Err(CsvError::Line {
            line: header_line,
            message: "no data rows after the header: the file profiles no run".into(),
        });
    }
    Ok(Profiles {
        mb_per_vcpu,
        stages,
    })
}

/// Writes profiles as CSV with every column, in [`COLUMNS`] order, LF line
/// endings; the `timestamp` column only when some run has a timestamp.
pub fn write_profiles_csv(profiles: &Profiles) -> String {
    let dated = profiles
        .stages
        .iter()
        .any(|s| s.runs.iter().any(|r| r.timestamp.is_some()));
    let tagged = profiles
        .stages
        .iter()
        .any(|s| s.runs.iter().any(|r| r.architecture.is_some()));
    let mut columns = COLUMNS[..13].to_vec();
    if dated {
        columns.push(COLUMNS[13]);
    }
    if tagged {
        columns.push(COLUMNS[14]);
    }
    let mut out = columns.join(",");
    out.push('\n');
    for stage in &profiles.stages {
        let id = quote(&stage.stage);
        for r in &stage.runs {
            let (wm, wp) = r.write.map_or((String::new(), String::new()), |w| {
                (w.mean_s.to_string(), w.p95_s.to_string())
            });
            let stamp = match (dated, r.timestamp) {
                (false, _) => String::new(),
                (true, Some(t)) => format!(",{t}"),
                (true, None) => ",".to_string(),
            };
            let arch = match (tagged, r.architecture) {
                (false, _) => String::new(),
                (true, Some(a)) => format!(",{a}"),
                (true, None) => ",".to_string(),
            };
            out.push_str(&format!(
                "{id},{},{},{},{},{},{},{},{},{},{},{wm},{wp}{stamp}{arch}\n",
                r.memory_mb,
                r.d,
                r.rep,
                r.cold,
                r.start.mean_s,
                r.start.p95_s,
                r.read.mean_s,
                r.read.p95_s,
                r.compute.mean_s,
                r.compute.p95_s,
            ));
        }
    }
    out
}

fn quote(field: &str) -> String {
    let needs = field.is_empty()
        || field.trim() != field
        || field.starts_with('#')
        || field.contains([',', '"', '\r', '\n']);
    if needs {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Splits a line into trimmed fields; `"..."` quotes a field (`""` inside is a quote).
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut field = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err(format!("field {}: unterminated quote", fields.len() + 1)),
                }
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            fields.push(field);
            match chars.next() {
                None => return Ok(fields),
                Some(',') => {}
                Some(c) => {
                    return Err(format!(
                        "field {}: unexpected {c:?} after a closing quote",
                        fields.len()
                    ));
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim_end().to_string());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => {
                        return Err(format!(
                            "field {}: quote inside an unquoted field",
                            fields.len() + 1
                        ));
                    }
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim_end().to_string());
        }
    }
}

/// Column positions, by [`COLUMNS`] index.
struct Header {
    pos: [Option<usize>; 15],
    len: usize,
}

impl Header {
    fn parse(line: usize, text: &str) -> Result<Header, CsvError> {
        let err = |message: String| CsvError::Line { line, message };
        let names = split_fields(text).map_err(err)?;
        let mut pos = [None; 15];
        for (i, name) in names.iter().enumerate() {
            let Some(c) = COLUMNS.iter().position(|&k| k == name) else {
                return Err(err(format!(
                    "unknown column {name:?} (expected {})",
                    COLUMNS.join(", ")
                )));
            };
            if pos[c].replace(i).is_some() {
                return Err(err(format!("column {name} appears twice")));
            }
        }
        if let Some(c) =
            (0..COLUMNS.len()).find(|&c| pos[c].is_none() && !OPTIONAL.contains(&COLUMNS[c]))
        {
            return Err(err(format!("missing column {}", COLUMNS[c])));
        }
        if pos[11].is_some() != pos[12].is_some() {
            return Err(err(
                "write_mean_s and write_p95_s must both be present or both absent".into(),
            ));
        }
        Ok(Header {
            pos,
            len: names.len(),
        })
    }

    fn row(&self, line: usize, text: &str) -> Result<(String, ProfileRun), CsvError> {
        let fields = split_fields(text).map_err(|message| CsvError::Line { line, message })?;
        if fields.len() != self.len {
            return Err(CsvError::Line {
                line,
                message: format!("expected {} fields, found {}", self.len, fields.len()),
            });
        }
        let cell = |c: usize| self.pos[c].map_or("", |p| fields[p].as_str());
        let bad = |c: usize, message: String| CsvError::Cell {
            line,
            column: COLUMNS[c],
            message,
        };
        let stage = cell(0);
        if stage.is_empty() {
            return Err(bad(0, "empty stage id".into()));
        }
        let int = |c: usize, min: u32| {
            cell(c)
                .parse::<u32>()
                .ok()
                .filter(|&v| v >= min)
                .ok_or_else(|| {
                    bad(
                        c,
                        format!("{:?} is not an integer of at least {min}", cell(c)),
                    )
                })
        };
        let cold = match cell(4).to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => return Err(bad(4, format!("{other:?} is not true or false"))),
        };
        let num = |c: usize| match cell(c).parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(bad(c, format!("{:?} is not a finite number", cell(c)))),
            Err(_) => Err(bad(c, format!("{:?} is not a number", cell(c)))),
        };
        let stat = |c: usize| -> Result<StepStat, CsvError> {
            Ok(StepStat {
                mean_s: num(c)?,
                p95_s: num(c + 1)?,
            })
        };
        let write = match (cell(11).is_empty(), cell(12).is_empty()) {
            (true, true) => None,
            (false, false) => Some(stat(11)?),
            (true, false) => return Err(bad(11, "empty, but write_p95_s is set".into())),
            (false, true) => return Err(bad(12, "empty, but write_mean_s is set".into())),
        };
        let run = ProfileRun {
            memory_mb: int(1, 1)?,
            d: int(2, 1)?,
            rep: int(3, 0)?,
            cold,
            start: stat(5)?,
            read: stat(7)?,
            compute: stat(9)?,
            write,
            timestamp: match cell(13) {
                "" => None,
                _ => Some(num(13)?),
            },
            architecture: match cell(14) {
                "" => None,
                text => Some(crate::arch::Arch::parse(text).ok_or_else(|| {
                    bad(
                        14,
                        format!("{text:?} is not an architecture (x86_64 or arm64)"),
                    )
                })?),
            },
        };
        run.check().map_err(|p| {
            let name = p.field.replace('.', "_");
            let c = COLUMNS.iter().position(|&c| c == name).unwrap_or(0);
            bad(c, p.message)
        })?;
        Ok((stage.to_string(), run))
    }
}
