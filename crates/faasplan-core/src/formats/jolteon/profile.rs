//! The Jolteon profile JSON: `profile[stage][step][rep][cfg] = [mean_s, p95_s]`.

mod typed;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{JOLTEON_MB_PER_VCPU, JolteonError, JolteonGrid, at, parse};
use crate::dag::Workflow;
use crate::formats::describe;
use crate::profile::{ProfileRun, Profiles, RunProblem, StageProfile, StepStat};

/// Options of the profile import.
#[derive(Clone, Debug, PartialEq)]
pub struct JolteonProfileOptions {
    /// MB per vCPU of the platform the profiles were measured on
    /// (default [`JOLTEON_MB_PER_VCPU`]).
    pub mb_per_vcpu: f64,
}

impl Default for JolteonProfileOptions {
    fn default() -> Self {
        JolteonProfileOptions {
            mb_per_vcpu: JOLTEON_MB_PER_VCPU,
        }
    }
}

const STEPS: [&str; 4] = ["cold", "read", "compute", "write"];

/// One step's values: `[rep][cfg]`.
type StepTable = Vec<Vec<StepStat>>;

/// Imports a profile file for `workflow`, measured on `grid`. Every stage of
/// the workflow must be present, and only those; every step must have the
/// same number of repetitions (at least one), each with exactly `grid.len()`
/// configurations of two finite numbers.
pub fn import_profiles(
    text: &str,
    workflow: &Workflow,
    grid: &JolteonGrid,
    options: &JolteonProfileOptions,
) -> Result<Profiles, JolteonError> {
    grid.check()?;
    if !(options.mb_per_vcpu.is_finite() && options.mb_per_vcpu > 0.0) {
        return Err(at(
            "mb_per_vcpu",
            format!("{} is not a finite value above 0", options.mb_per_vcpu),
        ));
    }
    let stages = match typed::parse(text) {
        // A well-formed file is read straight into tables (16 bytes a value).
        Some(file) => typed_stages(file, workflow, grid)?,
        // Anything else is read again as a JSON tree, for an error that names its place.
        None => value_stages(text, workflow, grid)?,
    };
    Ok(Profiles {
        mb_per_vcpu: options.mb_per_vcpu,
        stages,
    })
}

/// The stage profiles of a profile file read into typed tables.
fn typed_stages(
    file: typed::File,
    workflow: &Workflow,
    grid: &JolteonGrid,
) -> Result<Vec<StageProfile>, JolteonError> {
    let mut file: BTreeMap<String, typed::Steps> = file.into_iter().collect();
    if let Some(extra) = file.keys().find(|k| workflow.stage_index(k).is_none()) {
        return Err(at(extra.as_str(), "not a stage of the workflow"));
    }
    let mut stages = Vec::with_capacity(workflow.stages.len());
    for stage in &workflow.stages {
        let id = stage.id.as_str();
        let Some(steps) = file.remove(id) else {
            return Err(missing_stage(id));
        };
        let mut steps: BTreeMap<String, StepTable> = steps.into_iter().collect();
        check_step_names(id, steps.keys())?;
        let mut tables = Vec::with_capacity(STEPS.len());
        for step in STEPS {
            let path = format!("{id}.{step}");
            tables.push(match steps.remove(step) {
                Some(table) => Some(check_table(&path, table, grid.0.len())?),
                None if step == "write" => None,
                None => return Err(at(path, "missing")),
            });
        }
        stages.push(stage_runs(id, tables, grid)?);
    }
    Ok(stages)
}

fn missing_stage(id: &str) -> JolteonError {
    at(id, "missing: every stage of the workflow needs a profile")
}

/// The stage profiles of a profile file read as a JSON tree.
fn value_stages(
    text: &str,
    workflow: &Workflow,
    grid: &JolteonGrid,
) -> Result<Vec<StageProfile>, JolteonError> {
    let value = parse("profile", text)?;
    let Value::Object(obj) = &value else {
        return Err(at(
            "profile",
            format!(
                "expected an object keyed by stage, found {}",
                describe(&value)
            ),
        ));
    };
    if let Some(extra) = obj.keys().find(|k| workflow.stage_index(k).is_none()) {
        return Err(at(extra.as_str(), "not a stage of the workflow"));
    }
    let mut stages = Vec::with_capacity(workflow.stages.len());
    for stage in &workflow.stages {
        let id = stage.id.as_str();
        match obj.get(id) {
            Some(Value::Object(steps)) => stages.push(stage_profile(id, steps, grid)?),
            Some(other) => {
                return Err(at(
                    id,
                    format!(
                        "expected an object keyed by step, found {}",
                        describe(other)
                    ),
                ));
            }
            None => return Err(missing_stage(id)),
        }
    }
    Ok(stages)
}

fn check_step_names<'a>(
    id: &str,
    mut names: impl Iterator<Item = &'a String>,
) -> Result<(), JolteonError> {
    match names.find(|k| !STEPS.contains(&k.as_str())) {
        Some(extra) => Err(at(
            format!("{id}.{extra}"),
            "unknown step (expected cold, read, compute or write)",
        )),
        None => Ok(()),
    }
}

fn stage_profile(
    id: &str,
    steps: &Map<String, Value>,
    grid: &JolteonGrid,
) -> Result<StageProfile, JolteonError> {
    check_step_names(id, steps.keys())?;
    let mut tables: Vec<Option<StepTable>> = Vec::with_capacity(STEPS.len());
    for step in STEPS {
        let path = format!("{id}.{step}");
        tables.push(match steps.get(step) {
            Some(v) => Some(check_table(&path, step_table(&path, v)?, grid.0.len())?),
            None if step == "write" => None,
            None => return Err(at(path, "missing")),
        });
    }
    stage_runs(id, tables, grid)
}

/// The runs of a stage from its step tables (in [`STEPS`] order, each checked by [`check_table`]).
fn stage_runs(
    id: &str,
    tables: Vec<Option<StepTable>>,
    grid: &JolteonGrid,
) -> Result<StageProfile, JolteonError> {
    let reps = tables[0].as_ref().map_or(0, Vec::len);
    for (step, table) in STEPS.iter().zip(&tables) {
        let len = table.as_ref().map_or(reps, Vec::len);
        if len != reps {
            return Err(at(
                format!("{id}.{step}"),
                format!("has {len} repetitions, but {id}.cold has {reps}"),
            ));
        }
    }
    let [Some(cold), Some(read), Some(compute), write] = tables.as_slice() else {
        return Err(at(id, "missing a required step"));
    };
    let mut runs = Vec::with_capacity(grid.0.len() * reps);
    for (c, config) in grid.0.iter().enumerate() {
        for r in 0..reps {
            let run = ProfileRun {
                memory_mb: config.memory_mb,
                d: config.d,
                rep: u32::try_from(r).unwrap_or(u32::MAX),
                cold: r == 0,
                start: cold[r][c],
                read: read[r][c],
                compute: compute[r][c],
                write: write.as_ref().map(|w| w[r][c]),
                timestamp: None,
                architecture: None,
            };
            run.check().map_err(|p| run_error(id, r, c, &p))?;
            runs.push(run);
        }
    }
    Ok(StageProfile {
        stage: id.to_string(),
        runs,
    })
}

/// The JSON path of a run value that fails [`ProfileRun::check`].
fn run_error(id: &str, r: usize, c: usize, p: &RunProblem) -> JolteonError {
    match p.field.split_once('.') {
        Some((step, stat)) => {
            let step = if step == "start" { "cold" } else { step };
            let slot = if stat == "mean_s" { 0 } else { 1 };
            at(
                format!("{id}.{step}[{r}][{c}][{slot}]"),
                format!("{stat} {}", p.message),
            )
        }
        None => at(format!("grid[{c}].{}", p.field), p.message.clone()),
    }
}

/// Checks that a step table has at least one repetition, each of `n_configs` configurations.
fn check_table(path: &str, table: StepTable, n_configs: usize) -> Result<StepTable, JolteonError> {
    if table.is_empty() {
        return Err(at(path, "no repetitions"));
    }
    match table.iter().position(|rep| rep.len() != n_configs) {
        Some(r) => Err(at(
            format!("{path}[{r}]"),
            format!(
                "has {} configurations, but the grid has {n_configs}",
                table[r].len()
            ),
        )),
        None => Ok(table),
    }
}

fn step_table(path: &str, value: &Value) -> Result<StepTable, JolteonError> {
    let reps = value.as_array().ok_or_else(|| {
        at(
            path,
            format!("expected a list of repetitions, found {}", describe(value)),
        )
    })?;
    let mut table = Vec::with_capacity(reps.len());
    for (r, rep) in reps.iter().enumerate() {
        let rpath = format!("{path}[{r}]");
        let cfgs = rep.as_array().ok_or_else(|| {
            at(
                &rpath,
                format!("expected a list of configurations, found {}", describe(rep)),
            )
        })?;
        let row = cfgs
            .iter()
            .enumerate()
            .map(|(c, v)| step_stat(&format!("{rpath}[{c}]"), v))
            .collect::<Result<Vec<_>, _>>()?;
        table.push(row);
    }
    Ok(table)
}

fn step_stat(path: &str, value: &Value) -> Result<StepStat, JolteonError> {
    let pair = match value.as_array().map(Vec::as_slice) {
        Some([m, p]) => m.as_f64().zip(p.as_f64()),
        _ => None,
    };
    let Some((mean_s, p95_s)) = pair else {
        return Err(at(
            path,
            format!("expected [mean_s, p95_s], found {}", describe(value)),
        ));
    };
    if !(mean_s.is_finite() && p95_s.is_finite()) {
        return Err(at(path, "values must be finite"));
    }
    Ok(StepStat { mean_s, p95_s })
}
