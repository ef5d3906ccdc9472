//! Undo/redo history of the document.
//!
//! Every workflow edit pushes the workflow as it was before the edit onto the
//! undo stack and clears the redo stack; loading a project, an example or a
//! batch of files pushes the whole project as it was, so one undo brings it
//! back (profiles and settings included). At most [`History::LIMIT`] steps
//! are kept; the oldest are dropped first. Snapshots are shared (`Rc`), so
//! cloning the state on every action copies pointers, not workflows.

use std::rc::Rc;

use faasplan_core::dag::Workflow;

use super::project::Project;

/// One undo step: what the document was before a change.
#[derive(Clone, Debug, PartialEq)]
pub enum Snapshot {
    /// The workflow before a workflow edit.
    Workflow(Rc<Workflow>),
    /// The whole project before a load or an import.
    Project(Rc<Project>),
}

impl Snapshot {
    /// The same kind of snapshot of `project` (to go back to after an undo).
    fn current(&self, project: &Project) -> Snapshot {
        match self {
            Snapshot::Workflow(_) => Snapshot::Workflow(Rc::new(project.workflow.clone())),
            Snapshot::Project(_) => Snapshot::Project(Rc::new(project.clone())),
        }
    }
}

/// Undo and redo stacks of snapshots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
}

impl History {
    /// Most undo steps kept.
    pub const LIMIT: usize = 200;

    /// Records `before` as the state to return to on undo.
    pub fn record(&mut self, before: Snapshot) {
        self.undo.push(before);
        if self.undo.len() > Self::LIMIT {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// Number of undo steps.
    pub fn depth(&self) -> usize {
        self.undo.len()
    }

    /// Drops the undo steps above `depth` (to fold several into one).
    pub fn truncate(&mut self, depth: usize) {
        self.undo.truncate(depth);
    }

    /// Steps back: returns the snapshot to restore, keeping `project` for redo.
    pub fn undo(&mut self, project: &Project) -> Option<Snapshot> {
        let previous = self.undo.pop()?;
        self.redo.push(previous.current(project));
        Some(previous)
    }

    /// Steps forward again after an undo.
    pub fn redo(&mut self, project: &Project) -> Option<Snapshot> {
        let next = self.redo.pop()?;
        self.undo.push(next.current(project));
        Some(next)
    }

    /// Whether there is anything to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is anything to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Forgets every step.
    pub fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
    }
}
