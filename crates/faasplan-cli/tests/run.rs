//! `faasplan run` against a small executor stand-in served by the test: the
//! requests the CLI makes (plan, token, configurations, cancel), the CSV it
//! writes and its errors.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{ml, stderr};
use faasplan_core::executor::{
    ExecutionRecord, ExecutorInfo, Limits, RunProfiles, RunState, RunStatus,
};
use faasplan_core::profile::{ProfileRun, Profiles, StageProfile, StepStat};

/// One request the stand-in received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    auth: Option<String>,
    body: String,
}

/// How the stand-in behaves.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Runs finish after two polls.
    Finish,
    /// Every request gets 401.
    Unauthorized,
    /// Runs stay running until DELETE.
    UntilCancelled,
}

struct Fake {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

const CSV: &str = "stage,memory_mb,d,rep,cold,start_mean_s\nfake,1,1,0,false,0\n";

fn profiles() -> Profiles {
    let s = StepStat {
        mean_s: 0.5,
        p95_s: 0.6,
    };
    Profiles {
        mb_per_vcpu: 1769.0,
        stages: vec![StageProfile {
            stage: "stage0".to_string(),
            runs: vec![ProfileRun {
                memory_mb: 1024,
                d: 1,
                rep: 0,
                cold: true,
                start: s,
                read: s,
                compute: s,
                write: None,
                timestamp: None,
                architecture: None,
            }],
        }],
    }
}

fn status(state: RunState, finished: u64) -> RunStatus {
    RunStatus {
        id: "r1".to_string(),
        backend: "fake".to_string(),
        state,
        executions_total: 3,
        executions_finished: finished,
        stages: Vec::new(),
        errors: Vec::new(),
    }
}

fn answer(mode: Mode, req: &Seen, polls: &mut u32, cancelled: &mut bool) -> (u16, String) {
    if mode == Mode::Unauthorized {
        return (
            401,
            r#"{"error":"missing or wrong bearer token"}"#.to_string(),
        );
    }
    let json = |v: &dyn erased::Ser| v.to_json();
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/health") => (
            200,
            json(&ExecutorInfo {
                service: "faasplan-executor".to_string(),
                version: "0".to_string(),
                protocol: 1,
                backend: "fake".to_string(),
                mb_per_vcpu: 1769.0,
                functions: Vec::new(),
                auth_required: true,
                limits: Limits::default(),
            }),
        ),
        ("POST", "/runs") => (202, r#"{"id":"r1","state":"queued"}"#.to_string()),
        ("GET", "/runs/r1") => {
            *polls += 1;
            let s = if *cancelled {
                status(RunState::Cancelled, 1)
            } else if mode == Mode::Finish && *polls >= 2 {
                status(RunState::Succeeded, 3)
            } else {
                status(RunState::Running, 1)
            };
            (200, json(&s))
        }
        ("DELETE", "/runs/r1") => {
            *cancelled = true;
            (200, json(&status(RunState::Cancelled, 1)))
        }
        ("GET", "/runs/r1/profiles") => {
            let executions = (0..if *cancelled { 1 } else { 3 })
                .map(|i| ExecutionRecord {
                    configuration: 0,
                    rep: i,
                    cold: i == 0,
                    latency_s: 1.0 + f64::from(i),
                    billed_gb_s: 1.0,
                    invocations: 4,
                    ..ExecutionRecord::default()
                })
                .collect();
            (
                200,
                json(&RunProfiles {
                    id: "r1".to_string(),
                    state: if *cancelled {
                        RunState::Cancelled
                    } else {
                        RunState::Succeeded
                    },
                    profiles: profiles(),
                    csv: CSV.to_string(),
                    executions,
                }),
            )
        }
        _ => (404, r#"{"error":"no such route"}"#.to_string()),
    }
}

mod erased {
    pub trait Ser {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap()
        }
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut length = 0usize;
    let mut auth = None;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        match k.to_ascii_lowercase().as_str() {
            "content-length" => length = v.trim().parse().ok()?,
            "authorization" => auth = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        auth,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn serve(mode: Mode) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        let (mut polls, mut cancelled) = (0, false);
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Some(req) = read_request(&mut stream) else {
                continue;
            };
            let (code, body) = answer(mode, &req, &mut polls, &mut cancelled);
            log.lock().unwrap().push(req);
            let _ = write!(
                stream,
                "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Fake { url, seen }
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("faasplan-run-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn base_args(fake: &Fake, dir: &std::path::Path) -> Vec<String> {
    let token = dir.join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let mut args: Vec<String> = [
        "run",
        "--executor",
        &fake.url,
        "--token-file",
        token.to_str().unwrap(),
        "--out",
        dir.join("out.csv").to_str().unwrap(),
        "--repetitions",
        "3",
        "--poll-ms",
        "20",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(ml());
    args
}

#[test]
fn the_plan_runs_with_the_token_and_its_rows_are_written() {
    let fake = serve(Mode::Finish);
    let dir = temp("plan");
    let mut args = base_args(&fake, &dir);
    args.extend(["--latency-bound".to_string(), "60".to_string()]);
    let out = Command::new(env!("CARGO_BIN_EXE_faasplan"))
        .args(&args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.join("out.csv")).unwrap(), CSV);
    let seen = fake.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .all(|s| s.auth.as_deref() == Some("Bearer s3cret"))
    );
    let post = seen.iter().find(|s| s.method == "POST").unwrap();
    let body: serde_json::Value = serde_json::from_str(&post.body).unwrap();
    assert_eq!(body["target"]["kind"], "plan");
    assert_eq!(body["repetitions"], 3);
    // The plan sent is the one `faasplan plan` makes for the same inputs.
    let plan = common::run(&["plan", "--latency-bound", "60", "--quiet"], &ml());
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let sent = body["target"]["stages"].as_array().unwrap();
    let planned = plan["stages"].as_array().unwrap();
    assert_eq!(sent.len(), planned.len());
    for (s, p) in sent.iter().zip(planned) {
        assert_eq!(s["stage"], p["stage"]);
        assert_eq!(s["memory_mb"], p["memory_mb"]);
        assert_eq!(s["d"], p["d"]);
    }
    let err = stderr(&out);
    assert!(
        err.contains("measured (3 executions, 1 cold): P50 2.000 s"),
        "{err}"
    );
    assert!(err.contains("predicted: P50"), "{err}");
    assert!(!err.contains("s3cret"), "the token is never printed");
}

#[test]
fn listed_configurations_are_profiled_and_bad_lines_are_named() {
    let fake = serve(Mode::Finish);
    let dir = temp("configs");
    let list = dir.join("configs.txt");
    std::fs::write(&list, "# two\nstage0=1024x1\nstage0=2048x1\n").unwrap();
    let mut args = base_args(&fake, &dir);
    args.extend([
        "--configurations".to_string(),
        list.to_str().unwrap().to_string(),
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_faasplan"))
        .args(&args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = fake.seen.lock().unwrap().clone();
    let post = seen.iter().find(|s| s.method == "POST").unwrap();
    let body: serde_json::Value = serde_json::from_str(&post.body).unwrap();
    assert_eq!(body["target"]["kind"], "profile");
    assert_eq!(body["target"]["configurations"][1][0]["memory_mb"], 2048);

    std::fs::write(&list, "stage0=1024x1\nstage0=big\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_faasplan"))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("configs.txt") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn a_refused_token_and_a_missing_executor_are_clear_errors() {
    let fake = serve(Mode::Unauthorized);
    let dir = temp("401");
    let mut args = base_args(&fake, &dir);
    args.extend(["--latency-bound".to_string(), "60".to_string()]);
    let out = Command::new(env!("CARGO_BIN_EXE_faasplan"))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 401") && err.contains("--token-file"),
        "{err}"
    );

    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let pos = args.iter().position(|a| a == "--executor").unwrap();
    args[pos + 1] = url;
    let out = Command::new(env!("CARGO_BIN_EXE_faasplan"))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot reach the executor"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ctrl_c_cancels_the_run_and_keeps_what_was_measured() {
    let fake = serve(Mode::UntilCancelled);
    let dir = temp("cancel");
    let mut args = base_args(&fake, &dir);
    args.extend(["--latency-bound".to_string(), "60".to_string()]);
    let child = Command::new(env!("CARGO_BIN_EXE_faasplan"))
        .args(&args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run is being followed, then interrupt as Ctrl-C does.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !fake
        .seen
        .lock()
        .unwrap()
        .iter()
        .any(|s| s.path == "/runs/r1")
    {
        assert!(Instant::now() < deadline, "the CLI never polled");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("cancelled"), "{err}");
    let seen = fake.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|s| s.method == "DELETE" && s.path == "/runs/r1")
    );
    assert_eq!(std::fs::read_to_string(dir.join("out.csv")).unwrap(), CSV);
}
