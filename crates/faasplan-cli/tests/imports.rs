//! `faasplan import` and `faasplan export` on real state machines and Power Tuning histories.

use std::path::PathBuf;
use std::process::{Command, Output};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../faasplan-core/tests/data/imports"
);

fn data(path: &str) -> String {
    format!("{DATA}/{path}")
}

fn run(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faasplan"))
        .args(args)
        .output()
        .expect("the faasplan binary runs")
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("faasplan-imports-{}-{name}", std::process::id()))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn import_plan_export_and_reimport() {
    let sm = data("asl/parrotfish__ImageProcessing__state_machine.json");
    let mut args = strings(&["import", "--quiet", &sm]);
    for f in ["Filter", "Flip", "GetInput", "Resize", "Rotate"] {
        args.push(data(&format!(
            "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessing{f}__README.md"
        )));
    }
    args.push(data("powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_2__ImageProcessingGrayscale__README.md"));
    let o = run(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let project = temp("project.json");
    std::fs::write(&project, &o.stdout).expect("writes");
    let o = run(&strings(&[
        "plan",
        "--quiet",
        "--project",
        &project.display().to_string(),
        "--latency-bound",
        "30",
    ]));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let plan = temp("plan.json");
    std::fs::write(&plan, &o.stdout).expect("writes");
    let out = temp("deploy");
    let o = run(&strings(&[
        "export",
        "--state-machine",
        &sm,
        "--plan",
        &plan.display().to_string(),
        "--out-dir",
        &out.display().to_string(),
    ]));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let script = std::fs::read_to_string(out.join("update-memory.sh")).expect("script");
    assert_eq!(
        script
            .matches("aws lambda update-function-configuration")
            .count(),
        6
    );
    for name in [
        "parameters.txt",
        "parameters.json",
        "memory.auto.tfvars",
        "statemachine.asl.json",
    ] {
        assert!(out.join(name).exists(), "{name}");
    }
    // The exported state machine imports again with the same stages and edges.
    let o = run(&strings(&[
        "import",
        "--quiet",
        &out.join("statemachine.asl.json").display().to_string(),
    ]));
    assert_eq!(o.status.code(), Some(0));
    let again: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&project).expect("reads")).expect("json");
    assert_eq!(again["workflow"]["edges"], first["workflow"]["edges"]);
    assert_eq!(again["workflow"]["shared"], first["workflow"]["shared"]);
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_file(&project);
    let _ = std::fs::remove_file(&plan);
}

#[test]
fn import_names_a_file_of_another_kind_and_exits_1() {
    let o = run(&strings(&[
        "import",
        &data("asl/parrotfish__ImageProcessing__state_machine.json"),
        &data("powertuning/powertuning__scripts__sample-execution-input.json"),
    ]));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("sample-execution-input.json: not a"), "{err}");
    assert!(
        err.contains("it looks like a Power Tuning execution input"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "nothing is written when a batch fails");
}

#[test]
fn choice_probabilities_from_import_and_plan_flags() {
    let sm = data("asl/sfn-workflows-collection__eventbridge-replay-events__statemachine.asl.json");
    let o = run(&strings(&[
        "import",
        "--quiet",
        &sm,
        "--choice",
        "Is event in the future?=0.2,0.8",
    ]));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let project: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let choice = &project["workflow"]["choices"][0];
    assert_eq!(choice["mode"], "probabilities");
    assert_eq!(choice["alternatives"][0]["label"], "Wait");
    assert_eq!(choice["alternatives"][0]["stages"][0], "Simulate Event");
    assert_eq!(choice["alternatives"][0]["probability"], 0.2);
    assert_eq!(choice["alternatives"][1]["probability"], 0.8);
    // A wrong name or count is refused, naming the flag and what exists.
    let o = run(&strings(&["import", &sm, "--choice", "Nope=1,2"]));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "--choice Nope=1,2: no Choice named \"Nope\" (Choices: Is event in the future?)"
        ),
        "{err}"
    );
    let path = temp("choice-project.json");
    std::fs::write(&path, serde_json::to_string_pretty(&project).expect("json")).expect("writes");
    let o = run(&strings(&[
        "validate",
        "--project",
        &path.display().to_string(),
        "--choice",
        "Is event in the future?=1",
    ]));
    let _ = std::fs::remove_file(&path);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("1 probabilities for 2 alternatives (Wait, Pass)"),
        "{err}"
    );
}

/// `--service-latency` and `--service-cost`, for every service stage or one,
/// land in the profiles and `platform.pricing.services`; the project fits and
/// plans; a name that is no service stage exits 1 naming the file.
#[test]
fn service_latency_and_cost_flags() {
    let sm = temp("service.asl.json");
    std::fs::write(
        &sm,
        r#"{"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:work", "Next": "Save"},
            "Save": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "Next": "Tell"},
            "Tell": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": true}}}"#,
    )
    .expect("writes");
    let sm = sm.display().to_string();
    let tuning = data(
        "powertuning/unfaasener__powerTuning__ImageProcessingBenchmark__sample_1__ImageProcessingFilter__README.md",
    );
    let name = tuning.rsplit('/').next().expect("name").to_string();
    let o = run(&strings(&[
        "import",
        "--quiet",
        &sm,
        &tuning,
        "--map",
        &format!("{name}=Work"),
        "--service-latency",
        "0.2",
        "--service-latency",
        "Tell=0.03",
        "--service-cost",
        "Save=0.00000125",
    ]));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(
        json["platform"]["pricing"]["services"],
        serde_json::json!([
            {"stage": "Save", "usd_per_run": 1.25e-6},
            {"stage": "Tell", "usd_per_run": 0.0}
        ])
    );
    let latency = |stage: &str| {
        json["profiles"]["stages"]
            .as_array()
            .expect("stages")
            .iter()
            .find(|s| s["stage"] == stage)
            .expect("stage")["runs"][0]["compute"]["mean_s"]
            .as_f64()
    };
    assert_eq!((latency("Save"), latency("Tell")), (Some(0.2), Some(0.03)));
    let project = temp("service.json");
    std::fs::write(&project, &o.stdout).expect("writes");
    let project = project.display().to_string();
    for cmd in ["fit", "plan"] {
        let o = run(&strings(&[cmd, "--project", &project]));
        assert_eq!(
            o.status.code(),
            Some(0),
            "{cmd}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = run(&strings(&[
        "import",
        "--quiet",
        &sm,
        "--service-cost",
        "Work=1",
    ]));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&sm) && err.contains("service stages: Save, Tell"),
        "{err}"
    );
}
