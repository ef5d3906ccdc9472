use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};
use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::pipeline::{self, Limits};
use faasplan_core::plan::{from_json, to_json};
use faasplan_core::platform::Preset;
use faasplan_core::settings::{Bound, PlanSettings, SampleCount};

use super::*;
use crate::worker::protocol::{PlanOutput, Task, WorkerOutput};

const ML_WORKFLOW: &str = include_str!("../../../static/examples/ML-pipeline.json");
const ML_PROFILE: &str = include_str!("../../../static/examples/ML-Pipeline_profile.json");

fn ml_project(samples: usize) -> CoreProject {
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
    let job = Job {
        rev: 3,
        key: 4,
        project: project.clone(),
        task,
    };
    let mut reports = 0;
    let out = compute(&job, cache, &mut |_| reports += 1, &|| 0.0);
    (out, reports)
}

fn frontier_of(project: &CoreProject, cache: &mut Cache) -> PlanOutput {
    match run(project, Task::Frontier, cache).0 {
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
    let (out, reports) = run(&project, Task::Frontier, &mut cache);
    assert!(reports > 3, "progress is reported between steps");
    let WorkerOutput::Frontier {
        result: Ok(out), ..
    } = out
    else {
        panic!("no frontier");
    };
    assert_eq!(out.samples, 400);
    assert!(out.frontier.len() > 2);
    for w in out.frontier.windows(2) {
        assert!(w[0].latency_s < w[1].latency_s && w[0].cost_usd > w[1].cost_usd);
    }
    assert_eq!(out.fits.len(), project.workflow.stages.len());
    assert!(
        out.fits
            .iter()
            .all(|f| !f.curves.is_empty() && f.cv_mean_pct.is_finite())
    );
    // A mid point looked up as its own bound: the app's rows equal the exported plan's.
    let point = &out.frontier[out.frontier.len() / 2];
    let mut bounded = project.clone();
    bounded.settings.bound = Bound::Latency {
        max_s: point.latency_s,
    };
    let plan = pipeline::plan(&bounded, Limits::default()).expect("plans");
    for ((&r, st), sp) in point.rows.iter().zip(&out.stages).zip(&plan.stages) {
        let row = &st.rows[r as usize];
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
    assert!(totals.guaranteed_latency_s <= point.latency_s);
    assert_eq!(totals.expected_cost_usd, point.cost_usd);
}

#[test]
fn check_solve_and_export_reuse_the_prepared_problem_and_match_the_pipeline() {
    let mut project = ml_project(300);
    let mut cache = Cache::default();
    let out = frontier_of(&project, &mut cache);
    let point = &out.frontier[0];
    project.settings.bound = Bound::Latency {
        max_s: point.latency_s,
    };
    let configs = point
        .rows
        .iter()
        .zip(&out.stages)
        .map(|(&r, st)| (st.rows[r as usize].memory_mb, st.rows[r as usize].d))
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
    let job = Job {
        rev: 3,
        key: 4,
        project: p.clone(),
        task: Task::Frontier,
    };
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
        let job = Job {
            rev: 1,
            key: 1,
            project: p.clone(),
            task: Task::Frontier,
        };
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
    let bound_s = out.frontier[out.frontier.len() / 2].latency_s;
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
                let best = out.frontier.iter().rfind(|p| p.latency_s <= bound_s);
                assert!(best.is_some_and(|p| p.cost_usd <= row.expected_cost_usd));
            }
        }
    }
}

#[test]
fn jobs_and_answers_round_trip_through_json_with_the_core_types() {
    let project = ml_project(200);
    let job = Job {
        rev: 1,
        key: 2,
        project: project.clone(),
        task: Task::Check {
            configs: vec![(1024, 2)],
        },
    };
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
