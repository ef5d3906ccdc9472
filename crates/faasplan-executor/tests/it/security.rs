//! The operator's security settings: CORS only for listed origins, the bearer
//! token, the body and rate limits, and no token in any answer or log line.

use std::time::Duration;

use serde_json::json;

use crate::support::{Server, example_config, example_workflow, run_body, temp_dir};

const ALLOWED: &str = "http://localhost:8080";

#[test]
fn cors_answers_only_listed_origins() {
    let server = Server::start("cors", &["--allow-origin", ALLOWED], &[]);
    let preflight = |origin: &str| {
        server.request(
            "OPTIONS",
            "/runs",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "authorization,content-type",
                ),
            ],
            None,
        )
    };
    let ok = preflight(ALLOWED);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some(ALLOWED),
        "{}",
        ok.text()
    );
    let evil = preflight("http://evil.example");
    assert_eq!(
        evil.header("access-control-allow-origin"),
        None,
        "{}",
        evil.text()
    );
    let get = server.request("GET", "/health", &[("Origin", "http://evil.example")], None);
    assert_eq!(get.header("access-control-allow-origin"), None);
    let get = server.request("GET", "/health", &[("Origin", ALLOWED)], None);
    assert_eq!(get.header("access-control-allow-origin"), Some(ALLOWED));
    let none = Server::start("cors-none", &[], &[]);
    let answer = none.request("GET", "/health", &[("Origin", ALLOWED)], None);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        None,
        "no origin is allowed unless listed"
    );
}

fn check_token(server: &Server, token: &str) {
    let bearer = format!("Bearer {token}");
    let auth = [("Authorization", bearer.as_str())];
    let mut answers = Vec::new();
    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong")],
        vec![("Authorization", token)],
    ] {
        let r = server.request("GET", "/health", &headers, None);
        assert_eq!(r.status, 401, "{}", r.text());
        assert_eq!(r.json()["error"], "missing or wrong bearer token");
        answers.push(r.text());
    }
    let health = server.request("GET", "/health", &auth, None);
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["auth_required"], true);
    let body = run_body(
        &example_workflow(),
        json!({"kind": "plan", "stages": example_config(512, 1)}),
        10_000,
        1,
    );
    let unauthorised = server.request("POST", "/runs", &[], Some(&body));
    assert_eq!(unauthorised.status, 401);
    let created = server.request("POST", "/runs", &auth, Some(&body));
    assert_eq!(created.status, 202, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    let status = server.wait(&id, &auth, Duration::from_secs(120));
    assert_eq!(status["state"], "succeeded", "{status}");
    let profiles = server.request("GET", &format!("/runs/{id}/profiles"), &auth, None);
    answers.extend([
        health.text(),
        created.text(),
        profiles.text(),
        unauthorised.text(),
    ]);
    for answer in answers {
        assert!(
            !answer.contains(token),
            "the token leaked into an answer: {answer}"
        );
    }
    let log = server.log();
    assert!(
        log.contains("GET /health -> 401") && log.contains("POST /runs -> 202"),
        "{log}"
    );
    assert!(!log.contains(token), "the token leaked into the log: {log}");
}

#[test]
fn token_from_env_is_required_and_never_shown() {
    let token = "env-token-0123456789abcdef";
    let server = Server::start("token-env", &[], &[("FAASPLAN_EXECUTOR_TOKEN", token)]);
    check_token(&server, token);
}

#[test]
fn token_from_file_is_required_and_never_shown() {
    let token = "file-token-fedcba9876543210";
    let file = temp_dir("token-file").join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let server = Server::start(
        "token-file-server",
        &["--token-file", file.to_str().unwrap()],
        &[],
    );
    check_token(&server, token);
}

#[test]
fn oversized_request_gets_413() {
    let server = Server::start("limit", &["--max-body-bytes", "4096"], &[]);
    let padding = "x".repeat(8000);
    let body = format!("{{\"padding\": \"{padding}\"}}");
    let answer = server.request("POST", "/runs", &[], Some(&body));
    assert_eq!(answer.status, 413, "{}", answer.text());
    assert_eq!(answer.json()["error"], "request body over 4096 bytes");
    let small = server.request("POST", "/runs", &[], Some("{}"));
    assert_eq!(
        small.status,
        400,
        "a small bad body is a 400, not a 413: {}",
        small.text()
    );
}

#[test]
fn too_many_requests_get_429() {
    let server = Server::start("rate", &["--requests-per-minute", "5"], &[]);
    let statuses: Vec<u16> = (0..7)
        .map(|_| server.request("GET", "/health", &[], None).status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    let refused = server.request("GET", "/health", &[], None);
    assert_eq!(refused.header("retry-after"), Some("60"));
}

#[test]
fn binds_loopback_by_default() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faasplan-executor"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("[default: 127.0.0.1:8787]"), "{help}");
}
