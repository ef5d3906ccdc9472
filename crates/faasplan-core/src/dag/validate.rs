//! Validation of a [`Workflow`] into a [`Dag`], and graph queries on both.
//!
//! Checks, in order: ids are non-empty, free of control characters and
//! unique; every stage's decision space is sane (memory grid with
//! `step_mb ≥ 1`, `1 ≤ min_mb ≤ max_mb`; a parallel stage has a non-empty
//! `allowed_d` of positive values; a fixed configuration lies inside the
//! space); edges name existing stages, are not self-edges and are not
//! repeated; the graph is acyclic; every Choice is well formed; every loop's
//! body is a chain; every group of stages sharing a memory size is well
//! formed (`shared.rs`). The topological order is Kahn's algorithm
//! taking, among the ready stages, the one first in the user's order, so it
//! is stable under edits that do not change the graph.

use std::collections::{BTreeSet, HashMap, HashSet};

use thiserror::Error;

use super::{Config, Dag, Stage, StageKind, Workflow};

/// Why a [`Workflow`] is not a valid DAG.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum WorkflowError {
    /// A stage has an empty id.
    #[error("stages[{index}].id: empty")]
    EmptyId {
        /// Position of the stage in `Workflow::stages`.
        index: usize,
    },
    /// A stage id contains a control character (line break, tab, ..).
    #[error("stage {id:?}: id contains a control character")]
    ControlCharInId {
        /// The offending id.
        id: String,
    },
    /// Two stages share an id.
    #[error("stage {id:?}: duplicate id")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// The memory grid has `step_mb = 0`.
    #[error("stage {id:?}.memory.step_mb: must be at least 1")]
    MemoryStep {
        /// The stage.
        id: String,
    },
    /// The memory grid has `min_mb = 0`.
    #[error("stage {id:?}.memory.min_mb: must be at least 1")]
    MemoryMin {
        /// The stage.
        id: String,
    },
    /// The memory grid has `min_mb > max_mb`.
    #[error("stage {id:?}.memory: min_mb {min_mb} exceeds max_mb {max_mb}")]
    MemoryRange {
        /// The stage.
        id: String,
        /// The grid's minimum, MB.
        min_mb: u32,
        /// The grid's maximum, MB.
        max_mb: u32,
    },
    /// A listed memory size lies outside `min_mb..=max_mb` or breaks the ascending order.
    #[error("stage {id:?}.memory.listed_mb[{index}]: {memory_mb} MB {problem}")]
    MemoryListed {
        /// The stage.
        id: String,
        /// Position in the list.
        index: usize,
        /// The listed size, MB.
        memory_mb: u32,
        /// What is wrong with it.
        problem: String,
    },
    /// A parallel stage allows no instance count.
    #[error("stage {id:?}.allowed_d: empty for a parallel stage")]
    EmptyAllowedD {
        /// The stage.
        id: String,
    },
    /// A parallel stage allows d = 0.
    #[error("stage {id:?}.allowed_d: contains 0")]
    ZeroD {
        /// The stage.
        id: String,
    },
    /// A fixed configuration lies outside the stage's decision space.
    #[error(
        "stage {id:?}.fixed: {} MB with d = {} lies outside the stage's allowed memory grid and d values",
        config.memory_mb,
        config.d
    )]
    FixedOutside {
        /// The stage.
        id: String,
        /// The fixed configuration.
        config: Config,
    },
    /// An edge names a stage that does not exist.
    #[error("edge {from:?} -> {to:?}: no stage {missing:?}")]
    UnknownStage {
        /// Upstream id of the edge.
        from: String,
        /// Downstream id of the edge.
        to: String,
        /// The id that names no stage.
        missing: String,
    },
    /// An edge goes from a stage to itself.
    #[error("edge {id:?} -> {id:?}: self-edge")]
    SelfEdge {
        /// The stage.
        id: String,
    },
    /// The same edge appears twice.
    #[error("edge {from:?} -> {to:?}: duplicate edge")]
    DuplicateEdge {
        /// Upstream id.
        from: String,
        /// Downstream id.
        to: String,
    },
    /// The graph has a cycle; `stages` lists it in edge order, first stage repeated at the end.
    #[error("cycle: {}", fmt_cycle(stages))]
    Cycle {
        /// The stages on the cycle, e.g. `["a", "b", "a"]`.
        stages: Vec<String>,
    },
    /// A Choice is malformed.
    #[error("choice {name:?}: {message}")]
    Choice {
        /// The Choice's name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A loop is malformed.
    #[error("loop {name:?}: {message}")]
    Loop {
        /// The loop's name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A group of stages sharing one memory size is malformed.
    #[error("shared[{index}] (function {function:?}): {message}")]
    Shared {
        /// Position of the group in `Workflow::shared`.
        index: usize,
        /// The group's function.
        function: String,
        /// What is wrong.
        message: String,
    },
}

fn fmt_cycle(stages: &[String]) -> String {
    let quoted: Vec<String> = stages.iter().map(|s| format!("{s:?}")).collect();
    quoted.join(" -> ")
}

impl Workflow {
    /// Checks the workflow and builds its index form (see the module docs).
    pub fn validate(&self) -> Result<Dag, WorkflowError> {
        let index = self.check_ids()?;
        for stage in &self.stages {
            check_stage(stage)?;
        }
        let n = self.stages.len();
        let mut parents = vec![Vec::new(); n];
        let mut children = vec![Vec::new(); n];
        let mut seen = HashSet::new();
        for edge in &self.edges {
            let lookup = |id: &str| {
                index
                    .get(id)
                    .copied()
                    .ok_or_else(|| WorkflowError::UnknownStage {
                        from: edge.from.clone(),
                        to: edge.to.clone(),
                        missing: id.to_string(),
                    })
            };
            let (from, to) = (lookup(&edge.from)?, lookup(&edge.to)?);
            if from == to {
                return Err(WorkflowError::SelfEdge {
                    id: edge.from.clone(),
                });
            }
            if !seen.insert((from, to)) {
                return Err(WorkflowError::DuplicateEdge {
                    from: edge.from.clone(),
                    to: edge.to.clone(),
                });
            }
            parents[to].push(from);
            children[from].push(to);
        }
        let topo = self.topo_order(&parents, &children)?;
        let input_parent = input_parents(self, &parents, &topo);
        self.check_choices()?;
        self.check_loops(&parents, &children)?;
        self.check_shared()?;
        Ok(Dag {
            topo,
            parents,
            children,
            input_parent,
        })
    }

    /// Position of the stage with id `id` in `stages`.
    pub fn stage_index(&self, id: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.id == id)
    }

    /// Whether adding the edge `from -> to` would make the graph cyclic (a
    /// self-edge counts). Unknown ids give `false`: such an edge is refused by
    /// [`Workflow::validate`] for another reason.
    pub fn would_create_cycle(&self, from: &str, to: &str) -> bool {
        if from == to {
            return self.stage_index(from).is_some();
        }
        // Is `from` reachable from `to` along existing edges?
        let mut stack = vec![to];
        let mut visited: HashSet<&str> = HashSet::new();
        while let Some(at) = stack.pop() {
            if at == from {
                return true;
            }
            if visited.insert(at) {
                stack.extend(
                    self.edges
                        .iter()
                        .filter(|e| e.from == at)
                        .map(|e| e.to.as_str()),
                );
            }
        }
        false
    }

    fn check_ids(&self) -> Result<HashMap<&str, usize>, WorkflowError> {
        let mut index = HashMap::with_capacity(self.stages.len());
        for (i, stage) in self.stages.iter().enumerate() {
            if stage.id.is_empty() {
                return Err(WorkflowError::EmptyId { index: i });
            }
            if stage.id.chars().any(char::is_control) {
                return Err(WorkflowError::ControlCharInId {
                    id: stage.id.clone(),
                });
            }
            if index.insert(stage.id.as_str(), i).is_some() {
                return Err(WorkflowError::DuplicateId {
                    id: stage.id.clone(),
                });
            }
        }
        Ok(index)
    }

    /// Stable Kahn order, or the cycle that prevents one.
    fn topo_order(
        &self,
        parents: &[Vec<usize>],
        children: &[Vec<usize>],
    ) -> Result<Vec<usize>, WorkflowError> {
        let n = parents.len();
        let mut indegree: Vec<usize> = parents.iter().map(Vec::len).collect();
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut topo = Vec::with_capacity(n);
        while let Some(u) = ready.pop_first() {
            topo.push(u);
            for &c in &children[u] {
                indegree[c] -= 1;
                if indegree[c] == 0 {
                    ready.insert(c);
                }
            }
        }
        if topo.len() == n {
            return Ok(topo);
        }
        Err(WorkflowError::Cycle {
            stages: self.find_cycle(parents, &indegree),
        })
    }

    /// A cycle among the stages Kahn's algorithm could not order (those with
    /// `indegree > 0`): each of them has a parent that is also unordered, so
    /// walking such parents must revisit a stage.
    fn find_cycle(&self, parents: &[Vec<usize>], indegree: &[usize]) -> Vec<String> {
        let Some(start) = (0..indegree.len()).find(|&i| indegree[i] > 0) else {
            return Vec::new();
        };
        let mut walk = vec![start];
        let mut pos: HashMap<usize, usize> = HashMap::from([(start, 0)]);
        let mut at = start;
        while let Some(&p) = parents[at].iter().find(|&&p| indegree[p] > 0) {
            if let Some(&first) = pos.get(&p) {
                // walk[first..] followed parent links: reverse into edge order.
                // `p` is a parent of `at`, so the cycle is p -> at -> .. -> walk[first] = p.
                let mut cycle = vec![p];
                cycle.extend(walk[first..].iter().rev().copied());
                return cycle.iter().map(|&i| self.stages[i].id.clone()).collect();
            }
            pos.insert(p, walk.len());
            walk.push(p);
            at = p;
        }
        Vec::new()
    }
}

fn check_stage(stage: &Stage) -> Result<(), WorkflowError> {
    let id = || stage.id.clone();
    let m = &stage.memory;
    if m.step_mb == 0 {
        return Err(WorkflowError::MemoryStep { id: id() });
    }
    if m.min_mb == 0 {
        return Err(WorkflowError::MemoryMin { id: id() });
    }
    if m.min_mb > m.max_mb {
        return Err(WorkflowError::MemoryRange {
            id: id(),
            min_mb: m.min_mb,
            max_mb: m.max_mb,
        });
    }
    check_listed(stage)?;
    if stage.kind == StageKind::Parallel {
        if stage.allowed_d.is_empty() {
            return Err(WorkflowError::EmptyAllowedD { id: id() });
        }
        if stage.allowed_d.contains(&0) {
            return Err(WorkflowError::ZeroD { id: id() });
        }
    }
    match stage.fixed {
        Some(config) if !stage.allows(config) => {
            Err(WorkflowError::FixedOutside { id: id(), config })
        }
        _ => Ok(()),
    }
}

/// The listed memory sizes lie within the stepped range, strictly ascending.
fn check_listed(stage: &Stage) -> Result<(), WorkflowError> {
    let m = &stage.memory;
    let mut previous = None;
    for (index, &memory_mb) in m.listed_mb.iter().enumerate() {
        let problem = if !(m.min_mb..=m.max_mb).contains(&memory_mb) {
            format!("is outside min_mb..=max_mb ({}..={})", m.min_mb, m.max_mb)
        } else if previous.is_some_and(|p| memory_mb <= p) {
            "is not above the size before it (the list is strictly ascending)".to_string()
        } else {
            previous = Some(memory_mb);
            continue;
        };
        return Err(WorkflowError::MemoryListed {
            id: stage.id.clone(),
            index,
            memory_mb,
            problem,
        });
    }
    Ok(())
}

/// For each single-instance stage, its parallel parent latest in `topo`.
fn input_parents(wf: &Workflow, parents: &[Vec<usize>], topo: &[usize]) -> Vec<Option<usize>> {
    let mut rank = vec![0; topo.len()];
    for (r, &i) in topo.iter().enumerate() {
        rank[i] = r;
    }
    wf.stages
        .iter()
        .enumerate()
        .map(|(i, stage)| match stage.kind {
            StageKind::Parallel => None,
            StageKind::Single => parents[i]
                .iter()
                .copied()
                .filter(|&p| wf.stages[p].kind == StageKind::Parallel)
                .max_by_key(|&p| rank[p]),
        })
        .collect()
}

impl Dag {
    /// Every source-to-sink path as stage indices, in depth-first order
    /// (sources and children in `topo` / edge order), at most `limit` of them.
    /// A stage with neither parents nor children is a path of its own.
    pub fn paths(&self, limit: usize) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        let mut path = Vec::new();
        for &s in self.topo.iter().filter(|&&s| self.parents[s].is_empty()) {
            self.paths_from(s, limit, &mut path, &mut out);
        }
        out
    }

    fn paths_from(
        &self,
        at: usize,
        limit: usize,
        path: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if out.len() >= limit {
            return;
        }
        path.push(at);
        if self.children[at].is_empty() {
            out.push(path.clone());
        }
        for &c in &self.children[at] {
            self.paths_from(c, limit, path, out);
        }
        path.pop();
    }
}
