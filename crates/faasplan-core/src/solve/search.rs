//! The branch-and-bound engine: a resumable depth-first search over the stages in
//! topological order, on a growing subset S of the samples (constraint generation).
//!
//! A node assigns configurations to the first `k` stages. Per sample `t ∈ S` it
//! keeps the finish time of every assigned stage, the exact workflow latency so far
//! and the lower bound `max_j (f_j(t) + tail_j(t))` (never below the least latency
//! any plan reaches on `t`). A node is pruned when more than `a` samples of S have
//! a lower bound above the latency limit, or a per-sample cost bound (cost so far
//! plus the cheapest remaining per-sample cost) above the cost-quantile limit, or
//! when its expected cost so far plus the cheapest remaining stages exceeds the
//! cost limit. Candidates are tried in expected-cost order (ascending when cost is
//! the objective, with a break; descending, i.e. fastest first, when latency is).
//! Pruning tests use a relative slack of 1e-12 (sums are associated differently
//! from the checker's); acceptance is exact.
//!
//! At a leaf the plan is checked exactly on S, then on all N samples. If it fails
//! on N, the worst violated samples (up to 8 + a) join S and the search restarts with
//! the incumbent kept: every plan it skips is infeasible on S (hence on N) or no
//! better than the incumbent, so the final pass proves optimality. The reduced
//! problem is a relaxation, so bounds of open nodes are valid lower bounds.

mod budget;
mod chaindp;
mod check;
mod fanin;
mod lagrange;
mod node;

pub(crate) use chaindp::ChainTables;
use chaindp::OwnTables;
pub(super) use check::Check;
use fanin::FanIn;
use lagrange::Lagrange;

use super::bounds::{row_min, subset_bounds};
use super::precomputed::Precomputed;
use std::sync::Arc;

/// What the search minimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Goal {
    /// Expected cost.
    Cost,
    /// Guaranteed latency.
    Latency,
    /// Guaranteed per-sample cost.
    CostQuantile,
}

/// Inclusive caps a plan must meet: guaranteed latency, cost guarantee and expected
/// cost (the objective's cap tightens with the incumbent).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caps {
    pub lat_max: f64,
    pub costq_max: f64,
    pub mean_max: f64,
}

/// The best plan found so far.
#[derive(Clone, Debug)]
pub(crate) struct Incumbent {
    pub choice: Vec<u32>,
    pub value: f64,
}

/// The largest float below `x` (for strict improvement as an inclusive limit).
pub(crate) fn below(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        x
    } else if x == 0.0 {
        -f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else {
        f64::from_bits(x.to_bits() + 1)
    }
}

pub(crate) fn slack(x: f64) -> f64 {
    x + x.abs() * 1e-12
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Start,
    Running,
    Done,
}

/// The reduced problem on the sample subset S (rebuilt when S grows or the
/// limits change): the gathered tables and the bounds derived from them.
struct Tables {
    /// The samples of S, in the order they joined.
    subset: Vec<u32>,
    /// Membership of every sample in S.
    in_subset: Vec<bool>,
    /// `|S|`.
    m: usize,
    /// Latencies on S per stage, laid out like `StageTable::latency_s` with `m` samples per row.
    lat_t: Vec<Vec<f64>>,
    /// Per-sample costs on S (only when a per-sample cost is bounded or minimised).
    cost_t: Vec<Vec<f64>>,
    /// Least time after each stage, `[stage * m + t]`.
    tail_t: Vec<f64>,
    /// Least latency of each stage, `[stage * m + t]`.
    minl_t: Vec<f64>,
    /// Cheapest per-sample cost of the stages from level `d` on, `[d * m + t]`.
    remc_t: Vec<f64>,
    /// Candidates per stage and context: non-dominated, under the latency limit, by cost.
    cands: Vec<Vec<Vec<u32>>>,
    /// Prefix minima of the candidate lists' latencies (see `budget.rs`).
    pm: Vec<Vec<Vec<f64>>>,
    /// Cheapest candidate of each stage.
    minc: Vec<f64>,
    /// Cheapest candidates of the stages from level `d` on.
    min_rem: Vec<f64>,
}

/// The depth-first stack: what each level of the current branch has fixed.
struct Stack {
    /// Finish time of every assigned stage, `[stage * m + t]`.
    fin: Vec<f64>,
    /// Workflow latency of the assigned stages, `[level * m + t]`.
    lat: Vec<f64>,
    /// Lower bound on the workflow latency, `[level * m + t]`.
    lb: Vec<f64>,
    /// Per-sample cost of the assigned stages, `[level * m + t]`.
    pc: Vec<f64>,
    /// Expected cost of the assigned stages before each level.
    partial: Vec<f64>,
    /// Least expected cost of the stages after each level.
    rest: Vec<f64>,
    /// Modified cost (`lagrange.rs`) of the assigned stages before each level.
    lpart: Vec<f64>,
    /// The cheapest feasible configuration's cost per (level, later stage), `[d * k + j]`.
    best_at: Vec<f64>,
    /// Where `dynamic_rest` resumes its scan per (level, stage and context slot).
    scan: Vec<u32>,
    /// Next candidate per level.
    pos: Vec<usize>,
    /// End of each level's candidate range.
    end: Vec<usize>,
    /// Context index of every assigned stage (`usize::MAX`: its parent's d has no block).
    ctx: Vec<usize>,
    /// The configuration of every assigned stage.
    choice: Vec<u32>,
    /// The instance count of every assigned stage.
    dsel: Vec<u32>,
    /// The current level.
    depth: usize,
}

/// Buffers reused across nodes (no meaning between calls).
#[derive(Default)]
struct Scratch {
    /// Earliest start of each later stage, `[stage * m + t]` (`dynamic_rest`).
    dh: Vec<f64>,
    /// Finish times of the later stages in the budget pass, `[stage * m + t]`.
    fin2: Vec<f64>,
    /// Latest finish over a stage's parents, `[t]`.
    mx: Vec<f64>,
    /// Values for quantile selection.
    values: Vec<f64>,
    /// Samples whose bound lies within the rounding band of the limit.
    band: Vec<u32>,
    /// Forward-pass finish times of the later stages (the band re-check).
    fwd: Vec<f64>,
}

/// Resumable search state: the prepared problem, what is sought, and the three
/// parts that change while searching (the reduced problem's tables, the stack of
/// the current branch, and scratch buffers).
pub(crate) struct Search<'p> {
    prep: Arc<Precomputed<'p>>,
    goal: Goal,
    lim: Caps,
    /// Per-sample costs are tracked (a per-sample cost is bounded or minimised).
    track_cost: bool,
    tables: Tables,
    stack: Stack,
    scratch: Scratch,
    /// The Lagrangian cost bound (`lagrange.rs`).
    lag: Lagrange,
    /// Scratch of the path-budget cost bound (`chaindp.rs`).
    cdp: OwnTables,
    /// The fan-in cost bound (`fanin.rs`).
    fan: FanIn,
    state: State,
    /// Known lower bound on the objective: a plan reaching it ends the search.
    floor: f64,
    pub inc: Option<Incumbent>,
    pub nodes: u64,
    pub rounds: u64,
}

impl<'p> Search<'p> {
    /// A search for `goal` under `lim`, starting from the 16 hardest samples.
    pub(crate) fn new(prep: Arc<Precomputed<'p>>, goal: Goal, lim: Caps) -> Self {
        let k = prep.k;
        let n = prep.n;
        let first: Vec<u32> = prep.hard.iter().take(16).copied().collect();
        let track_cost =
            prep.per_sample_cost && (lim.costq_max.is_finite() || goal == Goal::CostQuantile);
        let slots = prep.slot_of[k];
        let mut s = Search {
            goal,
            lim,
            track_cost,
            tables: Tables {
                subset: Vec::new(),
                in_subset: vec![false; n],
                m: 0,
                lat_t: vec![Vec::new(); k],
                cost_t: vec![Vec::new(); k],
                tail_t: Vec::new(),
                minl_t: Vec::new(),
                remc_t: Vec::new(),
                cands: Vec::new(),
                pm: Vec::new(),
                minc: vec![0.0; k],
                min_rem: vec![0.0; k + 1],
            },
            stack: Stack {
                fin: Vec::new(),
                lat: Vec::new(),
                lb: Vec::new(),
                pc: Vec::new(),
                partial: vec![0.0; k + 1],
                rest: vec![0.0; k],
                lpart: vec![0.0; k + 1],
                best_at: vec![0.0; k * k],
                scan: vec![0; k * slots],
                pos: vec![0; k],
                end: vec![0; k],
                ctx: vec![0; k],
                choice: vec![0; k],
                dsel: vec![0; k],
                depth: 0,
            },
            scratch: Scratch::default(),
            lag: Lagrange::new(&prep.p.parents, &prep.p.topo),
            cdp: OwnTables::default(),
            fan: FanIn::new(&prep),
            prep,
            state: State::Start,
            floor: f64::NEG_INFINITY,
            inc: None,
            nodes: 0,
            rounds: 0,
        };
        s.add_samples(&first);
        s.filter();
        s
    }

    /// A fresh search for another goal that starts from this one's samples.
    pub(crate) fn fork(&self, goal: Goal, lim: Caps) -> Search<'p> {
        let mut s = Search::new(Arc::clone(&self.prep), goal, lim);
        s.add_samples(&self.tables.subset);
        s.filter();
        s
    }

    /// Number of samples in S.
    pub(crate) fn subset_len(&self) -> usize {
        self.tables.m
    }

    /// Restarts with new limits and a known lower bound `floor` on the objective
    /// (a plan reaching it ends the search), keeping S; the incumbent is dropped.
    pub(crate) fn restart(&mut self, lim: Caps, floor: f64) {
        self.floor = floor;
        self.lim = lim;
        self.inc = None;
        self.state = State::Start;
        self.filter();
    }

    fn add_samples(&mut self, add: &[u32]) {
        let prep = Arc::clone(&self.prep);
        let p = prep.p;
        let n = prep.n;
        for &s in add {
            if !self.tables.in_subset[s as usize] {
                self.tables.in_subset[s as usize] = true;
                self.tables.subset.push(s);
            }
        }
        let m = self.tables.subset.len();
        self.tables.m = m;
        let gather = |v: &[crate::problem::Sample], rows: usize| -> Vec<f64> {
            let mut out = Vec::with_capacity(rows * m);
            for r in 0..rows {
                out.extend(
                    self.tables
                        .subset
                        .iter()
                        .map(|&s| f64::from(v[r * n + s as usize])),
                );
            }
            out
        };
        for (i, t) in p.stages.iter().enumerate() {
            let rows = t.n_contexts() * t.configs.len();
            self.tables.lat_t[i] = gather(&t.latency_s, rows);
            if self.track_cost {
                self.tables.cost_t[i] = gather(&t.cost_usd, rows);
            }
        }
        let k = prep.k;
        let b = subset_bounds(&self.tables.lat_t, &p.parents, &p.topo, m, None);
        self.tables.tail_t = b.tail;
        self.tables.minl_t = b.minl;
        self.scratch.dh = vec![0.0; k * m];
        self.scratch.fin2 = vec![0.0; k * m];
        self.stack.fin = vec![0.0; k * m];
        self.stack.lat = vec![0.0; (k + 1) * m];
        self.stack.lb = vec![0.0; (k + 1) * m];
        self.stack.pc = vec![0.0; (k + 1) * m];
        self.stack.lb[..m].copy_from_slice(&b.base);
        self.tables.remc_t = vec![0.0; (k + 1) * m];
        if self.track_cost {
            for d in (0..k).rev() {
                let mc = row_min(&self.tables.cost_t[p.topo[d]], m);
                for (t, c) in mc.iter().enumerate() {
                    self.tables.remc_t[d * m + t] = self.tables.remc_t[(d + 1) * m + t] + c;
                }
            }
        }
    }

    /// Candidate lists for the current latency limit and the cheapest remaining costs.
    fn filter(&mut self) {
        self.lag.dirty = true;
        let prep = Arc::clone(&self.prep);
        let cap = slack(self.lim.lat_max);
        self.tables.cands = (0..prep.k)
            .map(|i| {
                let nc = prep.p.stages[i].configs.len();
                prep.sorted[i]
                    .iter()
                    .enumerate()
                    .map(|(c, list)| {
                        let thr = &prep.thr[i];
                        list.iter()
                            .copied()
                            .filter(|&j| thr[c * nc + j as usize] <= cap)
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let k = prep.k;
        self.tables.min_rem[k] = 0.0;
        for d in (0..k).rev() {
            let i = prep.p.topo[d];
            let t = &prep.p.stages[i];
            let nc = t.configs.len();
            let mut best = f64::INFINITY;
            for (c, list) in self.tables.cands[i].iter().enumerate() {
                if let Some(&j) = list.first() {
                    best = best.min(t.expected_cost_usd[c * nc + j as usize]);
                }
            }
            self.tables.minc[i] = best;
            self.tables.min_rem[d] = self.tables.min_rem[d + 1] + best;
        }
        let ncfg: Vec<usize> = prep.p.stages.iter().map(|t| t.configs.len()).collect();
        self.tables.pm =
            budget::prefix_minima(&self.tables.cands, &self.tables.lat_t, &ncfg, self.tables.m);
    }

    /// Lower bound on the objective over the plans not yet ruled out.
    pub(crate) fn lower_bound(&mut self) -> f64 {
        let inc = self.inc.as_ref().map_or(f64::INFINITY, |x| x.value);
        let open = match self.state {
            State::Done => f64::INFINITY,
            State::Start => self.level_bound(0),
            State::Running => {
                let mut b = f64::INFINITY;
                for d in 0..=self.stack.depth {
                    if self.stack.pos[d] < self.stack.end[d] {
                        b = b.min(self.level_bound(d));
                    }
                }
                b
            }
        };
        inc.min(open)
    }

    /// Runs at most `budget` nodes; returns true when the search has finished.
    pub(crate) fn step(&mut self, budget: u64) -> bool {
        let stop = self.nodes.saturating_add(budget);
        if self.state == State::Start {
            self.stack.depth = 0;
            self.stack.partial[0] = 0.0;
            self.enter(0);
            self.state = State::Running;
        }
        while self.state == State::Running && self.nodes < stop {
            self.advance();
        }
        self.state == State::Done
    }
}
