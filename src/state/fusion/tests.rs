use faasplan_core::dag::Position;
use faasplan_core::frontier::{Frontier, FrontierPoint};
use faasplan_core::plan::{PlanReport, PlanStatus, SettingsEcho, StagePlan};
use faasplan_core::settings::Bound;
use faasplan_core::solve::Plan;

use super::*;
use crate::state::saved::Autosave;
use crate::worker::protocol::PlanOutput;

/// Three stages a → b → c.
fn chain() -> AppState {
    let mut s = AppState::default();
    for i in 0..3 {
        s.apply(Action::AddStage {
            at: Position {
                x: f64::from(i) * 200.0,
                y: 0.0,
            },
        });
    }
    for (from, to) in [("stage1", "stage2"), ("stage2", "stage3")] {
        s.apply(Action::Connect {
            from: from.into(),
            to: to.into(),
        });
    }
    s
}

fn never(from: &str, to: &str, never: bool) -> Action {
    Action::SetNeverFuse {
        from: from.into(),
        to: to.into(),
        never,
    }
}

#[test]
fn each_setting_is_one_undo_step_and_a_new_run() {
    let mut s = chain();
    let depth = s.history.depth();
    let rev = s.inputs_rev;
    s.apply(Action::SetOrchestration(Orchestration::aws_standard()));
    s.apply(Action::SetFusionAllowed(true));
    s.apply(never("stage1", "stage2", true));
    s.apply(Action::SetEdgeDevice(Some(default_edge_device())));
    assert_eq!(s.history.depth(), depth + 4);
    assert_eq!(s.inputs_rev, rev + 4);
    assert!(s.project.fusion.enabled);
    assert!(never_fused(&s.project, "stage1", "stage2"));
    assert_eq!(
        s.project.platform.pricing.edge_device,
        Some(default_edge_device())
    );

    s.apply(Action::Undo);
    assert_eq!(s.project.platform.pricing.edge_device, None);
    s.apply(Action::Undo);
    assert!(!never_fused(&s.project, "stage1", "stage2"));
    s.apply(Action::Undo);
    assert!(!s.project.fusion.enabled);
    s.apply(Action::Undo);
    assert_eq!(
        s.project.platform.pricing.orchestration,
        Orchestration::None
    );
    s.apply(Action::Redo);
    assert_eq!(
        s.project.platform.pricing.orchestration,
        Orchestration::aws_standard()
    );
}

#[test]
fn a_setting_that_changes_nothing_records_nothing() {
    let mut s = chain();
    s.apply(Action::SetFusionAllowed(true));
    let (depth, rev) = (s.history.depth(), s.inputs_rev);
    s.apply(Action::SetFusionAllowed(true));
    s.apply(never("stage1", "stage2", false));
    s.apply(Action::SetEdgeDevice(None));
    assert_eq!((s.history.depth(), s.inputs_rev), (depth, rev));
    // Marking twice keeps one mark.
    s.apply(never("stage1", "stage2", true));
    s.apply(never("stage1", "stage2", true));
    assert_eq!(s.project.fusion.forbid.len(), 1);
}

#[test]
fn bad_values_and_unknown_edges_are_refused_with_a_notice() {
    let mut s = chain();
    let before = s.project.clone();
    s.apply(never("stage1", "stage3", true));
    let mut bad = default_edge_device();
    bad.uplink_mbps = 0.0;
    s.apply(Action::SetEdgeDevice(Some(bad)));
    let mut bad = default_edge_device();
    bad.monthly_fee_usd = -1.0;
    s.apply(Action::SetEdgeDevice(Some(bad)));
    assert_eq!(s.project, before);
    let texts: Vec<_> = s.notices.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].contains("no edge stage1 → stage3"), "{texts:?}");
    assert!(texts[1].contains("edge_device.uplink_mbps"), "{texts:?}");
    assert!(
        texts[2].contains("edge_device.monthly_fee_usd"),
        "{texts:?}"
    );
}

#[test]
fn the_worker_gets_only_marks_of_edges_the_workflow_has() {
    let mut s = chain();
    s.apply(Action::SetFusionAllowed(true));
    s.apply(never("stage1", "stage2", true));
    s.apply(never("stage2", "stage3", true));
    s.apply(Action::Select(Some(crate::state::Selection::Stage(
        "stage3".into(),
    ))));
    s.apply(Action::DeleteSelection);
    let options = fusion_options(&s.project);
    assert!(options.enabled);
    assert_eq!(
        options.forbid,
        vec![Edge {
            from: "stage1".into(),
            to: "stage2".into()
        }]
    );
}

fn point(latency: f64, cost: f64) -> FrontierPoint {
    FrontierPoint {
        guaranteed_latency_s: latency,
        expected_cost_usd: cost,
        plan: Plan { choice: vec![0] },
    }
}

#[test]
fn with_fusion_or_an_edge_device_the_bound_is_solved_not_looked_up() {
    let mut s = chain();
    let rev = s.inputs_rev;
    s.apply(Action::RunFinished {
        rev,
        result: Ok(Rc::new(PlanOutput {
            frontier: Frontier {
                points: vec![point(10.0, 2.0), point(20.0, 1.0)],
            },
            ..PlanOutput::default()
        })),
    });
    s.apply(Action::SetBound(Bound::Latency { max_s: 15.0 }));
    assert_eq!(chosen(&s), Chosen::Point(0));
    s.apply(Action::SetFusionAllowed(true));
    // A new run for the new inputs; the frontier of the old ones is gone.
    assert_eq!(chosen(&s), Chosen::NoFrontier);
    let rev = s.inputs_rev;
    s.apply(Action::RunFinished {
        rev,
        result: Ok(Rc::new(PlanOutput {
            frontier: Frontier {
                points: vec![point(10.0, 2.0)],
            },
            ..PlanOutput::default()
        })),
    });
    assert_eq!(chosen(&s), Chosen::Solve);
    s.apply(Action::SetFusionAllowed(false));
    s.apply(Action::SetEdgeDevice(Some(default_edge_device())));
    assert!(plans_over_groupings(&s.project));
    s.apply(Action::SetEdgeDevice(None));
    assert!(!plans_over_groupings(&s.project));
}

fn stage(id: &str, fused_into: Option<&str>, on_edge: bool) -> StagePlan {
    StagePlan {
        stage: id.into(),
        memory_mb: 1024,
        vcpu: 1.0,
        d: 1,
        latency_p50_s: 1.0,
        latency_q_s: 1.0,
        expected_cost_usd: 0.0,
        fused_into: fused_into.map(Into::into),
        on_edge,
        architecture: None,
        shares_memory_with: Vec::new(),
    }
}

fn report(stages: Vec<StagePlan>) -> PlanReport {
    PlanReport {
        workflow: "w".into(),
        settings: SettingsEcho {
            bound: Bound::Latency { max_s: 12.0 },
            percentile: 0.95,
            confidence: 0.999,
            alpha: 0.0,
            samples: 10,
            seed: 1,
            platform: "p".into(),
        },
        status: PlanStatus::Optimal,
        stages,
        totals: None,
        cost_breakdown: None,
        out_of_sample: None,
        guarantee: None,
    }
}

#[test]
fn the_layout_lists_groups_root_first_and_the_edge_stages() {
    let r = report(vec![
        stage("a", None, true),
        stage("b", Some("a"), true),
        stage("c", None, false),
        stage("d", None, false),
        stage("e", Some("d"), false),
        stage("f", Some("d"), false),
    ]);
    let layout = PlanLayout::of(&r);
    assert_eq!(
        layout.groups,
        vec![vec!["a", "b"], vec!["d", "e", "f"]]
            .into_iter()
            .map(|g| g.into_iter().map(String::from).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
    assert_eq!(layout.on_edge, ["a", "b"]);
    let plain = report(vec![stage("a", None, false), stage("b", None, false)]);
    assert!(PlanLayout::of(&plain).is_empty());
}

#[test]
fn the_breakdown_parts_keep_their_order_and_share_the_total() {
    let b = CostBreakdown {
        functions_usd: 0.006,
        transitions_usd: 0.0003,
        transfer_usd: 0.0001,
        edge_usd: 0.0016,
    };
    let parts = cost_parts(&b);
    let keys: Vec<_> = parts.iter().map(|p| p.key).collect();
    assert_eq!(keys, ["functions", "transitions", "edge", "transfer"]);
    let s = shares(&parts);
    assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!((s[0] - 0.75).abs() < 1e-12 && (s[2] - 0.2).abs() < 1e-12);
    // Round-off below 0 shows as 0; an empty breakdown has no shares.
    let b = CostBreakdown {
        functions_usd: -1e-18,
        ..CostBreakdown::default()
    };
    assert_eq!(cost_parts(&b)[0].usd, 0.0);
    assert_eq!(shares(&cost_parts(&b)), [0.0; 4]);
}

#[test]
fn fusion_is_autosaved_and_the_preset_survives_orchestration() {
    let mut s = chain();
    s.apply(Action::SetOrchestration(Orchestration::aws_express()));
    s.apply(Action::SetFusionAllowed(true));
    s.apply(never("stage2", "stage3", true));
    s.apply(Action::SetEdgeDevice(Some(default_edge_device())));
    s.apply(Action::SetPreset(faasplan_core::platform::Preset::AwsArm64));
    assert_eq!(
        s.project.platform.pricing.orchestration,
        Orchestration::aws_express(),
        "a preset keeps the orchestration"
    );
    let saved = Autosave::new(&s.project, 1792.0, false);
    let json = serde_json::to_string(&saved).unwrap();
    let back: Autosave = serde_json::from_str(&json).unwrap();
    assert_eq!(back.restore().unwrap(), s.project);
    // A project file read back names its preset although it prices orchestration.
    let core = s.project.to_core();
    let read = Project::from_core(core);
    assert_eq!(read.platform_choice, s.project.platform_choice);
    assert_eq!(
        orchestration_key(&read.platform.pricing.orchestration),
        "express"
    );
}
