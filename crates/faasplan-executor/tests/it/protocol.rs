//! docs/executor-openapi.yaml against the real server: every path and method it
//! lists is served, and every answer's body validates against the schema the file
//! gives for that status.

use std::time::Duration;

use serde_json::{Map, Value, json};
use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{Server, example_config, example_workflow, run_body};

fn to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Real(s) => json!(s.parse::<f64>().unwrap()),
        Yaml::Integer(i) => json!(i),
        Yaml::String(s) => json!(s),
        Yaml::Boolean(b) => json!(b),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        other => panic!("unexpected key {other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect::<Map<_, _>>(),
        ),
        Yaml::Null => Value::Null,
        other => panic!("unexpected YAML {other:?}"),
    }
}

fn openapi() -> Value {
    let text = include_str!("../../../../docs/executor-openapi.yaml");
    to_json(&YamlLoader::load_from_str(text).unwrap()[0])
}

/// Checks one answer against the operation `doc.paths[path][method]`.
fn check(doc: &Value, path: &str, method: &str, response: &crate::support::Response) {
    let operation = &doc["paths"][path][method];
    assert!(
        operation.is_object(),
        "{method} {path} is not in the OpenAPI file"
    );
    let status = response.status.to_string();
    let mut documented = operation["responses"][&status].clone();
    assert!(
        !documented.is_null(),
        "{method} {path} answered {status}, which the file does not list: {}",
        response.body
    );
    if let Some(r) = documented["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        documented = doc["components"]["responses"][name].clone();
    }
    let mut schema = documented["content"]["application/json"]["schema"].clone();
    schema["components"] = doc["components"].clone();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let body = response.json();
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:?}\n{body}"
    );
}

#[test]
fn every_documented_path_is_served_and_answers_match_the_schemas() {
    let doc = openapi();
    let server = Server::start("protocol", &[], &[]);
    let mut seen = Vec::new();
    let mut call = |method: &str, path: &str, template: &str, body: Option<&str>| {
        let response = server.request(&method.to_uppercase(), path, &[], body);
        check(&doc, template, method, &response);
        seen.push(format!("{method} {template}"));
        response
    };
    call("get", "/health", "/health", None);
    let workflow = example_workflow();
    let body = run_body(
        &workflow,
        json!({"kind": "plan", "stages": example_config(512, 2)}),
        20_000,
        1,
    );
    let created = call("post", "/runs", "/runs", Some(&body)).json();
    let id = created["id"].as_str().unwrap().to_string();
    let bad = run_body(
        &workflow,
        json!({"kind": "plan", "stages": example_config(0, 2)}),
        20_000,
        1,
    );
    let refused = call("post", "/runs", "/runs", Some(&bad)).json();
    assert_eq!(
        refused["error"],
        "target.stages[0].memory_mb: 0 is not within 1..=10240"
    );
    server.wait(&id, &[], Duration::from_secs(120));
    call("get", &format!("/runs/{id}"), "/runs/{id}", None);
    let profiles = call(
        "get",
        &format!("/runs/{id}/profiles"),
        "/runs/{id}/profiles",
        None,
    )
    .json();
    assert_eq!(
        profiles["profiles"]["stages"].as_array().unwrap().len(),
        4,
        "{profiles}"
    );
    call("delete", &format!("/runs/{id}"), "/runs/{id}", None); // 409: already ended
    call("get", "/runs/nope", "/runs/{id}", None); // 404
    call("delete", "/runs/nope", "/runs/{id}", None);
    call("get", "/runs/nope/profiles", "/runs/{id}/profiles", None);
    let listed: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|m| *m != "parameters")
                .map(move |m| format!("{m} {path}"))
        })
        .collect();
    for operation in &listed {
        assert!(
            seen.contains(operation),
            "{operation} is documented but not exercised"
        );
    }
    let unknown = server.request("GET", "/nothing", &[], None);
    assert_eq!(
        (unknown.status, unknown.json()["error"].as_str()),
        (404, Some("no such endpoint"))
    );
}
