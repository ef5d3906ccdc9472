//! The saved forms of the app's [`Project`]: the core's project file (what
//! "Save project" downloads, "Open" reads and the CLI reads), and the autosave
//! record, which wraps that file with app-only UI fields.
//!
//! The core project always has profiles; the app's may have none. An app
//! project without profiles is saved with an empty profile list at the
//! platform's MB per vCPU, and an empty list reads back as "no profiles".
//! The platform preset is not in the core file: it is recognised again when
//! the platform equals a preset's, else it reads back as custom prices.
//!
//! Applying a batch of opened files ([`Action::FilesImported`]) is here too.

use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::platform::Preset;
use faasplan_core::pricing::Pricing;
use faasplan_core::profile::Profiles;
use serde::{Deserialize, Serialize};

use super::edit::layout_if_unplaced;
use super::history::Snapshot;
use super::project::{PlatformChoice, Project};
use super::{Action, AppState, Level};
use crate::import::Imported;

/// MB per vCPU assumed for profile CSV files until the user says otherwise
/// (the bundled Jolteon profiles were measured with 1,792).
pub const DEFAULT_CSV_MB_PER_VCPU: f64 = 1792.0;

impl Project {
    /// The core's project file for this project.
    pub fn to_core(&self) -> CoreProject {
        CoreProject {
            workflow: self.workflow.clone(),
            profiles: self
                .profiles
                .as_deref()
                .cloned()
                .unwrap_or_else(|| Profiles {
                    mb_per_vcpu: self.platform.mb_per_vcpu,
                    stages: Vec::new(),
                }),
            platform: {
                // A price for a service stage the user has since deleted or renamed is dropped.
                let mut platform = self.platform.clone();
                let stages = &self.workflow.stages;
                platform
                    .pricing
                    .services
                    .retain(|c| stages.iter().any(|s| s.id == c.stage));
                platform
            },
            settings: self.settings.clone(),
        }
    }

    /// The app project for a core project file; stages without a position are laid out.
    pub fn from_core(core: CoreProject) -> Project {
        // The preset is recognised by its prices and limits; what the run pays
        // besides its functions (orchestration, data, edge device) is not a preset's.
        let mut bare = core.platform.clone();
        *bare.pricing = Pricing::default();
        let platform_choice = Preset::ALL
            .into_iter()
            .find(|p| {
                let mut preset = p.platform();
                *preset.pricing = Pricing::default();
                preset == bare
            })
            .map_or(PlatformChoice::Custom, PlatformChoice::Preset);
        let mut workflow = core.workflow;
        layout_if_unplaced(&mut workflow);
        Project {
            workflow,
            settings: core.settings,
            platform: core.platform,
            platform_choice,
            profiles: Some(core.profiles)
                .filter(|p| !p.stages.is_empty())
                .map(std::rc::Rc::new),
            fusion: faasplan_core::fusion::FusionOptions::default(),
            state_machine: None,
        }
    }
}

/// What autosave keeps in localStorage: the project file plus app-only UI fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Autosave {
    /// The core project file, as JSON.
    pub project: serde_json::Value,
    /// Which platform preset is chosen.
    pub platform_choice: PlatformChoice,
    /// MB per vCPU used for profile CSV files.
    #[serde(default = "default_csv_mb_per_vcpu")]
    pub csv_mb_per_vcpu: f64,
    /// Whether planning this project crashed the planner: a reload then starts
    /// in safe mode (the project is loaded, nothing runs until the user acts).
    #[serde(default)]
    pub planning_crashed: bool,
    /// The state machine the workflow was imported from, so that the deploy
    /// exports still hold the user's own definition after a reload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_machine: Option<faasplan_core::formats::asl::AslImport>,
    /// Whether fusion is allowed and the edges never fused (not in the core file).
    #[serde(default, skip_serializing_if = "is_default_fusion")]
    pub fusion: faasplan_core::fusion::FusionOptions,
}

fn is_default_fusion(f: &faasplan_core::fusion::FusionOptions) -> bool {
    *f == faasplan_core::fusion::FusionOptions::default()
}

fn default_csv_mb_per_vcpu() -> f64 {
    DEFAULT_CSV_MB_PER_VCPU
}

impl Autosave {
    /// The record for a project and the UI fields.
    pub fn new(project: &Project, csv_mb_per_vcpu: f64, planning_crashed: bool) -> Autosave {
        let json = project.to_core().to_json();
        Autosave {
            // The core writes valid JSON, so this parse cannot fail; Null would read back as an error.
            project: serde_json::from_str(&json).unwrap_or(serde_json::Value::Null),
            platform_choice: project.platform_choice,
            csv_mb_per_vcpu,
            planning_crashed,
            state_machine: project.state_machine.as_deref().cloned(),
            fusion: project.fusion.clone(),
        }
    }

    /// The project it holds, checked as a project file is.
    pub fn restore(&self) -> Result<Project, String> {
        let core = CoreProject::from_json(&self.project.to_string())
            .map_err(|e| format!("cannot restore the autosaved project: {e}"))?;
        let mut project = Project::from_core(core);
        project.platform_choice = self.platform_choice;
        project.state_machine = self.state_machine.clone().map(std::rc::Rc::new);
        project.fusion = self.fusion.clone();
        Ok(project)
    }
}

impl AppState {
    /// Applies a batch of read files: a project replaces everything; a
    /// workflow replaces the workflow (one undo step) and drops profiles that
    /// do not fit it; profiles replace the profiles.
    pub(crate) fn apply_import(&mut self, imported: &Imported) {
        // The whole import is one undo step back to the project as it was.
        let (before, depth) = (self.project.clone(), self.history.depth());
        self.import_parts(imported);
        self.history.truncate(depth);
        if self.project != before && !before.workflow.stages.is_empty() {
            self.history
                .record(Snapshot::Project(std::rc::Rc::new(before)));
        }
    }

    fn import_parts(&mut self, imported: &Imported) {
        if let Some(core) = &imported.project {
            self.load_project(Project::from_core(core.clone()));
        }
        if imported.project.is_some() || imported.workflow.is_some() {
            self.project.state_machine = imported.state_machine.clone().map(std::rc::Rc::new);
        }
        if imported.workflow.is_some() {
            self.project
                .platform
                .pricing
                .services
                .clone_from(&imported.services);
        }
        if let Some(workflow) = &imported.workflow {
            self.apply_edit(Action::ImportWorkflow(workflow.clone()));
            let fits = |p: &faasplan_core::profile::Profiles| {
                p.stages
                    .iter()
                    .all(|s| workflow.stage_index(&s.stage).is_some())
            };
            if imported.profiles.is_none() && !self.project.profiles.as_deref().is_some_and(fits) {
                self.project.profiles = None;
            }
        }
        if let Some(profiles) = &imported.profiles {
            self.project.profiles = Some(std::rc::Rc::new(profiles.clone()));
            self.touch_inputs();
        }
        if let Some(grid) = &imported.grid {
            self.jolteon_grid = Some(grid.clone());
        }
        if !imported.summary.is_empty() {
            self.notify(
                Level::Info,
                format!("Opened {}", imported.summary.join("; ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use faasplan_core::platform::Preset;

    use super::*;
    use crate::import::tests::{ML_PROFILE, ML_WORKFLOW};
    use crate::import::{ImportContext, NamedText, import_files};
    use crate::state::{Action, AppState, Level};

    fn ml_state() -> AppState {
        let mut s = AppState::default();
        let files = [
            NamedText::new("w.json", ML_WORKFLOW),
            NamedText::new("p.json", ML_PROFILE),
        ];
        let cx = ImportContext {
            workflow: &s.project.workflow,
            grid: None,
            csv_mb_per_vcpu: 1792.0,
        };
        let imported = import_files(&files, &cx).unwrap();
        s.apply(Action::FilesImported(Rc::new(imported)));
        s
    }

    #[test]
    fn importing_a_workflow_and_profiles_lays_out_the_stages_and_says_so() {
        let s = ml_state();
        assert_eq!(s.project.workflow.stages.len(), 4);
        assert!(
            s.project
                .workflow
                .stages
                .iter()
                .all(|st| st.position.is_some())
        );
        assert_eq!(s.project.profiles.as_ref().map(|p| p.stages.len()), Some(4));
        assert_eq!(s.notices.last().map(|n| n.level), Some(Level::Info));
        assert!(!s.history.can_undo(), "nothing before it to go back to");
    }

    #[test]
    fn undo_after_opening_an_example_restores_the_previous_project_whole() {
        let mut s = AppState::default();
        s.apply(Action::AddStage {
            at: faasplan_core::dag::Position { x: 0.0, y: 0.0 },
        });
        s.apply(Action::SetPercentile(0.9));
        let before = s.project.clone();
        let files = [
            NamedText::new("w.json", ML_WORKFLOW),
            NamedText::new("p.json", ML_PROFILE),
        ];
        let cx = ImportContext {
            workflow: &s.project.workflow,
            grid: None,
            csv_mb_per_vcpu: 1792.0,
        };
        let imported = import_files(&files, &cx).unwrap();
        s.apply(Action::FilesImported(Rc::new(imported)));
        let example = s.project.clone();
        assert_ne!(example, before);
        s.apply(Action::Undo);
        assert_eq!(
            s.project, before,
            "one undo restores workflow, profiles and settings"
        );
        s.apply(Action::Redo);
        assert_eq!(s.project, example);
        s.apply(Action::Undo);
        s.apply(Action::Undo);
        assert_eq!(s.project.workflow.stages.len(), 0, "then the stage edit");
    }

    #[test]
    fn autosave_restores_the_same_project_and_ui_fields() {
        let mut s = ml_state();
        s.apply(Action::SetPreset(Preset::JolteonProfiled));
        let saved = Autosave::new(&s.project, 1769.0, false);
        let json = serde_json::to_string(&saved).unwrap();
        let back: Autosave = serde_json::from_str(&json).unwrap();
        assert_eq!(back.csv_mb_per_vcpu, 1769.0);
        assert_eq!(back.restore().unwrap(), s.project);
    }

    #[test]
    fn a_project_without_profiles_saves_as_a_core_file_and_reads_back_without() {
        let project = Project::default();
        let text = project.to_core().to_json();
        let core = CoreProject::from_json(&text).unwrap();
        assert_eq!(Project::from_core(core), project);
    }

    #[test]
    fn custom_prices_read_back_as_custom() {
        let mut s = AppState::default();
        s.apply(Action::SetPrices {
            price_per_gb_s: 1e-5,
            price_per_request: 0.0,
        });
        let core = CoreProject::from_json(&s.project.to_core().to_json()).unwrap();
        assert_eq!(
            Project::from_core(core).platform_choice,
            PlatformChoice::Custom
        );
    }
}
