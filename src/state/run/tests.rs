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

#[test]
fn rounds_are_shown_as_they_come_and_progress_does_not_hide_them() {
    let mut s = one_stage();
    let rev = s.inputs_rev;
    s.apply(Action::RunStarted { rev });
    assert_eq!(chosen(&s), Chosen::NoFrontier);
    // The plan for the bound first: the bound already picks it.
    s.apply(Action::RunPartial {
        rev,
        output: out(vec![point(20.0, 2.0)], 0, false),
    });
    assert_eq!(chosen(&s), Chosen::Point(0));
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
    assert_eq!(chosen(&s), Chosen::Point(1));
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
    assert_eq!(chosen(&s), Chosen::Point(1));
    // A round of older inputs is dropped.
    s.touch_inputs();
    s.apply(Action::RunPartial {
        rev,
        output: out(vec![point(1.0, 1.0)], 1, false),
    });
    assert!(matches!(&s.run, RunStatus::Done { output, .. } if output.resolution.complete()));
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
