//! The exact planner and the frontier against brute force.
//!
//! Every test, the property tests included, runs natively and in wasm32.

use approx::assert_relative_eq;
use faasplan_core::frontier::{
    Frontier, FrontierSettings, Refinement, ResolutionBuilder, ResolutionProgress, frontier,
    solve_position,
};
use faasplan_core::problem::SampledProblem;
use faasplan_core::settings::{Bound, CostKind};
use faasplan_core::solve::synthetic::{Shape, Small, problem, small};
use faasplan_core::solve::{
    Plan, PlanEval, Planner, SolveProgress, SolveSettings, Solver, Status, evaluate, solve,
};
use proptest::prelude::*;

/// Every valid plan with its evaluation (contexts present, concurrency met).
fn all_plans(p: &SampledProblem) -> Vec<(Plan, PlanEval)> {
    let sizes: Vec<usize> = p.stages.iter().map(|t| t.configs.len()).collect();
    let mut out = Vec::new();
    let mut choice = vec![0u32; sizes.len()];
    loop {
        let plan = Plan {
            choice: choice.clone(),
        };
        if let Ok(e) = evaluate(p, &plan)
            && concurrency_ok(p, &choice)
            && ties_hold(p, &choice)
        {
            out.push((plan, e));
        }
        let mut i = 0;
        loop {
            if i == sizes.len() {
                return out;
            }
            choice[i] += 1;
            if (choice[i] as usize) < sizes[i] {
                break;
            }
            choice[i] = 0;
            i += 1;
        }
    }
}

/// Every group of stages sharing a function has one memory size and architecture
/// (checked pair by pair, independently of `SampledProblem::ties_hold`).
fn ties_hold(p: &SampledProblem, choice: &[u32]) -> bool {
    p.shared.iter().all(|g| {
        g.iter().all(|&i| {
            g.iter().all(|&j| {
                let (a, b) = (choice[i] as usize, choice[j] as usize);
                p.stages[i].configs[a].memory_mb == p.stages[j].configs[b].memory_mb
                    && p.stages[i].architecture(a) == p.stages[j].architecture(b)
            })
        })
    })
}

fn reaches(p: &SampledProblem, from: usize, to: usize) -> bool {
    from == to || p.parents[to].iter().any(|&q| reaches(p, from, q))
}

/// Concurrency by brute force over every subset of pairwise independent stages.
fn concurrency_ok(p: &SampledProblem, choice: &[u32]) -> bool {
    let Some(c) = p.concurrency_limit else {
        return true;
    };
    let k = p.stages.len();
    (1u32..1 << k).all(|mask| {
        let set: Vec<usize> = (0..k).filter(|i| mask >> i & 1 == 1).collect();
        let anti = set.iter().all(|&a| {
            set.iter()
                .all(|&b| a == b || (!reaches(p, a, b) && !reaches(p, b, a)))
        });
        !anti
            || set
                .iter()
                .map(|&i| p.stages[i].configs[choice[i] as usize].d)
                .sum::<u32>()
                <= c
    })
}

/// The brute-force non-dominated set: (latency, cost), latency ascending.
fn brute_frontier(plans: &[(Plan, PlanEval)]) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = plans
        .iter()
        .map(|(_, e)| (e.guaranteed_latency_s, e.expected_cost_usd))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (l, c) in v {
        if out.last().is_none_or(|&(_, lc)| c < lc) {
            out.push((l, c));
        }
    }
    out
}

fn min_by(
    plans: &[(Plan, PlanEval)],
    ok: impl Fn(&PlanEval) -> bool,
    key: impl Fn(&PlanEval) -> f64,
) -> Option<f64> {
    plans
        .iter()
        .filter(|(_, e)| ok(e))
        .map(|(_, e)| key(e))
        .min_by(f64::total_cmp)
}

type Key = fn(&PlanEval) -> f64;
type Feasible = Box<dyn Fn(&PlanEval) -> bool>;

/// Solves `bound` and checks status, objective and feasibility against brute force.
fn check_bound(p: &SampledProblem, plans: &[(Plan, PlanEval)], bound: Bound) {
    check_bound_with(&Planner::new(p).unwrap(), p, plans, bound);
}

fn check_bound_with(
    planner: &Planner,
    p: &SampledProblem,
    plans: &[(Plan, PlanEval)],
    bound: Bound,
) {
    let sol = planner
        .solve(SolveSettings {
            bound,
            max_nodes: None,
        })
        .unwrap();
    let (feasible, objective, nearest): (Feasible, Key, Key) = match bound {
        Bound::Latency { max_s } => (
            Box::new(move |e: &PlanEval| e.guaranteed_latency_s <= max_s),
            |e| e.expected_cost_usd,
            |e| e.guaranteed_latency_s,
        ),
        Bound::Cost {
            max_usd,
            kind: CostKind::Mean,
        } => (
            Box::new(move |e: &PlanEval| e.expected_cost_usd <= max_usd),
            |e| e.guaranteed_latency_s,
            |e| e.expected_cost_usd,
        ),
        Bound::Cost {
            max_usd,
            kind: CostKind::Quantile,
        } => (
            Box::new(move |e: &PlanEval| e.guaranteed_cost_usd <= max_usd),
            |e| e.guaranteed_latency_s,
            |e| e.guaranteed_cost_usd,
        ),
    };
    match min_by(plans, &feasible, objective) {
        Some(best) => {
            assert_eq!(sol.status, Status::Optimal, "bound {bound:?}");
            let e = evaluate(p, sol.plan.as_ref().unwrap()).unwrap();
            assert!(feasible(&e), "returned plan breaks {bound:?}");
            assert_relative_eq!(objective(&e), best, max_relative = 1e-12);
            if !matches!(bound, Bound::Latency { .. }) {
                // Among the fastest plans the cheapest is returned.
                let cheapest = min_by(
                    plans,
                    |x| feasible(x) && x.guaranteed_latency_s == best,
                    |x| x.expected_cost_usd,
                );
                assert_relative_eq!(e.expected_cost_usd, cheapest.unwrap(), max_relative = 1e-12);
            }
        }
        None => {
            let want = min_by(plans, |_| true, nearest);
            match sol.status {
                Status::Infeasible { nearest_bound } => match (nearest_bound, want) {
                    (Some(a), Some(b)) => assert_relative_eq!(a, b, max_relative = 1e-12),
                    (a, b) => assert_eq!(a, b),
                },
                s => panic!("expected infeasible for {bound:?}, got {s:?}"),
            }
        }
    }
}

fn check_frontier(p: &SampledProblem, plans: &[(Plan, PlanEval)]) -> Frontier {
    let f = frontier(p, FrontierSettings::default()).unwrap();
    let want = brute_frontier(plans);
    assert_eq!(f.points.len(), want.len(), "frontier size");
    for (pt, (l, c)) in f.points.iter().zip(&want) {
        // Bit for bit: the one-pass sweep sums costs in the checker's order.
        assert_eq!(pt.guaranteed_latency_s, *l);
        assert_eq!(pt.expected_cost_usd, *c);
        let e = evaluate(p, &pt.plan).unwrap();
        assert_eq!(e.guaranteed_latency_s, pt.guaranteed_latency_s);
        assert_eq!(e.expected_cost_usd, pt.expected_cost_usd);
        assert!(concurrency_ok(p, &pt.plan.choice));
    }
    f
}

fn small_strategy() -> impl Strategy<Value = (Small, u64)> {
    (
        2usize..=5,
        2usize..=6,
        5usize..=40,
        0usize..=4,
        proptest::option::of(2u32..=8),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(stages, max_configs, samples, a, limit, ties, seed)| {
            let o = Small {
                stages,
                max_configs,
                samples,
                allowed_violations: a,
                concurrency_limit: limit,
                ties,
            };
            (o, seed)
        })
}

fn bounds_to_try(plans: &[(Plan, PlanEval)]) -> Vec<Bound> {
    let front = brute_frontier(plans);
    let mut b = vec![
        Bound::Latency { max_s: 0.0 },
        Bound::Latency {
            max_s: f64::INFINITY,
        },
    ];
    for &(l, c) in front.iter().take(6) {
        b.push(Bound::Latency { max_s: l });
        b.push(Bound::Latency {
            max_s: l * (1.0 - 1e-9),
        });
        for kind in [CostKind::Mean, CostKind::Quantile] {
            b.push(Bound::Cost { max_usd: c, kind });
            b.push(Bound::Cost {
                max_usd: c * (1.0 - 1e-9),
                kind,
            });
        }
    }
    if let Some((_, e)) = plans.first() {
        b.push(Bound::Cost {
            max_usd: e.guaranteed_cost_usd,
            kind: CostKind::Quantile,
        });
    }
    b.push(Bound::Cost {
        max_usd: 0.0,
        kind: CostKind::Quantile,
    });
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("SOLVE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96), ..ProptestConfig::default() })]

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn optimum_equals_brute_force_on_small_instances((o, seed) in small_strategy()) {
        let p = small(o, seed);
        let plans = all_plans(&p);
        let planner = Planner::new(&p).unwrap();
        for b in bounds_to_try(&plans) {
            check_bound_with(&planner, &p, &plans, b);
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn frontier_equals_brute_force_non_dominated_set((o, seed) in small_strategy()) {
        let p = small(o, seed);
        let plans = all_plans(&p);
        let f = check_frontier(&p, &plans);
        for pt in &f.points {
            check_bound(&p, &plans, Bound::Latency { max_s: pt.guaranteed_latency_s });
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn thinned_frontier_returns_only_non_dominated_points((o, seed) in small_strategy(), step in 0.01f64..1.0) {
        // Ties in latency and cost are common with `ties`: a thinned sweep must still
        // return, for each point, the fastest plan of its cost.
        let p = small(Small { ties: true, ..o }, seed);
        let plans = all_plans(&p);
        let want = brute_frontier(&plans);
        let f = frontier(&p, FrontierSettings { min_step_s: step }).unwrap();
        for pt in &f.points {
            let e = evaluate(&p, &pt.plan).unwrap();
            prop_assert!(
                want.iter().any(|&(l, c)| l == e.guaranteed_latency_s && c == e.expected_cost_usd),
                "point ({}, {}) is dominated", e.guaranteed_latency_s, e.expected_cost_usd
            );
        }
        prop_assert!(f.points.windows(2).all(|w| w[1].guaranteed_latency_s - w[0].guaranteed_latency_s >= step));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn resolution_frontier_equals_single_exact_solves((o, seed) in small_strategy(), positions in 2usize..40) {
        let p = small(o, seed);
        let plans = all_plans(&p);
        let mut b = ResolutionBuilder::new(&p, positions).unwrap();
        let mut steps = 0;
        while let ResolutionProgress::Running { .. } = b.step(1) {
            steps += 1;
            prop_assert!(steps <= positions, "more solves than positions");
        }
        let r = b.result();
        prop_assert!(r.exact_at_resolution);
        prop_assert_eq!(r.bounds_s.len(), if plans.is_empty() { 0 } else { positions });
        let planner = Planner::new(&p).unwrap();
        for (g, &max_s) in r.bounds_s.iter().enumerate() {
            let sol = planner.solve(SolveSettings { bound: Bound::Latency { max_s }, max_nodes: None }).unwrap();
            match (&r.answers[g], sol.status) {
                (Some(a), Status::Optimal) => {
                    prop_assert_eq!(a.expected_cost_usd, sol.expected_cost_usd);
                    let e = evaluate(&p, &a.plan).unwrap();
                    prop_assert!(e.guaranteed_latency_s <= max_s);
                    prop_assert_eq!(e.guaranteed_latency_s, a.guaranteed_latency_s);
                    prop_assert_eq!(e.expected_cost_usd, a.expected_cost_usd);
                }
                (None, Status::Infeasible { .. }) => {}
                (a, s) => prop_assert!(false, "position {} ({}): {:?} vs {:?}", g, max_s, a, s),
            }
        }
        // Every chart point is the cheapest at its own latency (no plan is both at
        // least as fast and cheaper).
        for pt in r.frontier().points {
            let best = min_by(&plans, |e| e.guaranteed_latency_s <= pt.guaranteed_latency_s, |e| e.expected_cost_usd);
            prop_assert_eq!(best, Some(pt.expected_cost_usd));
        }
        #[cfg(feature = "parallel")]
        {
            let par = ResolutionBuilder::new(&p, positions).unwrap().run_parallel();
            prop_assert_eq!(format!("{par:?}"), format!("{r:?}"));
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn same_input_gives_bit_identical_output((o, seed) in small_strategy()) {
        let p = small(o, seed);
        let s = SolveSettings { bound: Bound::Latency { max_s: 4.0 }, max_nodes: None };
        let a = format!("{:?}", solve(&p, s.clone()).unwrap());
        prop_assert_eq!(a, format!("{:?}", solve(&p, s).unwrap()));
        let f1 = frontier(&p, FrontierSettings::default()).unwrap();
        prop_assert_eq!(format!("{f1:?}"), format!("{:?}", frontier(&p, FrontierSettings::default()).unwrap()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// With a node budget per position, a proven position's answer is the single
    /// exact solve at its bound, and an unproven one is a feasible plan no cheaper
    /// than that, at a position whose own budgeted solve is not proven; the count
    /// of unproven positions is the progress's and the result's.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn resolution_budget_keeps_proven_positions_exact((o, seed) in small_strategy(), positions in 2usize..30, budget in 1u64..12) {
        let p = small(o, seed);
        let mut b = ResolutionBuilder::new(&p, positions).unwrap().with_node_budget(Some(budget));
        let mut last_unproven = 0;
        while let ResolutionProgress::Running { unproven, .. } = b.step(1) {
            last_unproven = unproven;
        }
        let r = b.result();
        prop_assert!(r.resolved.iter().all(|&x| x));
        let planner = Planner::new(&p).unwrap();
        let mut unproven = 0;
        for (g, &max_s) in r.bounds_s.iter().enumerate() {
            let exact = planner.solve(SolveSettings { bound: Bound::Latency { max_s }, max_nodes: None }).unwrap();
            let best = (exact.status == Status::Optimal).then_some(exact.expected_cost_usd);
            if r.proven[g] {
                prop_assert_eq!(r.answers[g].as_ref().map(|a| a.expected_cost_usd), best, "position {}", g);
            } else {
                unproven += 1;
                prop_assert!(!solve_position(&planner, max_s, Some(budget)).proven, "position {} could be proven", g);
                if let Some(a) = &r.answers[g] {
                    let e = evaluate(&p, &a.plan).unwrap();
                    prop_assert!(e.guaranteed_latency_s <= max_s);
                    prop_assert!(a.expected_cost_usd >= best.unwrap());
                }
            }
        }
        prop_assert_eq!(r.unproven(), unproven);
        prop_assert_eq!(r.exact_at_resolution, unproven == 0);
        // The last progress before finishing counted at most as many (later solves
        // only prove more).
        prop_assert!(last_unproven <= positions);
    }

    /// Split into batches of any sizes (as a pool of workers does; `usize::MAX`:
    /// the rest of the level, also after a partial batch), recorded in order, the result is bit-identical to one solve at a time, the refinement
    /// included; without a budget it is the unbudgeted builder's.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn resolution_batches_give_the_same_result((o, seed) in small_strategy(), positions in 2usize..30, budget in 1u64..12, group in 1usize..5, sizes in proptest::collection::vec(prop_oneof![1usize..7, Just(usize::MAX)], 1..8)) {
        let p = small(o, seed);
        let refine = Refinement { node_budget: 4 * budget, group, total_nodes: 40 * budget };
        let make = || ResolutionBuilder::new(&p, positions).unwrap().with_node_budget(Some(budget)).with_refinement(refine);
        let mut one = make();
        while one.step(1) != ResolutionProgress::Finished {}
        let mut split = make();
        let planner = Planner::new(&p).unwrap();
        let mut k = 0;
        loop {
            let batch = split.next_batch(sizes[k % sizes.len()]);
            k += 1;
            if batch.positions.is_empty() {
                break;
            }
            // Solved elsewhere (another planner of the same problem), recorded in order.
            let answers: Vec<_> = batch.positions.iter().map(|&g| solve_position(&planner, split.bounds_s()[g], batch.max_nodes)).collect();
            for (&g, a) in batch.positions.iter().zip(answers) {
                split.record(g, a);
            }
        }
        prop_assert_eq!(split.progress(), ResolutionProgress::Finished);
        prop_assert_eq!(format!("{:?}", split.result()), format!("{:?}", one.result()));
        prop_assert_eq!(split.nodes(), one.nodes());

        let mut free = ResolutionBuilder::new(&p, positions).unwrap();
        while free.step(3) != ResolutionProgress::Finished {}
        let mut unlimited = ResolutionBuilder::new(&p, positions).unwrap().with_node_budget(None).with_refinement(refine);
        while unlimited.step(2) != ResolutionProgress::Finished {}
        prop_assert_eq!(format!("{:?}", unlimited.result()), format!("{:?}", free.result()));
    }
}

fn ml() -> SampledProblem {
    problem(Shape::Ml, 300, 7)
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn unreachable_latency_bound_reports_the_least_guaranteed_latency() {
    let p = ml();
    let sol = solve(
        &p,
        SolveSettings {
            bound: Bound::Latency { max_s: 0.1 },
            max_nodes: None,
        },
    )
    .unwrap();
    let f = frontier(&p, FrontierSettings::default()).unwrap();
    let fastest = f.points.first().unwrap().guaranteed_latency_s;
    assert_eq!(
        sol.status,
        Status::Infeasible {
            nearest_bound: Some(fastest)
        }
    );
    assert!(sol.plan.is_none());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn unreachable_cost_bound_reports_the_least_cost() {
    let p = ml();
    let sol = solve(
        &p,
        SolveSettings {
            bound: Bound::Cost {
                max_usd: 0.0,
                kind: CostKind::Mean,
            },
            max_nodes: None,
        },
    )
    .unwrap();
    let f = frontier(&p, FrontierSettings::default()).unwrap();
    let cheapest = f.points.last().unwrap().expected_cost_usd;
    assert_eq!(
        sol.status,
        Status::Infeasible {
            nearest_bound: Some(cheapest)
        }
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn budget_stop_reports_a_gap_that_brackets_the_optimum() {
    let p = ml();
    let f = frontier(&p, FrontierSettings::default()).unwrap();
    let mid = &f.points[f.points.len() / 2];
    let bound = Bound::Latency {
        max_s: mid.guaranteed_latency_s,
    };
    for max_nodes in [1, 5, 20, 100] {
        let sol = solve(
            &p,
            SolveSettings {
                bound,
                max_nodes: Some(max_nodes),
            },
        )
        .unwrap();
        match sol.status {
            Status::Optimal => assert_relative_eq!(
                sol.expected_cost_usd,
                mid.expected_cost_usd,
                max_relative = 1e-12
            ),
            Status::Feasible { gap } => {
                assert!((0.0..=1.0).contains(&gap));
                assert!(sol.expected_cost_usd >= mid.expected_cost_usd);
                assert!(
                    sol.expected_cost_usd * (1.0 - gap) <= mid.expected_cost_usd * (1.0 + 1e-12)
                );
            }
            Status::BudgetExhausted { lower_bound } => {
                assert!(lower_bound <= mid.expected_cost_usd)
            }
            s => panic!("unexpected {s:?}"),
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn frontier_lookups_pick_the_cheapest_under_latency_and_fastest_under_cost() {
    let p = ml();
    let f = frontier(&p, FrontierSettings::default()).unwrap();
    assert!(
        f.points
            .windows(2)
            .all(|w| w[0].guaranteed_latency_s < w[1].guaranteed_latency_s
                && w[0].expected_cost_usd > w[1].expected_cost_usd)
    );
    let mid = &f.points[f.points.len() / 2];
    assert_eq!(f.for_latency_bound(mid.guaranteed_latency_s), Some(mid));
    assert_eq!(f.for_cost_bound(mid.expected_cost_usd), Some(mid));
    assert_eq!(f.for_latency_bound(0.0), None);
    assert_eq!(f.for_cost_bound(0.0), None);
    let k = f.points.len() / 2;
    assert_eq!(f.index_for_latency_bound(mid.guaranteed_latency_s), Some(k));
    assert_eq!(f.index_for_cost_bound(mid.expected_cost_usd), Some(k));
    assert_eq!(
        f.index_for_latency_bound(f64::INFINITY),
        Some(f.points.len() - 1)
    );
    assert_eq!(f.index_for_cost_bound(f64::INFINITY), Some(0));
    // The serde form (the browser worker's wire) gives back the same frontier, bit for bit.
    let back: Frontier = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
    assert_eq!(back, f);
    let sol = solve(
        &p,
        SolveSettings {
            bound: Bound::Latency {
                max_s: mid.guaranteed_latency_s,
            },
            max_nodes: None,
        },
    )
    .unwrap();
    assert_relative_eq!(
        sol.expected_cost_usd,
        mid.expected_cost_usd,
        max_relative = 1e-12
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn thinned_frontier_keeps_points_at_least_a_step_apart() {
    let p = ml();
    let f = frontier(&p, FrontierSettings { min_step_s: 0.5 }).unwrap();
    assert!(
        f.points
            .windows(2)
            .all(|w| w[1].guaranteed_latency_s - w[0].guaranteed_latency_s >= 0.5)
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn evaluate_rejects_a_plan_of_the_wrong_length() {
    let p = ml();
    assert!(evaluate(&p, &Plan { choice: vec![0] }).is_err());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn stepping_in_small_budgets_gives_the_same_answer_as_one_solve() {
    let p = problem(Shape::Video, 200, 3);
    for bound in [
        Bound::Latency { max_s: 40.0 },
        Bound::Cost {
            max_usd: 0.002,
            kind: CostKind::Mean,
        },
        Bound::Cost {
            max_usd: 0.002,
            kind: CostKind::Quantile,
        },
    ] {
        let settings = SolveSettings {
            bound,
            max_nodes: None,
        };
        let mut s = Solver::new(&p, settings.clone()).unwrap();
        while let SolveProgress::Running { .. } = s.step(3) {}
        let stepped = s.solution();
        let whole = solve(&p, settings).unwrap();
        assert_eq!(format!("{stepped:?}"), format!("{whole:?}"));
    }
}

/// A small instance whose stages share functions: stage `i` joins group
/// `labels[i]` (0: none); memory sizes repeat within a stage (configurations
/// `2m` and `2m + 1` share a size, with their own d) and, with `arch`, the odd
/// configurations run on arm64, so a tie pins the size and the architecture.
fn tied(o: Small, seed: u64, labels: &[u8], arch: bool) -> SampledProblem {
    use faasplan_core::arch::Arch;
    let mut p = small(o, seed);
    for t in &mut p.stages {
        for (j, c) in t.configs.iter_mut().enumerate() {
            c.memory_mb = 128 * (1 + j as u32 / 2);
        }
        if arch {
            t.architectures = (0..t.configs.len())
                .map(|j| {
                    if j % 2 == 1 {
                        Arch::Arm64
                    } else {
                        Arch::X86_64
                    }
                })
                .collect();
        }
    }
    p.shared = faasplan_core::problem::merge_groups((1..=2u8).map(|g| {
        (0..p.stages.len())
            .filter(|&i| labels.get(i) == Some(&g))
            .collect()
    }));
    p
}

fn tied_strategy() -> impl Strategy<Value = (SampledProblem, usize)> {
    (
        small_strategy(),
        proptest::collection::vec(0u8..=2, 5),
        any::<bool>(),
        2usize..12,
    )
        .prop_map(|((o, seed), labels, arch, positions)| (tied(o, seed, &labels, arch), positions))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("SOLVE_CASES").ok().and_then(|v| v.parse().ok()).map_or(24, |c: u32| c / 4 + 1), ..ProptestConfig::default() })]

    /// Stages sharing a function: every bound's optimum, the frontier (the one-pass
    /// sweep, the downward sweep and the resolution builder) equal brute force over
    /// the plans that keep the ties, and every plan returned keeps them.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn shared_functions_equal_brute_force_over_tied_plans((p, positions) in tied_strategy()) {
        let plans = all_plans(&p);
        let planner = Planner::new(&p).unwrap();
        for b in bounds_to_try(&plans) {
            check_bound_with(&planner, &p, &plans, b);
            let sol = planner.solve(SolveSettings { bound: b, max_nodes: None }).unwrap();
            if let Some(plan) = &sol.plan {
                prop_assert!(ties_hold(&p, &plan.choice), "{b:?}: {:?} breaks a tie", plan.choice);
            }
        }
        let f = check_frontier(&p, &plans);
        prop_assert!(f.points.iter().all(|x| ties_hold(&p, &x.plan.choice)));
        let want = brute_frontier(&plans);
        let down = frontier(&p, FrontierSettings { min_step_s: 1e-9 }).unwrap();
        for pt in &down.points {
            prop_assert!(ties_hold(&p, &pt.plan.choice));
            prop_assert!(want.contains(&(pt.guaranteed_latency_s, pt.expected_cost_usd)));
        }
        let mut r = ResolutionBuilder::new(&p, positions).unwrap();
        while let ResolutionProgress::Running { .. } = r.step(4) {}
        let res = r.result();
        for (g, &max_s) in res.bounds_s.iter().enumerate() {
            let best = min_by(&plans, |e| e.guaranteed_latency_s <= max_s, |e| e.expected_cost_usd);
            let got = res.answers[g].as_ref().map(|a| {
                assert!(ties_hold(&p, &a.plan.choice));
                a.expected_cost_usd
            });
            prop_assert_eq!(got, best, "position {}", g);
        }
    }
}
