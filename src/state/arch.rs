//! A stage's architecture choice in the app: whether the planner may run it
//! on arm64 as well as x86_64, and the arm64 time factor used when its
//! profiles have no arm64 run (`settings.architectures`, saved in the project
//! file; see `faasplan_core::arch`). One undo step per change.

use faasplan_core::arch::{Arch, StageArchitectures};

use super::history::Snapshot;
use super::{Action, AppState, Level};

/// Whether the planner may run stage `id` on arm64, and its arm64 time factor.
pub fn arm64_choice(state: &AppState, id: &str) -> (bool, Option<f64>) {
    match state.project.settings.architectures.get(id) {
        Some(a) => (a.allowed.contains(&Arch::Arm64), a.arm64_time_factor),
        None => (false, None),
    }
}

impl AppState {
    pub(crate) fn apply_architecture(&mut self, action: Action) {
        let Action::SetArchitecture {
            stage,
            arm64,
            time_factor,
        } = action
        else {
            return;
        };
        if !self.project.workflow.stages.iter().any(|s| s.id == stage) {
            self.notify(
                Level::Warning,
                format!("architecture: the workflow has no stage {stage}"),
            );
            return;
        }
        if let Some(f) = time_factor
            && !(f.is_finite() && f > 0.0)
        {
            self.notify(
                Level::Warning,
                format!("arm64 time factor of {stage}: {f} is not a finite value above 0"),
            );
            return;
        }
        let mut next = self.project.clone();
        if arm64 {
            next.settings
                .architectures
                .insert(stage, StageArchitectures::both(time_factor));
        } else {
            next.settings.architectures.remove(&stage);
        }
        if next == self.project {
            return;
        }
        let before = std::mem::replace(&mut self.project, next);
        self.history
            .record(Snapshot::Project(std::rc::Rc::new(before)));
        self.touch_inputs();
    }
}

#[cfg(test)]
mod tests;
