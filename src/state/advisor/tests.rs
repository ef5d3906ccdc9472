use std::collections::BTreeMap;
use std::rc::Rc;

use faasplan_core::advisor::anomaly::AnomalyReport;
use faasplan_core::advisor::prewarm::PrewarmPlan;
use faasplan_core::advisor::propose::{Advice, CurrentPlan, Proposal};
use faasplan_core::dag::Config;
use faasplan_core::executor::configurations::parse_configurations;
use faasplan_core::settings::ColdStarts;

use super::*;
use crate::state::Action;

fn advice() -> Advice {
    Advice {
        bound_s: 60.0,
        plan: Some(CurrentPlan {
            configs: vec![
                (
                    "a".into(),
                    Config {
                        memory_mb: 1024,
                        d: 4,
                    },
                ),
                (
                    "b".into(),
                    Config {
                        memory_mb: 2048,
                        d: 1,
                    },
                ),
            ],
            latency_s: 50.0,
            cost_usd: 0.01,
        }),
        proposals: vec![Proposal {
            stage: "b".into(),
            memory_mb: 3072,
            d: 1,
            predicted_s: 20.0,
            ln_sd: 0.2,
            expected_gain_usd: 0.001,
        }],
        batch_gain_usd: 0.001,
        batch_gain_pct: 10.0,
        stop: false,
        stop_gain_pct: 1.0,
    }
}

fn output(advice: Result<Advice, String>) -> Rc<AdvisorOutput> {
    Rc::new(AdvisorOutput {
        flagged: AnomalyReport::default(),
        excluded: false,
        advice,
        elapsed_ms: 1.0,
    })
}

fn advised(s: &mut AppState, advice: Result<Advice, String>) {
    let rev = s.inputs_rev;
    s.apply(Action::Advisor(AdvisorAction::AdviceStarted {
        rev,
        key: 7,
    }));
    s.apply(Action::Advisor(AdvisorAction::AdviceFinished {
        rev,
        key: 7,
        result: Ok(output(advice)),
    }));
}

#[test]
fn only_the_latest_advice_of_the_current_inputs_is_kept() {
    let mut s = AppState::default();
    let rev = s.inputs_rev;
    s.apply(Action::Advisor(AdvisorAction::AdviceStarted {
        rev,
        key: 1,
    }));
    s.apply(Action::Advisor(AdvisorAction::AdviceStarted {
        rev,
        key: 2,
    }));
    // The older job's answer is dropped.
    s.apply(Action::Advisor(AdvisorAction::AdviceFinished {
        rev,
        key: 1,
        result: Ok(output(Ok(advice()))),
    }));
    assert!(current_advice(&s).is_none());
    s.apply(Action::Advisor(AdvisorAction::AdviceFinished {
        rev,
        key: 2,
        result: Ok(output(Ok(advice()))),
    }));
    assert!(current_advice(&s).is_some());
    // An input change makes it stale.
    s.apply(Action::Advisor(AdvisorAction::SetExcludeFlagged(true)));
    assert!(current_advice(&s).is_none());
}

#[test]
fn exclude_flagged_is_a_planner_input() {
    let mut s = AppState::default();
    let rev = s.inputs_rev;
    s.apply(Action::Advisor(AdvisorAction::SetExcludeFlagged(true)));
    assert!(s.project.settings.exclude_flagged);
    assert_eq!(s.inputs_rev, rev + 1);
    // Setting it to what it is changes nothing.
    s.apply(Action::Advisor(AdvisorAction::SetExcludeFlagged(true)));
    assert_eq!(s.inputs_rev, rev + 1);
    s.apply(Action::Advisor(AdvisorAction::SetExcludeFlagged(false)));
    assert!(!s.project.settings.exclude_flagged);
}

#[test]
fn batch_changes_ask_again_and_bad_sizes_are_refused() {
    let mut s = AppState::default();
    s.apply(Action::Advisor(AdvisorAction::SetBatch(2)));
    assert_eq!((s.advisor.batch, s.advisor.advice_rev), (2, 1));
    s.apply(Action::Advisor(AdvisorAction::SetBatch(0)));
    s.apply(Action::Advisor(AdvisorAction::SetBatch(MAX_BATCH + 1)));
    assert_eq!((s.advisor.batch, s.advisor.advice_rev), (2, 1));
    assert_eq!(s.notices.len(), 2);
}

#[test]
fn send_to_executor_lists_the_plan_with_each_proposal() {
    let mut s = AppState::default();
    s.apply(Action::Advisor(AdvisorAction::SendToExecutor));
    assert!(s.advisor.to_executor.is_none(), "nothing to send yet");
    advised(&mut s, Ok(advice()));
    s.apply(Action::Advisor(AdvisorAction::SendToExecutor));
    let (n, text) = s.advisor.to_executor.clone().expect("sent");
    assert_eq!(n, 1);
    let configs = parse_configurations(&text).expect("the Executor panel reads it");
    assert_eq!(configs.len(), 1);
    let line: Vec<_> = configs[0]
        .iter()
        .map(|c| (c.stage.as_str(), c.memory_mb, c.d))
        .collect();
    assert_eq!(line, [("a", 1024, 4), ("b", 3072, 1)]);
    s.apply(Action::Advisor(AdvisorAction::SendToExecutor));
    assert_eq!(s.advisor.to_executor.as_ref().map(|t| t.0), Some(2));
    // Without a current plan there is nothing to send.
    let mut s = AppState::default();
    advised(
        &mut s,
        Ok(Advice {
            plan: None,
            ..advice()
        }),
    );
    s.apply(Action::Advisor(AdvisorAction::SendToExecutor));
    assert!(s.advisor.to_executor.is_none());
}

fn prewarmed(s: &mut AppState) {
    s.apply(Action::Advisor(AdvisorAction::PlanPrewarm));
    let key = s.advisor.prewarm_rev;
    s.apply(Action::Advisor(AdvisorAction::PrewarmStarted { key }));
    let cold_starts: BTreeMap<String, ColdStarts> = [
        ("stage1".to_string(), ColdStarts::Rate(0.5)),
        ("stage2".to_string(), ColdStarts::Rate(1.25)),
    ]
    .into();
    s.apply(Action::Advisor(AdvisorAction::PrewarmFinished {
        rev: s.inputs_rev,
        key,
        result: Ok(Rc::new(PrewarmOutput {
            plan: PrewarmPlan {
                interval_minutes: 5,
                evaluate_from: 2880,
                minutes: 4320,
                target_cold_pct: 1.0,
                stages: Vec::new(),
            },
            charts: Vec::new(),
            cold_starts,
            trace: "t".into(),
            elapsed_ms: 1.0,
        })),
    }));
}

#[test]
fn using_the_prewarm_rates_sets_the_stages_cold_starts_as_one_undo_step() {
    let mut s = AppState::default();
    s.apply(Action::Advisor(AdvisorAction::ApplyColdStarts));
    assert!(s.project.settings.cold_start_stages.is_empty());
    prewarmed(&mut s);
    let rev = s.inputs_rev;
    s.apply(Action::Advisor(AdvisorAction::ApplyColdStarts));
    assert_eq!(s.inputs_rev, rev + 1, "the frontier is planned again");
    assert_eq!(
        s.project.settings.cold_start_stages.get("stage1"),
        Some(&ColdStarts::Rate(0.5))
    );
    assert_eq!(s.advisor.applied_rev, Some(s.inputs_rev));
    assert!(s.notices.last().unwrap().text.contains("stage2 1.25% cold"));
    s.apply(Action::Undo);
    assert!(s.project.settings.cold_start_stages.is_empty());
    s.apply(Action::Redo);
    assert_eq!(s.project.settings.cold_start_stages.len(), 2);
}

#[test]
fn a_stale_prewarm_answer_is_dropped_and_targets_are_checked() {
    let mut s = AppState::default();
    s.apply(Action::Advisor(AdvisorAction::PrewarmStarted { key: 2 }));
    s.apply(Action::Advisor(AdvisorAction::PrewarmFinished {
        rev: 0,
        key: 1,
        result: Err("old".into()),
    }));
    assert_eq!(s.advisor.prewarm, PrewarmStatus::Running { key: 2 });
    s.apply(Action::Advisor(AdvisorAction::PrewarmFinished {
        rev: 0,
        key: 2,
        result: Err("no plan".into()),
    }));
    assert_eq!(s.advisor.prewarm, PrewarmStatus::Failed("no plan".into()));
    s.apply(Action::Advisor(AdvisorAction::SetTarget(101.0)));
    assert_eq!(s.advisor.target_cold_pct, 1.0);
    s.apply(Action::Advisor(AdvisorAction::SetTarget(0.1)));
    assert_eq!(s.advisor.target_cold_pct, 0.1);
}
