//! Planning with fusion decisions under Step Functions Standard pricing: one
//! bound over every grouping (tight, middle, loose) and the whole frontier over
//! the joint space, on two six-stage workflows of single-instance stages (the ML
//! pipeline's stage0 and stage3 profiles, 8 memory sizes each, N = 5,000): a
//! chain (5 fusable edges, 32 groupings) and a tree (s0 → s1, s2; s1 → s3;
//! s2 → s4; s3 → s5: 5 fusable edges). Fitting and sampling are outside the
//! measured loops.

use criterion::{Criterion, criterion_group, criterion_main};
use faasplan_core::dag::{Edge, MemoryGrid, StageKind};
use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};
use faasplan_core::formats::project::Project;
use faasplan_core::frontier::FrontierSettings;
use faasplan_core::fusion::{
    Fuser, FusionOptions, Grouping, chain_order, fusable_edges, fused_frontier, larac, slambuc,
    solve_fused,
};
use faasplan_core::pipeline::{self, Prepared};
use faasplan_core::platform::Preset;
use faasplan_core::pricing::Orchestration;
use faasplan_core::settings::{Bound, PlanSettings, SampleCount};
use faasplan_core::solve::Plan;
use faasplan_core::solve::SolveSettings;
use std::hint::black_box;
use std::time::Instant;

/// A stepped memory grid, built through the project file's JSON form so that
/// it takes the defaults of any other field.
fn grid(min_mb: u32, max_mb: u32, step_mb: u32) -> MemoryGrid {
    serde_json::from_value(serde_json::json!({
        "min_mb": min_mb,
        "max_mb": max_mb,
        "step_mb": step_mb,
    }))
    .expect("a stepped grid deserialises")
}

fn project(edges: &[(usize, usize)]) -> Project {
    let (mut workflow, mut profiles) = import(
        include_str!("../../../static/examples/ML-pipeline.json"),
        include_str!("../../../static/examples/ML-Pipeline_profile.json"),
        None,
        &JolteonProfileOptions::default(),
    )
    .expect("the bundled example imports");
    let stages: Vec<_> = (0..6)
        .map(|i| {
            let k = if i % 2 == 0 { 0 } else { 3 };
            let mut s = workflow.stages[k].clone();
            s.id = format!("s{i}");
            s.kind = StageKind::Single;
            s.memory = grid(1024, 8192, 1024);
            let mut p = profiles.stages[k].clone();
            p.stage = s.id.clone();
            (s, p)
        })
        .collect();
    workflow.stages = stages.iter().map(|(s, _)| s.clone()).collect();
    workflow.edges = edges
        .iter()
        .map(|&(a, b)| Edge {
            from: format!("s{a}"),
            to: format!("s{b}"),
        })
        .collect();
    profiles.stages = stages.into_iter().map(|(_, p)| p).collect();
    let mut platform = Preset::JolteonProfiled.platform();
    platform.pricing.orchestration = Orchestration::aws_standard();
    Project {
        workflow,
        profiles,
        platform,
        settings: PlanSettings {
            samples: SampleCount::Fixed(5000),
            ..PlanSettings::default()
        },
    }
}

fn fuser<'a>(p: &'a Project, prepared: &'a Prepared) -> Fuser<'a> {
    Fuser::new(
        &p.workflow,
        &prepared.dag,
        &prepared.model,
        &p.platform,
        &prepared.problem,
        &p.settings,
    )
}

/// Prints, for `p` at latency bounds spread over its unfused frontier, the
/// certified plan's cost without and with fusion and its P95 on fresh samples.
fn table(name: &str, p: &mut Project) {
    let prepared = pipeline::prepare(p).expect("the project prepares");
    let unfused = faasplan_core::frontier::frontier(&prepared.problem, FrontierSettings::default())
        .expect("the frontier is computed");
    let n = unfused.points.len();
    let on = FusionOptions {
        enabled: true,
        forbid: Vec::new(),
    };
    let edges = fusable_edges(&p.workflow, &prepared.dag, &on).expect("valid options");
    eprintln!("{name}: {} fusable edges", edges.len());
    for idx in [n / 50, n / 4, n / 2, n - 1] {
        let b = unfused.points[idx].guaranteed_latency_s;
        p.settings.bound = Bound::Latency { max_s: b };
        let row = |options: &FusionOptions| {
            let r = pipeline::plan_fused(p, options, pipeline::Limits::default())
                .expect("the plan is made");
            let t = r.totals.expect("a plan");
            let o = r.out_of_sample.expect("fresh samples");
            let fused = r.stages.iter().filter(|s| s.fused_into.is_some()).count();
            (t.expected_cost_usd * 1e6, o.totals.latency_q_s, fused)
        };
        let (c0, p0, _) = row(&FusionOptions::default());
        let (c1, p1, k) = row(&on);
        let mut f = fuser(p, &prepared);
        let t = Instant::now();
        let exact = solve_fused(
            &mut f,
            &edges,
            SolveSettings {
                bound: Bound::Latency { max_s: b },
                max_nodes: None,
            },
        )
        .expect("the fused problem solves");
        let exact_ms = t.elapsed().as_secs_f64() * 1e3;
        let exact_cost = exact.solution.expected_cost_usd;
        let judge = |f: &mut Fuser<'_>, plan: Option<(Grouping, Plan)>| match plan {
            None => "no plan".to_string(),
            Some((grouping, plan)) => {
                let problem = f.problem(&grouping);
                let e = faasplan_core::solve::evaluate(&problem, &plan)
                    .expect("the baseline's plan fits its problem");
                let verdict = if e.guaranteed_latency_s <= b {
                    "meets"
                } else {
                    "misses"
                };
                format!(
                    "{:.2} ({verdict}: {:.2} s, {:+.1}%)",
                    e.expected_cost_usd * 1e6,
                    e.guaranteed_latency_s,
                    (e.expected_cost_usd / exact_cost - 1.0) * 100.0
                )
            }
        };
        // Each baseline is timed on a fresh fuser, so that, like the exact
        // planner's time, its time includes building the fused tables it reads.
        let mut g = fuser(p, &prepared);
        let t = Instant::now();
        let larac_plan = chain_order(&prepared.dag.parents, &prepared.dag.topo)
            .map(|order| larac(&mut g, &order, &edges, b).map(|l| (l.grouping, l.plan)));
        let larac_ms = t.elapsed().as_secs_f64() * 1e3;
        let costless = match larac_plan {
            None => "not a chain".to_string(),
            Some(plan) => judge(&mut f, plan),
        };
        let mut g = fuser(p, &prepared);
        let t = Instant::now();
        let slambuc_plan = faasplan_core::fusion::is_tree(&prepared.dag.parents)
            .then(|| slambuc(&mut g, &edges, b).map(|s| (s.grouping, s.plan)));
        let slambuc_ms = t.elapsed().as_secs_f64() * 1e3;
        let slambuc_text = match slambuc_plan {
            None => "not a tree".to_string(),
            Some(plan) => judge(&mut f, plan),
        };
        eprintln!(
            "| {name} | {b:.2} | {c0:.2} | {p0:.2} | {c1:.2} | {p1:.2} | {:.1}% | {k} | {costless} | {slambuc_text} | {exact_ms:.1} / {larac_ms:.1} / {slambuc_ms:.1} |",
            (1.0 - c1 / c0) * 100.0
        );
    }
}

fn bench(c: &mut Criterion) {
    let with_sfn = |which: &str| {
        let (wf, pf) = if which == "ml" {
            (
                include_str!("../../../static/examples/ML-pipeline.json"),
                include_str!("../../../static/examples/ML-Pipeline_profile.json"),
            )
        } else {
            (
                include_str!("../../../static/examples/Video-analytics.json"),
                include_str!("../../../static/examples/Video-Analytics_profile.json"),
            )
        };
        let (workflow, profiles) = import(wf, pf, None, &JolteonProfileOptions::default())
            .expect("the bundled example imports");
        let mut platform = Preset::JolteonProfiled.platform();
        platform.pricing.orchestration = Orchestration::aws_standard();
        let mut p = Project {
            workflow,
            profiles,
            platform,
            settings: PlanSettings::default(),
        };
        table(which, &mut p);
    };
    with_sfn("ml");
    with_sfn("video");
    table(
        "chain6",
        &mut project(&(0..5).map(|i| (i, i + 1)).collect::<Vec<_>>()),
    );
    table(
        "tree6",
        &mut project(&[(0, 1), (0, 2), (1, 3), (2, 4), (3, 5)]),
    );
    let mut g = c.benchmark_group("fusion");
    g.sample_size(10);
    let options = FusionOptions {
        enabled: true,
        forbid: Vec::new(),
    };
    let shapes: [(&str, Vec<(usize, usize)>); 2] = [
        ("chain6", (0..5).map(|i| (i, i + 1)).collect()),
        ("tree6", vec![(0, 1), (0, 2), (1, 3), (2, 4), (3, 5)]),
    ];
    for (name, edges) in shapes {
        let p = project(&edges);
        let prepared = pipeline::prepare(&p).expect("the project prepares");
        let fusable = fusable_edges(&p.workflow, &prepared.dag, &options).expect("valid options");
        let mut f = fuser(&p, &prepared);
        let (_, points) = fused_frontier(&mut f, &fusable, FrontierSettings::default())
            .expect("the frontier is computed");
        eprintln!(
            "{name}: {} frontier points over the joint space",
            points.len()
        );
        let n = points.len();
        for (tag, idx) in [("tight", n / 50), ("mid", n / 2), ("loose", n - 1)] {
            let s = SolveSettings {
                bound: Bound::Latency {
                    max_s: points[idx].point.guaranteed_latency_s,
                },
                max_nodes: None,
            };
            g.bench_function(format!("{name}/{tag}"), |b| {
                b.iter(|| {
                    let mut f = fuser(&p, &prepared);
                    solve_fused(&mut f, black_box(&fusable), s.clone())
                })
            });
        }
        g.bench_function(format!("{name}/frontier"), |b| {
            b.iter(|| {
                let mut f = fuser(&p, &prepared);
                fused_frontier(&mut f, black_box(&fusable), FrontierSettings::default())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
