//! Opening files: the batch being read by the file-reading worker, its
//! progress and its answer. The reducer only keeps the request
//! ([`Opening`]) and applies the answer; `hooks::use_opener` posts the job
//! when `open_rev` grows and revokes the files' object URLs afterwards.

use std::rc::Rc;

use faasplan_core::arch::Arch;

use super::{Action, AppState, Level};
use crate::import::{ImportError, Imported, Measurement};
use crate::worker::protocol::{FileRef, Progress};

/// A batch of files being read and imported off the page's thread.
#[derive(Clone, Debug, PartialEq)]
pub struct Opening {
    /// The `open_rev` the batch was asked with; only its answer is applied.
    pub key: u64,
    /// The files, as the worker reads them.
    pub files: Vec<FileRef>,
    /// The latest progress the worker reported.
    pub progress: Option<Progress>,
    /// `(file, architecture)` set in the import dialog's "measured on".
    pub measured_on: Vec<(String, Arch)>,
}

/// The import dialog's "measured on": the last batch's Lambda logs and Power
/// Tuning results, which do not record the architecture, each with what the
/// file says or what the user chose. Choosing imports the same files again.
#[derive(Clone, Debug, PartialEq)]
pub struct Measuring {
    /// The batch's files (their object URLs stay valid while this is open).
    pub files: Vec<FileRef>,
    /// Its measurement files.
    pub measurements: Vec<Measurement>,
}

impl Measuring {
    /// The user's choices, as the import's `measured_on`.
    pub fn measured_on(&self) -> Vec<(String, Arch)> {
        self.measurements
            .iter()
            .filter_map(|m| m.chosen.map(|a| (m.file.clone(), a)))
            .collect()
    }
}

impl Opening {
    /// One line for the user, e.g. "Opening big.csv: reading 3.1 of 20.0 MB".
    pub fn label(&self) -> String {
        let names: Vec<&str> = self.files.iter().map(|f| f.name.as_str()).collect();
        match &self.progress {
            Some(p) => format!("Opening {}: {}", names.join(", "), p.label()),
            None => format!("Opening {}", names.join(", ")),
        }
    }
}

impl AppState {
    pub(crate) fn apply_opening(&mut self, action: Action) {
        match action {
            Action::OpenFiles(files) if files.is_empty() => {}
            Action::OpenFiles(files) => {
                self.open_rev += 1;
                self.measuring = None;
                self.opening = Some(Opening {
                    key: self.open_rev,
                    files,
                    progress: None,
                    measured_on: Vec::new(),
                });
            }
            Action::SetMeasuredOn { file, arch } => {
                let Some(m) = self.measuring.as_mut() else {
                    return;
                };
                let Some(entry) = m.measurements.iter_mut().find(|e| e.file == file) else {
                    return;
                };
                entry.chosen = Some(arch);
                let (files, measured_on) = (m.files.clone(), m.measured_on());
                self.open_rev += 1;
                self.opening = Some(Opening {
                    key: self.open_rev,
                    files,
                    progress: None,
                    measured_on,
                });
            }
            Action::CloseMeasuredOn => self.measuring = None,
            Action::OpenProgressed { key, progress } => {
                if let Some(o) = self.opening.as_mut().filter(|o| o.key == key) {
                    o.progress = Some(progress);
                }
            }
            Action::OpenFinished { key, result } => {
                if self.opening.as_ref().is_none_or(|o| o.key != key) {
                    return;
                }
                let files = self.opening.take().map(|o| o.files).unwrap_or_default();
                match result {
                    Ok(imported) => {
                        self.apply_import(&imported);
                        self.measuring = wants_dialog(&imported).then(|| Measuring {
                            files,
                            measurements: imported.measurements.clone(),
                        });
                    }
                    Err(e) => self.notify(Level::Warning, e.to_string()),
                }
            }
            Action::OpenerCrashed { message } => {
                self.opener_generation += 1;
                if let Some(o) = self.opening.take() {
                    let names: Vec<&str> = o.files.iter().map(|f| f.name.as_str()).collect();
                    self.notify(
                        Level::Error,
                        format!(
                            "cannot open {}: reading stopped ({message}); nothing was changed",
                            names.join(", ")
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Whether a batch's answer opens the "measured on" dialog: some measurement
/// file does not say its architecture.
pub fn wants_dialog(imported: &Imported) -> bool {
    imported.measurements.iter().any(|m| m.stated.is_none())
}

/// The answer of an import job as an action.
pub fn finished(key: u64, result: Result<Imported, ImportError>) -> Action {
    Action::OpenFinished {
        key,
        result: result.map(Rc::new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tests::{ML_PROFILE, ML_WORKFLOW};
    use crate::import::{ImportContext, NamedText, import_files};

    fn file(name: &str) -> FileRef {
        FileRef {
            name: name.into(),
            url: format!("blob:{name}"),
            bytes: 10,
        }
    }

    fn ml() -> Imported {
        let s = AppState::default();
        let cx = ImportContext {
            workflow: &s.project.workflow,
            grid: None,
            csv_mb_per_vcpu: 1792.0,
        };
        let files = [
            NamedText::new("w.json", ML_WORKFLOW),
            NamedText::new("p.json", ML_PROFILE),
        ];
        import_files(&files, &cx).unwrap()
    }

    #[test]
    fn only_the_latest_batch_is_applied_and_progress_is_shown_until_it_ends() {
        let mut s = AppState::default();
        s.apply(Action::OpenFiles(vec![file("old.json")]));
        let old = s.open_rev;
        s.apply(Action::OpenFiles(vec![file("w.json"), file("p.json")]));
        let key = s.open_rev;
        s.apply(Action::OpenProgressed {
            key,
            progress: Progress::Reading {
                done: 5_000_000,
                total: 20_000_000,
            },
        });
        assert_eq!(
            s.opening.as_ref().map(Opening::label).as_deref(),
            Some("Opening w.json, p.json: reading 5.0 of 20.0 MB")
        );
        s.apply(finished(old, Ok(ml())));
        assert!(
            s.project.workflow.stages.is_empty(),
            "a stale answer is dropped"
        );
        assert!(s.opening.is_some());
        s.apply(finished(key, Ok(ml())));
        assert_eq!(s.project.workflow.stages.len(), 4);
        assert!(s.opening.is_none());
    }

    #[test]
    fn a_refused_file_is_a_notice_naming_it_and_changes_nothing() {
        let mut s = AppState::default();
        s.apply(Action::OpenFiles(vec![file("bad.csv")]));
        let before = s.project.clone();
        s.apply(finished(
            s.open_rev,
            Err(ImportError {
                file: "bad.csv".into(),
                message: "line 3: x".into(),
            }),
        ));
        assert_eq!(s.project, before);
        assert_eq!(
            s.notices.last().map(|n| n.text.as_str()),
            Some("cannot open bad.csv: line 3: x")
        );
        assert!(s.opening.is_none());
    }

    #[test]
    fn a_crashed_reader_is_replaced_and_the_batch_reported() {
        let mut s = AppState::default();
        s.apply(Action::OpenFiles(vec![file("huge.csv")]));
        s.apply(Action::OpenerCrashed {
            message: "out of memory".into(),
        });
        assert_eq!(s.opener_generation, 1);
        assert!(s.opening.is_none());
        assert!(
            s.notices
                .last()
                .is_some_and(|n| n.level == Level::Error && n.text.contains("huge.csv"))
        );
    }

    #[test]
    fn measured_on_imports_the_same_files_again_with_the_choice_until_closed() {
        let mut s = AppState::default();
        let files = vec![file("flow.asl.json"), file("Resize.log")];
        s.apply(Action::OpenFiles(files.clone()));
        let mut imported = ml();
        imported.measurements = vec![Measurement {
            file: "Resize.log".into(),
            stated: None,
            chosen: None,
        }];
        let key = s.open_rev;
        s.apply(finished(key, Ok(imported.clone())));
        assert!(s.opening.is_none());
        let m = s.measuring.clone().expect("the dialog opens");
        assert_eq!(m.files, files);
        // A file the batch does not have changes nothing.
        s.apply(Action::SetMeasuredOn {
            file: "other.log".into(),
            arch: Arch::Arm64,
        });
        assert_eq!(s.open_rev, key);
        s.apply(Action::SetMeasuredOn {
            file: "Resize.log".into(),
            arch: Arch::Arm64,
        });
        assert_eq!(s.open_rev, key + 1);
        let o = s.opening.clone().expect("the batch is read again");
        assert_eq!(o.files, files);
        assert_eq!(o.measured_on, vec![("Resize.log".to_string(), Arch::Arm64)]);
        imported.measurements[0].chosen = Some(Arch::Arm64);
        s.apply(finished(key + 1, Ok(imported.clone())));
        assert_eq!(
            s.measuring.as_ref().unwrap().measured_on(),
            vec![("Resize.log".to_string(), Arch::Arm64)]
        );
        s.apply(Action::CloseMeasuredOn);
        assert!(s.measuring.is_none());
        // A batch whose files all say their architecture opens no dialog.
        s.apply(Action::OpenFiles(files));
        imported.measurements[0].stated = Some(Arch::X86_64);
        s.apply(finished(s.open_rev, Ok(imported)));
        assert!(s.measuring.is_none());
    }
}
