//! Which stages run in each sample when a workflow has Choices planned with
//! probabilities (see [`crate::dag::Choice`]).
//!
//! Choice c draws, for sample s, one uniform `u` from its own stream
//! `rng::stream(seed, base + CHOICE_STREAM_OFFSET + c)` and picks the first
//! alternative j whose cumulative probability exceeds `u`. The draws depend
//! on nothing else, so every candidate of every stage sees the same picks
//! (common random numbers), and adding a Choice does not move any stage's
//! residual draws. A stage not picked in a sample takes zero time and cost there.

use rand_xoshiro::Xoshiro256PlusPlus;

use crate::dag::Workflow;
use crate::rng;

/// Offset of the Choice streams from a stream family's base (stage streams
/// use `base + i` for stage i < 2³²).
pub(crate) const CHOICE_STREAM_OFFSET: u64 = 1 << 40;

struct Draw {
    rng: Xoshiro256PlusPlus,
    cumulative: Vec<f64>,
    /// Stage indices of each alternative.
    stages: Vec<Vec<usize>>,
}

/// The per-sample picks of a workflow's weighted Choices.
pub(crate) struct Branches {
    draws: Vec<Draw>,
    n_stages: usize,
}

impl Branches {
    /// The picks of `workflow`'s `Probabilities` Choices from the stream
    /// family `base` of `seed` (0 for the planning table, the fresh base for
    /// the certificate). Stage ids are assumed validated.
    pub(crate) fn new(workflow: &Workflow, seed: u64, base: u64) -> Self {
        let draws = workflow
            .choices
            .iter()
            .enumerate()
            .filter_map(|(c, choice)| {
                let p = choice.probabilities().filter(|p| !p.is_empty())?;
                let mut acc = 0.0;
                let cumulative = p
                    .iter()
                    .map(|x| {
                        acc += x;
                        acc
                    })
                    .collect();
                let stages = choice
                    .alternatives
                    .iter()
                    .map(|a| {
                        a.stages
                            .iter()
                            .filter_map(|id| workflow.stage_index(id))
                            .collect()
                    })
                    .collect();
                Some(Draw {
                    rng: rng::stream(seed, base + CHOICE_STREAM_OFFSET + c as u64),
                    cumulative,
                    stages,
                })
            })
            .collect();
        Branches {
            draws,
            n_stages: workflow.stages.len(),
        }
    }

    /// Whether no Choice is weighted (every stage runs in every sample).
    pub(crate) fn is_empty(&self) -> bool {
        self.draws.is_empty()
    }

    /// The next `len` samples' picks: `out[i]` is empty when stage i runs in
    /// every sample, else `out[i][s]` says whether it runs in sample s.
    pub(crate) fn draw(&mut self, len: usize, out: &mut Vec<Vec<bool>>) {
        out.resize(self.n_stages, Vec::new());
        for o in out.iter_mut() {
            o.clear();
        }
        for d in &self.draws {
            for stages in &d.stages {
                for &i in stages {
                    if out[i].is_empty() {
                        out[i].resize(len, true);
                    }
                }
            }
        }
        let mut picks = Vec::with_capacity(len);
        for d in &mut self.draws {
            let last = d.cumulative.len() - 1;
            picks.clear();
            picks.extend((0..len).map(|_| {
                let u = rng::uniform(&mut d.rng);
                d.cumulative.iter().position(|&c| u < c).unwrap_or(last)
            }));
            for (j, stages) in d.stages.iter().enumerate() {
                for &i in stages {
                    for (on, &pick) in out[i].iter_mut().zip(&picks) {
                        if pick != j {
                            *on = false;
                        }
                    }
                }
            }
        }
    }
}

/// Sets the latency and cost of the samples where the stage does not run to zero.
pub(crate) fn skip_inactive(active: &[bool], latency_s: &mut [f64], cost_usd: &mut [f64]) {
    for ((&on, l), c) in active.iter().zip(latency_s).zip(cost_usd) {
        if !on {
            *l = 0.0;
            *c = 0.0;
        }
    }
}
