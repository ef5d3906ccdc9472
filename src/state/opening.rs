//! Opening files: the batch being read by the file-reading worker, its
//! progress and its answer. The reducer only keeps the request
//! ([`Opening`]) and applies the answer; `hooks::use_opener` posts the job
//! when `open_rev` grows and revokes the files' object URLs afterwards.

use std::rc::Rc;

use super::{Action, AppState, Level};
use crate::import::{ImportError, Imported};
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
                self.opening = Some(Opening {
                    key: self.open_rev,
                    files,
                    progress: None,
                });
            }
            Action::OpenProgressed { key, progress } => {
                if let Some(o) = self.opening.as_mut().filter(|o| o.key == key) {
                    o.progress = Some(progress);
                }
            }
            Action::OpenFinished { key, result } => {
                if self.opening.as_ref().is_none_or(|o| o.key != key) {
                    return;
                }
                self.opening = None;
                match result {
                    Ok(imported) => self.apply_import(&imported),
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
}
