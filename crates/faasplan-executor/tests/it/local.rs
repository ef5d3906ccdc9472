//! The local backend: its sandbox, memory limit and CPU share, cancel, and the
//! example workflow end to end (profile → fit → plan → run the plan → measured
//! against predicted).

use std::sync::Arc;
use std::time::Duration;

use faasplan_core::executor::backend::{Backend, Job, RunHandle};
use faasplan_core::executor::{Limits, RunProfiles, RunRequest, RunState};
use faasplan_core::formats::csv::read_profiles_csv;
use faasplan_core::formats::project::Project;
use faasplan_core::pipeline;
use faasplan_core::platform::Preset;
use faasplan_core::settings::{Bound, PlanSettings};
use faasplan_executor::local::{LocalBackend, LocalSettings};
use serde_json::{Value, json};

use crate::support::{Server, example_config, example_workflow, run_body, temp_dir};

fn backend(name: &str) -> (LocalBackend, std::path::PathBuf) {
    let work_dir = temp_dir(name);
    let backend = LocalBackend::new(LocalSettings {
        functions_dir: faasplan_executor::example_functions_dir().into(),
        work_dir: work_dir.clone(),
    })
    .unwrap();
    (backend, work_dir)
}

/// Runs `body` on `backend` in this process and returns the handle once it ended.
fn run(backend: &LocalBackend, id: &str, body: &str) -> RunHandle {
    let request: RunRequest = serde_json::from_str(body).unwrap();
    let configurations = request.check(&Limits::default()).unwrap();
    let job = Job {
        id: id.to_string(),
        request,
        configurations,
    };
    backend.accepts(&job).unwrap();
    let handle = RunHandle::new(&job, backend.name(), backend.mb_per_vcpu());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(backend.run(Arc::new(job), handle.clone()));
    handle.finish(result);
    handle
}

fn one_stage(id: &str, memory_mb: u32, bytes: u64) -> String {
    let workflow = json!({"name": "one", "edges": [], "stages": [
        {"id": id, "kind": "single", "allowed_d": [], "memory": {"min_mb": 1, "max_mb": 3008, "step_mb": 1}}]});
    run_body(
        &workflow,
        json!({"kind": "plan", "stages": [{"stage": id, "memory_mb": memory_mb, "d": 1}]}),
        bytes,
        1,
    )
}

#[test]
fn a_function_cannot_read_outside_its_run_directory() {
    let (backend, work_dir) = backend("sandbox");
    // Files the probe tries to read exist on the host: only the sandbox stops it.
    std::fs::write(work_dir.join("SECRET"), "host secret").unwrap();
    assert!(
        std::path::Path::new("/etc/hostname").exists()
            || std::path::Path::new("/etc/passwd").exists()
    );
    let handle = run(&backend, "sandbox-run", &one_stage("probe", 256, 1000));
    let status = handle.status();
    assert_eq!(status.state, RunState::Succeeded, "{:?}", status.errors);
    assert_eq!(handle.profiles().profiles.stages[0].runs.len(), 1);
    assert!(
        !work_dir.join("sandbox-run").exists(),
        "the run directory is removed after the run"
    );
}

#[test]
fn stage_ids_cannot_name_files_outside_the_functions_directory() {
    let (backend, _) = backend("names");
    let request: RunRequest = serde_json::from_str(&one_stage("../probe", 256, 1000)).unwrap();
    let configurations = request.check(&Limits::default()).unwrap();
    let err = backend
        .accepts(&Job {
            id: "x".into(),
            request,
            configurations,
        })
        .unwrap_err();
    assert!(err.0.contains("letters, digits"), "{err}");
}

#[test]
fn an_instance_is_held_to_its_memory() {
    let (backend, _) = backend("memory");
    let handle = run(&backend, "memory-run", &one_stage("sort", 2, 400_000));
    let status = handle.status();
    assert_eq!(status.state, RunState::Failed);
    assert!(
        status.errors[0].contains("stage sort instance 0 at 2 MB: ran out of its 2 MB of memory"),
        "{:?}",
        status.errors
    );
    let handle = run(&backend, "memory-ok", &one_stage("sort", 64, 400_000));
    assert_eq!(
        handle.state(),
        RunState::Succeeded,
        "{:?}",
        handle.status().errors
    );
}

#[test]
fn cpu_share_follows_memory() {
    let (backend, _) = backend("cpu");
    let compute = |memory_mb: u32| {
        let handle = run(
            &backend,
            "cpu",
            &one_stage("sort", memory_mb, 1_000_000),
        );
        assert_eq!(
            handle.state(),
            RunState::Succeeded,
            "{:?}",
            handle.status().errors
        );
        handle.profiles().profiles.stages[0].runs[0].compute.mean_s
    };
    // Alternate, and keep each size's fastest run, so that load from elsewhere on the host
    // (which slows the unthrottled run more than the throttled one) evens out.
    let (mut small, mut full) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..2 {
        small = small.min(compute(256));
        full = full.min(compute(1769));
    }
    // 256 MB is 0.145 vCPU: about 6.9 times slower than one vCPU; the bound leaves room for a loaded host.
    assert!(small > 2.5 * full, "256 MB: {small} s, 1,769 MB: {full} s");
}

fn post(server: &Server, body: &str) -> String {
    let created = server.request("POST", "/runs", &[], Some(body));
    assert_eq!(created.status, 202, "{}", created.text());
    created.json()["id"].as_str().unwrap().to_string()
}

#[test]
fn cancel_stops_a_run_midway() {
    let server = Server::start("cancel", &[], &[]);
    let body = run_body(
        &example_workflow(),
        json!({"kind": "plan", "stages": example_config(256, 2)}),
        2_000_000,
        50,
    );
    let id = post(&server, &body);
    let t0 = std::time::Instant::now();
    loop {
        let status = server
            .request("GET", &format!("/runs/{id}"), &[], None)
            .json();
        if status["stages"][0]["instances_started"].as_u64() > Some(0) {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "{status}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let cancelled = server.request("DELETE", &format!("/runs/{id}"), &[], None);
    assert_eq!(cancelled.status, 202, "{}", cancelled.text());
    let status = server.wait(&id, &[], Duration::from_secs(30));
    assert_eq!(status["state"], "cancelled");
    assert!(
        status["executions_finished"].as_u64().unwrap() < 50,
        "{status}"
    );
    assert!(
        !server.work_dir.join(&id).exists(),
        "the run directory is removed after a cancel"
    );
}

fn profiles_of(server: &Server, body: &str, timeout: Duration) -> RunProfiles {
    let id = post(server, body);
    let status = server.wait(&id, &[], timeout);
    assert_eq!(status["state"], "succeeded", "{status}");
    serde_json::from_str(
        &server
            .request("GET", &format!("/runs/{id}/profiles"), &[], None)
            .body,
    )
    .unwrap()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[test]
fn example_workflow_profiled_fitted_planned_and_run() {
    let server = Server::start("e2e", &[], &[]);
    let workflow = example_workflow();
    let bytes = 400_000;
    let configurations: Vec<Value> = [
        (256, 1),
        (512, 2),
        (1024, 4),
        (1792, 1),
        (768, 4),
        (1280, 2),
    ]
    .iter()
    .map(|&(m, d)| example_config(m, d))
    .collect();
    let body = run_body(
        &workflow,
        json!({"kind": "profile", "configurations": configurations}),
        bytes,
        3,
    );
    let measured = profiles_of(&server, &body, Duration::from_secs(600));
    assert_eq!(measured.executions.len(), 18);
    assert!(
        measured.executions[0].cold && !measured.executions[1].cold,
        "{:?}",
        measured.executions
    );
    // The CSV is the native format, and reads back to the same rows.
    let from_csv = read_profiles_csv(&measured.csv, measured.profiles.mb_per_vcpu).unwrap();
    assert_eq!(from_csv, measured.profiles);

    let project = Project {
        workflow: serde_json::from_value(workflow.clone()).unwrap(),
        profiles: measured.profiles.clone(),
        platform: Preset::AwsX86_64.platform(),
        settings: PlanSettings {
            bound: Bound::Latency { max_s: 1e6 },
            ..PlanSettings::default()
        },
    };
    project.profiles.validate(&project.workflow).unwrap();
    let mut warm: Vec<f64> = measured
        .executions
        .iter()
        .filter(|e| !e.cold)
        .map(|e| e.latency_s)
        .collect();
    let bound = median(&mut warm);
    let project = Project {
        settings: PlanSettings {
            bound: Bound::Latency { max_s: bound },
            ..project.settings
        },
        ..project
    };
    let report = pipeline::plan(&project, pipeline::Limits::default()).unwrap();
    let totals = report
        .totals
        .clone()
        .unwrap_or_else(|| panic!("no plan for {bound} s: {:?}", report.status));
    let stages: Vec<Value> = report
        .stages
        .iter()
        .map(|s| json!({"stage": s.stage, "memory_mb": s.memory_mb, "d": s.d}))
        .collect();

    let plan_run = profiles_of(
        &server,
        &run_body(
            &workflow,
            json!({"kind": "plan", "stages": stages}),
            bytes,
            8,
        ),
        Duration::from_secs(600),
    );
    let mut latencies: Vec<f64> = plan_run.executions.iter().map(|e| e.latency_s).collect();
    let measured_p50 = median(&mut latencies);
    eprintln!(
        "plan {:?}: predicted P50 {:.3} s, P95 {:.3} s; measured P50 {measured_p50:.3} s over {} runs (bound {bound:.3} s)",
        report
            .stages
            .iter()
            .map(|s| (s.stage.as_str(), s.memory_mb, s.d))
            .collect::<Vec<_>>(),
        totals.latency_p50_s,
        totals.latency_q_s,
        latencies.len()
    );
    let ratio = measured_p50 / totals.latency_p50_s;
    assert!(
        (0.4..2.5).contains(&ratio),
        "measured P50 {measured_p50} s against predicted {} s",
        totals.latency_p50_s
    );
}
