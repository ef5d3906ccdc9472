//! The Jolteon workflow JSON: stages keyed `"0"` .. `"n-1"`, edges from `children`.

use serde_json::{Map, Value};

use super::{JolteonError, JolteonGrid, at, parse};
use crate::dag::{Edge, Stage, StageKind, Workflow};
use crate::formats::describe;

/// The `workflow_name` of a Jolteon workflow file.
pub fn workflow_name(text: &str) -> Result<String, JolteonError> {
    let value = parse("workflow", text)?;
    name_of(&value)
}

fn name_of(value: &Value) -> Result<String, JolteonError> {
    let Some(obj) = value.as_object() else {
        return Err(at(
            "workflow",
            format!("expected an object, found {}", describe(value)),
        ));
    };
    match obj.get("workflow_name") {
        Some(Value::String(name)) => Ok(name.clone()),
        Some(other) => Err(at(
            "workflow_name",
            format!("expected a string, found {}", describe(other)),
        )),
        None => Err(at("workflow_name", "missing")),
    }
}

/// Imports a workflow file with the given profiling grid (see the module docs).
/// The result is a valid DAG.
pub fn import_workflow(text: &str, grid: &JolteonGrid) -> Result<Workflow, JolteonError> {
    grid.check()?;
    let value = parse("workflow", text)?;
    let name = name_of(&value)?;
    let obj = value
        .as_object()
        .ok_or_else(|| at("workflow", "expected an object"))?;
    let n = match obj.get("num_stages") {
        Some(v) => v.as_u64().ok_or_else(|| {
            at(
                "num_stages",
                format!("expected an integer, found {}", describe(v)),
            )
        })?,
        None => return Err(at("num_stages", "missing")),
    };
    for key in obj.keys() {
        if key.parse::<u64>().is_ok_and(|k| k >= n) {
            return Err(at(
                format!("{key:?}"),
                format!("stage key beyond num_stages {n}"),
            ));
        }
    }
    let mut raw = Vec::new();
    for i in 0..n {
        let key = i.to_string();
        match obj.get(&key) {
            Some(Value::Object(stage)) => raw.push(raw_stage(&key, stage, n)?),
            Some(other) => {
                return Err(at(
                    format!("{key:?}"),
                    format!("expected a stage object, found {}", describe(other)),
                ));
            }
            None => {
                return Err(at(
                    format!("{key:?}"),
                    format!("missing (num_stages is {n})"),
                ));
            }
        }
    }
    check_links(&raw)?;
    let stages = raw.iter().map(|r| stage(r, grid)).collect();
    let edges = raw
        .iter()
        .flat_map(|r| {
            r.children.iter().map(|&c| Edge {
                from: r.name.clone(),
                to: raw[c].name.clone(),
            })
        })
        .collect();
    let workflow = Workflow {
        name,
        stages,
        edges,
        choices: Vec::new(),
        loops: Vec::new(),
        shared: Vec::new(),
    };
    workflow.validate()?;
    Ok(workflow)
}

/// A stage as written in the workflow file.
struct RawStage {
    key: String,
    name: String,
    kind: StageKind,
    parents: Vec<usize>,
    children: Vec<usize>,
}

fn raw_stage(key: &str, obj: &Map<String, Value>, n: u64) -> Result<RawStage, JolteonError> {
    let path = |field: &str| format!("{key:?}.{field}");
    let name = match obj.get("stage_name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(other) => {
            return Err(at(
                path("stage_name"),
                format!("expected a non-empty string, found {}", describe(other)),
            ));
        }
        None => return Err(at(path("stage_name"), "missing")),
    };
    let kind = match obj.get("allow_parallel") {
        None => StageKind::Parallel,
        Some(Value::String(s)) if s == "false" => StageKind::Single,
        Some(Value::String(s)) if s == "true" => StageKind::Parallel,
        Some(Value::Bool(b)) => {
            if *b {
                StageKind::Parallel
            } else {
                StageKind::Single
            }
        }
        Some(other) => {
            return Err(at(
                path("allow_parallel"),
                format!("expected \"true\" or \"false\", found {}", describe(other)),
            ));
        }
    };
    let links = |field: &str| -> Result<Vec<usize>, JolteonError> {
        let Some(value) = obj.get(field) else {
            return Ok(Vec::new());
        };
        let items = value.as_array().ok_or_else(|| {
            at(
                path(field),
                format!("expected a list of stage keys, found {}", describe(value)),
            )
        })?;
        let mut out = Vec::with_capacity(items.len());
        for (j, item) in items.iter().enumerate() {
            let k = item.as_u64().filter(|&k| k < n).ok_or_else(|| {
                at(
                    format!("{}[{j}]", path(field)),
                    format!("expected a stage key in 0..{n}, found {}", describe(item)),
                )
            })?;
            let k = usize::try_from(k)
                .map_err(|_| at(format!("{}[{j}]", path(field)), "stage key too large"))?;
            if out.contains(&k) {
                return Err(at(
                    format!("{}[{j}]", path(field)),
                    format!("{k} listed twice"),
                ));
            }
            out.push(k);
        }
        Ok(out)
    };
    Ok(RawStage {
        key: key.to_string(),
        name,
        kind,
        parents: links("parents")?,
        children: links("children")?,
    })
}

/// `parents` and `children` must describe the same edges.
fn check_links(raw: &[RawStage]) -> Result<(), JolteonError> {
    for (i, r) in raw.iter().enumerate() {
        for &c in &r.children {
            if !raw[c].parents.contains(&i) {
                return Err(at(
                    format!("{:?}.children", r.key),
                    format!("lists {c}, but \"{c}\".parents does not list {i}"),
                ));
            }
        }
        for &p in &r.parents {
            if !raw[p].children.contains(&i) {
                return Err(at(
                    format!("{:?}.parents", r.key),
                    format!("lists {p}, but \"{p}\".children does not list {i}"),
                ));
            }
        }
    }
    Ok(())
}

fn stage(raw: &RawStage, grid: &JolteonGrid) -> Stage {
    let allowed_d = match raw.kind {
        StageKind::Parallel => grid.d_values(),
        StageKind::Single => vec![1],
    };
    Stage {
        id: raw.name.clone(),
        kind: raw.kind,
        allowed_d,
        memory: grid.memory_grid(),
        fixed: None,
        position: None,
    }
}
