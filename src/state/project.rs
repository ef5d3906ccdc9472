//! The project: everything the user edits and saves (workflow, settings,
//! platform, loaded profiles). This is what autosave stores and what a
//! planning job receives as its inputs.

use std::rc::Rc;

use faasplan_core::dag::{MemoryGrid, Position, Stage, StageKind, Workflow};
use faasplan_core::formats::asl::AslImport;
use faasplan_core::fusion::FusionOptions;
use faasplan_core::platform::{Platform, Preset};
use faasplan_core::profile::Profiles;
use faasplan_core::settings::PlanSettings;
use serde::{Deserialize, Serialize};

/// Where the platform settings come from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "preset", rename_all = "snake_case")]
pub enum PlatformChoice {
    /// One of the built-in presets.
    Preset(Preset),
    /// The user's own prices on top of the last preset's limits.
    Custom,
}

/// The saved document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// The workflow DAG and each stage's decision space.
    pub workflow: Workflow,
    /// Bound, percentile, confidence and sampling.
    pub settings: PlanSettings,
    /// Prices and limits the plan is costed with.
    pub platform: Platform,
    /// Which preset `platform` came from.
    pub platform_choice: PlatformChoice,
    /// Measured profiles, once loaded.
    /// Shared (`Rc`): the store clones the state on every action, and a real
    /// profile holds tens of thousands of runs.
    #[serde(default, with = "shared_profiles")]
    pub profiles: Option<Rc<Profiles>>,
    /// Whether the planner may fuse adjacent stages, and edges it must never fuse
    /// (kept in the autosave record; not in the core project file).
    #[serde(default)]
    pub fusion: FusionOptions,
    /// The Step Functions state machine the workflow was imported from, for
    /// the deploy exports (kept for the session; not in the project file).
    #[serde(skip)]
    pub state_machine: Option<Rc<AslImport>>,
}

/// Serde for `Option<Rc<Profiles>>` without serde's `rc` feature.
mod shared_profiles {
    use std::rc::Rc;

    use faasplan_core::profile::Profiles;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(p: &Option<Rc<Profiles>>, s: S) -> Result<S::Ok, S::Error> {
        p.as_deref().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Rc<Profiles>>, D::Error> {
        Ok(Option::<Profiles>::deserialize(d)?.map(Rc::new))
    }
}

impl Default for Project {
    fn default() -> Self {
        Project {
            workflow: Workflow {
                name: "Untitled workflow".to_string(),
                stages: Vec::new(),
                edges: Vec::new(),
                choices: Vec::new(),
                loops: Vec::new(),
                shared: Vec::new(),
            },
            settings: PlanSettings::default(),
            platform: Preset::AwsX86_64.platform(),
            platform_choice: PlatformChoice::Preset(Preset::AwsX86_64),
            profiles: None,
            fusion: FusionOptions::default(),
            state_machine: None,
        }
    }
}

/// A new stage with the editor's defaults: parallel, d in {1, 2, 4, .., 32},
/// memory 1,024–10,240 MB in 512 MB steps.
pub fn new_stage(id: String, at: Position) -> Stage {
    Stage {
        id,
        kind: StageKind::Parallel,
        allowed_d: vec![1, 2, 4, 8, 16, 32],
        memory: MemoryGrid::stepped(1024, 10_240, 512),
        fixed: None,
        position: Some(at),
    }
}

/// The first id of the form `stage{n}` (n = 1, 2, ..) not used by a stage.
pub fn fresh_stage_id(workflow: &Workflow) -> String {
    (1..)
        .map(|n| format!("stage{n}"))
        .find(|id| !workflow.stages.iter().any(|s| &s.id == id))
        .unwrap_or_else(|| unreachable!("an unbounded range always yields an unused id"))
}

/// Parses a list of instance counts such as `"1, 2, 4 8"` into sorted,
/// deduplicated positive integers.
pub fn parse_d_list(text: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in text.split(|c: char| c == ',' || c.is_whitespace()) {
        if part.is_empty() {
            continue;
        }
        match part.parse::<u32>() {
            Ok(d) if d >= 1 => out.push(d),
            _ => return Err(format!("allowed d must be positive integers, got {part:?}")),
        }
    }
    if out.is_empty() {
        return Err("allowed d must list at least one instance count".to_string());
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Checks a memory grid against the platform's limits.
pub fn check_memory_grid(grid: &MemoryGrid, platform: &Platform) -> Result<(), String> {
    if grid.step_mb == 0 {
        return Err("memory step must be at least 1 mb".to_string());
    }
    if grid.min_mb > grid.max_mb {
        return Err(format!(
            "memory min {} mb is above max {} mb",
            grid.min_mb, grid.max_mb
        ));
    }
    if grid.min_mb < platform.min_memory_mb || grid.max_mb > platform.max_memory_mb {
        return Err(format!(
            "memory range {}–{} mb is outside the platform's {}–{} mb",
            grid.min_mb, grid.max_mb, platform.min_memory_mb, platform.max_memory_mb
        ));
    }
    Ok(())
}
