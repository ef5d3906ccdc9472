//! The local backend on a workflow with a Choice point, and its dry run.

use std::sync::{Arc, Mutex};

use faasplan_core::executor::backend::{Backend, Job, RunHandle};
use faasplan_core::executor::{Limits, RunRequest, RunState};
use faasplan_executor::local::{LocalBackend, LocalSettings};
use serde_json::{Value, json};

use crate::support::{example_config, example_workflow, temp_dir};

/// The example with a Choice between its two middle stages.
fn choice_workflow(sort_weight: f64, compress_weight: f64) -> Value {
    let mut wf = example_workflow();
    wf["choices"] = json!([{
        "name": "Branch",
        "mode": "probabilities",
        "alternatives": [
            {"label": "Sort", "stages": ["sort"], "probability": sort_weight},
            {"label": "Compress", "stages": ["compress"], "probability": compress_weight}
        ]
    }]);
    wf
}

fn job(workflow: &Value, repetitions: u32, seed: u64) -> Job {
    let body = json!({
        "workflow": workflow,
        "target": {"kind": "plan", "stages": example_config(256, 2)},
        "workload": {"kind": "size", "bytes": 20_000, "seed": 1},
        "repetitions": repetitions,
        "seed": seed,
    });
    let request: RunRequest = serde_json::from_value(body).unwrap();
    let configurations = request.check(&Limits::default()).unwrap();
    Job {
        id: format!("branches-{seed}-{repetitions}"),
        request,
        configurations,
    }
}

fn backend(name: &str) -> LocalBackend {
    LocalBackend::new(LocalSettings {
        functions_dir: faasplan_executor::example_functions_dir().into(),
        work_dir: temp_dir(name),
    })
    .unwrap()
}

fn run(backend: &LocalBackend, job: Job) -> RunHandle {
    backend.accepts(&job).unwrap();
    let handle = RunHandle::new(&job, backend.name(), backend.mb_per_vcpu());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(backend.run(Arc::new(job), handle.clone()));
    handle.finish(result);
    handle
}

fn runs_of(handle: &RunHandle, stage: &str) -> usize {
    handle
        .profiles()
        .profiles
        .stages
        .iter()
        .find(|s| s.stage == stage)
        .map_or(0, |s| s.runs.len())
}

#[test]
fn each_execution_takes_one_alternative_and_measures_only_what_ran() {
    let backend = backend("choice");
    let handle = run(&backend, job(&choice_workflow(1.0, 1.0), 8, 7));
    let status = handle.status();
    assert_eq!(status.state, RunState::Succeeded, "{:?}", status.errors);
    let profiles = handle.profiles();
    assert_eq!(profiles.executions.len(), 8);
    let mut sorted = 0;
    for e in &profiles.executions {
        assert_eq!(e.branches.len(), 1, "{e:?}");
        assert_eq!(e.branches[0].choice, "Branch");
        let ran: Vec<&str> = e.stages.iter().map(|s| s.stage.as_str()).collect();
        match e.branches[0].alternative.as_str() {
            "Sort" => {
                sorted += 1;
                assert!(
                    ran.contains(&"sort") && !ran.contains(&"compress"),
                    "{ran:?}"
                );
            }
            "Compress" => {
                assert!(
                    ran.contains(&"compress") && !ran.contains(&"sort"),
                    "{ran:?}"
                );
            }
            other => panic!("unknown alternative {other}"),
        }
        assert!(ran.contains(&"split") && ran.contains(&"merge"), "{ran:?}");
        // split 1 + the branch's 2 + merge 1 instances.
        assert_eq!(e.invocations, 4);
        let billed: f64 = e.stages.iter().map(|s| s.billed_gb_s).sum();
        assert!((billed - e.billed_gb_s).abs() < 1e-12);
    }
    // Equal weights over 8 executions: both alternatives ran (seed 7 is fixed).
    assert!(0 < sorted && sorted < 8, "sort ran {sorted} of 8 times");
    assert_eq!(runs_of(&handle, "sort"), sorted);
    assert_eq!(runs_of(&handle, "compress"), 8 - sorted);
    assert_eq!(runs_of(&handle, "split"), 8);
    assert_eq!(runs_of(&handle, "merge"), 8);
    let progress = |id: &str| {
        status
            .stages
            .iter()
            .find(|s| s.stage == id)
            .unwrap()
            .clone()
    };
    assert_eq!(progress("sort").runs_finished, sorted as u64);
    assert_eq!(progress("sort").instances_started, 2 * sorted as u64);
    // Every row carries the time it started.
    for s in &profiles.profiles.stages {
        assert!(
            s.runs
                .iter()
                .all(|r| r.timestamp.is_some_and(|t| t > 1.6e9))
        );
    }
}

#[test]
fn the_weights_and_the_seed_decide_the_branches() {
    let backend = backend("choice-weights");
    // A zero weight never runs.
    let handle = run(&backend, job(&choice_workflow(0.0, 1.0), 3, 1));
    assert_eq!(
        handle.state(),
        RunState::Succeeded,
        "{:?}",
        handle.status().errors
    );
    assert_eq!(runs_of(&handle, "sort"), 0);
    assert_eq!(runs_of(&handle, "compress"), 3);
    // The same seed takes the same branches; the dry run draws them like a run.
    let picks = |h: &RunHandle| -> Vec<String> {
        h.profiles()
            .executions
            .iter()
            .map(|e| e.branches[0].alternative.clone())
            .collect()
    };
    let a = run(&backend, job(&choice_workflow(1.0, 1.0), 6, 11));
    let b = run(&backend, job(&choice_workflow(1.0, 1.0), 6, 11));
    assert_eq!(picks(&a), picks(&b));
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let dry = backend.clone().with_dry_run(Arc::new(move |l: &str| {
        sink.lock().unwrap().push(l.to_string());
    }));
    run(&dry, job(&choice_workflow(1.0, 1.0), 6, 11));
    let lines = lines.lock().unwrap();
    let dry_picks: Vec<String> = lines
        .iter()
        .filter_map(|l| l.split("branches Branch -> ").nth(1).map(str::to_string))
        .collect();
    assert_eq!(dry_picks, picks(&a));
}

#[test]
fn a_dry_run_prints_the_plan_and_runs_nothing() {
    let work_dir = temp_dir("dry");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let backend = LocalBackend::new(LocalSettings {
        functions_dir: faasplan_executor::example_functions_dir().into(),
        work_dir: work_dir.clone(),
    })
    .unwrap()
    .with_dry_run(Arc::new(move |l: &str| {
        sink.lock().unwrap().push(l.to_string())
    }));
    let handle = run(&backend, job(&choice_workflow(0.0, 1.0), 2, 3));
    let status = handle.status();
    assert_eq!(status.state, RunState::Succeeded);
    assert!(
        status.errors.len() == 1 && status.errors[0].starts_with("dry run: nothing ran"),
        "{:?}",
        status.errors
    );
    let profiles = handle.profiles();
    assert!(profiles.profiles.stages.is_empty() && profiles.executions.is_empty());
    assert!(
        !work_dir.join("branches-3-2").exists(),
        "a dry run creates no run directory"
    );
    let text = lines.lock().unwrap().join("\n");
    let functions = faasplan_executor::example_functions_dir();
    for expected in [
        "dry run branches-3-2: run directory ".to_string(),
        "workload of 20000 bytes at /work/input/workload; 2 execution(s)".to_string(),
        "execution 0 (configuration 0, repetition 0): branches Branch -> Compress".to_string(),
        format!(
            "execution 0 (configuration 0, repetition 0): stage split runs {functions}/split.wasm at 256 MB, 0.145 vCPU, 1 instance(s): [--out /work/e0/split/0000 --parts 2 --in workload=/work/input/workload]"
        ),
        "execution 1 (configuration 0, repetition 1): stage sort does not run".to_string(),
        "stage compress runs".to_string(),
        // merge reads only the branch that ran.
        "stage merge runs".to_string(),
        "--in compress=/work/e1/compress/0001/part-0000".to_string(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("--in sort="), "{text}");
}
