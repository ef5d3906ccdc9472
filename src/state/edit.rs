//! Workflow edits: each is checked, applied to a copy, and recorded in the
//! history only when it succeeds and changes something. A refused edit leaves
//! the workflow untouched and adds a warning notice naming the reason.

use faasplan_core::dag::{ChoiceMode, Config, Edge, MemoryGrid, StageKind, Workflow};

use super::project::{check_memory_grid, fresh_stage_id, new_stage};
use super::{Action, AppState, Level, Selection};
use crate::geometry::layout::layered_layout;

/// A change to one option of a stage.
#[derive(Clone, Debug, PartialEq)]
pub enum StageEdit {
    /// Parallel or single-instance.
    Kind(StageKind),
    /// Allowed instance counts (positive, sorted, deduplicated).
    AllowedD(Vec<u32>),
    /// Memory grid.
    Memory(MemoryGrid),
    /// Fix the configuration, or release it.
    Fixed(Option<Config>),
    /// Run the same function as another stage, sharing its memory size
    /// (`Some(other)`), or a function of its own (`None`).
    ShareMemory(Option<String>),
}

impl AppState {
    pub(super) fn apply_edit(&mut self, action: Action) {
        let mut next = self.project.workflow.clone();
        let mut select = self.selection.clone();
        // Positions and the name are not planner inputs.
        let moved_only = matches!(
            action,
            Action::MoveStage { .. } | Action::AutoLayout | Action::RenameWorkflow(_)
        );
        if matches!(action, Action::ImportWorkflow(_) | Action::AutoLayout) {
            self.fit_rev += 1;
        }
        let outcome = edit_workflow(self, &mut next, &mut select, action);
        match outcome {
            Err(reason) => self.notify(Level::Warning, reason),
            Ok(()) if next == self.project.workflow => self.selection = select,
            Ok(()) => {
                let before = std::mem::replace(&mut self.project.workflow, next);
                self.history
                    .record(super::history::Snapshot::Workflow(std::rc::Rc::new(before)));
                self.selection = select;
                self.doc_rev += 1;
                if !moved_only {
                    self.inputs_rev += 1;
                }
            }
        }
    }
}

fn edit_workflow(
    state: &AppState,
    wf: &mut Workflow,
    select: &mut Option<Selection>,
    action: Action,
) -> Result<(), String> {
    match action {
        Action::AddStage { at } => {
            let id = fresh_stage_id(wf);
            wf.stages.push(new_stage(id.clone(), at));
            *select = Some(Selection::Stage(id));
        }
        Action::MoveStage { id, to } => stage_mut(wf, &id)?.position = Some(to),
        Action::Connect { from, to } => connect(wf, from, to)?,
        Action::RenameStage { id, new_id } => {
            let new_id = new_id.trim().to_string();
            rename(wf, &id, &new_id)?;
            if select.as_ref() == Some(&Selection::Stage(id)) {
                *select = Some(Selection::Stage(new_id));
            }
        }
        Action::EditStage { id, edit } => edit_stage(state, wf, &id, edit)?,
        Action::RenameWorkflow(name) => {
            let name = name.trim();
            if name.is_empty() {
                return Err("the workflow name cannot be empty".into());
            }
            wf.name = name.to_string();
        }
        Action::DeleteSelection => match select.take() {
            Some(Selection::Stage(id)) => {
                wf.stages.retain(|s| s.id != id);
                wf.edges.retain(|e| e.from != id && e.to != id);
                for a in wf.choices.iter_mut().flat_map(|c| &mut c.alternatives) {
                    a.stages.retain(|s| *s != id);
                }
                wf.forget_loop_stage(&id);
                wf.untie_memory(&id);
            }
            Some(Selection::Edge { from, to }) => {
                wf.edges.retain(|e| !(e.from == from && e.to == to));
            }
            None => {}
        },
        Action::ImportWorkflow(mut imported) => {
            layout_if_unplaced(&mut imported);
            *wf = imported;
            *select = None;
        }
        Action::AutoLayout => apply_layout(wf),
        Action::SetChoice {
            name,
            mode,
            weights,
        } => {
            let c = wf
                .choice_mut(&name)
                .ok_or_else(|| format!("no Choice named {name:?}"))?;
            match mode {
                ChoiceMode::Slowest => c.mode = ChoiceMode::Slowest,
                ChoiceMode::Probabilities => c
                    .set_probabilities(&weights)
                    .map_err(|e| format!("choice {name:?}: {e}"))?,
            }
        }
        other => unreachable!("apply routes only workflow edits here, got {other:?}"),
    }
    Ok(())
}

fn stage_mut<'a>(
    wf: &'a mut Workflow,
    id: &str,
) -> Result<&'a mut faasplan_core::dag::Stage, String> {
    wf.stages
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or_else(|| format!("no stage with id {id:?}"))
}

fn connect(wf: &mut Workflow, from: String, to: String) -> Result<(), String> {
    for id in [&from, &to] {
        if !wf.stages.iter().any(|s| &s.id == id) {
            return Err(format!("no stage with id {id:?}"));
        }
    }
    if wf.edges.iter().any(|e| e.from == from && e.to == to) {
        return Ok(());
    }
    if wf.would_create_cycle(&from, &to) {
        return Err(format!(
            "connection {from} → {to} refused: it would make a cycle"
        ));
    }
    wf.edges.push(Edge { from, to });
    Ok(())
}

fn rename(wf: &mut Workflow, id: &str, new_id: &str) -> Result<(), String> {
    if new_id.is_empty() {
        return Err("stage id must not be empty".to_string());
    }
    if new_id != id && wf.stages.iter().any(|s| s.id == new_id) {
        return Err(format!("stage id {new_id:?} is already used"));
    }
    stage_mut(wf, id)?.id = new_id.to_string();
    for e in &mut wf.edges {
        if e.from == id {
            e.from = new_id.to_string();
        }
        if e.to == id {
            e.to = new_id.to_string();
        }
    }
    for s in wf
        .choices
        .iter_mut()
        .flat_map(|c| &mut c.alternatives)
        .flat_map(|a| &mut a.stages)
    {
        if s == id {
            *s = new_id.to_string();
        }
    }
    wf.rename_loop_stage(id, new_id);
    wf.rename_shared_stage(id, new_id);
    Ok(())
}

fn edit_stage(
    state: &AppState,
    wf: &mut Workflow,
    id: &str,
    edit: StageEdit,
) -> Result<(), String> {
    if let StageEdit::ShareMemory(with) = edit {
        stage_mut(wf, id)?;
        let Some(other) = with else {
            wf.untie_memory(id);
            return Ok(());
        };
        if other == id {
            return Err(format!("{id} cannot share memory with itself"));
        }
        stage_mut(wf, &other)?;
        wf.tie_memory(id, &other, &other);
        return match wf.validate() {
            Err(e @ faasplan_core::dag::WorkflowError::Shared { .. }) => {
                Err(format!("{id} cannot share memory with {other}: {e}"))
            }
            _ => Ok(()),
        };
    }
    let stage = stage_mut(wf, id)?;
    match edit {
        StageEdit::ShareMemory(_) => {}
        StageEdit::Kind(kind) => stage.kind = kind,
        StageEdit::AllowedD(d) => {
            if d.is_empty() || d.contains(&0) {
                return Err(format!("allowed d of {id} must be positive and non-empty"));
            }
            stage.allowed_d = d;
        }
        StageEdit::Memory(mut grid) => {
            check_memory_grid(&grid, &state.project.platform)?;
            // Listed sizes (profiled sizes the steps miss) stay while they lie in the new range.
            let range = grid.min_mb..=grid.max_mb;
            grid.listed_mb.retain(|m| range.contains(m));
            stage.memory = grid;
        }
        StageEdit::Fixed(fixed) => {
            if fixed.is_some_and(|c| c.d == 0 || c.memory_mb == 0) {
                return Err(format!(
                    "fixed configuration of {id} needs memory and d ≥ 1"
                ));
            }
            stage.fixed = fixed;
        }
    }
    Ok(())
}

/// Lays the workflow out in layers if any stage has no position yet.
pub fn layout_if_unplaced(wf: &mut Workflow) {
    if wf.stages.iter().any(|s| s.position.is_none()) {
        apply_layout(wf);
    }
}

fn apply_layout(wf: &mut Workflow) {
    let positions = layered_layout(wf);
    for (stage, at) in wf.stages.iter_mut().zip(positions) {
        stage.position = Some(at);
    }
}
