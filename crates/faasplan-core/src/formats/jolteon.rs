//! Import of the Jolteon (NSDI'24) workflow and profile JSON.
//!
//! **Workflow JSON**: `workflow_name`, `num_stages`, and one object per stage
//! keyed `"0"` .. `"n-1"` with `stage_name` (the stage id and the key into the
//! profile), `parents` and `children` (stage keys as integers; both directions
//! must agree), and `allow_parallel` (`"false"` → [`StageKind::Single`](crate::dag::StageKind::Single);
//! absent or `"true"` → [`StageKind::Parallel`](crate::dag::StageKind::Parallel)). Other fields
//! (`critical_path`, `input_files`, ..) are ignored. Edges come from
//! `children`.
//!
//! **Profile JSON**: `profile[stage_name][step][rep][cfg] = [mean_s, p95_s]`
//! with steps `cold`, `read`, `compute` and the optional `write`; repetition 0
//! started cold; `cfg` indexes the profiling grid, which the file does not
//! contain. `cold` becomes [`ProfileRun::start`](crate::profile::ProfileRun).
//! Runs are listed configuration by configuration, repetitions in order.
//!
//! **Grid**: a [`JolteonGrid`], given by the user (side file: JSON
//! `[[memory_mb, d], ...]`) or [`JolteonGrid::bundled`] for the two published
//! workflows ([`resolve_grid`] picks between them). The imported workflow's
//! stages get the profiled memory range (grid minimum to maximum in 128 MB
//! steps) with every profiled size the steps miss listed besides them
//! ([`MemoryGrid::listed_mb`](crate::dag::MemoryGrid)), so each profiled size can be planned, and the
//! profiled d values.
//! The Jolteon profiles were measured with 1,792 MB per vCPU
//! ([`JOLTEON_MB_PER_VCPU`]).

mod profile;
mod workflow;

use std::collections::BTreeSet;

use serde_json::Value;
use thiserror::Error;

use super::describe;
use crate::dag::{Config, MemoryGrid, Workflow, WorkflowError};
use crate::profile::Profiles;

pub use profile::{JolteonProfileOptions, import_profiles};
pub use workflow::{import_workflow, workflow_name};

/// MB per vCPU of the platform the published Jolteon profiles were measured on.
pub const JOLTEON_MB_PER_VCPU: f64 = 1792.0;

/// Step of the imported memory grid, MB.
pub const IMPORT_MEMORY_STEP_MB: u32 = 128;

/// Why a Jolteon file could not be imported.
#[derive(Debug, Error)]
pub enum JolteonError {
    /// The text is not JSON.
    #[error("{file}: {source}")]
    Json {
        /// Which file: `workflow`, `profile` or `grid`.
        file: &'static str,
        /// The parser's error (names line and column).
        source: serde_json::Error,
    },
    /// A value is missing or has the wrong shape.
    #[error("{path}: {message}")]
    At {
        /// JSON path of the value, e.g. `stage1.compute[1][3]`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The workflow's name has no bundled grid.
    #[error(
        "workflow_name: no bundled grid for {0:?} (known: ML-Pipeline, Video-Analytics); give the grid"
    )]
    UnknownWorkflow(String),
    /// The imported workflow is not a valid DAG.
    #[error("workflow: {0}")]
    Workflow(#[from] WorkflowError),
}

pub(crate) fn at(path: impl Into<String>, message: impl Into<String>) -> JolteonError {
    JolteonError::At {
        path: path.into(),
        message: message.into(),
    }
}

pub(crate) fn parse(file: &'static str, text: &str) -> Result<Value, JolteonError> {
    super::strict_json::parse(text).map_err(|source| JolteonError::Json { file, source })
}

/// The profiling grid: configuration `i` of the profile is `self.0[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JolteonGrid(pub Vec<Config>);

const ML_PIPELINE_GRID: [(u32, u32); 23] = [
    (1024, 8),
    (1024, 16),
    (1024, 32),
    (1792, 4),
    (1792, 8),
    (1792, 16),
    (1792, 32),
    (3584, 4),
    (3584, 8),
    (3584, 16),
    (3584, 32),
    (5120, 4),
    (5120, 8),
    (5120, 16),
    (5120, 32),
    (6144, 4),
    (6144, 8),
    (6144, 16),
    (6144, 32),
    (7168, 4),
    (7168, 8),
    (7168, 16),
    (7168, 32),
];

impl JolteonGrid {
    /// The grid of a published workflow, by `workflow_name`: "ML-Pipeline"
    /// (23 configurations) or "Video-Analytics" (24).
    pub fn bundled(workflow_name: &str) -> Option<JolteonGrid> {
        let pairs: Vec<(u32, u32)> = match workflow_name {
            "ML-Pipeline" => ML_PIPELINE_GRID.to_vec(),
            "Video-Analytics" => [1792, 3584, 5120, 6144, 7168, 8960]
                .iter()
                .flat_map(|&m| [4, 8, 16, 32].map(|d| (m, d)))
                .collect(),
            _ => return None,
        };
        Some(JolteonGrid(
            pairs
                .into_iter()
                .map(|(memory_mb, d)| Config { memory_mb, d })
                .collect(),
        ))
    }

    /// Reads a grid side file: JSON `[[memory_mb, d], ...]`, non-empty, every
    /// value a positive integer.
    pub fn from_json(text: &str) -> Result<JolteonGrid, JolteonError> {
        let value = parse("grid", text)?;
        let Value::Array(items) = &value else {
            return Err(at(
                "grid",
                format!("expected [[memory_mb, d], ...], found {}", describe(&value)),
            ));
        };
        if items.is_empty() {
            return Err(at("grid", "empty"));
        }
        let config = |i: usize, item: &Value| {
            let path = format!("grid[{i}]");
            match item.as_array().map(Vec::as_slice) {
                Some([m, d]) => Ok(Config {
                    memory_mb: positive_u32(m, &format!("{path}[0]"))?,
                    d: positive_u32(d, &format!("{path}[1]"))?,
                }),
                _ => Err(at(
                    path,
                    format!("expected [memory_mb, d], found {}", describe(item)),
                )),
            }
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| config(i, item))
            .collect::<Result<_, _>>()
            .map(JolteonGrid)
    }

    /// The grid as a side file (compact JSON, trailing newline).
    pub fn to_json(&self) -> String {
        let pairs: Vec<[u32; 2]> = self.0.iter().map(|c| [c.memory_mb, c.d]).collect();
        let mut text = serde_json::to_string(&pairs).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Checks that the grid is non-empty and its values positive.
    pub fn check(&self) -> Result<(), JolteonError> {
        if self.0.is_empty() {
            return Err(at("grid", "empty"));
        }
        match self.0.iter().position(|c| c.memory_mb == 0 || c.d == 0) {
            Some(i) => Err(at(
                format!("grid[{i}]"),
                "memory_mb and d must be at least 1",
            )),
            None => Ok(()),
        }
    }

    /// The memory grid of the imported stages: the profiled range in
    /// [`IMPORT_MEMORY_STEP_MB`] steps, with every profiled size the steps
    /// miss listed besides them.
    pub fn memory_grid(&self) -> MemoryGrid {
        let sizes: BTreeSet<u32> = self.0.iter().map(|c| c.memory_mb).collect();
        let min_mb = sizes.first().copied().unwrap_or(1);
        let max_mb = sizes.last().copied().unwrap_or(1);
        let mut grid = MemoryGrid::stepped(min_mb, max_mb, IMPORT_MEMORY_STEP_MB);
        grid.listed_mb = sizes.into_iter().filter(|&m| !grid.on_steps(m)).collect();
        grid
    }

    /// The profiled d values, ascending.
    fn d_values(&self) -> Vec<u32> {
        self.0
            .iter()
            .map(|c| c.d)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
}

fn positive_u32(value: &Value, path: &str) -> Result<u32, JolteonError> {
    value
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .filter(|&v| v >= 1)
        .ok_or_else(|| {
            at(
                path,
                format!("expected a positive integer, found {}", describe(value)),
            )
        })
}

/// The profiling grid of a workflow file: `grid` when given, else the bundled grid
/// of the file's `workflow_name` ([`JolteonError::UnknownWorkflow`] when there is none).
/// The one place the fallback lives; every front end calls it (or
/// [`resolve_grid_named`] when the workflow is already imported). The imported
/// stages' memory grid comes from it ([`JolteonGrid::memory_grid`]).
pub fn resolve_grid(
    workflow_text: &str,
    grid: Option<JolteonGrid>,
) -> Result<JolteonGrid, JolteonError> {
    match grid {
        Some(g) => Ok(g),
        None => resolve_grid_named(&workflow_name(workflow_text)?, None),
    }
}

/// [`resolve_grid`] for a workflow already imported, by its name.
pub fn resolve_grid_named(
    workflow_name: &str,
    grid: Option<JolteonGrid>,
) -> Result<JolteonGrid, JolteonError> {
    match grid {
        Some(g) => Ok(g),
        None => JolteonGrid::bundled(workflow_name)
            .ok_or_else(|| JolteonError::UnknownWorkflow(workflow_name.to_string())),
    }
}

/// Imports a workflow file and its profile file. Without `grid`, the bundled
/// grid of the workflow's `workflow_name` is used ([`resolve_grid`]).
pub fn import(
    workflow_text: &str,
    profile_text: &str,
    grid: Option<&JolteonGrid>,
    options: &JolteonProfileOptions,
) -> Result<(Workflow, Profiles), JolteonError> {
    let grid = resolve_grid(workflow_text, grid.cloned())?;
    let workflow = import_workflow(workflow_text, &grid)?;
    let profiles = import_profiles(profile_text, &workflow, &grid, options)?;
    Ok((workflow, profiles))
}
