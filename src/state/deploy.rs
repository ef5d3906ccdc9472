//! Deploy-ready files of a plan for the imported state machine: the same
//! `faasplan_core::export` calls, with the same file names, as `faasplan export`,
//! so the bytes are the CLI's. Also the imported workflow's own settings: how
//! many times its cycles run ([`Action::SetLoopIterations`]) and a service
//! integration's latency and price per run ([`Action::SetService`]), as
//! `faasplan import --loop-iterations`, `--service-latency` and `--service-cost` set them.

use std::rc::Rc;

use faasplan_core::export;
use faasplan_core::formats::asl::{AslImport, Invoke};
use faasplan_core::formats::batch::{constant_runs, with_loop_iterations};
use faasplan_core::plan::from_json;
use faasplan_core::pricing::ServiceCost;

use super::history::Snapshot;
use super::{Action, AppState, Level};

/// The largest loop count the app offers (each pass copies the cycle's stages).
pub const MAX_LOOP_ITERATIONS: u32 = 50;

/// How many times the cycles of `sm` run (planned once as a workflow loop,
/// or the copies of its first looping state when unrolled), or `None` when it
/// has no cycle.
pub fn loop_iterations(sm: &AslImport) -> Option<u32> {
    if sm.loops.is_empty() {
        return None;
    }
    if let Some(l) = sm.workflow.loops.first() {
        return Some(l.iterations);
    }
    let n = sm
        .stages
        .iter()
        .find(|s| s.id.contains(" #"))
        .map_or(1, |copy| {
            sm.stages.iter().filter(|s| s.state == copy.state).count()
        });
    Some(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Whether stage `id` of `sm` is a service integration (not a Lambda function).
pub fn is_service(sm: &AslImport, id: &str) -> bool {
    sm.stages
        .iter()
        .any(|s| s.id == id && matches!(s.invoke, Invoke::Service(_)))
}

impl AppState {
    /// [`Action::SetLoopIterations`] and [`Action::SetService`]: one undo step each.
    pub(crate) fn apply_imported_setting(&mut self, action: Action) {
        match self.imported_setting(action) {
            Err(reason) => self.notify(Level::Warning, reason),
            Ok(next) if next == self.project => {}
            Ok(next) => {
                let before = std::mem::replace(&mut self.project, next);
                self.history.record(Snapshot::Project(Rc::new(before)));
                self.fit_rev += 1;
                self.touch_inputs();
            }
        }
    }

    fn imported_setting(&self, action: Action) -> Result<super::Project, String> {
        let mut p = self.project.clone();
        let Some(sm) = p.state_machine.clone() else {
            return Err("no imported state machine: open one first".into());
        };
        match action {
            Action::SetLoopIterations(n) => {
                if !(1..=MAX_LOOP_ITERATIONS).contains(&n) {
                    return Err(format!(
                        "loop count {n}: must be between 1 and {MAX_LOOP_ITERATIONS}"
                    ));
                }
                let empty = faasplan_core::profile::Profiles {
                    mb_per_vcpu: p.platform.mb_per_vcpu,
                    stages: Vec::new(),
                };
                let profiles = p.profiles.as_deref().unwrap_or(&empty);
                let (again, profiles) = with_loop_iterations(&sm, profiles, n)
                    .map_err(|e| format!("loop count {n}: {e}"))?;
                let mut workflow = again.workflow.clone();
                for s in &mut workflow.stages {
                    s.position = p
                        .workflow
                        .stages
                        .iter()
                        .find(|o| o.id == s.id)
                        .and_then(|o| o.position);
                }
                if workflow.stages.iter().any(|s| s.position.is_none()) {
                    for s in &mut workflow.stages {
                        s.position = None;
                    }
                    super::edit::layout_if_unplaced(&mut workflow);
                }
                p.workflow = workflow;
                p.profiles = Some(profiles).filter(|x| !x.stages.is_empty()).map(Rc::new);
                let pricing = &mut p.platform.pricing;
                let stages = &again.workflow.stages;
                pricing
                    .services
                    .retain(|c| stages.iter().any(|s| s.id == c.stage));
                for s in &again.stages {
                    if !matches!(s.invoke, Invoke::Service(_))
                        || pricing.services.iter().any(|c| c.stage == s.id)
                    {
                        continue;
                    }
                    // A new copy of a service stage costs what the state it copies costs.
                    let usd = again
                        .stages
                        .iter()
                        .filter(|o| o.state == s.state)
                        .find_map(|o| pricing.service_usd(&o.id));
                    if let Some(usd_per_run) = usd {
                        pricing.services.push(ServiceCost {
                            stage: s.id.clone(),
                            usd_per_run,
                        });
                    }
                }
                pricing.edge_data.retain(|e| {
                    again
                        .workflow
                        .edges
                        .iter()
                        .any(|x| x.from == e.from && x.to == e.to)
                });
                p.state_machine = Some(Rc::new(again));
            }
            Action::SetService {
                stage,
                latency_s,
                usd_per_run,
            } => {
                if !is_service(&sm, &stage) {
                    return Err(format!(
                        "{stage}: not a service integration of the imported state machine"
                    ));
                }
                for (what, v) in [("latency", latency_s), ("price per run", usd_per_run)] {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(format!(
                            "{stage}: the {what} {v} must be a finite value of at least 0"
                        ));
                    }
                }
                let fixed = p
                    .workflow
                    .stages
                    .iter()
                    .find(|s| s.id == stage)
                    .and_then(|s| s.fixed)
                    .ok_or_else(|| {
                        format!("{stage}: a service integration needs its fixed configuration")
                    })?;
                let mut profiles = p.profiles.as_deref().cloned().unwrap_or_else(|| {
                    faasplan_core::profile::Profiles {
                        mb_per_vcpu: p.platform.mb_per_vcpu,
                        stages: Vec::new(),
                    }
                });
                let runs = constant_runs(fixed, latency_s);
                match profiles.stages.iter_mut().find(|s| s.stage == stage) {
                    Some(s) => s.runs = runs,
                    None => profiles.stages.push(faasplan_core::profile::StageProfile {
                        stage: stage.clone(),
                        runs,
                    }),
                }
                p.profiles = Some(Rc::new(profiles));
                let services = &mut p.platform.pricing.services;
                match services.iter_mut().find(|c| c.stage == stage) {
                    Some(c) => c.usd_per_run = usd_per_run,
                    None => services.push(ServiceCost { stage, usd_per_run }),
                }
            }
            other => unreachable!("only imported-workflow settings come here, got {other:?}"),
        }
        Ok(p)
    }
}

/// A service stage's latency, s (its profile's first run), and price per run, USD.
pub fn service_setting(project: &super::Project, id: &str) -> (f64, f64) {
    let latency = project
        .profiles
        .as_deref()
        .and_then(|p| p.stage(id))
        .and_then(|p| p.runs.first())
        .map_or(0.0, |r| r.compute.mean_s);
    let usd = project.platform.pricing.service_usd(id).unwrap_or(0.0);
    (latency, usd)
}

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

    const POWER_TUNING: &str = include_str!(
        "../../crates/faasplan-core/tests/data/imports/asl/powertuning__statemachine.asl.json"
    );
    const TEXT_LOG: &str = include_str!(
        "../../crates/faasplan-core/tests/data/imports/report-logs/powertuning__test-utils.js__textLog.log"
    );

    /// A service stage's latency and price per run: its profile and
    /// `platform.pricing.services`, one undo step; bad values are refused.
    #[test]
    fn a_service_stage_takes_its_latency_and_price_and_undo_restores_them() {
        let mut s = opened(&[NamedText::new("replay.asl.json", REPLAY)]);
        let sm = s.project.state_machine.clone().expect("kept");
        assert!(is_service(&sm, "Simulate Event"));
        assert!(!is_service(&sm, "Convert past event to today"));
        assert_eq!(
            s.project.platform.pricing.services,
            [ServiceCost {
                stage: "Simulate Event".into(),
                usd_per_run: 0.0
            }]
        );
        assert_eq!(service_setting(&s.project, "Simulate Event"), (0.1, 0.0));
        let before = s.project.clone();
        s.apply(Action::SetService {
            stage: "Simulate Event".into(),
            latency_s: 0.04,
            usd_per_run: 1.0e-6,
        });
        assert_eq!(
            service_setting(&s.project, "Simulate Event"),
            (0.04, 1.0e-6)
        );
        let core = s.project.to_core();
        assert_eq!(
            core.platform.pricing.service_usd("Simulate Event"),
            Some(1.0e-6)
        );
        assert!(
            core.profiles
                .stage("Simulate Event")
                .unwrap()
                .runs
                .iter()
                .all(|r| r.compute.p95_s == 0.04)
        );
        s.apply(Action::Undo);
        assert_eq!(s.project, before);
        for bad in [
            Action::SetService {
                stage: "Convert past event to today".into(),
                latency_s: 0.1,
                usd_per_run: 0.0,
            },
            Action::SetService {
                stage: "Simulate Event".into(),
                latency_s: -1.0,
                usd_per_run: 0.0,
            },
            Action::SetService {
                stage: "Simulate Event".into(),
                latency_s: 0.1,
                usd_per_run: f64::NAN,
            },
        ] {
            let n = s.notices.len();
            s.apply(bad);
            assert_eq!(s.project, before);
            assert_eq!(s.notices.len(), n + 1);
        }
        // A preset keeps the prices; a deleted service stage's price is dropped from the file.
        s.apply(Action::SetPreset(faasplan_core::platform::Preset::AwsArm64));
        assert_eq!(s.project.platform.pricing.services.len(), 1);
    }

    /// The loop count reads the imported cycles again, keeping the runs: the
    /// body (a chain) stays one stage that runs the set number of times.
    #[test]
    fn the_loop_count_changes_the_loop_keeping_the_stages_and_runs() {
        let mut s = opened(&[
            NamedText::new("powertuning.asl.json", POWER_TUNING),
            NamedText::new("Publisher.log", TEXT_LOG),
        ]);
        let sm = s.project.state_machine.clone().expect("kept");
        assert_eq!(loop_iterations(&sm), Some(3));
        let runs = |s: &AppState, id: &str| {
            s.project
                .profiles
                .as_deref()
                .and_then(|p| p.stage(id))
                .map(|p| p.runs.len())
        };
        let measured = runs(&s, "Publisher");
        assert!(measured.is_some());
        assert_eq!(s.project.workflow.loops[0].stages, ["Publisher"]);
        let before = s.project.clone();
        s.apply(Action::SetLoopIterations(5));
        let sm5 = s.project.state_machine.clone().expect("kept");
        assert_eq!(loop_iterations(&sm5), Some(5));
        assert_eq!(s.project.workflow.loops[0].iterations, 5);
        assert_eq!(
            s.project.workflow.stages.len(),
            before.workflow.stages.len()
        );
        assert!(s.project.workflow.stage_index("Publisher #2").is_none());
        assert_eq!(runs(&s, "Publisher"), measured);
        assert!(
            s.project
                .workflow
                .stages
                .iter()
                .all(|st| st.position.is_some())
        );
        s.project.workflow.validate().expect("a valid DAG");
        s.apply(Action::SetLoopIterations(1));
        assert_eq!(
            loop_iterations(s.project.state_machine.as_deref().unwrap()),
            Some(1)
        );
        s.apply(Action::Undo);
        s.apply(Action::Undo);
        assert_eq!(s.project, before);
        let n = s.notices.len();
        s.apply(Action::SetLoopIterations(0));
        assert_eq!((s.project == before, s.notices.len()), (true, n + 1));
    }

    /// Deleting or renaming a stage of a loop's body keeps the loop consistent.
    #[test]
    fn deleting_or_renaming_a_loop_stage_updates_the_loop() {
        let mut s = opened(&[NamedText::new("powertuning.asl.json", POWER_TUNING)]);
        s.apply(Action::RenameStage {
            id: "Publisher".into(),
            new_id: "Publish".into(),
        });
        assert_eq!(s.project.workflow.loops[0].stages, ["Publish"]);
        s.project.workflow.validate().expect("a valid DAG");
        s.apply(Action::Select(Some(crate::state::Selection::Stage(
            "Publish".into(),
        ))));
        s.apply(Action::DeleteSelection);
        assert!(s.project.workflow.loops.is_empty());
    }

    /// The autosave record keeps the state machine: after a reload the
    /// exports still hold the user's own definition.
    #[test]
    fn the_state_machine_survives_the_autosave_round_trip() {
        use crate::state::saved::Autosave;
        let s = opened(&[NamedText::new("replay.asl.json", REPLAY)]);
        let sm = s.project.state_machine.clone().expect("kept");
        let text = serde_json::to_string(&Autosave::new(&s.project, 1792.0, false)).unwrap();
        let back: Autosave = serde_json::from_str(&text).unwrap();
        let project = back.restore().expect("restores");
        assert_eq!(project.state_machine.as_deref(), Some(&*sm));
        assert_eq!(project, s.project);
        let mut reloaded = AppState::default();
        reloaded.apply(Action::ProjectLoaded(Box::new(project)));
        let plan = serde_json::json!({
            "format": "faasplan-plan", "version": 1, "workflow": "w",
            "settings": {"bound": {"type": "latency", "max_s": 10.0}, "percentile": 0.95,
                "confidence": 0.999, "alpha": 0.0, "samples": 10, "seed": 1, "platform": "aws"},
            "status": {"kind": "optimal"},
            "stages": s.project.workflow.stages.iter().map(|st| serde_json::json!({
                "stage": st.id, "memory_mb": 512, "vcpu": 0.29, "d": 1,
                "latency_p50_s": 1.0, "latency_q_s": 1.0, "expected_cost_usd": 0.0})).collect::<Vec<_>>(),
            "totals": null, "out_of_sample": null, "guarantee": null
        })
        .to_string();
        let kept = reloaded
            .project
            .state_machine
            .clone()
            .expect("kept after reload");
        assert_eq!(
            DeployFile::StateMachine.render(&kept, &plan),
            DeployFile::StateMachine.render(&sm, &plan)
        );
        // An older record without the field still reads, without a state machine.
        let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
        old.as_object_mut().unwrap().remove("state_machine");
        let old: Autosave = serde_json::from_value(old).unwrap();
        assert!(old.restore().unwrap().state_machine.is_none());
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
