use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};
use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::pipeline::{self, Limits};
use faasplan_core::plan::{from_json, to_json};
use faasplan_core::platform::Preset;
use faasplan_core::settings::{Bound, PlanSettings, SampleCount};

use super::*;
use crate::worker::protocol::{JobProfiles, PlanOutput, Task, WorkerOutput};

const ML_WORKFLOW: &str = include_str!("../../../static/examples/ML-pipeline.json");
const ML_PROFILE: &str = include_str!("../../../static/examples/ML-Pipeline_profile.json");

pub(super) fn ml_project(samples: usize) -> CoreProject {
    let (workflow, profiles) = import(
        ML_WORKFLOW,
        ML_PROFILE,
        None,
        &JolteonProfileOptions::default(),
    )
    .expect("the bundled example imports");
    CoreProject {
        workflow,
        profiles,
        platform: Preset::JolteonProfiled.platform(),
        settings: PlanSettings {
            samples: SampleCount::Fixed(samples),
            ..PlanSettings::default()
        },
    }
}

fn run(project: &CoreProject, task: Task, cache: &mut Cache) -> (WorkerOutput, usize) {
    let job = Job::new(3, 4, project.clone(), task, 1);
    let mut reports = 0;
    let out = compute(&job, cache, &mut |_| reports += 1, &|| 0.0);
    (out, reports)
}

fn frontier_of(project: &CoreProject, cache: &mut Cache) -> PlanOutput {
    match run(project, Task::ExactFrontier, cache).0 {
        WorkerOutput::Frontier { rev: 3, result } => result.expect("the example plans"),
        other => panic!("unexpected answer {other:?}"),
    }
}

/// The answer of a check, solve or export job as plan JSON text.
fn report_of(project: &CoreProject, task: Task, cache: &mut Cache) -> Result<String, String> {
    match run(project, task, cache).0 {
        WorkerOutput::Report {
            rev: 3,
            key: 4,
            result,
            ..
        } => result.map(|plan| to_json(&plan.0)),
        WorkerOutput::Export { key: 4, result } => result,
        other => panic!("unexpected answer {other:?}"),
    }
}

#[test]
fn frontier_job_returns_a_monotone_frontier_with_rows_equal_to_the_plan_report() {
    let project = ml_project(400);
    let mut cache = Cache::default();
    let (out, reports) = run(&project, Task::ExactFrontier, &mut cache);
    assert!(reports > 3, "progress is reported between steps");
    let WorkerOutput::Frontier {
        result: Ok(out), ..
    } = out
    else {
        panic!("no frontier");
    };
    assert_eq!(out.samples, 400);
    let points = &out.frontier.points;
    assert!(points.len() > 2);
    assert_eq!(out.point_rows.len(), points.len());
    for w in points.windows(2) {
        assert!(
            w[0].guaranteed_latency_s < w[1].guaranteed_latency_s
                && w[0].expected_cost_usd > w[1].expected_cost_usd
        );
    }
    assert_eq!(out.fits.len(), project.workflow.stages.len());
    assert!(
        out.fits
            .iter()
            .all(|f| !f.curves.is_empty() && f.cv_mean_pct.is_finite())
    );
    // A mid point looked up as its own bound: the app's rows equal the exported plan's.
    let mid = points.len() / 2;
    let point = &points[mid];
    let mut bounded = project.clone();
    bounded.settings.bound = Bound::Latency {
        max_s: point.guaranteed_latency_s,
    };
    let plan = pipeline::plan(&bounded, Limits::default()).expect("plans");
    assert_eq!(out.point_configs(mid).count(), plan.stages.len());
    for ((st, row), sp) in out.point_configs(mid).zip(&plan.stages) {
        assert_eq!((row.memory_mb, row.d), (sp.memory_mb, sp.d), "{}", st.stage);
        assert_eq!(row.p50_s, sp.latency_p50_s);
        assert_eq!(row.q_s, sp.latency_q_s);
        assert_eq!(row.expected_cost_usd, sp.expected_cost_usd);
    }
    let totals = plan.totals.expect("a feasible plan has totals");
    // The frontier point's latency is the planning samples' guarantee; the plan's
    // guaranteed latency is its certificate on fresh samples, within the bound.
    let certificate = plan
        .guarantee
        .as_ref()
        .and_then(|g| g.certificate.as_ref())
        .expect("a certified plan");
    assert_eq!(certificate.meets_bound, Some(true));
    assert!(totals.guaranteed_latency_s <= point.guaranteed_latency_s);
    assert_eq!(totals.expected_cost_usd, point.expected_cost_usd);
}

#[test]
fn check_solve_and_export_reuse_the_prepared_problem_and_match_the_pipeline() {
    let mut project = ml_project(300);
    let mut cache = Cache::default();
    let out = frontier_of(&project, &mut cache);
    let point = &out.frontier.points[0];
    project.settings.bound = Bound::Latency {
        max_s: point.guaranteed_latency_s,
    };
    let configs = out
        .point_configs(0)
        .map(|(_, row)| (row.memory_mb, row.d))
        .collect();
    let expected = to_json(&pipeline::plan(&project, Limits::default()).expect("plans"));
    let checked = report_of(&project, Task::Check { configs }, &mut cache).expect("checks");
    let report = from_json(&checked).expect("plan json");
    assert!(report.out_of_sample.is_some());
    assert_eq!(
        checked, expected,
        "a frontier point is the optimum of its bound"
    );
    assert_eq!(
        report_of(&project, Task::Solve, &mut cache),
        Ok(expected.clone())
    );
    assert_eq!(report_of(&project, Task::Export, &mut cache), Ok(expected));
}

#[test]
fn jobs_check_inputs_and_name_the_problem() {
    let mut cache = Cache::default();
    let mut p = ml_project(100);
    p.profiles.stages.clear();
    assert_eq!(
        report_of(&p, Task::Export, &mut cache),
        Err("no profiles loaded".into())
    );
    let mut p = ml_project(100);
    p.profiles.stages.remove(1);
    let missing = p.workflow.stages[1].id.clone();
    assert_eq!(
        report_of(&p, Task::Solve, &mut cache),
        Err(format!("stage {missing} has no profile"))
    );
    let mut p = ml_project(100);
    p.workflow.stages.clear();
    p.workflow.edges.clear();
    p.profiles.stages.clear();
    assert_eq!(
        report_of(&p, Task::Solve, &mut cache),
        Err("the workflow has no stages".into())
    );
    let mut p = ml_project(100);
    p.settings.percentile = 0.0;
    let out = run(&p, Task::Frontier, &mut cache).0;
    assert!(
        matches!(&out, WorkerOutput::Frontier { result: Err(m), .. } if m.contains("percentile")),
        "{out:?}"
    );
}

#[test]
fn bad_profile_values_are_refused_before_any_fit_naming_stage_and_field() {
    let mut p = ml_project(100);
    p.profiles.stages[2].runs[5].read.mean_s = -1.0;
    let (out, reports) = run(&p, Task::Frontier, &mut Cache::default());
    let WorkerOutput::Frontier { result: Err(m), .. } = out else {
        panic!("not refused: {out:?}");
    };
    assert!(
        m.contains("stage `stage2`, run 5") && m.contains("read.mean_s"),
        "{m}"
    );
    assert_eq!(reports, 0, "refused before any fitting step");
    let mut p = ml_project(100);
    p.profiles.stages.push(p.profiles.stages[0].clone());
    p.profiles.stages[4].stage = "ghost".into();
    let err = report_of(&p, Task::Solve, &mut Cache::default()).unwrap_err();
    assert!(
        err.contains("stage `ghost` is not a stage of the workflow"),
        "{err}"
    );
}

#[test]
fn settings_whose_table_does_not_fit_are_refused_before_sampling_naming_the_limit() {
    let mut p = ml_project(100);
    // Automatic sample counts are capped to a table budget; a fixed count is not.
    p.settings.samples = SampleCount::Fixed(5_000_000);
    let mut reports = Vec::new();
    let job = Job::new(3, 4, p.clone(), Task::Frontier, 1);
    let out = compute(
        &job,
        &mut Cache::default(),
        &mut |r| reports.push(r),
        &|| 0.0,
    );
    let WorkerOutput::Frontier { result: Err(m), .. } = out else {
        panic!("not refused: {out:?}");
    };
    // The core's sample design refuses the fixed count, naming the setting and the limit.
    assert!(
        limits::table_size(
            &p.workflow,
            &p.workflow.validate().expect("valid"),
            &p.platform,
            &p.settings,
        )
        .is_err()
    );
    assert!(m.contains("samples"), "{m}");
    assert!(
        !reports
            .iter()
            .any(|r| matches!(r, Progress::Sampling { .. })),
        "refused before drawing a sample"
    );
}

#[test]
fn the_fit_is_reused_across_percentile_and_price_changes_and_redone_for_new_profiles() {
    let mut p = ml_project(200);
    let mut cache = Cache::default();
    let fitting = |p: &CoreProject, cache: &mut Cache| {
        let mut steps = Vec::new();
        let job = Job::new(1, 1, p.clone(), Task::Frontier, 1);
        compute(&job, cache, &mut |r| steps.push(r), &|| 0.0);
        steps
            .iter()
            .filter(|r| matches!(r, Progress::Fitting { .. }))
            .count()
    };
    assert_eq!(
        fitting(&p, &mut cache),
        p.workflow.stages.len(),
        "one report per stage fitted"
    );
    let model = cache.cached_fit(&p).expect("kept").model.clone();
    p.settings.percentile = 0.9;
    p.settings.delta = 0.05;
    p.platform.price_per_gb_s *= 2.0;
    p.workflow.name = "renamed".into();
    assert_eq!(
        fitting(&p, &mut cache),
        0,
        "settings, prices and the name do not refit"
    );
    assert_eq!(cache.cached_fit(&p).expect("kept").model, model);
    p.profiles.stages[0].runs.pop();
    assert!(cache.cached_fit(&p).is_none());
    assert!(fitting(&p, &mut cache) > 0, "new profiles refit");
}

#[test]
fn the_prepared_problem_is_reused_across_bounds_and_redrawn_for_new_settings() {
    let mut p = ml_project(200);
    let mut cache = Cache::default();
    frontier_of(&p, &mut cache);
    assert!(cache.cached_prepared(&p).is_some());
    p.settings.bound = Bound::Latency { max_s: 1.0 };
    assert!(cache.cached_prepared(&p).is_some(), "bound only");
    p.settings.percentile = 0.9;
    assert!(
        cache.cached_prepared(&p).is_none(),
        "percentile changes the table"
    );
}

#[test]
fn baselines_job_returns_every_baseline_judged_like_the_core() {
    let project = ml_project(300);
    let mut cache = Cache::default();
    let out = frontier_of(&project, &mut cache);
    let bound_s = out.frontier.points[out.frontier.points.len() / 2].guaranteed_latency_s;
    let set = match run(&project, Task::Baselines { bound_s }, &mut cache).0 {
        WorkerOutput::Baselines {
            rev: 3,
            key: 4,
            result,
        } => result.expect("baselines run"),
        other => panic!("unexpected answer {other:?}"),
    };
    let prepared = pipeline::prepare(&project).expect("prepares");
    let expected = faasplan_core::baselines::all(&project, &prepared, bound_s);
    assert_eq!(set.bound_s, bound_s);
    assert_eq!(set.rows.len(), expected.len());
    for (row, e) in set.rows.iter().zip(&expected) {
        assert_eq!(row.name, e.name);
        assert_eq!(row.meets_bound, e.meets_bound, "{}", e.name);
        assert_eq!(row.plan.is_some(), e.plan.is_some(), "{}", e.name);
        if let Some(plan) = &row.plan {
            assert_eq!(plan.len(), project.workflow.stages.len());
            assert_eq!(row.guaranteed_latency_s, e.guaranteed_latency_s);
            assert_eq!(row.expected_cost_usd, e.expected_cost_usd);
            // No baseline beats the exact frontier at its own latency.
            if row.meets_bound {
                let best = out.frontier.for_latency_bound(bound_s);
                assert!(best.is_some_and(|p| p.expected_cost_usd <= row.expected_cost_usd));
            }
        }
    }
}

#[test]
fn jobs_and_answers_round_trip_through_json_with_the_core_types() {
    let project = ml_project(200);
    let job = Job::new(
        1,
        2,
        project.clone(),
        Task::Check {
            configs: vec![(1024, 2)],
        },
        1,
    );
    let text = serde_json::to_string(&job).expect("serialises");
    let back: Job = serde_json::from_str(&text).expect("deserialises");
    assert_eq!(back, job);
    let mut cache = Cache::default();
    let out = run(&project, Task::Solve, &mut cache).0;
    let text = serde_json::to_string(&out).expect("serialises");
    let back: WorkerOutput = serde_json::from_str(&text).expect("deserialises");
    assert_eq!(back, out);
    let crashed: WorkerOutput =
        serde_json::from_str(r#"{"Crashed":{"message":"capacity overflow"}}"#).expect("reads");
    assert_eq!(
        crashed,
        WorkerOutput::Crashed {
            message: "capacity overflow".into()
        }
    );
}

fn evaluation_of(
    project: &CoreProject,
    configs: Vec<(String, Config)>,
    cache: &mut Cache,
) -> Result<EvaluationOutput, String> {
    match run(project, Task::Evaluate { configs }, cache).0 {
        WorkerOutput::Evaluation {
            rev: 3,
            key: 4,
            result,
        } => result,
        other => panic!("unexpected answer {other:?}"),
    }
}

#[test]
fn evaluating_a_configuration_gives_the_cli_figures_and_its_chart_point() {
    let project = ml_project(300);
    let mut cache = Cache::default();
    let out = frontier_of(&project, &mut cache);
    // The most expensive frontier point's memory with one instance less where it can:
    // a configuration that is a candidate but not on the frontier.
    let configs: Vec<(String, Config)> = out
        .point_configs(0)
        .map(|(st, row)| {
            let memory_mb = st
                .rows
                .iter()
                .map(|r| r.memory_mb)
                .max()
                .unwrap_or(row.memory_mb);
            (
                st.stage.clone(),
                Config {
                    memory_mb,
                    d: row.d,
                },
            )
        })
        .collect();
    let got = evaluation_of(&project, configs.clone(), &mut cache).expect("evaluates");
    let prepared = pipeline::prepare(&project).expect("prepares");
    let expected = pipeline::evaluate(&project, &prepared, &configs, None).expect("evaluates");
    assert_eq!(to_json(&got.current.0), to_json(&expected.current));
    assert_eq!(got.saving_usd, expected.saving_usd());
    assert_eq!(
        got.planned.as_ref().map(|p| to_json(&p.0)),
        expected.planned.as_ref().map(to_json)
    );
    // Its point is on the frontier's scale: never below the frontier at its latency.
    let plan = pipeline::plan_of(&project, &prepared, &configs).expect("candidates");
    let eval = faasplan_core::solve::evaluate(&prepared.problem, &plan).expect("evaluates");
    assert_eq!(
        (got.latency_s, got.cost_usd),
        (eval.guaranteed_latency_s, eval.expected_cost_usd)
    );
    let best = out
        .frontier
        .for_latency_bound(got.latency_s)
        .expect("a point");
    assert!(best.expected_cost_usd <= got.cost_usd);
    assert!(got.saving_usd.is_some_and(|s| s >= 0.0));
}

#[test]
fn evaluating_a_configuration_that_is_not_a_candidate_names_the_stage() {
    let project = ml_project(300);
    let mut cache = Cache::default();
    let mut configs: Vec<(String, Config)> = project
        .workflow
        .stages
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                Config {
                    memory_mb: s.memory.min_mb,
                    d: 1,
                },
            )
        })
        .collect();
    configs[1].1.memory_mb += 1;
    let err = evaluation_of(&project, configs, &mut cache).unwrap_err();
    let stage = &project.workflow.stages[1].id;
    assert!(
        err.contains(stage.as_str()) && err.contains("candidate"),
        "{err}"
    );
}

/// Profiles sent once are kept: a later job that refers to them plans as one
/// that carries them, a reference to other profiles is refused, and new
/// profiles replace the kept ones.
#[test]
fn jobs_refer_to_the_profiles_an_earlier_job_sent() {
    let project = ml_project(300);
    let mut cache = Cache::default();
    let with = frontier_of(&project, &mut cache);
    let mut bare = project.clone();
    bare.profiles.stages.clear();
    let refer = |id| Job {
        rev: 3,
        key: 4,
        project: bare.clone(),
        profiles: JobProfiles::Kept { id },
        fusion: Default::default(),
        task: Task::ExactFrontier,
        pool: None,
    };
    let answer = |job: &Job, cache: &mut Cache| match compute(job, cache, &mut |_| {}, &|| 0.0) {
        WorkerOutput::Frontier { result, .. } => result,
        other => panic!("unexpected answer {other:?}"),
    };
    // `frontier_of` sent the profiles as number 1.
    let kept = answer(&refer(1), &mut cache).expect("plans on the kept profiles");
    assert_eq!(kept.frontier, with.frontier);
    let fresh = answer(&refer(1), &mut Cache::default()).expect_err("a new worker keeps none");
    assert!(fresh.contains("no longer has these profiles"), "{fresh}");
    let other = answer(&refer(2), &mut cache).expect_err("number 2 was never sent");
    assert!(other.contains("number 2"), "{other}");
    // Sending no profiles (number 5) replaces the kept ones.
    let none = Job::new(3, 4, bare.clone(), Task::ExactFrontier, 5);
    assert!(answer(&none, &mut cache).is_err());
    assert!(answer(&refer(1), &mut cache).is_err());
}

#[test]
fn toggling_exclude_flagged_refits_and_the_fit_report_leaves_the_flagged_runs_out() {
    let mut p = ml_project(200);
    let mut cache = Cache::default();
    let with_all = frontier_of(&p, &mut cache);
    let model = cache.cached_fit(&p).expect("kept").model.clone();
    p.settings.exclude_flagged = true;
    assert!(
        cache.cached_fit(&p).is_none(),
        "the fit of all runs is not the fit without the flagged ones"
    );
    let without = frontier_of(&p, &mut cache);
    assert_ne!(cache.cached_fit(&p).expect("kept").model, model);
    // Stage 1 holds the two flagged configurations: its cross-validated error drops.
    let cv = |out: &PlanOutput| out.fits[1].cv_mean_pct;
    assert!(
        cv(&without) < cv(&with_all),
        "{} vs {}",
        cv(&without),
        cv(&with_all)
    );
    // The same as the core pipeline's fit with the setting on.
    let prepared = pipeline::prepare_within(&p, Limits::default()).expect("prepares");
    assert_eq!(cache.cached_fit(&p).expect("kept").model, prepared.model);
    // And back: the setting off is a fit of its own again.
    p.settings.exclude_flagged = false;
    assert!(cache.cached_fit(&p).is_none());
    assert_eq!(frontier_of(&p, &mut cache).fits, with_all.fits);
}

#[test]
fn advise_job_flags_the_two_ml_stage1_configs_and_proposes_a_batch() {
    use crate::worker::protocol::advisor::AdvisorOutput;
    let mut p = ml_project(200);
    let mut cache = Cache::default();
    let advise = |p: &CoreProject, cache: &mut Cache| -> AdvisorOutput {
        match run(
            p,
            Task::Advise {
                bound_s: 60.0,
                batch: 3,
            },
            cache,
        )
        .0
        {
            WorkerOutput::Advice {
                rev: 3,
                key: 4,
                result,
            } => result.expect("advises"),
            other => panic!("unexpected answer {other:?}"),
        }
    };
    let out = advise(&p, &mut cache);
    let flagged: Vec<_> = out
        .flagged
        .stages
        .iter()
        .flat_map(|s| {
            s.flagged
                .iter()
                .map(move |f| (s.stage.clone(), f.memory_mb, f.d))
        })
        .collect();
    assert_eq!(
        flagged,
        vec![
            ("stage1".to_string(), 5120, 4),
            ("stage1".to_string(), 5120, 8)
        ]
    );
    assert!(!out.excluded);
    let advice = out.advice.expect("an advice");
    assert_eq!(advice.proposals.len(), 3);
    assert!(advice.plan.is_some());
    // Each proposal as a whole configuration for the executor: the plan with one stage changed.
    let configs = advice.proposal_configurations();
    assert_eq!(configs.len(), 3);
    for (c, prop) in configs.iter().zip(&advice.proposals) {
        assert_eq!(c.len(), p.workflow.stages.len());
        let stage = c.iter().find(|(s, _)| *s == prop.stage).expect("its stage");
        assert_eq!((stage.1.memory_mb, stage.1.d), (prop.memory_mb, prop.d));
    }
    // With the flagged runs left out the detector still reports them (of all runs).
    p.settings.exclude_flagged = true;
    let out = advise(&p, &mut cache);
    assert!(out.excluded);
    assert_eq!(out.flagged.flagged_count(), 2);
    assert!(out.advice.is_ok());
    // A bad batch size is a message, not a panic.
    match run(
        &p,
        Task::Advise {
            bound_s: 60.0,
            batch: 0,
        },
        &mut cache,
    )
    .0
    {
        WorkerOutput::Advice {
            result: Ok(out), ..
        } => {
            assert!(out.advice.unwrap_err().contains("batch"));
        }
        other => panic!("unexpected answer {other:?}"),
    }
}

#[test]
fn prewarm_job_plans_every_stage_and_names_bad_traces() {
    use crate::worker::protocol::advisor::{
        ForecasterChoice, PrewarmRequest, TraceInput, TraceShape,
    };
    let p = ml_project(200);
    let mut cache = Cache::default();
    let request = |trace| PrewarmRequest {
        bound_s: 60.0,
        trace,
        target_cold_pct: 1.0,
        forecaster: ForecasterChoice::SeasonalNaive,
    };
    let prewarm = |cache: &mut Cache, trace| match run(&p, Task::Prewarm(request(trace)), cache).0 {
        WorkerOutput::Prewarm {
            rev: 3,
            key: 4,
            result,
        } => result,
        other => panic!("unexpected answer {other:?}"),
    };
    let out = prewarm(
        &mut cache,
        TraceInput::Generated {
            shape: TraceShape::Diurnal,
            minutes: 3 * 1440,
            seed: 1,
        },
    )
    .expect("plans");
    assert_eq!(out.plan.stages.len(), p.workflow.stages.len());
    assert_eq!(out.charts.len(), p.workflow.stages.len());
    assert_eq!(out.cold_starts.len(), p.workflow.stages.len());
    for (s, c) in out.plan.stages.iter().zip(&out.charts) {
        // One chart value per interval of the planned day; per-minute series stay in the worker.
        assert_eq!(c.provisioned, s.schedule);
        assert_eq!(c.needed.len(), 1440 / 5);
        assert_eq!(c.band.len(), c.needed.len());
        assert!(s.needed.is_empty() && s.forecast.is_empty());
        assert!(s.planned.monthly_usd > 0.0);
    }
    assert!(out.monthly_usd() > 0.0);
    assert!(out.plan.schedule_csv().lines().count() > 1);
    // Too short for a day of history and a day of calibration.
    let e = prewarm(
        &mut cache,
        TraceInput::Generated {
            shape: TraceShape::Sparse,
            minutes: 100,
            seed: 1,
        },
    )
    .unwrap_err();
    assert!(e.contains("100 minutes") && e.contains("2880"), "{e}");
    // A bad CSV names the file and the line.
    let e = prewarm(
        &mut cache,
        TraceInput::Csv {
            name: "trace.csv".into(),
            text: "count\n3\nmany\n".into(),
        },
    )
    .unwrap_err();
    assert!(e.starts_with("trace.csv") && e.contains('3'), "{e}");
}

/// The bundled fusion example: a chain of four single-instance stages priced
/// with Step Functions Standard.
fn chain_project(samples: usize) -> CoreProject {
    let grid = faasplan_core::formats::jolteon::JolteonGrid::from_json(include_str!(
        "../../../static/examples/Fusion-Chain_grid.json"
    ))
    .expect("the bundled grid reads");
    let (workflow, profiles) = import(
        include_str!("../../../static/examples/Fusion-chain.json"),
        include_str!("../../../static/examples/Fusion-Chain_profile.json"),
        Some(&grid),
        &JolteonProfileOptions::default(),
    )
    .expect("the bundled fusion example imports");
    let mut platform = Preset::JolteonProfiled.platform();
    platform.pricing.orchestration = faasplan_core::pricing::Orchestration::aws_standard();
    CoreProject {
        workflow,
        profiles,
        platform,
        settings: PlanSettings {
            samples: SampleCount::Fixed(samples),
            bound: Bound::Latency { max_s: 60.0 },
            ..PlanSettings::default()
        },
    }
}

#[test]
fn a_solve_with_fusion_and_arm64_names_the_fused_functions_architecture() {
    let mut project = chain_project(300);
    for s in &project.workflow.stages {
        project.settings.architectures.insert(
            s.id.clone(),
            faasplan_core::arch::StageArchitectures::both(Some(0.8)),
        );
    }
    let options = FusionOptions {
        enabled: true,
        forbid: Vec::new(),
    };
    let mut cache = Cache::default();
    let mut job = Job::new(3, 4, project.clone(), Task::Solve, 1);
    job.fusion = options.clone();
    let WorkerOutput::Report { result, .. } = compute(&job, &mut cache, &mut |_| {}, &|| 0.0)
    else {
        panic!("a solve answers with a report");
    };
    let report = result.expect("the chain plans with arm64 and fusion").0;
    assert!(report.stages.iter().any(|s| s.fused_into.is_some()));
    // arm64 at 80% of the time and a lower rate: every function takes it.
    assert!(
        report
            .stages
            .iter()
            .all(|s| s.architecture == Some(faasplan_core::arch::Arch::Arm64)),
        "{:?}",
        report.stages
    );
    let expected = pipeline::plan_fused(&project, &options, Limits::default())
        .expect("the core plans the chain");
    assert_eq!(to_json(&report), to_json(&expected));
}

#[test]
fn a_solve_with_fusion_is_the_cores_fused_plan_and_fuses_the_chain() {
    let project = chain_project(400);
    let options = FusionOptions {
        enabled: true,
        forbid: Vec::new(),
    };
    let mut cache = Cache::default();
    let mut job = Job::new(3, 4, project.clone(), Task::Solve, 1);
    job.fusion = options.clone();
    let WorkerOutput::Report { result, .. } = compute(&job, &mut cache, &mut |_| {}, &|| 0.0)
    else {
        panic!("a solve answers with a report");
    };
    let report = result.expect("the chain plans").0;
    assert!(
        report.stages.iter().any(|s| s.fused_into.is_some()),
        "Standard pricing makes fusing the chain pay: {:?}",
        report.stages
    );
    let expected = pipeline::plan_fused(&project, &options, Limits::default())
        .expect("the core plans the chain");
    assert_eq!(to_json(&report), to_json(&expected), "the CLI's bytes");
    let b = report.cost_breakdown.expect("priced orchestration");
    assert!(b.transitions_usd > 0.0, "{b:?}");

    // The export job plans the same fused plan; without fusion nothing is fused.
    job.task = Task::Export;
    let WorkerOutput::Export { result, .. } = compute(&job, &mut cache, &mut |_| {}, &|| 0.0)
    else {
        panic!("an export answers with plan JSON");
    };
    assert_eq!(result, Ok(to_json(&expected)));
    let unfused = report_of(&project, Task::Solve, &mut cache).expect("plans unfused");
    let unfused = from_json(&unfused).expect("plan JSON reads");
    assert!(unfused.stages.iter().all(|s| s.fused_into.is_none()));

    // Never fusing any edge gives the unfused plan back.
    job.task = Task::Solve;
    job.fusion.forbid = project.workflow.edges.clone();
    let WorkerOutput::Report { result, .. } = compute(&job, &mut cache, &mut |_| {}, &|| 0.0)
    else {
        panic!("a solve answers with a report");
    };
    assert_eq!(to_json(&result.expect("plans").0), to_json(&unfused));
}
