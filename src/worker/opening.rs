//! Import jobs ([`Task::Import`](super::protocol::Task::Import)): the worker
//! reads the opened files as bytes ([`read`], from their object URLs) and
//! imports them with [`crate::import::import_files`] ([`import_bytes`]), so a
//! large CSV or project is never parsed on the page's thread. The bytes are
//! checked to be UTF-8 here, with the line of the first bad byte.

use faasplan_core::arch::Arch;
use faasplan_core::dag::Workflow;
use faasplan_core::formats::jolteon::JolteonGrid;

use super::protocol::Progress;
use crate::import::{ImportContext, ImportError, Imported, NamedText, import_files_measured};

/// The most memory, bytes, the profile runs of one batch may take in the app
/// ([`profile_memory_bytes`]), checked in the file-reading worker before they
/// reach the page or the planning worker (see `docs/limits.md`): about
/// 430,000 runs. The command line has no such limit.
pub const MAX_PROFILE_MEMORY: usize = 200_000_000;

/// The most bytes one batch of opened files may have: they are read whole
/// into the file-reading worker's memory, checked before reading.
pub const MAX_OPEN_BYTES: u64 = 512_000_000;

/// The memory `runs` profile runs take in the app: held as runs on the page
/// and in the planning worker, and packed (at most [`MAX_RECORD`](super::protocol::wire::MAX_RECORD)
/// bytes a run) in up to three copies while they cross between threads
/// (the sender's buffer, the structured clone, the receiver's).
pub fn profile_memory_bytes(runs: usize) -> usize {
    let per_run = 2 * std::mem::size_of::<faasplan_core::profile::ProfileRun>()
        + 3 * super::protocol::wire::MAX_RECORD;
    runs.saturating_mul(per_run)
}

/// Imports files read as bytes against `workflow` (the one in the editor),
/// `grid` (the JSON of a grid side file opened earlier) and the CSV profiles'
/// MB per vCPU, and the architectures the user set for measurement files
/// (`measured_on`); reports [`Progress::Parsing`].
pub fn import_bytes(
    files: Vec<(String, Vec<u8>)>,
    workflow: &Workflow,
    grid: Option<&str>,
    csv_mb_per_vcpu: f64,
    measured_on: &[(String, Arch)],
    progress: &mut dyn FnMut(Progress),
) -> Result<Imported, ImportError> {
    import_bytes_within(
        files,
        workflow,
        grid,
        csv_mb_per_vcpu,
        measured_on,
        progress,
        MAX_PROFILE_MEMORY,
    )
}

/// [`import_bytes`] with `limit` bytes for the profile runs.
fn import_bytes_within(
    files: Vec<(String, Vec<u8>)>,
    workflow: &Workflow,
    grid: Option<&str>,
    csv_mb_per_vcpu: f64,
    measured_on: &[(String, Arch)],
    progress: &mut dyn FnMut(Progress),
    limit: usize,
) -> Result<Imported, ImportError> {
    let _span = crate::browser::perf::span("import-parse");
    let total = files.len() as u64;
    progress(Progress::Parsing { done: 0, total });
    let grid = grid
        .map(JolteonGrid::from_json)
        .transpose()
        .map_err(|e| ImportError {
            file: "the grid file opened earlier".into(),
            message: e.to_string(),
        })?;
    let texts = files
        .into_iter()
        .map(|(name, bytes)| match utf8(bytes) {
            Ok(text) => Ok(NamedText { name, text }),
            Err(message) => Err(ImportError {
                file: name,
                message,
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cx = ImportContext {
        workflow,
        grid: grid.as_ref(),
        csv_mb_per_vcpu,
    };
    let out = import_files_measured(&texts, &cx, measured_on)?;
    let runs = |p: &faasplan_core::profile::Profiles| -> usize {
        p.stages.iter().map(|s| s.runs.len()).sum()
    };
    let brought = out.profiles.as_ref().map_or(0, runs)
        + out.project.as_ref().map_or(0, |p| runs(&p.profiles));
    let need = profile_memory_bytes(brought);
    if need > limit {
        let names: Vec<&str> = texts.iter().map(|t| t.name.as_str()).collect();
        return Err(ImportError {
            file: names.join(", "),
            message: format!(
                "{brought} profile runs need about {} MB in the app (the runs on the page and \
                 in the planning worker, and their packed copies while they cross), more than \
                 its {} MB limit; plan it with the command line (faasplan plan), or keep fewer \
                 runs per configuration",
                need.div_ceil(1_000_000),
                limit / 1_000_000
            ),
        });
    }
    progress(Progress::Parsing { done: total, total });
    Ok(out)
}

/// The text of a file's bytes (a leading byte-order mark dropped, as the
/// browser's text decoding does), or where it stops being UTF-8.
fn utf8(mut bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        let column = 1 + at
            - bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        format!(
            "line {line}, column {column}: not UTF-8 text (byte 0x{:02X})",
            bytes[at]
        )
    })
}

/// Reads every file's bytes, in order, reporting [`Progress::Reading`] after each.
pub async fn read(
    files: &[super::protocol::FileRef],
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<(String, Vec<u8>)>, ImportError> {
    let total = check_open_size(files)?;
    let mut done = 0;
    progress(Progress::Reading { done, total });
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let bytes = fetch_bytes(&file.url)
            .await
            .map_err(|message| ImportError {
                file: file.name.clone(),
                message,
            })?;
        done += bytes.len() as u64;
        progress(Progress::Reading {
            done,
            total: total.max(done),
        });
        out.push((file.name.clone(), bytes));
    }
    Ok(out)
}

/// The batch's size in bytes, or an error when it is over [`MAX_OPEN_BYTES`].
fn check_open_size(files: &[super::protocol::FileRef]) -> Result<u64, ImportError> {
    let total: u64 = files.iter().map(|f| f.bytes).sum();
    if total > MAX_OPEN_BYTES {
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        return Err(ImportError {
            file: names.join(", "),
            message: format!(
                "{:.1} MB of files are more than the {} MB the app reads at once; plan them \
                 with the command line (faasplan plan)",
                total as f64 / 1e6,
                MAX_OPEN_BYTES / 1_000_000
            ),
        });
    }
    Ok(total)
}

/// GETs `url` from the worker's global scope and returns the body's bytes.
async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let global = js_sys::global();
    let fetch = js_sys::Reflect::get(&global, &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("this browser cannot read files in a worker (no fetch)")?;
    let promise = fetch
        .call1(&global, &url.into())
        .map_err(|e| crate::browser::js_message("cannot read the file", e))?;
    let response: web_sys::Response = JsFuture::from(js_sys::Promise::from(promise))
        .await
        .map_err(|e| crate::browser::js_message("cannot read the file", e))?
        .dyn_into()
        .map_err(|_| "cannot read the file: not a response".to_string())?;
    if !response.ok() {
        return Err(format!("cannot read the file: http {}", response.status()));
    }
    let buffer = response
        .array_buffer()
        .map_err(|e| crate::browser::js_message("cannot read the file", e))?;
    let buffer = JsFuture::from(buffer)
        .await
        .map_err(|e| crate::browser::js_message("cannot read the file", e))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::import_files;
    use crate::import::tests::{ML_PROFILE, ML_WORKFLOW};

    fn empty() -> Workflow {
        Workflow {
            name: String::new(),
            stages: Vec::new(),
            edges: Vec::new(),
            choices: Vec::new(),
            loops: Vec::new(),
            shared: Vec::new(),
        }
    }

    fn files(list: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect()
    }

    #[test]
    fn bytes_import_as_the_texts_do_and_progress_ends_at_the_file_count() {
        let mut seen = Vec::new();
        let out = import_bytes(
            files(&[
                ("w.json", ML_WORKFLOW.as_bytes()),
                ("p.json", ML_PROFILE.as_bytes()),
            ]),
            &empty(),
            None,
            1792.0,
            &[],
            &mut |p| seen.push(p),
        )
        .unwrap();
        let none = empty();
        let cx = ImportContext {
            workflow: &none,
            grid: None,
            csv_mb_per_vcpu: 1792.0,
        };
        let texts = [
            NamedText::new("w.json", ML_WORKFLOW),
            NamedText::new("p.json", ML_PROFILE),
        ];
        assert_eq!(out, import_files(&texts, &cx).unwrap());
        assert_eq!(seen.last(), Some(&Progress::Parsing { done: 2, total: 2 }));
    }

    #[test]
    fn bytes_that_are_not_utf8_name_the_file_and_line() {
        let mut bad = b"stage,memory_mb\nload,1024\n".to_vec();
        bad.extend_from_slice(b"x\xFFy\n");
        let err = import_bytes(
            files(&[("runs.csv", &bad)]),
            &empty(),
            None,
            1792.0,
            &[],
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(err.file, "runs.csv");
        assert_eq!(
            err.message, "line 3, column 2: not UTF-8 text (byte 0xFF)",
            "{err}"
        );
    }

    #[test]
    fn profiles_above_the_memory_limit_are_refused_naming_the_count_and_the_limit() {
        let mut csv = String::from(
            "stage,memory_mb,d,rep,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,compute_mean_s,compute_p95_s,write_mean_s,write_p95_s\n",
        );
        let wf = import_bytes(
            files(&[("w.json", ML_WORKFLOW.as_bytes())]),
            &empty(),
            None,
            1792.0,
            &[],
            &mut |_| {},
        )
        .unwrap()
        .workflow
        .unwrap();
        let stage = &wf.stages[0].id;
        for rep in 0..1000 {
            csv.push_str(&format!(
                "{stage},1024,1,{rep},false,0.1,0.2,0.1,0.2,1,2,,\n"
            ));
        }
        let open = |limit| {
            import_bytes_within(
                files(&[("huge.csv", csv.as_bytes())]),
                &wf,
                None,
                1792.0,
                &[],
                &mut |_| {},
                limit,
            )
        };
        // Exactly at the limit opens; a byte less is refused.
        assert!(open(profile_memory_bytes(1000)).is_ok());
        let err = open(profile_memory_bytes(1000) - 1).unwrap_err();
        assert_eq!(err.file, "huge.csv");
        assert!(
            err.message.starts_with(&format!(
                "1000 profile runs need about {} MB in the app",
                profile_memory_bytes(1000).div_ceil(1_000_000)
            )),
            "{err}"
        );
        assert!(err.message.contains("faasplan plan"), "{err}");
        // The real limit takes the 266,000-run profile of a 20 MB CSV, with room.
        assert!(profile_memory_bytes(266_000) <= MAX_PROFILE_MEMORY);
        assert!(profile_memory_bytes(usize::MAX) == usize::MAX);
    }

    #[test]
    fn a_batch_too_large_to_read_is_refused_before_reading() {
        let file = |name: &str, bytes| super::super::protocol::FileRef {
            name: name.into(),
            url: format!("blob:{name}"),
            bytes,
        };
        assert_eq!(
            check_open_size(&[file("a.csv", 20_000_000)]).unwrap(),
            20_000_000
        );
        let err = check_open_size(&[file("a.csv", MAX_OPEN_BYTES), file("b.csv", 1)]).unwrap_err();
        assert_eq!(err.file, "a.csv, b.csv");
        assert!(
            err.message
                .starts_with("512.0 MB of files are more than the 512 MB"),
            "{err}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_dropped_before_detection() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(ML_WORKFLOW.as_bytes());
        let out = import_bytes(
            files(&[("w.json", &bytes)]),
            &empty(),
            None,
            1792.0,
            &[],
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(out.workflow.map(|w| w.stages.len()), Some(4));
    }

    #[test]
    fn an_import_survives_the_wire_whole() {
        let out = import_bytes(
            files(&[
                ("w.json", ML_WORKFLOW.as_bytes()),
                ("p.json", ML_PROFILE.as_bytes()),
            ]),
            &empty(),
            None,
            1792.0,
            &[],
            &mut |_| {},
        )
        .unwrap();
        let msg = super::super::protocol::WorkerOutput::Imported {
            key: 3,
            result: Ok(out),
        };
        let text = serde_json::to_string(&msg).unwrap();
        assert_eq!(
            serde_json::from_str::<super::super::protocol::WorkerOutput>(&text).unwrap(),
            msg
        );
    }
}
