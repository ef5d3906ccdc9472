//! The frontier's rounds and the exact frontier in the state.

use std::rc::Rc;

use faasplan_core::dag::Position;
use faasplan_core::frontier::{Frontier, FrontierPoint};
use faasplan_core::settings::Bound;
use faasplan_core::solve::Plan;

use super::*;
use crate::worker::protocol::Resolution;

fn point(l: f64, c: f64) -> FrontierPoint {
    FrontierPoint {
        guaranteed_latency_s: l,
        expected_cost_usd: c,
        plan: Plan { choice: vec![0] },
    }
}

fn out(points: Vec<FrontierPoint>, resolved: u32, exact: bool) -> Rc<PlanOutput> {
    Rc::new(PlanOutput {
        frontier: Frontier { points },
        resolution: Resolution {
            positions: 500,
            resolved,
            exact,
            unproven: 0,
        },
        ..PlanOutput::default()
    })
}

fn one_stage() -> AppState {
    let mut s = AppState::default();
    s.apply(Action::AddStage {
        at: Position { x: 0.0, y: 0.0 },
    });
    s.project.settings.bound = Bound::Latency { max_s: 25.0 };
    s
}

fn solved_report(max_s: f64) -> Rc<PlanReport> {
    Rc::new(PlanReport {
        workflow: "w".into(),
        settings: faasplan_core::plan::SettingsEcho {
            bound: Bound::Latency { max_s },
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
    })
}

#[test]
fn the_bound_is_solved_first_and_rounds_are_shown_as_they_come() {
    let mut s = one_stage();
    let rev = s.inputs_rev;
    assert_eq!(chosen(&s), Chosen::NoFrontier);
    // The frontier job solves the bound first: the plan is that solve.
    s.apply(Action::RunStarted { rev });
    let key = s.bound_rev;
    assert!(matches!(
        s.current_report(ReportKind::Solve),
        ReportStatus::Pending { .. }
    ));
    assert_eq!(chosen(&s), Chosen::Solve);
    s.apply(Action::ReportFinished {
        kind: ReportKind::Solve,
        rev,
        key,
        result: Ok(solved_report(25.0)),
    });
    assert_eq!(chosen(&s), Chosen::Solve);
    assert!(matches!(
        s.current_report(ReportKind::Solve),
        ReportStatus::Done { .. }
    ));
    // Rounds fill the chart in; the plan stays the bound's own solve.
    s.apply(Action::RunPartial {
        rev,
        output: out(vec![point(20.0, 2.0)], 2, false),
    });
    assert_eq!(chosen(&s), Chosen::Solve);
    s.apply(Action::RunProgressed {
        rev,
        progress: Progress::Resolving {
            resolved: 2,
            positions: 500,
        },
    });
    assert!(
        output(&s).is_some(),
        "a progress report keeps the round on screen"
    );
    s.apply(Action::RunPartial {
        rev,
        output: out(
            vec![point(10.0, 3.0), point(20.0, 2.0), point(30.0, 1.0)],
            3,
            false,
        ),
    });
    assert!(matches!(
        s.current_report(ReportKind::Solve),
        ReportStatus::Done { .. }
    ));
    s.apply(Action::RunFinished {
        rev,
        result: Ok(out(
            vec![point(10.0, 3.0), point(24.0, 1.5), point(30.0, 1.0)],
            500,
            false,
        )),
    });
    let o = output(&s).expect("finished");
    assert!(o.resolution.complete());
    // Exact at the resolution is not exact at every bound: 25 s is solved, not
    // looked up (a plan between two positions may be cheaper).
    assert_eq!(chosen(&s), Chosen::Solve);
    // A new bound (typed or slider) is solved again: not answered yet.
    s.apply(Action::SetBound(Bound::Latency { max_s: 21.0 }));
    assert_eq!(chosen(&s), Chosen::Solve);
    assert_eq!(s.current_report(ReportKind::Solve), &ReportStatus::Idle);
    // A round or solve of older inputs is dropped; a new run asks for its solve.
    s.touch_inputs();
    s.apply(Action::RunPartial {
        rev,
        output: out(vec![point(1.0, 1.0)], 1, false),
    });
    s.apply(Action::ReportFinished {
        kind: ReportKind::Solve,
        rev,
        key: s.bound_rev,
        result: Ok(solved_report(21.0)),
    });
    assert_eq!(s.current_report(ReportKind::Solve), &ReportStatus::Idle);
    assert!(matches!(&s.run, RunStatus::Done { output, .. } if output.resolution.complete()));
    assert_eq!(chosen(&s), Chosen::NoFrontier);
    s.apply(Action::RunStarted { rev: s.inputs_rev });
    assert!(matches!(
        s.current_report(ReportKind::Solve),
        ReportStatus::Pending { .. }
    ));
}

#[test]
fn the_exact_frontier_is_asked_cancelled_superseded_and_kept() {
    let mut s = one_stage();
    // Nothing to refine yet: not asked.
    s.apply(Action::ExactRequested);
    assert_eq!(exact_running(&s), None);
    let rev = s.inputs_rev;
    s.apply(Action::RunFinished {
        rev,
        result: Ok(out(vec![point(10.0, 3.0), point(30.0, 1.0)], 500, false)),
    });
    s.apply(Action::ExactRequested);
    assert_eq!(exact_running(&s), Some(rev));
    s.apply(Action::ExactProgressed {
        rev,
        progress: Progress::Frontier {
            points: 4,
            nodes: 99,
        },
    });
    assert!(matches!(
        s.exact,
        ExactRun::Running {
            progress: Some(_),
            ..
        }
    ));
    // Cancelled: its answer is dropped.
    s.apply(Action::ExactCancelled);
    assert_eq!(exact_running(&s), None);
    s.apply(Action::ExactFinished {
        rev,
        result: Ok(out(vec![point(10.0, 3.0)], 0, true)),
    });
    assert!(!is_exact(&s));

    // Finished: the exact frontier replaces the resolution one, and a late
    // resolution answer of the same inputs does not replace it.
    s.apply(Action::ExactRequested);
    let exact = out(
        vec![point(10.0, 3.0), point(20.0, 2.0), point(30.0, 1.0)],
        0,
        true,
    );
    s.apply(Action::ExactFinished {
        rev,
        result: Ok(exact.clone()),
    });
    assert!(is_exact(&s));
    assert_eq!(s.exact, ExactRun::Idle);
    assert_eq!(chosen(&s), Chosen::Point(1));
    s.apply(Action::RunFinished {
        rev,
        result: Ok(out(vec![point(10.0, 3.0)], 500, false)),
    });
    s.apply(Action::RunPartial {
        rev,
        output: out(vec![point(10.0, 3.0)], 2, false),
    });
    assert_eq!(output(&s), Some(&exact));
    // No second exact run of an exact frontier.
    s.apply(Action::ExactRequested);
    assert_eq!(exact_running(&s), None);

    // An edit supersedes a running one; its answer is dropped.
    s.touch_inputs();
    let rev2 = s.inputs_rev;
    s.apply(Action::RunFinished {
        rev: rev2,
        result: Ok(out(vec![point(10.0, 3.0)], 500, false)),
    });
    s.apply(Action::ExactRequested);
    assert_eq!(exact_running(&s), Some(rev2));
    s.touch_inputs();
    assert_eq!(exact_running(&s), None, "an edit supersedes it");
    s.apply(Action::ExactFinished {
        rev: rev2,
        result: Ok(exact),
    });
    assert!(
        matches!(&s.run, RunStatus::Done { output, .. } if !output.resolution.exact),
        "a superseded exact frontier never lands"
    );
    // A failure is kept for its inputs, with the message.
    let rev3 = s.inputs_rev;
    s.apply(Action::RunFinished {
        rev: rev3,
        result: Ok(out(vec![point(10.0, 3.0)], 500, false)),
    });
    s.apply(Action::ExactRequested);
    s.apply(Action::ExactFinished {
        rev: rev3,
        result: Err("the exact frontier's worker stopped (out of memory)".into()),
    });
    assert!(
        matches!(&s.exact, ExactRun::Failed { message, .. } if message.contains("out of memory"))
    );
    assert!(output(&s).is_some(), "the resolution frontier stays");
}
