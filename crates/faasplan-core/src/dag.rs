//! The workflow DAG: stages, their decision space, and the edges between them.
//!
//! Stages are identified by a unique `id` string, which is also the key into
//! the profiles and the name used in plan JSON. Edges name stages by id.
//! [`Workflow::validate`] turns a workflow into a [`Dag`], the index form every
//! later step uses (topological order, parents, children, every source-to-sink
//! path), after checking that ids are unique, edges name existing stages, and
//! the graph is acyclic. A workflow may also name Choice points
//! ([`Choice`]): alternatives of which one runs per execution, and loops
//! ([`Loop`]): chains of stages that run several times per execution, and
//! groups of stages that share one memory size ([`SharedMemory`]).

use serde::{Deserialize, Serialize};

/// One configuration of a stage: memory per instance and instance count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Config {
    /// Memory per function instance, in MB (this also buys CPU).
    pub memory_mb: u32,
    /// Number of parallel instances (1 for a single-instance stage).
    pub d: u32,
}

/// Whether a stage fans out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// The stage runs as d parallel instances; d is a decision.
    Parallel,
    /// The stage always runs as one instance.
    Single,
}

/// The memory sizes a stage may use: the stepped sizes `min_mb, min_mb + step_mb, ..`
/// up to `max_mb`, and besides them the sizes listed in `listed_mb`.
///
/// The list holds sizes the steps miss, such as every profiled size of an
/// imported profile (a Jolteon grid of 1,078 and 1,617 MB with 128 MB steps
/// would otherwise lose 1,617 MB). In a project file it is the optional
/// `listed_mb` array, omitted when empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemoryGrid {
    /// Smallest memory size, MB.
    pub min_mb: u32,
    /// Largest memory size, MB (included when it lies on the grid).
    pub max_mb: u32,
    /// Step between sizes, MB (at least 1).
    pub step_mb: u32,
    /// Sizes planned besides the stepped ones, MB: strictly ascending, each
    /// within `min_mb..=max_mb` (a listed size on the steps counts once).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listed_mb: Vec<u32>,
}

/// Position of a stage in the editor, in editor units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Horizontal coordinate.
    pub x: f64,
    /// Vertical coordinate.
    pub y: f64,
}

/// A stage of the workflow and its decision space.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// Unique id; the key into the profiles.
    pub id: String,
    /// Parallel or single-instance.
    pub kind: StageKind,
    /// Allowed instance counts for a parallel stage (ignored for single-instance stages).
    pub allowed_d: Vec<u32>,
    /// Allowed memory sizes.
    pub memory: MemoryGrid,
    /// A configuration the user has fixed; the planner then uses only it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Config>,
    /// Where the editor draws the stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// A directed edge: `to` starts after `from` has finished.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edge {
    /// Id of the upstream stage.
    pub from: String,
    /// Id of the downstream stage.
    pub to: String,
}

/// A serverless workflow as the user describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    /// Display name.
    pub name: String,
    /// The stages, in the user's order.
    pub stages: Vec<Stage>,
    /// Dependencies between stages.
    pub edges: Vec<Edge>,
    /// Choice points: groups of alternative stages of which one runs (see [`Choice`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Loops: chains of stages that run several times per execution (see [`Loop`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loops: Vec<Loop>,
    /// Stages that run one deployed function and so share one memory size (and
    /// one architecture): see [`SharedMemory`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared: Vec<SharedMemory>,
}

/// The validated index form of a [`Workflow`]. Indices are positions in `Workflow::stages`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dag {
    /// Stage indices in a topological order (stable: ties keep the user's order).
    pub topo: Vec<usize>,
    /// Parents of each stage.
    pub parents: Vec<Vec<usize>>,
    /// Children of each stage.
    pub children: Vec<Vec<usize>>,
    /// For a single-instance stage whose input is split by a parallel parent, that
    /// parent (the parallel parent latest in `topo`): its d is the number of input
    /// partitions, which the stage's read time depends on.
    pub input_parent: Vec<Option<usize>>,
}

mod choice;
mod repeat;
mod shared;
mod validate;

pub use choice::{Alternative, Choice, ChoiceMode};
pub use repeat::{Loop, MAX_LOOP_ITERATIONS};
pub use shared::SharedMemory;
pub use validate::WorkflowError;

impl MemoryGrid {
    /// The stepped grid `min_mb..=max_mb` in `step_mb` steps, with no listed sizes.
    pub fn stepped(min_mb: u32, max_mb: u32, step_mb: u32) -> MemoryGrid {
        MemoryGrid {
            min_mb,
            max_mb,
            step_mb,
            listed_mb: Vec::new(),
        }
    }

    /// Whether `memory_mb` is one of the stepped sizes.
    pub fn on_steps(&self, memory_mb: u32) -> bool {
        self.step_mb >= 1
            && memory_mb >= self.min_mb
            && memory_mb <= self.max_mb
            && (memory_mb - self.min_mb).is_multiple_of(self.step_mb)
    }

    /// Whether `memory_mb` is one of the grid's sizes (stepped or listed).
    pub fn contains(&self, memory_mb: u32) -> bool {
        self.on_steps(memory_mb) || self.listed_mb.contains(&memory_mb)
    }

    /// The grid's sizes, ascending and distinct, MB (the stepped part is empty
    /// for an invalid grid).
    pub fn sizes(&self) -> impl Iterator<Item = u32> + '_ {
        let step = self.step_mb.max(1) as usize;
        let end = if self.step_mb == 0 || self.min_mb > self.max_mb {
            self.min_mb
        } else {
            self.max_mb.saturating_add(1)
        };
        let mut stepped = (self.min_mb..end).step_by(step).peekable();
        let mut listed = self
            .listed_mb
            .iter()
            .copied()
            .filter(|&m| !self.on_steps(m))
            .peekable();
        std::iter::from_fn(move || match (stepped.peek(), listed.peek()) {
            (Some(&s), Some(&l)) if l < s => listed.next(),
            (Some(_), _) => stepped.next(),
            (None, _) => listed.next(),
        })
    }
}

impl Stage {
    /// Whether `config` lies within this stage's decision space: memory on the
    /// grid, and `d` in `allowed_d` for a parallel stage or `d = 1` for a single one.
    pub fn allows(&self, config: Config) -> bool {
        let d_ok = match self.kind {
            StageKind::Parallel => self.allowed_d.contains(&config.d),
            StageKind::Single => config.d == 1,
        };
        d_ok && self.memory.contains(config.memory_mb)
    }
}
