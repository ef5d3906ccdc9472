//! Deploy-ready files of a plan for the imported state machine: the same
//! `faasplan_core::export` calls, with the same file names, as `faasplan export`,
//! so the bytes are the CLI's.

use faasplan_core::export;
use faasplan_core::formats::asl::AslImport;
use faasplan_core::plan::from_json;

/// One deploy file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeployFile {
    /// The definition with each Map's `MaxConcurrency` set.
    StateMachine,
    /// SAM `--parameter-overrides` for each function's memory.
    SamParameters,
    /// CloudFormation parameters JSON.
    CloudFormationParameters,
    /// Terraform variables.
    Tfvars,
    /// An `aws lambda update-function-configuration` script.
    Script,
}

impl DeployFile {
    /// Every deploy file, in the order the plan panel offers them.
    pub const ALL: [DeployFile; 5] = [
        DeployFile::StateMachine,
        DeployFile::SamParameters,
        DeployFile::CloudFormationParameters,
        DeployFile::Tfvars,
        DeployFile::Script,
    ];

    /// The file name `faasplan export` writes.
    pub fn file_name(self) -> &'static str {
        match self {
            DeployFile::StateMachine => "statemachine.asl.json",
            DeployFile::SamParameters => "parameters.txt",
            DeployFile::CloudFormationParameters => "parameters.json",
            DeployFile::Tfvars => "memory.auto.tfvars",
            DeployFile::Script => "update-memory.sh",
        }
    }

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            DeployFile::StateMachine => "State machine",
            DeployFile::SamParameters => "SAM parameters",
            DeployFile::CloudFormationParameters => "CloudFormation parameters",
            DeployFile::Tfvars => "Terraform tfvars",
            DeployFile::Script => "AWS CLI script",
        }
    }

    /// The download's MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            DeployFile::StateMachine | DeployFile::CloudFormationParameters => "application/json",
            DeployFile::Script => "text/x-shellscript",
            DeployFile::SamParameters | DeployFile::Tfvars => "text/plain",
        }
    }

    /// The file's text for the plan JSON `plan_json` (`faasplan plan` output).
    pub fn render(self, import: &AslImport, plan_json: &str) -> Result<String, String> {
        let report = from_json(plan_json).map_err(|e| format!("the plan: {e}"))?;
        let configs = export::configs_of(&report);
        let text = match self {
            DeployFile::StateMachine => export::state_machine(import, &configs),
            DeployFile::SamParameters => export::parameter_overrides(import, &configs),
            DeployFile::CloudFormationParameters => {
                export::cloudformation_parameters(import, &configs)
            }
            DeployFile::Tfvars => export::tfvars(import, &configs),
            DeployFile::Script => export::update_script(import, &configs),
        };
        text.map_err(|e| format!("{}: {e}", self.file_name()))
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use faasplan_core::dag::ChoiceMode;

    use super::*;
    use crate::import::{ImportContext, NamedText, import_files};
    use crate::state::{Action, AppState};

    const REPLAY: &str = include_str!(
        "../../crates/faasplan-core/tests/data/imports/asl/sfn-workflows-collection__eventbridge-replay-events__statemachine.asl.json"
    );

    fn opened(files: &[NamedText]) -> AppState {
        let mut s = AppState::default();
        let cx = ImportContext {
            workflow: &s.project.workflow,
            grid: None,
            csv_mb_per_vcpu: 1792.0,
        };
        let imported = import_files(files, &cx).expect("imports");
        s.apply(Action::FilesImported(Rc::new(imported)));
        s
    }

    #[test]
    fn an_imported_state_machine_is_kept_and_renders_the_cli_files() {
        let s = opened(&[NamedText::new("replay.asl.json", REPLAY)]);
        let sm = s.project.state_machine.clone().expect("kept");
        let plan = serde_json::json!({
            "format": "faasplan-plan", "version": 1, "workflow": "w",
            "settings": {"bound": {"type": "latency", "max_s": 10.0}, "percentile": 0.95,
                "confidence": 0.999, "alpha": 0.0, "samples": 10, "seed": 1, "platform": "aws"},
            "status": {"kind": "optimal"},
            "stages": s.project.workflow.stages.iter().map(|st| serde_json::json!({
                "stage": st.id, "memory_mb": 1024, "vcpu": 0.58, "d": 8,
                "latency_p50_s": 1.0, "latency_q_s": 1.0, "expected_cost_usd": 0.0})).collect::<Vec<_>>(),
            "totals": null, "out_of_sample": null, "guarantee": null
        })
        .to_string();
        let report = faasplan_core::plan::from_json(&plan).expect("a plan file");
        let configs = export::configs_of(&report);
        assert_eq!(
            DeployFile::StateMachine.render(&sm, &plan),
            Ok(export::state_machine(&sm, &configs).expect("exports"))
        );
        assert_eq!(
            DeployFile::Script.render(&sm, &plan),
            Ok(export::update_script(&sm, &configs).expect("exports"))
        );
    }

    #[test]
    fn a_bad_plan_is_refused_naming_it() {
        let s = opened(&[NamedText::new("replay.asl.json", REPLAY)]);
        let sm = s.project.state_machine.clone().expect("kept");
        let e = DeployFile::Tfvars.render(&sm, "{}").unwrap_err();
        assert!(e.starts_with("the plan: "), "{e}");
    }

    #[test]
    fn opening_a_project_forgets_the_state_machine() {
        let mut s = opened(&[NamedText::new("replay.asl.json", REPLAY)]);
        let core = s.project.to_core();
        let cx = ImportContext {
            workflow: &s.project.workflow,
            grid: None,
            csv_mb_per_vcpu: 1792.0,
        };
        let imported =
            import_files(&[NamedText::new("p.json", core.to_json())], &cx).expect("imports");
        s.apply(Action::FilesImported(Rc::new(imported)));
        assert!(s.project.state_machine.is_none());
    }

    #[test]
    fn a_choice_is_set_in_the_inspector_and_undone() {
        let mut s = opened(&[NamedText::new("replay.asl.json", REPLAY)]);
        let name = s.project.workflow.choices[0].name.clone();
        let rev = s.inputs_rev;
        s.apply(Action::SetChoice {
            name: name.clone(),
            mode: ChoiceMode::Probabilities,
            weights: vec![0.3, 0.7],
        });
        let c = &s.project.workflow.choices[0];
        assert_eq!(c.mode, ChoiceMode::Probabilities);
        assert_eq!(c.probabilities(), Some(vec![0.3, 0.7]));
        assert!(s.inputs_rev > rev, "a planner input");
        // Invalid weights are refused with a notice; nothing changes.
        let before = s.project.workflow.clone();
        s.apply(Action::SetChoice {
            name: name.clone(),
            mode: ChoiceMode::Probabilities,
            weights: vec![0.3, -1.0],
        });
        assert_eq!(s.project.workflow, before);
        let last = s.notices.last().expect("notice");
        assert!(
            last.text.contains("not a finite number ≥ 0"),
            "{}",
            last.text
        );
        s.apply(Action::Undo);
        assert_eq!(s.project.workflow.choices[0].mode, ChoiceMode::Slowest);
    }

    #[test]
    fn renaming_or_deleting_a_stage_follows_into_its_choice() {
        let mut s = opened(&[NamedText::new("replay.asl.json", REPLAY)]);
        s.apply(Action::RenameStage {
            id: "Simulate Event".into(),
            new_id: "Sim".into(),
        });
        assert_eq!(
            s.project.workflow.choices[0].alternatives[0].stages,
            ["Sim"]
        );
        s.apply(Action::Select(Some(crate::state::Selection::Stage(
            "Sim".into(),
        ))));
        s.apply(Action::DeleteSelection);
        assert!(
            s.project.workflow.choices[0].alternatives[0]
                .stages
                .is_empty()
        );
        assert!(s.project.workflow.validate().is_ok());
    }
}
