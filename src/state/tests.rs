use faasplan_core::dag::{Config, MemoryGrid, Position, StageKind};
use faasplan_core::frontier::{Frontier, FrontierPoint};
use faasplan_core::platform::Preset;
use faasplan_core::settings::Bound;
use faasplan_core::solve::Plan;

use super::*;
use crate::state::run::chosen;
use crate::state::{Chosen, ReportStatus};
use crate::worker::protocol::{EvaluationOutput, PlanOutput, ReportKind};
use faasplan_core::settings::CostKind;

fn at(x: f64, y: f64) -> Position {
    Position { x, y }
}

fn with_stages(n: usize) -> AppState {
    let mut s = AppState::default();
    for i in 0..n {
        s.apply(Action::AddStage {
            at: at(i as f64 * 200.0, 0.0),
        });
    }
    s
}

fn connect(s: &mut AppState, from: &str, to: &str) {
    s.apply(Action::Connect {
        from: from.into(),
        to: to.into(),
    });
}

fn ids(s: &AppState) -> Vec<&str> {
    s.project
        .workflow
        .stages
        .iter()
        .map(|x| x.id.as_str())
        .collect()
}

#[test]
fn add_stage_uses_fresh_ids_and_selects_the_new_stage() {
    let s = with_stages(3);
    assert_eq!(ids(&s), ["stage1", "stage2", "stage3"]);
    assert_eq!(s.selected_stage(), Some("stage3"));
    assert_eq!(s.inputs_rev, 3);
}

#[test]
fn connection_that_closes_a_cycle_is_refused_with_a_notice() {
    let mut s = with_stages(3);
    connect(&mut s, "stage1", "stage2");
    connect(&mut s, "stage2", "stage3");
    let before = s.project.workflow.clone();
    connect(&mut s, "stage3", "stage1");
    assert_eq!(s.project.workflow, before);
    assert_eq!(s.notices.len(), 1);
    assert!(s.notices[0].text.contains("cycle"), "{}", s.notices[0].text);
}

#[test]
fn self_loop_is_refused() {
    let mut s = with_stages(1);
    connect(&mut s, "stage1", "stage1");
    assert!(s.project.workflow.edges.is_empty());
    assert_eq!(s.notices.len(), 1);
}

#[test]
fn duplicate_connection_changes_nothing() {
    let mut s = with_stages(2);
    connect(&mut s, "stage1", "stage2");
    let rev = s.inputs_rev;
    connect(&mut s, "stage1", "stage2");
    assert_eq!(s.project.workflow.edges.len(), 1);
    assert_eq!(s.inputs_rev, rev);
}

#[test]
fn deleting_a_stage_removes_its_edges_and_undo_restores_both() {
    let mut s = with_stages(3);
    connect(&mut s, "stage1", "stage2");
    connect(&mut s, "stage2", "stage3");
    s.apply(Action::Select(Some(Selection::Stage("stage2".into()))));
    s.apply(Action::DeleteSelection);
    assert_eq!(ids(&s), ["stage1", "stage3"]);
    assert!(s.project.workflow.edges.is_empty());
    assert_eq!(s.selection, None);
    s.apply(Action::Undo);
    assert_eq!(ids(&s), ["stage1", "stage2", "stage3"]);
    assert_eq!(s.project.workflow.edges.len(), 2);
    s.apply(Action::Redo);
    assert_eq!(ids(&s), ["stage1", "stage3"]);
}

#[test]
fn deleting_a_selected_edge_keeps_the_stages() {
    let mut s = with_stages(2);
    connect(&mut s, "stage1", "stage2");
    s.apply(Action::Select(Some(Selection::Edge {
        from: "stage1".into(),
        to: "stage2".into(),
    })));
    s.apply(Action::DeleteSelection);
    assert_eq!(s.project.workflow.stages.len(), 2);
    assert!(s.project.workflow.edges.is_empty());
}

#[test]
fn a_new_edit_after_undo_clears_redo() {
    let mut s = with_stages(2);
    s.apply(Action::Undo);
    assert!(s.history.can_redo());
    s.apply(Action::AddStage { at: at(0.0, 0.0) });
    assert!(!s.history.can_redo());
}

#[test]
fn undo_with_empty_history_changes_nothing() {
    let mut s = AppState::default();
    s.apply(Action::Undo);
    assert_eq!(s, AppState::default());
}

#[test]
fn rename_updates_edges_and_selection_and_refuses_duplicates() {
    let mut s = with_stages(2);
    connect(&mut s, "stage1", "stage2");
    s.apply(Action::Select(Some(Selection::Stage("stage1".into()))));
    s.apply(Action::RenameStage {
        id: "stage1".into(),
        new_id: " split ".into(),
    });
    assert_eq!(ids(&s), ["split", "stage2"]);
    assert_eq!(s.project.workflow.edges[0].from, "split");
    assert_eq!(s.selected_stage(), Some("split"));
    s.apply(Action::RenameStage {
        id: "split".into(),
        new_id: "stage2".into(),
    });
    assert_eq!(ids(&s), ["split", "stage2"]);
    assert!(s.notices[0].text.contains("already used"));
}

#[test]
fn moving_a_stage_is_undoable_but_does_not_bump_inputs_rev() {
    let mut s = with_stages(1);
    let (inputs, doc) = (s.inputs_rev, s.doc_rev);
    s.apply(Action::MoveStage {
        id: "stage1".into(),
        to: at(50.0, 60.0),
    });
    assert_eq!(s.project.workflow.stages[0].position, Some(at(50.0, 60.0)));
    assert_eq!(s.inputs_rev, inputs);
    assert_eq!(s.doc_rev, doc + 1);
    s.apply(Action::Undo);
    assert_eq!(s.project.workflow.stages[0].position, Some(at(0.0, 0.0)));
}

#[test]
fn stage_edits_are_validated() {
    let mut s = with_stages(1);
    let edit = |e| Action::EditStage {
        id: "stage1".into(),
        edit: e,
    };
    s.apply(edit(StageEdit::Kind(StageKind::Single)));
    s.apply(edit(StageEdit::AllowedD(vec![2, 4])));
    assert_eq!(s.project.workflow.stages[0].kind, StageKind::Single);
    assert_eq!(s.project.workflow.stages[0].allowed_d, [2, 4]);
    let bad = MemoryGrid::stepped(4096, 1024, 64);
    s.apply(edit(StageEdit::Memory(bad.clone())));
    assert_ne!(s.project.workflow.stages[0].memory, bad);
    assert!(
        s.notices[0].text.contains("above max"),
        "{}",
        s.notices[0].text
    );
}

#[test]
fn stages_tied_to_one_function_round_trip_and_follow_renames_and_deletes() {
    let mut s = with_stages(3);
    let share = |id: &str, with: Option<&str>| Action::EditStage {
        id: id.into(),
        edit: StageEdit::ShareMemory(with.map(String::from)),
    };
    s.apply(share("stage2", Some("stage1")));
    s.apply(share("stage3", Some("stage2")));
    let wf = &s.project.workflow;
    assert_eq!(wf.shared.len(), 1);
    assert_eq!(wf.shares_memory_with("stage1"), ["stage2", "stage3"]);
    // The project file keeps the group.
    let json = s.project.to_core().to_json();
    let back = faasplan_core::formats::project::Project::from_json(&json).unwrap();
    assert_eq!(back.workflow.shared, s.project.workflow.shared);
    s.apply(Action::RenameStage {
        id: "stage1".into(),
        new_id: "head".into(),
    });
    assert_eq!(
        s.project.workflow.shares_memory_with("stage3"),
        ["head", "stage2"]
    );
    s.apply(Action::Select(Some(Selection::Stage("head".into()))));
    s.apply(Action::DeleteSelection);
    assert_eq!(s.project.workflow.shares_memory_with("stage3"), ["stage2"]);
    s.apply(share("stage3", None));
    assert!(s.project.workflow.shared.is_empty());
    // A tie whose memory grids have no size in common is refused with a notice.
    s.apply(Action::EditStage {
        id: "stage3".into(),
        edit: StageEdit::Memory(MemoryGrid::stepped(4000, 4001, 1)),
    });
    s.apply(share("stage3", Some("stage2")));
    assert!(s.project.workflow.shared.is_empty());
    let last = s.notices.last().map(|n| n.text.clone()).unwrap_or_default();
    assert!(last.contains("no size in common"), "{last}");
}

#[test]
fn memory_edits_keep_listed_sizes_inside_the_new_range() {
    let mut s = with_stages(1);
    let edit = |e| Action::EditStage {
        id: "stage1".into(),
        edit: e,
    };
    let mut grid = MemoryGrid::stepped(1024, 2048, 512);
    grid.listed_mb = vec![1078, 1617];
    s.apply(edit(StageEdit::Memory(grid)));
    assert_eq!(s.project.workflow.stages[0].memory.listed_mb, [1078, 1617]);
    s.apply(edit(StageEdit::Memory(MemoryGrid::stepped(
        1536, 2048, 512,
    ))));
    assert_eq!(
        s.project.workflow.stages[0].memory.listed_mb,
        [] as [u32; 0]
    );
    let mut grid = MemoryGrid::stepped(1024, 1600, 512);
    grid.listed_mb = vec![1078, 1617];
    s.apply(edit(StageEdit::Memory(grid)));
    assert_eq!(s.project.workflow.stages[0].memory.listed_mb, [1078]);
}

#[test]
fn import_lays_out_stages_without_positions_and_clears_selection() {
    let mut s = with_stages(2);
    connect(&mut s, "stage1", "stage2");
    let mut wf = s.project.workflow.clone();
    for st in &mut wf.stages {
        st.position = None;
    }
    s.apply(Action::ImportWorkflow(wf));
    assert!(
        s.project
            .workflow
            .stages
            .iter()
            .all(|x| x.position.is_some())
    );
    assert_eq!(s.selection, None);
    let x = |i: usize| s.project.workflow.stages[i].position.map(|p| p.x);
    assert!(x(0) < x(1));
}

#[test]
fn settings_actions_bump_inputs_rev_and_out_of_range_values_are_refused() {
    let mut s = AppState::default();
    s.apply(Action::SetPercentile(0.99));
    s.apply(Action::SetBound(Bound::Latency { max_s: 30.0 }));
    s.apply(Action::SetPreset(Preset::AwsArm64));
    // The bound is a look-up on the frontier, not a new run.
    assert_eq!(s.inputs_rev, 2);
    assert_eq!(s.bound_rev, 3);
    assert_eq!(s.project.settings.bound, Bound::Latency { max_s: 30.0 });
    assert_eq!(s.project.settings.percentile, 0.99);
    assert_eq!(
        s.project.platform_choice,
        PlatformChoice::Preset(Preset::AwsArm64)
    );
    s.apply(Action::SetPercentile(1.5));
    assert_eq!(s.project.settings.percentile, 0.99);
    assert_eq!(s.inputs_rev, 2);
    assert_eq!(s.notices.len(), 1);
}

#[test]
fn cold_start_setting_is_a_new_run_and_a_bad_rate_is_refused() {
    use faasplan_core::settings::ColdStarts;
    let mut s = AppState::default();
    s.apply(Action::SetColdStarts(ColdStarts::Rate(5.0)));
    assert_eq!(s.project.settings.cold_starts, ColdStarts::Rate(5.0));
    assert_eq!(s.inputs_rev, 1);
    s.apply(Action::SetColdStarts(ColdStarts::Rate(150.0)));
    assert_eq!(s.project.settings.cold_starts, ColdStarts::Rate(5.0));
    assert_eq!(s.inputs_rev, 1);
    assert_eq!(s.notices.len(), 1);
}

#[test]
fn custom_prices_switch_the_platform_to_custom() {
    let mut s = AppState::default();
    s.apply(Action::SetPrices {
        price_per_gb_s: 0.00002,
        price_per_request: 0.0,
    });
    assert_eq!(s.project.platform_choice, PlatformChoice::Custom);
    assert_eq!(s.project.platform.price_per_gb_s, 0.00002);
}

#[test]
fn run_results_for_a_stale_rev_are_ignored() {
    let mut s = with_stages(1);
    let old = s.inputs_rev;
    s.apply(Action::RunStarted { rev: old });
    s.apply(Action::SetPercentile(0.9));
    s.apply(Action::RunFinished {
        rev: old,
        result: Ok(Rc::new(PlanOutput::default())),
    });
    assert!(matches!(s.run, RunStatus::Running { rev, .. } if rev == old));
    s.apply(Action::RunFinished {
        rev: s.inputs_rev,
        result: Err("planning engine not available".into()),
    });
    assert!(matches!(s.run, RunStatus::Failed { .. }));
}

#[test]
fn notices_are_capped_and_dismissable() {
    let mut s = AppState::default();
    for i in 0..8 {
        s.notify(Level::Info, format!("n{i}"));
    }
    assert_eq!(s.notices.len(), AppState::MAX_NOTICES);
    assert_eq!(s.notices[0].text, "n3");
    let id = s.notices[0].id;
    s.apply(Action::Dismiss(id));
    assert!(s.notices.iter().all(|n| n.id != id));
}

#[test]
fn project_round_trips_through_json() {
    let mut s = with_stages(2);
    connect(&mut s, "stage1", "stage2");
    let json = serde_json::to_string(&s.project).unwrap();
    let back: Project = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s.project);
}

#[test]
fn parse_d_list_sorts_dedups_and_rejects_bad_entries() {
    use super::project::parse_d_list;
    assert_eq!(parse_d_list("8, 2 4,2").unwrap(), [2, 4, 8]);
    assert!(parse_d_list("0").is_err());
    assert!(parse_d_list("x").is_err());
    assert!(parse_d_list(" ").is_err());
}

fn point(guaranteed_latency_s: f64, expected_cost_usd: f64) -> FrontierPoint {
    FrontierPoint {
        guaranteed_latency_s,
        expected_cost_usd,
        plan: Plan { choice: vec![0] },
    }
}

fn with_frontier() -> AppState {
    let mut s = with_stages(1);
    let rev = s.inputs_rev;
    s.apply(Action::RunFinished {
        rev,
        result: Ok(Rc::new(PlanOutput {
            frontier: Frontier {
                points: vec![point(10.0, 3.0), point(20.0, 2.0), point(30.0, 1.0)],
            },
            ..PlanOutput::default()
        })),
    });
    s
}

#[test]
fn a_bound_picks_the_frontier_point_or_names_the_nearest_feasible_bound() {
    let mut s = with_frontier();
    let mut pick = |b| {
        s.apply(Action::SetBound(b));
        chosen(&s)
    };
    assert_eq!(pick(Bound::Latency { max_s: 25.0 }), Chosen::Point(1));
    assert_eq!(pick(Bound::Latency { max_s: 30.0 }), Chosen::Point(2));
    assert_eq!(
        pick(Bound::Latency { max_s: 9.0 }),
        Chosen::Infeasible(Bound::Latency { max_s: 10.0 })
    );
    let mean = |max_usd| Bound::Cost {
        max_usd,
        kind: CostKind::Mean,
    };
    assert_eq!(pick(mean(2.5)), Chosen::Point(1));
    assert_eq!(pick(mean(0.5)), Chosen::Infeasible(mean(1.0)));
    assert_eq!(
        pick(Bound::Cost {
            max_usd: 2.0,
            kind: CostKind::Quantile
        }),
        Chosen::Solve
    );
}

#[test]
fn a_check_for_an_older_bound_is_dropped() {
    let mut s = with_frontier();
    let rev = s.inputs_rev;
    let old = s.bound_rev;
    s.apply(Action::ReportStarted {
        kind: ReportKind::Check,
        rev,
        key: old,
    });
    s.apply(Action::SetBound(Bound::Latency { max_s: 12.0 }));
    let report = Rc::new(faasplan_core::plan::PlanReport {
        workflow: "w".into(),
        settings: faasplan_core::plan::SettingsEcho {
            bound: Bound::Latency { max_s: 12.0 },
            percentile: 0.95,
            confidence: 0.999,
            alpha: 0.0,
            samples: 10,
            seed: 1,
            platform: "p".into(),
        },
        status: faasplan_core::plan::PlanStatus::Optimal,
        stages: Vec::new(),
        totals: None,
        cost_breakdown: None,
        out_of_sample: None,
        guarantee: None,
    });
    s.apply(Action::ReportFinished {
        kind: ReportKind::Check,
        rev,
        key: old,
        result: Ok(report.clone()),
    });
    assert_eq!(s.current_report(ReportKind::Check), &ReportStatus::Idle);
    let key = s.bound_rev;
    s.apply(Action::ReportFinished {
        kind: ReportKind::Check,
        rev,
        key,
        result: Ok(report),
    });
    assert!(matches!(
        s.current_report(ReportKind::Check),
        ReportStatus::Done { .. }
    ));
    assert!(matches!(chosen(&s), Chosen::Point(0)));
}

#[test]
fn a_worker_crash_fails_the_jobs_in_flight_restarts_the_worker_and_retry_runs_again() {
    let mut s = with_stages(1);
    let rev = s.inputs_rev;
    s.apply(Action::RunStarted { rev });
    let generation = s.worker_generation;
    s.apply(Action::WorkerCrashed {
        message: "capacity overflow".into(),
    });
    let RunStatus::Failed { message, .. } = &s.run else {
        panic!("the run fails: {:?}", s.run);
    };
    assert!(message.contains("capacity overflow"), "{message}");
    assert_eq!(
        s.worker_generation,
        generation + 1,
        "a new worker is mounted"
    );
    assert!(s.last_run_crashed, "saved with the project for safe mode");
    assert!(s.notices.iter().any(|n| n.level == Level::Error));
    s.apply(Action::RetryPlanning);
    assert!(s.inputs_rev > rev, "retry posts a new run");
    s.apply(Action::RunFinished {
        rev: s.inputs_rev,
        result: Ok(Rc::new(PlanOutput::default())),
    });
    assert!(!s.last_run_crashed);
}

#[test]
fn safe_mode_pauses_planning_until_an_input_changes() {
    let mut s = with_stages(1);
    s.apply(Action::EnterSafeMode);
    assert!(s.planning_paused);
    assert!(matches!(s.run, RunStatus::Failed { .. }));
    s.apply(Action::SetPercentile(0.9));
    assert!(!s.planning_paused);
    s.apply(Action::EnterSafeMode);
    s.apply(Action::RetryPlanning);
    assert!(!s.planning_paused);
}

#[test]
fn percentages_typed_in_the_controls_are_stored_without_float_noise() {
    let mut s = AppState::default();
    s.apply(Action::SetPercentile(99.9 / 100.0));
    s.apply(Action::SetDelta(1.0 - 99.9 / 100.0));
    assert_eq!(s.project.settings.percentile.to_string(), "0.999");
    assert_eq!(s.project.settings.delta.to_string(), "0.001");
    assert_eq!((1.0 - s.project.settings.delta).to_string(), "0.999");
}

#[test]
fn the_workflow_can_be_renamed_undone_and_not_to_an_empty_name() {
    let mut s = with_stages(1);
    let inputs = s.inputs_rev;
    s.apply(Action::RenameWorkflow("  Nightly ETL ".into()));
    assert_eq!(s.project.workflow.name, "Nightly ETL");
    assert_eq!(s.inputs_rev, inputs, "the name is not a planner input");
    s.apply(Action::RenameWorkflow("  ".into()));
    assert_eq!(s.project.workflow.name, "Nightly ETL");
    assert!(s.notices.iter().any(|n| n.text.contains("cannot be empty")));
    s.apply(Action::Undo);
    assert_eq!(s.project.workflow.name, "Untitled workflow");
}

fn cfg(memory_mb: u32, d: u32) -> Config {
    Config { memory_mb, d }
}

fn set_current(s: &mut AppState, stage: &str, config: Option<Config>) {
    s.apply(Action::SetCurrentConfig {
        stage: stage.into(),
        config,
    });
}

fn evaluation(latency_s: f64) -> Rc<EvaluationOutput> {
    let report = faasplan_core::plan::PlanReport {
        workflow: "w".into(),
        settings: faasplan_core::plan::SettingsEcho {
            bound: Bound::Latency { max_s: latency_s },
            percentile: 0.95,
            confidence: 0.99,
            alpha: 0.0,
            samples: 10,
            seed: 1,
            platform: "aws".into(),
        },
        status: faasplan_core::plan::PlanStatus::Optimal,
        stages: Vec::new(),
        totals: None,
        cost_breakdown: None,
        out_of_sample: None,
        guarantee: None,
    };
    Rc::new(EvaluationOutput {
        latency_s,
        cost_usd: 0.01,
        current: crate::worker::protocol::WirePlan(report),
        planned: None,
        saving_usd: None,
    })
}

#[test]
fn the_current_configuration_is_complete_only_when_every_stage_has_one() {
    let mut s = with_stages(2);
    assert_eq!(
        s.current_configs(),
        Err(vec!["stage1".into(), "stage2".into()])
    );
    set_current(&mut s, "stage2", Some(cfg(2048, 4)));
    assert_eq!(s.current_configs(), Err(vec!["stage1".into()]));
    set_current(&mut s, "stage1", Some(cfg(1024, 1)));
    assert_eq!(
        s.current_configs(),
        Ok(vec![
            ("stage1".into(), cfg(1024, 1)),
            ("stage2".into(), cfg(2048, 4))
        ])
    );
    let (inputs, current) = (s.inputs_rev, s.current_rev);
    set_current(&mut s, "stage1", None);
    assert_eq!(s.current_configs(), Err(vec!["stage1".into()]));
    assert_eq!(s.inputs_rev, inputs, "not a planner input");
    assert!(s.current_rev > current);
}

#[test]
fn a_renamed_stage_keeps_its_current_configuration() {
    let mut s = with_stages(1);
    set_current(&mut s, "stage1", Some(cfg(1024, 2)));
    s.apply(Action::RenameStage {
        id: "stage1".into(),
        new_id: " ingest ".into(),
    });
    assert_eq!(
        s.current_configs(),
        Ok(vec![("ingest".into(), cfg(1024, 2))])
    );
}

#[test]
fn an_evaluation_is_kept_for_its_inputs_and_configuration_but_not_the_bound() {
    let mut s = with_stages(1);
    set_current(&mut s, "stage1", Some(cfg(1024, 2)));
    let (rev, key) = (s.inputs_rev, s.current_rev);
    s.apply(Action::EvaluationStarted { rev, key });
    assert!(matches!(
        s.current_evaluation(),
        EvaluationStatus::Pending { .. }
    ));
    s.apply(Action::EvaluationFinished {
        rev,
        key: key - 1,
        result: Ok(evaluation(1.0)),
    });
    assert!(
        matches!(s.current_evaluation(), EvaluationStatus::Pending { .. }),
        "an answer for an older configuration is dropped"
    );
    s.apply(Action::EvaluationFinished {
        rev,
        key,
        result: Ok(evaluation(12.0)),
    });
    s.apply(Action::SetBound(Bound::Latency { max_s: 5.0 }));
    let EvaluationStatus::Done { evaluation, .. } = s.current_evaluation() else {
        panic!("a bound move keeps the evaluation");
    };
    assert_eq!(evaluation.latency_s, 12.0);
    set_current(&mut s, "stage1", Some(cfg(2048, 2)));
    assert_eq!(s.current_evaluation(), &EvaluationStatus::Idle);
}

#[test]
fn a_worker_crash_fails_a_pending_evaluation() {
    let mut s = with_stages(1);
    set_current(&mut s, "stage1", Some(cfg(1024, 2)));
    let (rev, key) = (s.inputs_rev, s.current_rev);
    s.apply(Action::EvaluationStarted { rev, key });
    s.apply(Action::WorkerCrashed {
        message: "out of memory".into(),
    });
    let EvaluationStatus::Failed { message, .. } = s.current_evaluation() else {
        panic!("failed");
    };
    assert!(message.contains("out of memory"), "{message}");
}
