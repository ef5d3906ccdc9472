//! Data-driven error tests: one `check` helper calls the parsers, one line per case.

use faasplan_core::formats::csv::{COLUMNS, read_profiles_csv};
use faasplan_core::formats::jolteon::{self, JolteonGrid, JolteonProfileOptions};
use faasplan_core::formats::project::Project;
use faasplan_core::plan;
use faasplan_core::platform::Platform;
use faasplan_core::settings::PlanSettings;
use serde_json::Value;

use super::{ML_PROFILE, ML_WORKFLOW, bundled};

/// Which parser a case goes through.
#[derive(Clone, Copy)]
enum P {
    /// Jolteon workflow file, with the ML profile and the bundled grid.
    Workflow,
    /// Jolteon profile file, for the ML workflow.
    Profile,
    /// Grid side file.
    Grid,
    /// Profile CSV.
    Csv,
    /// Project JSON.
    Project,
    /// Plan JSON.
    Plan,
}

/// Runs `input` through parser `p` and checks that it fails with a message containing `expected`.
fn check(p: P, input: &str, expected: &str) {
    let opts = JolteonProfileOptions::default();
    let err = match p {
        P::Workflow => jolteon::import(input, ML_PROFILE, None, &opts)
            .err()
            .map(|e| e.to_string()),
        P::Profile => {
            let grid = JolteonGrid::bundled("ML-Pipeline").unwrap();
            let wf = jolteon::import_workflow(ML_WORKFLOW, &grid).unwrap();
            jolteon::import_profiles(input, &wf, &grid, &opts)
                .err()
                .map(|e| e.to_string())
        }
        P::Grid => JolteonGrid::from_json(input).err().map(|e| e.to_string()),
        P::Csv => read_profiles_csv(input, 1792.0)
            .err()
            .map(|e| e.to_string()),
        P::Project => Project::from_json(input).err().map(|e| e.to_string()),
        P::Plan => plan::from_json(input).err().map(|e| e.to_string()),
    };
    let Some(msg) = err else {
        panic!("expected an error containing {expected:?}, got Ok")
    };
    assert!(
        msg.contains(expected),
        "{msg:?}\n  does not contain {expected:?}"
    );
}

/// `base` with the first `from` replaced by `to` (which must occur).
fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "{from:?} not in base");
    base.replacen(from, to, 1)
}

/// `base` JSON with the value at `pointer` replaced by `value` (JSON), or removed when `None`.
fn set(base: &str, pointer: &str, value: Option<&str>) -> String {
    let mut root: Value = serde_json::from_str(base).unwrap();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = root.pointer_mut(parent).unwrap();
    match (parent, value) {
        (Value::Object(m), Some(v)) => drop(m.insert(key.into(), serde_json::from_str(v).unwrap())),
        (Value::Object(m), None) => drop(m.remove(key)),
        (Value::Array(a), Some(v)) => {
            a[key.parse::<usize>().unwrap()] = serde_json::from_str(v).unwrap()
        }
        (Value::Array(a), None) => drop(a.remove(key.parse::<usize>().unwrap())),
        _ => panic!("bad pointer {pointer}"),
    }
    root.to_string()
}

fn project() -> String {
    let (workflow, profiles) = bundled(ML_WORKFLOW, ML_PROFILE);
    let p = Project {
        workflow,
        profiles,
        platform: Platform::default(),
        settings: PlanSettings::default(),
    };
    p.to_json()
}

fn csv(rows: &[&str]) -> String {
    // The 13 columns every row below fills (no `timestamp`).
    let mut s = COLUMNS[..13].join(",");
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s
}

const ROW: &str = "stage0,1024,8,0,true,1.5,1.5,0.1,0.2,3,4,0.5,0.6";

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn jolteon_workflow_errors_name_the_stage_key_and_field() {
    let w = ML_WORKFLOW;
    check(
        P::Workflow,
        "{",
        "workflow: EOF while parsing an object at line 1 column 1",
    );
    check(P::Workflow, "[]", "workflow: expected an object, found []");
    check(
        P::Workflow,
        &edit(w, "\"workflow_name\": \"ML-Pipeline\",", ""),
        "workflow_name: missing",
    );
    check(
        P::Workflow,
        &edit(w, "ML-Pipeline", "Other"),
        "workflow_name: no bundled grid for \"Other\"",
    );
    check(
        P::Workflow,
        &edit(w, "\"num_stages\": 4", "\"num_stages\": 5"),
        "\"4\": missing (num_stages is 5)",
    );
    check(
        P::Workflow,
        &edit(w, "\"num_stages\": 4", "\"num_stages\": 3"),
        "\"3\": stage key beyond num_stages 3",
    );
    check(
        P::Workflow,
        &edit(w, "\"num_stages\": 4", "\"num_stages\": \"4\""),
        "num_stages: expected an integer, found \"4\"",
    );
    check(
        P::Workflow,
        &edit(w, "\"false\"", "\"no\""),
        "\"0\".allow_parallel: expected \"true\" or \"false\", found \"no\"",
    );
    check(
        P::Workflow,
        &edit(w, "[1, 2, 3]", "[1, 2]"),
        "\"3\".parents: lists 0, but \"0\".children does not list 3",
    );
    check(
        P::Workflow,
        &edit(w, "[1, 2, 3]", "[1, 2, 3, 9]"),
        "\"0\".children[3]: expected a stage key in 0..4, found 9",
    );
    check(
        P::Workflow,
        &edit(w, "[1, 2, 3]", "[1, 2, 3, 3]"),
        "\"0\".children[3]: 3 listed twice",
    );
    check(
        P::Workflow,
        &edit(w, "\"parents\": [0, 1]", "\"parents\": [0]"),
        "\"1\".children: lists 2, but \"2\".parents does not list 1",
    );
    check(
        P::Workflow,
        &edit(w, "\"parents\": [0, 1]", "\"parents\": {}"),
        "\"2\".parents: expected a list of stage keys, found {}",
    );
    check(
        P::Workflow,
        &edit(w, "\"stage1\"", "\"stage0\""),
        "workflow: stage \"stage0\": duplicate id",
    );
    check(
        P::Workflow,
        &edit(w, "\"stage1\"", "1"),
        "\"1\".stage_name: expected a non-empty string, found 1",
    );
    check(
        P::Workflow,
        &edit(w, "\"stage1\"", "\"\""),
        "\"1\".stage_name: expected a non-empty string, found \"\"",
    );
    let cyclic = edit(
        &edit(w, "\"children\": [],", "\"children\": [1],"),
        "\"parents\": [0],",
        "\"parents\": [0, 3],",
    );
    check(
        P::Workflow,
        &cyclic,
        "workflow: cycle: \"stage1\" -> \"stage2\" -> \"stage3\" -> \"stage1\"",
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn jolteon_profile_errors_name_the_json_path() {
    let p = ML_PROFILE;
    check(
        P::Profile,
        &p[..100],
        "profile: EOF while parsing a list at line 1 column 100",
    );
    check(
        P::Profile,
        "[1]",
        "profile: expected an object keyed by stage, found [1]",
    );
    check(
        P::Profile,
        &set(p, "/stage1/compute/1/3", Some("\"x\"")),
        "stage1.compute[1][3]: expected [mean_s, p95_s], found \"x\"",
    );
    check(
        P::Profile,
        &set(p, "/stage1/compute/1/3", Some("[1.0]")),
        "stage1.compute[1][3]: expected [mean_s, p95_s], found [1.0]",
    );
    check(
        P::Profile,
        &set(p, "/stage1/compute/1/3", Some("[1.0, null]")),
        "stage1.compute[1][3]: expected [mean_s, p95_s], found [1.0,null]",
    );
    check(
        P::Profile,
        &set(p, "/stage2/read/2", Some("[]")),
        "stage2.read[2]: has 0 configurations, but the grid has 23",
    );
    check(
        P::Profile,
        &set(p, "/stage2/read/2", Some("7")),
        "stage2.read[2]: expected a list of configurations, found 7",
    );
    check(
        P::Profile,
        &set(p, "/stage2/read", Some("[]")),
        "stage2.read: no repetitions",
    );
    check(
        P::Profile,
        &set(p, "/stage1/write/2", None),
        "stage1.write: has 2 repetitions, but stage1.cold has 3",
    );
    check(
        P::Profile,
        &set(p, "/stage3", None),
        "stage3: missing: every stage of the workflow needs a profile",
    );
    check(
        P::Profile,
        &set(p, "/stage3", Some("[]")),
        "stage3: expected an object keyed by step, found []",
    );
    check(
        P::Profile,
        &set(p, "/stage9", Some("{}")),
        "stage9: not a stage of the workflow",
    );
    check(
        P::Profile,
        &set(p, "/stage0/cold", None),
        "stage0.cold: missing",
    );
    check(
        P::Profile,
        &set(p, "/stage0/warm", Some("[]")),
        "stage0.warm: unknown step",
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn grid_side_file_errors_name_the_entry() {
    check(P::Grid, "[]", "grid: empty");
    check(
        P::Grid,
        "{\"a\": 1}",
        "grid: expected [[memory_mb, d], ...], found {\"a\":1}",
    );
    check(
        P::Grid,
        "[[1024, 8], [1024]]",
        "grid[1]: expected [memory_mb, d], found [1024]",
    );
    check(
        P::Grid,
        "[[1024, 8], [0, 4]]",
        "grid[1][0]: expected a positive integer, found 0",
    );
    check(
        P::Grid,
        "[[1024, 8.5]]",
        "grid[0][1]: expected a positive integer, found 8.5",
    );
    check(
        P::Grid,
        "[[1024, 8]",
        "grid: EOF while parsing a list at line 1 column 10",
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn csv_errors_name_the_line_and_column() {
    check(P::Csv, "", "line 1: missing header line");
    check(
        P::Csv,
        "# only a comment\n\n",
        "line 1: missing header line",
    );
    check(
        P::Csv,
        &csv(&["stage0,1024,8,0,true,abc,1.5,0.1,0.2,3,4,0.5,0.6"]),
        "line 2, column start_mean_s: \"abc\" is not a number",
    );
    check(
        P::Csv,
        &format!("# c\r\n\r\n{}", csv(&[ROW, "", "s,1,1,0,1,1,1,1,1,1,x,,"])),
        "line 6, column compute_p95_s: \"x\" is not a number",
    );
    check(
        P::Csv,
        &csv(&["stage0,1024,8,0,true,inf,1.5,0.1,0.2,3,4,0.5,0.6"]),
        "line 2, column start_mean_s: \"inf\" is not a finite number",
    );
    check(
        P::Csv,
        &csv(&["stage0,0,8,0,true,1,1.5,0.1,0.2,3,4,0.5,0.6"]),
        "line 2, column memory_mb: \"0\" is not an integer of at least 1",
    );
    check(
        P::Csv,
        &csv(&["stage0,1024,-8,0,true,1,1.5,0.1,0.2,3,4,0.5,0.6"]),
        "line 2, column d: \"-8\" is not an integer of at least 1",
    );
    check(
        P::Csv,
        &csv(&["stage0,1024,8,0,maybe,1,1.5,0.1,0.2,3,4,0.5,0.6"]),
        "line 2, column cold: \"maybe\" is not true or false",
    );
    check(
        P::Csv,
        &csv(&[",1024,8,0,true,1,1.5,0.1,0.2,3,4,0.5,0.6"]),
        "line 2, column stage: empty stage id",
    );
    check(
        P::Csv,
        &csv(&["stage0,1024,8,0,true,1,1.5,0.1,0.2,3,4,,0.6"]),
        "line 2, column write_mean_s: empty, but write_p95_s is set",
    );
    check(
        P::Csv,
        &csv(&[ROW, "stage0,1024,8,0,true,1,1.5,0.1,0.2,3,4,0.5"]),
        "line 3: expected 13 fields, found 12",
    );
    check(
        P::Csv,
        &csv(&["\"stage,0,1024,8,0,true,1,1.5,0.1,0.2,3,4,0.5,0.6"]),
        "line 2: field 1: unterminated quote",
    );
    check(
        P::Csv,
        &csv(&["\"st\"x,1024,8,0,true,1,1.5,0.1,0.2,3,4,0.5,0.6"]),
        "line 2: field 1: unexpected 'x' after a closing quote",
    );
    check(
        P::Csv,
        &csv(&["st\"x,1024,8,0,true,1,1.5,0.1,0.2,3,4,0.5,0.6"]),
        "line 2: field 1: quote inside an unquoted field",
    );
    check(
        P::Csv,
        "stage,memory_mb,d,rep,cold,start_mean_s",
        "line 1: missing column start_p95_s",
    );
    check(
        P::Csv,
        &format!("{},extra", COLUMNS.join(",")),
        "line 1: unknown column \"extra\"",
    );
    check(
        P::Csv,
        &format!("{},d", COLUMNS.join(",")),
        "line 1: column d appears twice",
    );
    check(
        P::Csv,
        &COLUMNS[..12].join(","),
        "line 1: write_mean_s and write_p95_s must both be present or both absent",
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn project_errors_name_the_field() {
    let p = project();
    check(
        P::Project,
        "",
        "project json: EOF while parsing a value at line 1 column 0",
    );
    check(
        P::Project,
        "{}",
        "format: expected \"faasplan-project\", found nothing",
    );
    check(
        P::Project,
        &set(&p, "/format", Some("\"other\"")),
        "format: expected \"faasplan-project\", found \"other\" (not a faasplan project file)",
    );
    check(
        P::Project,
        &set(&p, "/version", Some("2")),
        "version: 2 is not supported (this faasplan reads project version 1)",
    );
    check(
        P::Project,
        &set(&p, "/workflow", None),
        "project json: missing field `workflow` at line 1",
    );
    check(
        P::Project,
        &set(&p, "/settings/percentile", Some("1.5")),
        "settings.percentile: 1.5 is not in (0, 1)",
    );
    check(
        P::Project,
        &set(&p, "/settings/delta", Some("0")),
        "settings.delta: 0 is not in (0, 1)",
    );
    check(
        P::Project,
        &set(&p, "/settings/alpha", Some("0.06")),
        "settings.alpha: 0.06 is not in [0, 1 - percentile]",
    );
    check(
        P::Project,
        &set(&p, "/settings/bound/max_s", Some("-1")),
        "settings.bound.max_s: -1 is not a finite value above 0",
    );
    check(
        P::Project,
        &set(
            &p,
            "/settings/samples",
            Some("{\"type\": \"fixed\", \"n\": 0}"),
        ),
        "settings.samples: a fixed sample count must be at least 1",
    );
    check(
        P::Project,
        &set(&p, "/platform/mb_per_vcpu", Some("0")),
        "platform.mb_per_vcpu: 0 is not a finite value above 0",
    );
    check(
        P::Project,
        &set(&p, "/platform/price_per_gb_s", Some("-0.1")),
        "platform.price_per_gb_s: -0.1 is not a finite price",
    );
    check(
        P::Project,
        &set(&p, "/platform/min_memory_mb", Some("20000")),
        "platform.min_memory_mb: 20000 must be at least 1 and at most max_memory_mb 10240",
    );
    check(
        P::Project,
        &set(&p, "/platform/timeout_s", Some("0")),
        "platform.timeout_s: 0 is not a finite value above 0",
    );
    check(
        P::Project,
        &set(&p, "/platform/concurrency_limit", Some("0")),
        "platform.concurrency_limit: must be at least 1",
    );
    check(
        P::Project,
        &set(&p, "/workflow/edges/0/to", Some("\"nope\"")),
        "workflow: edge \"stage0\" -> \"nope\": no stage \"nope\"",
    );
    check(
        P::Project,
        &set(&p, "/profiles/stages/0/stage", Some("\"zzz\"")),
        "profiles.stages[0].stage: \"zzz\" is not a stage of the workflow",
    );
    check(
        P::Project,
        &set(&p, "/profiles/stages/1/stage", Some("\"stage0\"")),
        "profiles.stages[1].stage: \"stage0\" is profiled twice",
    );
    check(
        P::Plan,
        &p,
        "format: expected \"faasplan-plan\", found \"faasplan-project\"",
    );
    check(
        P::Plan,
        "{\"format\": \"faasplan-plan\", \"version\": 7}",
        "version: 7 is not supported",
    );
    check(
        P::Plan,
        "{\"format\": \"faasplan-plan\", \"version\": 1}",
        "plan json: missing field `workflow`",
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn presets_and_default_settings_validate() {
    for preset in faasplan_core::platform::Preset::ALL {
        assert_eq!(preset.platform().validate(), Ok(()), "{preset:?}");
    }
    assert_eq!(PlanSettings::default().validate(), Ok(()));
}
