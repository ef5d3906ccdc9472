//! Undo/redo history of the workflow document.
//!
//! Every workflow edit pushes the workflow as it was before the edit onto the
//! undo stack and clears the redo stack. At most [`History::LIMIT`] steps are
//! kept; the oldest are dropped first.

use std::rc::Rc;

use faasplan_core::dag::Workflow;

/// Undo and redo stacks of workflow snapshots, shared (`Rc`) so that cloning
/// the state on every action copies pointers, not workflows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    undo: Vec<Rc<Workflow>>,
    redo: Vec<Rc<Workflow>>,
}

impl History {
    /// Most undo steps kept.
    pub const LIMIT: usize = 200;

    /// Records `before` as the state to return to on undo.
    pub fn record(&mut self, before: Workflow) {
        self.undo.push(Rc::new(before));
        if self.undo.len() > Self::LIMIT {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// Steps back: returns the workflow to show, storing `current` for redo.
    pub fn undo(&mut self, current: Workflow) -> Option<Workflow> {
        let previous = self.undo.pop()?;
        self.redo.push(Rc::new(current));
        Some(Rc::unwrap_or_clone(previous))
    }

    /// Steps forward again after an undo.
    pub fn redo(&mut self, current: Workflow) -> Option<Workflow> {
        let next = self.redo.pop()?;
        self.undo.push(Rc::new(current));
        Some(Rc::unwrap_or_clone(next))
    }

    /// Whether there is anything to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is anything to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Forgets every step (after loading a different project).
    pub fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
    }
}
