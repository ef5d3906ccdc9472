//! Runs against the emulator: apply, execute, restore, collect; errors,
//! cancels, direct invokes, and credentials.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use faasplan_aws::{
    AwsBackend, AwsOptions, AwsSettings, Call, Cancel, Entry, ErrorKind, Journal, RunRequest,
    Session, Target,
};
use faasplan_core::dag::Config;
use faasplan_core::executor::backend::{Backend, Job, RunHandle};
use faasplan_core::executor::{Limits, RunState, RunTarget, StageConfig, Workload};

use crate::moto::{Moto, create_function, memory_of, write_reports};

const ITEMS: usize = 4;

/// A Map over `$.items` whose iterations run `split`, a one-second pause, then `merge`.
fn definition(split_arn: &str, merge_arn: &str) -> String {
    serde_json::json!({
        "StartAt": "Split",
        "States": {
            "Split": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ResultPath": null,
                "Iterator": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": split_arn, "End": true}}},
                "Next": "Pause"
            },
            // Long enough for the test to read the functions' memory while it runs.
            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Merge"},
            "Merge": {"Type": "Task", "Resource": merge_arn, "End": true}
        }
    })
    .to_string()
}

struct Deployed {
    sdk: aws_config::SdkConfig,
    arn: String,
    definition: String,
}

/// Functions `split` (256 MB) and `merge` (512 MB) and the state machine `wf`.
async fn deploy(moto: &Moto) -> Deployed {
    let sdk = moto.sdk().await;
    let split = create_function(&sdk, "split", 256).await;
    let merge = create_function(&sdk, "merge", 512).await;
    let definition = definition(&split, &merge);
    let arn = aws_sdk_sfn::Client::new(&sdk)
        .create_state_machine()
        .name("wf")
        .definition(&definition)
        .role_arn(crate::moto::ROLE)
        .send()
        .await
        .expect("CreateStateMachine")
        .state_machine_arn()
        .to_string();
    Deployed {
        sdk,
        arn,
        definition,
    }
}

async fn deployed_definition(sdk: &aws_config::SdkConfig, arn: &str) -> serde_json::Value {
    let d = aws_sdk_sfn::Client::new(sdk)
        .describe_state_machine()
        .state_machine_arn(arn)
        .send()
        .await
        .unwrap();
    serde_json::from_str(d.definition()).unwrap()
}

fn configs(target: &Target, split: (u32, u32), merge: u32) -> BTreeMap<String, Config> {
    let stages = target.stages();
    assert_eq!(stages.len(), 2, "stages {stages:?}");
    config_map(&[(&stages[0], split.0, split.1), (&stages[1], merge, 1)])
}

/// One configuration: `(stage, memory MB, instances)` per stage.
fn config_map(stages: &[(&str, u32, u32)]) -> BTreeMap<String, Config> {
    stages
        .iter()
        .map(|&(stage, memory_mb, d)| (stage.to_string(), Config { memory_mb, d }))
        .collect()
}

fn input() -> String {
    serde_json::json!({"items": (0..ITEMS).collect::<Vec<_>>()}).to_string()
}

/// Plays Lambda's part that moto cannot: when an execution starts, reads the
/// memory each function has; when it ends, writes the `REPORT` lines of its
/// instances (ITEMS of `split`, one of `merge`) inside its time window. The
/// first execution starts cold. Returns the memory seen per execution.
fn seed_reports(
    sdk: aws_config::SdkConfig,
    journal: Journal,
) -> tokio::task::JoinHandle<Vec<(i32, i32)>> {
    tokio::spawn(async move {
        let mut seen: Vec<(i32, i32)> = Vec::new();
        let mut seeded = 0;
        let mut started = 0;
        for _ in 0..3000 {
            let entries = journal.entries();
            let waits = entries
                .iter()
                .filter(|e| matches!(e, Entry::Call(Call::WaitExecution { .. })))
                .count();
            while started < waits {
                seen.push((
                    memory_of(&sdk, "split").await,
                    memory_of(&sdk, "merge").await,
                ));
                started += 1;
            }
            let executions = journal.executions();
            while seeded < executions.len() {
                let x = &executions[seeded];
                let at = (x.start_ms + x.stop_ms) / 2;
                let ids: Vec<String> = (0..ITEMS).map(|i| format!("{seeded}-split-{i}")).collect();
                let (split_mb, merge_mb) = seen[seeded];
                write_reports(&sdk, "split", &ids, (at, split_mb), 120.0, seeded == 0).await;
                write_reports(
                    &sdk,
                    "merge",
                    &[format!("{seeded}-merge")],
                    (at, merge_mb),
                    80.0,
                    seeded == 0,
                )
                .await;
                seeded += 1;
            }
            if entries
                .iter()
                .any(|e| matches!(e, Entry::Call(Call::FilterLogEvents { .. })))
                && seeded == executions.len()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        seen
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_applied_run_and_restored_and_its_reports_become_rows() {
    let moto = Moto::start(true);
    let d = deploy(&moto).await;
    let journal = Journal::new();
    let restore_file = std::env::temp_dir().join(format!(
        "faasplan-aws-restore-{}-normal.json",
        std::process::id()
    ));
    let settings = AwsSettings {
        restore_file: Some(restore_file.clone()),
        ..AwsSettings::emulator(&moto.url())
    };
    let session = Session::connect(settings, journal.clone()).await.unwrap();
    let target = session.state_machine(&d.arn).await.unwrap();
    let request = RunRequest {
        configurations: vec![configs(&target, (1024, 4), 2048)],
        input: input(),
        repetitions: 3,
    };
    let seeder = seed_reports(d.sdk.clone(), journal.clone());
    let outcome = session
        .run(&target, &request, &Cancel::new())
        .await
        .unwrap();
    let seen = seeder.await.unwrap();

    // Applied while the executions ran, restored afterwards; the restore file is gone.
    assert_eq!(seen, vec![(1024, 2048); 3]);
    assert!(!restore_file.exists());
    assert!(
        journal
            .lines()
            .iter()
            .any(|l| l.contains("original configuration kept in")),
        "{:?}",
        journal.lines()
    );
    assert_eq!(memory_of(&d.sdk, "split").await, 256);
    assert_eq!(memory_of(&d.sdk, "merge").await, 512);
    let original: serde_json::Value = serde_json::from_str(&d.definition).unwrap();
    assert_eq!(deployed_definition(&d.sdk, &d.arn).await, original);
    let calls = journal.calls();
    assert!(calls.iter().any(|c| matches!(c, Call::UpdateStateMachine { change, purpose: "apply", .. } if change == "Split.MaxConcurrency=4")), "{calls:#?}");
    assert!(calls.iter().any(|c| matches!(
        c,
        Call::UpdateStateMachine {
            purpose: "restore",
            ..
        }
    )));
    assert_eq!(
        calls
            .iter()
            .filter(|c| matches!(c, Call::StartExecution { .. }))
            .count(),
        3
    );
    // moto's interpreter ran the definition to the end.
    assert_eq!(outcome.executions.len(), 3);
    assert!(
        outcome.executions.iter().all(|x| x.status == "SUCCEEDED"),
        "{:?}",
        outcome.executions
    );
    assert!(outcome.missing.is_empty(), "{:?}", outcome.missing);

    // One row per stage and execution, from the REPORT lines.
    let stages = target.stages();
    let work = outcome.profiles.stage(&stages[0]).unwrap();
    assert_eq!(work.runs.len(), 3);
    for (i, r) in work.runs.iter().enumerate() {
        assert_eq!((r.memory_mb, r.d, r.rep), (1024, 4, i as u32));
        assert_eq!(r.cold, i == 0);
        // Durations 120, 132, 144, 156 ms: mean 138 ms, P95 156 ms.
        assert!((r.compute.mean_s - 0.138).abs() < 1e-9, "{r:?}");
        assert!((r.compute.p95_s - 0.156).abs() < 1e-9, "{r:?}");
    }
    let merge = outcome.profiles.stage(&stages[1]).unwrap();
    assert_eq!(merge.runs.len(), 3);
    assert!(merge.runs.iter().all(|r| r.memory_mb == 2048 && r.d == 1));
    assert!((merge.runs[1].compute.mean_s - 0.08).abs() < 1e-9);
    assert!((merge.runs[0].start.mean_s - 0.25).abs() < 1e-9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_that_never_ends_is_stopped_and_the_configuration_restored() {
    // Without the interpreter, moto's executions stay RUNNING.
    let moto = Moto::start(false);
    let d = deploy(&moto).await;
    let journal = Journal::new();
    let settings = AwsSettings {
        execution_timeout: Duration::from_secs(2),
        ..AwsSettings::emulator(&moto.url())
    };
    let session = Session::connect(settings, journal.clone()).await.unwrap();
    let target = session.state_machine(&d.arn).await.unwrap();
    let request = RunRequest {
        configurations: vec![configs(&target, (3008, 2), 1024)],
        input: input(),
        repetitions: 2,
    };
    let err = session
        .run(&target, &request, &Cancel::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert!(err.message.contains("still running after 2 s"), "{err}");
    let calls = journal.calls();
    let stop = calls
        .iter()
        .position(|c| matches!(c, Call::StopExecution { .. }))
        .expect("stopped");
    let restore = calls
        .iter()
        .position(|c| {
            matches!(
                c,
                Call::UpdateFunctionConfiguration {
                    purpose: "restore",
                    ..
                }
            )
        })
        .expect("restored");
    assert!(stop < restore);
    assert_eq!(memory_of(&d.sdk, "split").await, 256);
    assert_eq!(memory_of(&d.sdk, "merge").await, 512);
    let original: serde_json::Value = serde_json::from_str(&d.definition).unwrap();
    assert_eq!(deployed_definition(&d.sdk, &d.arn).await, original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_stops_the_execution_and_restores() {
    let moto = Moto::start(false);
    let d = deploy(&moto).await;
    let journal = Journal::new();
    let session = Session::connect(AwsSettings::emulator(&moto.url()), journal.clone())
        .await
        .unwrap();
    let target = session.state_machine(&d.arn).await.unwrap();
    let request = RunRequest {
        configurations: vec![configs(&target, (2048, 3), 1024)],
        input: input(),
        repetitions: 5,
    };
    let cancel = Cancel::new();
    let run = {
        let (session, target, cancel) = (session.clone(), target.clone(), cancel.clone());
        tokio::spawn(async move { session.run(&target, &request, &cancel).await })
    };
    while !journal
        .calls()
        .iter()
        .any(|c| matches!(c, Call::WaitExecution { .. }))
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(memory_of(&d.sdk, "split").await, 2048);
    cancel.cancel();
    let err = run.await.unwrap().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Cancelled, "{err}");
    let Some(Call::StopExecution { execution }) = journal
        .calls()
        .into_iter()
        .find(|c| matches!(c, Call::StopExecution { .. }))
    else {
        panic!("no StopExecution")
    };
    let status = aws_sdk_sfn::Client::new(&d.sdk)
        .describe_execution()
        .execution_arn(execution)
        .send()
        .await
        .unwrap();
    assert_ne!(status.status().as_str(), "RUNNING");
    assert_eq!(memory_of(&d.sdk, "split").await, 256);
    assert_eq!(memory_of(&d.sdk, "merge").await, 512);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_api_error_mid_run_still_restores_what_it_can_and_says_what_it_could_not() {
    let moto = Moto::start(true);
    let d = deploy(&moto).await;
    let journal = Journal::new();
    let session = Session::connect(AwsSettings::emulator(&moto.url()), journal.clone())
        .await
        .unwrap();
    let target = session.state_machine(&d.arn).await.unwrap();
    let request = RunRequest {
        configurations: vec![
            configs(&target, (1024, 2), 1024),
            configs(&target, (1536, 4), 3008),
        ],
        input: input(),
        repetitions: 1,
    };
    // The fault: while the first execution runs, someone deletes `merge`, so
    // applying the second configuration fails.
    let injector = {
        let (sdk, journal) = (d.sdk.clone(), journal.clone());
        tokio::spawn(async move {
            while !journal
                .calls()
                .iter()
                .any(|c| matches!(c, Call::WaitExecution { .. }))
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            aws_sdk_lambda::Client::new(&sdk)
                .delete_function()
                .function_name("merge")
                .send()
                .await
                .expect("DeleteFunction");
        })
    };
    let err = session
        .run(&target, &request, &Cancel::new())
        .await
        .unwrap_err();
    injector.await.unwrap();
    assert_eq!(err.kind, ErrorKind::Restore, "{err}");
    assert!(err.message.contains("function:merge"), "{err}");
    assert!(
        err.message.contains("restoring the original configuration"),
        "{err}"
    );
    // The function that still exists is back at its memory, the definition too.
    assert_eq!(memory_of(&d.sdk, "split").await, 256);
    let original: serde_json::Value = serde_json::from_str(&d.definition).unwrap();
    assert_eq!(deployed_definition(&d.sdk, &d.arn).await, original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_invokes_split_the_input_and_find_their_reports_by_request_id() {
    let moto = Moto::start(true);
    let sdk = moto.sdk().await;
    create_function(&sdk, "resize", 128).await;
    let journal = Journal::new();
    let session = Session::connect(AwsSettings::emulator(&moto.url()), journal.clone())
        .await
        .unwrap();
    let target = Target::function("resize", "resize").unwrap();
    let c = config_map(&[("resize", 1536, 3)]);
    let request = RunRequest {
        configurations: vec![c],
        input: "[1,2,3,4,5,6,7]".into(),
        repetitions: 2,
    };
    // moto's Lambda returns no LogResult tail: the lines come from CloudWatch
    // Logs. Invokes are too quick in moto to read the function's memory while
    // they run (the state machine test does that), so the lines carry the
    // memory the run applied, and the journal's order is checked below.
    let seeder = {
        let (sdk, journal) = (sdk.clone(), journal.clone());
        tokio::spawn(async move {
            let mut seeded = 0;
            for _ in 0..3000 {
                let applied = journal.calls().iter().find_map(|c| match c {
                    Call::UpdateFunctionConfiguration {
                        memory_mb,
                        purpose: "apply",
                        ..
                    } => Some(*memory_mb as i32),
                    _ => None,
                });
                let executions = journal.executions();
                while seeded < executions.len() {
                    let x = &executions[seeded];
                    let m = applied.expect("the memory was applied before the invokes");
                    write_reports(
                        &sdk,
                        "resize",
                        &x.request_ids,
                        (x.stop_ms - 1, m),
                        300.0,
                        false,
                    )
                    .await;
                    seeded += 1;
                }
                if seeded == 2 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let outcome = session
        .run(&target, &request, &Cancel::new())
        .await
        .unwrap();
    seeder.await.unwrap();
    let calls = journal.calls();
    let position = |f: &dyn Fn(&Call) -> bool| calls.iter().position(f).unwrap();
    let apply = position(&|c| {
        matches!(
            c,
            Call::UpdateFunctionConfiguration {
                memory_mb: 1536,
                purpose: "apply",
                ..
            }
        )
    });
    let first_invoke = position(&|c| matches!(c, Call::Invoke { .. }));
    let last_invoke = calls
        .iter()
        .rposition(|c| matches!(c, Call::Invoke { .. }))
        .unwrap();
    let restore = position(&|c| {
        matches!(
            c,
            Call::UpdateFunctionConfiguration {
                memory_mb: 128,
                purpose: "restore",
                ..
            }
        )
    });
    assert!(apply < first_invoke && last_invoke < restore, "{calls:#?}");
    assert_eq!(memory_of(&sdk, "resize").await, 128);
    let payloads: Vec<usize> = journal
        .calls()
        .iter()
        .filter_map(|c| match c {
            Call::Invoke { payload_bytes, .. } => Some(*payload_bytes),
            _ => None,
        })
        .collect();
    // [1,2,3] [4,5,6] [7], twice.
    assert_eq!(payloads, vec![7, 7, 3, 7, 7, 3]);
    assert!(outcome.executions.iter().all(|x| x.request_ids.len() == 3));
    let runs = &outcome.profiles.stage("resize").unwrap().runs;
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter()
            .all(|r| r.memory_mb == 1536 && r.d == 3 && !r.cold)
    );
    assert!(
        (runs[0].compute.mean_s - 0.33).abs() < 1e-9,
        "{:?}",
        runs[0]
    );
}

#[test]
fn credentials_never_appear_in_any_output() {
    let moto = Moto::start(true);
    let home = std::env::temp_dir().join(format!("faasplan-aws-home-{}", moto.port));
    std::fs::create_dir_all(&home).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "runs::credentials_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FAASPLAN_TEST_MOTO_URL", moto.url())
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", &home)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the child run failed:\n{text}");
    assert!(text.contains("CHILD-OK"), "the child did not run:\n{text}");
    for secret in [KEY_ID, SECRET, TOKEN] {
        assert!(!text.contains(secret), "{secret} appears in:\n{text}");
    }
    let _ = std::fs::remove_dir_all(home);
}

const KEY_ID: &str = "AKIAFAASPLANTEST0042";
const SECRET: &str = "faasplanSecret/Never+Printed/0123456789abc";
const TOKEN: &str = "faasplanSessionTokenNeverPrinted0123456789";

/// Run by `credentials_never_appear_in_any_output` with credentials in its
/// environment (the standard chain's first link): a run, a failing run and a
/// dry run, printing everything they produce.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by credentials_never_appear_in_any_output, which sets its environment"]
async fn credentials_child() {
    let url = std::env::var("FAASPLAN_TEST_MOTO_URL")
        .expect("FAASPLAN_TEST_MOTO_URL is unset: run credentials_never_appear_in_any_output");
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let moto_sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&url)
        .load()
        .await;
    let _ = port;
    let split = create_function(&moto_sdk, "split", 256).await;
    let merge = create_function(&moto_sdk, "merge", 512).await;
    let arn = aws_sdk_sfn::Client::new(&moto_sdk)
        .create_state_machine()
        .name("wf")
        .definition(definition(&split, &merge))
        .role_arn(crate::moto::ROLE)
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_string();
    let settings = AwsSettings {
        emulator_credentials: false,
        ..AwsSettings::emulator(&url)
    };
    let journal = Journal::new();
    let session = Session::connect(settings, journal.clone()).await.unwrap();
    println!("session: {session:?}");
    let target = session.state_machine(&arn).await.unwrap();
    let request = RunRequest {
        configurations: vec![configs(&target, (1024, 2), 1024)],
        input: input(),
        repetitions: 1,
    };
    let seeder = seed_reports(moto_sdk.clone(), journal.clone());
    let outcome = session
        .run(&target, &request, &Cancel::new())
        .await
        .unwrap();
    seeder.await.unwrap();
    println!("outcome: {outcome:?}");
    println!(
        "profiles: {}",
        serde_json::to_string(&outcome.profiles).unwrap()
    );
    // The same through the executor's backend interface: its status and profiles answers.
    let backend_journal = Journal::new();
    let backend = AwsBackend::new(
        target.clone(),
        session.with_journal(backend_journal.clone()),
    );
    let job = Arc::new(job(&target, &configs(&target, (2048, 2), 1024), 1));
    let handle = RunHandle::new(&job, backend.name(), backend.mb_per_vcpu());
    let seeder = seed_reports(moto_sdk.clone(), backend_journal.clone());
    let result = backend.run(job, handle.clone()).await;
    seeder.await.unwrap();
    handle.finish(result);
    println!(
        "status: {}",
        serde_json::to_string(&handle.status()).unwrap()
    );
    println!(
        "profiles answer: {}",
        serde_json::to_string(&handle.profiles()).unwrap()
    );
    assert_eq!(handle.status().state, RunState::Succeeded);
    println!("backend: {backend:?}");
    // A failing run: a function that does not exist.
    let missing = Target::function("s", "no-such-function").unwrap();
    let c = config_map(&[("s", 1024, 1)]);
    let bad = RunRequest {
        configurations: vec![c],
        input: "{}".into(),
        repetitions: 1,
    };
    let err = session
        .run(&missing, &bad, &Cancel::new())
        .await
        .unwrap_err();
    println!("error: {err} / {err:?}");
    for call in faasplan_aws::dry_run(&target, &request).unwrap() {
        println!("dry run: {call}");
    }
    for line in journal.lines().into_iter().chain(backend_journal.lines()) {
        println!("journal: {line}");
    }
    println!(
        "journal json: {}",
        serde_json::to_string(&journal.entries()).unwrap()
    );
    println!("CHILD-OK");
}

/// A job as the executor server hands it over: the workflow the state
/// machine imports to, one plan, a JSON payload.
pub fn job(target: &Target, plan: &BTreeMap<String, Config>, repetitions: u32) -> Job {
    use base64::Engine as _;
    let Target::StateMachine { import, .. } = target else {
        panic!("a state machine target")
    };
    let request = faasplan_core::executor::RunRequest {
        workflow: import.workflow.clone(),
        target: RunTarget::Plan {
            stages: plan
                .iter()
                .map(|(stage, c)| StageConfig {
                    stage: stage.clone(),
                    memory_mb: c.memory_mb,
                    d: c.d,
                })
                .collect(),
        },
        workload: Workload::Payload {
            data_base64: base64::engine::general_purpose::STANDARD.encode(input()),
        },
        repetitions,
        seed: 0,
    };
    let configurations = request.check(&Limits::default()).expect("a valid request");
    Job {
        id: "run-1".into(),
        request,
        configurations,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backend_runs_a_job_and_reports_rows_and_executions_through_the_handle() {
    let moto = Moto::start(true);
    let d = deploy(&moto).await;
    let journal = Journal::new();
    let session = Session::connect(AwsSettings::emulator(&moto.url()), journal.clone())
        .await
        .unwrap();
    let target = session.state_machine(&d.arn).await.unwrap();
    let backend = AwsBackend::new(target.clone(), session);
    assert_eq!(
        backend.functions(),
        vec!["Work".to_string(), "Merge".to_string()]
    );
    let job = Arc::new(job(&target, &configs(&target, (1536, 2), 1024), 2));
    backend.accepts(&job).unwrap();
    let handle = RunHandle::new(&job, backend.name(), backend.mb_per_vcpu());
    let seeder = seed_reports(d.sdk.clone(), journal.clone());
    let result = backend.run(job.clone(), handle.clone()).await;
    seeder.await.unwrap();
    handle.finish(result);
    let status = handle.status();
    assert_eq!(status.state, RunState::Succeeded, "{status:?}");
    assert_eq!(status.executions_finished, 2);
    assert!(status.errors.is_empty(), "{:?}", status.errors);
    let profiles = handle.profiles();
    let work = profiles.profiles.stage("Work").unwrap();
    assert_eq!(work.runs.len(), 2);
    assert!(work.runs.iter().all(|r| r.memory_mb == 1536 && r.d == 2));
    assert!(profiles.csv.lines().count() >= 5, "{}", profiles.csv);
    let x = &profiles.executions[0];
    assert_eq!(
        (x.configuration, x.rep, x.cold, x.invocations),
        (0, 0, true, 5)
    );
    // 4 instances of 1.5 GB billed 120, 132, 144, 156 ms, and 1 of 1 GB billed 80 ms.
    assert!((x.billed_gb_s - (1.5 * 0.552 + 0.08)).abs() < 1e-9, "{x:?}");
    // Per stage, for the measured cost: the Map's 4 instances, then merge.
    let ran: Vec<(&str, u32, u32)> = x
        .stages
        .iter()
        .map(|s| (s.stage.as_str(), s.memory_mb, s.d))
        .collect();
    assert_eq!(ran, vec![("Work", 1536, 4), ("Merge", 1024, 1)]);
    assert!((x.stages[0].billed_gb_s - 1.5 * 0.552).abs() < 1e-9);
    // Progress: every instance the history or the rows show is started and finished.
    for s in &status.stages {
        assert!(
            s.instances_started >= 2 && s.instances_finished == s.instances_started,
            "{s:?}"
        );
    }
    assert_eq!(memory_of(&d.sdk, "split").await, 256);

    // A workflow that is not the state machine's is refused before anything runs.
    let mut other = (*job).clone();
    other.request.workflow.stages[0].id = "Elsewhere".into();
    let err = backend.accepts(&other).unwrap_err();
    assert!(err.0.contains("stage Elsewhere is not a state"), "{err}");
}

#[tokio::test]
async fn a_dry_run_prints_every_call_and_needs_no_aws() {
    let definition = definition(
        "arn:aws:lambda:us-east-1:123456789012:function:split",
        "arn:aws:lambda:us-east-1:123456789012:function:merge",
    );
    let target = Target::state_machine(
        "arn:aws:states:us-east-1:123456789012:stateMachine:wf",
        &definition,
    )
    .unwrap();
    let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let backend = AwsBackend::dry(
        target.clone(),
        Arc::new(move |l| sink.lock().unwrap().push(l.to_string())),
    );
    let job = Arc::new(job(&target, &configs(&target, (2048, 4), 1024), 2));
    let handle = RunHandle::new(&job, "aws", 1769.0);
    backend.run(job, handle.clone()).await.unwrap();
    let lines = lines.lock().unwrap().join("\n");
    for expected in [
        "lambda:GetFunctionConfiguration FunctionName=arn:aws:lambda:us-east-1:123456789012:function:split",
        "lambda:UpdateFunctionConfiguration FunctionName=arn:aws:lambda:us-east-1:123456789012:function:split MemorySize=2048 (apply)",
        "lambda:UpdateFunctionConfiguration FunctionName=arn:aws:lambda:us-east-1:123456789012:function:merge MemorySize=1024 (apply)",
        "states:UpdateStateMachine stateMachineArn=arn:aws:states:us-east-1:123456789012:stateMachine:wf definition: Split.MaxConcurrency=4 (apply)",
        "states:StartExecution",
        "(restore)",
        "logs:FilterLogEvents logGroupName=/aws/lambda/split",
    ] {
        assert!(lines.contains(expected), "missing {expected:?} in\n{lines}");
    }
    assert_eq!(lines.matches("states:StartExecution").count(), 2);
    assert!(handle.profiles().profiles.stages.is_empty());
    // The client learns that nothing ran.
    let errors = handle.status().errors;
    assert!(
        errors.len() == 1 && errors[0].starts_with("dry run: nothing ran"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn the_executor_options_of_a_dry_run_read_the_definition_file_and_contact_nothing() {
    let dir = std::env::temp_dir().join(format!("faasplan-aws-options-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wf.asl.json");
    std::fs::write(
        &path,
        definition(
            "arn:aws:lambda:us-east-1:123456789012:function:split",
            "arn:aws:lambda:us-east-1:123456789012:function:merge",
        ),
    )
    .unwrap();
    // An endpoint nothing listens on: a dry run must not call it.
    let options = AwsOptions {
        definition: Some(path.clone()),
        dry_run: true,
        endpoint_url: Some("http://127.0.0.1:9".into()),
        ..AwsOptions::default()
    };
    let backend = AwsBackend::from_options(&options).await.unwrap();
    assert_eq!(backend.target().stages(), vec!["Work", "Merge"]);
    let function = AwsOptions {
        function: Some("resize=my-resize".into()),
        dry_run: true,
        ..AwsOptions::default()
    };
    let backend = AwsBackend::from_options(&function).await.unwrap();
    assert_eq!(backend.functions(), vec!["resize"]);
    for (options, expected) in [
        (
            AwsOptions {
                function: Some("resize".into()),
                dry_run: true,
                ..AwsOptions::default()
            },
            "--aws-function resize: expected STAGE=FUNCTION",
        ),
        (
            AwsOptions {
                function: Some("a=b".into()),
                definition: Some(path.clone()),
                dry_run: true,
                ..AwsOptions::default()
            },
            "give one of them",
        ),
        (
            AwsOptions {
                definition: Some(dir.join("missing.json")),
                dry_run: true,
                ..AwsOptions::default()
            },
            "missing.json",
        ),
    ] {
        let err = AwsBackend::from_options(&options).await.unwrap_err();
        assert!(err.message.contains(expected), "{err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_before_it_restored_is_put_back_from_the_restore_file() {
    let moto = Moto::start(true);
    let d = deploy(&moto).await;
    let file = std::env::temp_dir().join(format!(
        "faasplan-aws-restore-{}/pending.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&file);
    let settings = AwsSettings {
        restore_file: Some(file.clone()),
        ..AwsSettings::emulator(&moto.url())
    };
    let session = Session::connect(settings.clone(), Journal::new())
        .await
        .unwrap();
    let target = session.state_machine(&d.arn).await.unwrap();
    // The first steps of a run, then the process dies: nothing restores.
    let remembered = session.remember(&target).await.unwrap();
    session.save_pending(&target, &remembered).unwrap();
    session
        .apply(&target, &configs(&target, (2048, 4), 1024))
        .await
        .unwrap();
    drop(session);
    assert!(file.exists());
    assert_eq!(memory_of(&d.sdk, "split").await, 2048);
    assert_eq!(memory_of(&d.sdk, "merge").await, 1024);
    let original: serde_json::Value = serde_json::from_str(&d.definition).unwrap();
    assert_ne!(deployed_definition(&d.sdk, &d.arn).await, original);

    // The next executor: a run refuses to start while the file is there.
    let journal = Journal::new();
    let next = Session::connect(settings, journal.clone()).await.unwrap();
    let request = RunRequest {
        configurations: vec![configs(&target, (1024, 2), 1024)],
        input: input(),
        repetitions: 1,
    };
    let err = next
        .run(&target, &request, &Cancel::new())
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("an earlier run's original configuration"),
        "{err}"
    );
    assert!(
        !journal.calls().iter().any(Call::mutates),
        "nothing was changed"
    );
    // Starting restores it and removes the file.
    assert!(next.restore_interrupted().await.unwrap());
    assert_eq!(memory_of(&d.sdk, "split").await, 256);
    assert_eq!(memory_of(&d.sdk, "merge").await, 512);
    assert_eq!(deployed_definition(&d.sdk, &d.arn).await, original);
    assert!(!file.exists());
    assert!(journal.calls().iter().any(|c| matches!(
        c,
        Call::UpdateStateMachine {
            purpose: "restore",
            ..
        }
    )));
    assert!(!next.restore_interrupted().await.unwrap(), "nothing left");

    // A file that is not one is refused and kept.
    std::fs::write(&file, "{\"something\": 1}").unwrap();
    let err = next.restore_interrupted().await.unwrap_err();
    assert!(err.message.contains("not a faasplan restore file"), "{err}");
    assert!(file.exists());
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_comes_from_the_execution_history_while_it_runs() {
    let moto = Moto::start(true);
    let d = deploy(&moto).await;
    let journal = Journal::new();
    let session = Session::connect(AwsSettings::emulator(&moto.url()), journal.clone())
        .await
        .unwrap();
    let target = session.state_machine(&d.arn).await.unwrap();
    type Seen = Vec<(i64, String, u64, u64)>;
    let events: Arc<std::sync::Mutex<Seen>> = Arc::default();
    let sink = events.clone();
    let session = session.with_progress(Arc::new(move |stage, started, finished| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        sink.lock()
            .unwrap()
            .push((now, stage.to_string(), started, finished));
    }));
    let request = RunRequest {
        configurations: vec![configs(&target, (1024, 4), 2048)],
        input: input(),
        repetitions: 2,
    };
    let seeder = seed_reports(d.sdk.clone(), journal.clone());
    let outcome = session
        .run(&target, &request, &Cancel::new())
        .await
        .unwrap();
    seeder.await.unwrap();
    let events = events.lock().unwrap().clone();
    let stages = target.stages();
    let total = |stage: &str| {
        events
            .iter()
            .filter(|e| e.1 == stage)
            .fold((0, 0), |(s, f), e| (s + e.2, f + e.3))
    };
    // Each execution: the Map's ITEMS iterations of the first stage, one merge.
    assert_eq!(
        total(&stages[0]),
        (2 * ITEMS as u64, 2 * ITEMS as u64),
        "{events:?}"
    );
    assert_eq!(total(&stages[1]), (2, 2), "{events:?}");
    // The first stage's instances were reported finished before the first
    // execution ended (its one-second pause was still running).
    let first_done = events
        .iter()
        .find(|e| e.1 == stages[0] && e.3 > 0)
        .map(|e| e.0)
        .unwrap();
    assert!(
        first_done <= outcome.executions[0].stop_ms,
        "first progress at {first_done}, execution ended at {}",
        outcome.executions[0].stop_ms
    );
}
