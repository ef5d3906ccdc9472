use std::rc::Rc;

use super::*;
use crate::worker::protocol::{BaselineRow, BaselineSet};

fn row(name: &str, latency_s: f64, cost_usd: f64, meets_bound: bool) -> BaselineRow {
    BaselineRow {
        name: name.into(),
        guaranteed_latency_s: latency_s,
        q_latency_s: latency_s,
        expected_cost_usd: cost_usd,
        meets_bound,
        plan: latency_s
            .is_finite()
            .then(|| vec![("a".to_string(), 1024, 2)]),
    }
}

#[test]
fn a_baseline_that_meets_the_bound_is_compared_on_cost() {
    let c = compare(&row("orion", 30.0, 0.004, true), 40.0, 0.003);
    assert_eq!(sentence(&c, "95"), "−25.0% cost at the same P95 bound");
    let c = compare(&row("orion", 30.0, 0.002, true), 40.0, 0.003);
    assert_eq!(sentence(&c, "95"), "+50.0% cost at the same P95 bound");
    let c = compare(&row("orion", 30.0, 0.003, true), 40.0, 0.003);
    assert_eq!(sentence(&c, "95"), "same cost at the same P95 bound");
}

#[test]
fn a_baseline_that_misses_the_bound_or_has_no_plan_says_so() {
    let c = compare(&row("jolteon", 41.23, 0.001, false), 40.0, 0.003);
    assert_eq!(sentence(&c, "95"), "misses the bound: P95 41.23 s > 40 s");
    let c = compare(&row("caerus", f64::NAN, f64::NAN, false), 40.0, 0.003);
    assert_eq!(c, Comparison::NoPlan);
    assert_eq!(sentence(&c, "99.9"), "no plan");
}

#[test]
fn baselines_of_an_old_bound_are_dropped_and_toggles_outlive_them() {
    let mut s = AppState::default();
    let (rev, old) = (s.inputs_rev, s.bound_rev);
    s.apply(Action::BaselinesStarted { rev, key: old });
    assert_eq!(
        s.current_baselines(),
        &BaselinesStatus::Pending { key: old }
    );
    s.bound_rev += 1;
    let set = Rc::new(BaselineSet {
        bound_s: 40.0,
        rows: vec![row("orion", 30.0, 0.004, true)],
        elapsed_ms: 1.0,
    });
    s.apply(Action::BaselinesFinished {
        rev,
        key: old,
        result: Ok(set.clone()),
    });
    assert_eq!(s.current_baselines(), &BaselinesStatus::Idle);
    let key = s.bound_rev;
    s.apply(Action::BaselinesFinished {
        rev,
        key,
        result: Ok(set),
    });
    assert!(matches!(
        s.current_baselines(),
        BaselinesStatus::Done { .. }
    ));
    s.apply(Action::ToggleMarker("orion".into()));
    assert!(s.hidden_markers.contains("orion"));
    s.touch_inputs();
    assert!(s.hidden_markers.contains("orion"), "kept across runs");
    s.apply(Action::ToggleMarker("orion".into()));
    assert!(s.hidden_markers.is_empty());
}
