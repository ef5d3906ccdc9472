//! Loops: a chain of stages that runs several times, back to back, in every
//! execution (a Step Functions retry, polling or pagination cycle).
//!
//! The body is planned once: each of its stages has one configuration (a
//! deployed function has one memory size), and in every Monte Carlo sample
//! its latency and cost are the sums of `iterations` independent draws (see
//! [`crate::sampling`]). Because the body is a chain, this is the same
//! distribution as the body unrolled `iterations` times with every copy at the
//! same configuration: the latency of a chain is the sum of its stages', and
//! sums commute.

use serde::{Deserialize, Serialize};

use super::{Workflow, WorkflowError};

/// The most iterations a loop may have: each sample draws a stage's runs
/// `iterations` times, so this bounds the sampling work and its scratch memory.
pub const MAX_LOOP_ITERATIONS: u32 = 1000;

/// A chain of stages that runs `iterations` times per execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loop {
    /// What the loop is called (for a state machine: the route that closes it, `Check -> Poll`).
    pub name: String,
    /// Ids of the body's stages, in the order they run: each is the only child
    /// of the one before it and has it as its only parent.
    pub stages: Vec<String>,
    /// How many times the body runs per execution (1 to [`MAX_LOOP_ITERATIONS`]).
    pub iterations: u32,
}

impl Workflow {
    /// How many times each stage runs per execution (1 outside every loop), in
    /// the order of `stages`. A stage in several loops runs the product of
    /// their iterations.
    pub fn repeats(&self) -> Vec<u32> {
        self.stages
            .iter()
            .map(|s| {
                self.loops
                    .iter()
                    .filter(|l| l.stages.contains(&s.id))
                    .fold(1u32, |k, l| k.saturating_mul(l.iterations.max(1)))
            })
            .collect()
    }

    /// Every loop names existing stages once each, has 1 to
    /// [`MAX_LOOP_ITERATIONS`] iterations, and its body is a chain.
    pub(super) fn check_loops(
        &self,
        parents: &[Vec<usize>],
        children: &[Vec<usize>],
    ) -> Result<(), WorkflowError> {
        for l in &self.loops {
            let bad = |message: String| WorkflowError::Loop {
                name: l.name.clone(),
                message,
            };
            if !(1..=MAX_LOOP_ITERATIONS).contains(&l.iterations) {
                return Err(bad(format!(
                    "iterations {}: must be between 1 and {MAX_LOOP_ITERATIONS}",
                    l.iterations
                )));
            }
            if l.stages.is_empty() {
                return Err(bad("stages: empty".into()));
            }
            let mut body = Vec::with_capacity(l.stages.len());
            for id in &l.stages {
                let i = self
                    .stage_index(id)
                    .ok_or_else(|| bad(format!("stages: no stage {id:?}")))?;
                if body.contains(&i) {
                    return Err(bad(format!("stages: {id:?} is listed twice")));
                }
                body.push(i);
            }
            for w in body.windows(2) {
                let (a, b) = (w[0], w[1]);
                if children[a] != [b] || parents[b] != [a] {
                    return Err(bad(format!(
                        "the body must be a chain: {:?} must be the only stage after {:?}, and {:?} the only one before it",
                        self.stages[b].id, self.stages[a].id, self.stages[a].id
                    )));
                }
            }
            let overlap = self
                .loops
                .iter()
                .filter(|o| !std::ptr::eq(*o, l))
                .find(|o| o.stages.iter().any(|s| l.stages.contains(s)));
            if let Some(o) = overlap {
                return Err(bad(format!(
                    "shares stages with the loop {:?}; loops may not overlap",
                    o.name
                )));
            }
        }
        Ok(())
    }

    /// Removes stage `id` from every loop body and drops the loops left empty.
    pub fn forget_loop_stage(&mut self, id: &str) {
        for l in &mut self.loops {
            l.stages.retain(|s| s != id);
        }
        self.loops.retain(|l| !l.stages.is_empty());
    }

    /// Renames stage `id` to `new_id` in every loop body.
    pub fn rename_loop_stage(&mut self, id: &str, new_id: &str) {
        for s in self.loops.iter_mut().flat_map(|l| &mut l.stages) {
            if s == id {
                *s = new_id.to_string();
            }
        }
    }
}
