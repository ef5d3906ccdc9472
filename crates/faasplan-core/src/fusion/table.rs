//! The sampled table of a fused group (see the parent module for the model).

use crate::arch::{Arch, Architectures};
use crate::dag::{Config, Dag, StageKind, Workflow};
use crate::model::{StageCurves, StageModel, WorkflowModel};
use crate::platform::Platform;
use crate::pricing::{EdgeDevice, StageExtra, StageSite, stage_extra};
use crate::problem::{SampledProblem, StageContext, StageTable, to_sample, widen};
use crate::sampling::kernel::{Coster, Residuals};
use crate::settings::ColdStarts;
use crate::stats::empirical::quantile_in_place;

/// A group of stages and what its table is computed from.
pub(crate) struct Group<'a> {
    pub(crate) workflow: &'a Workflow,
    pub(crate) dag: &'a Dag,
    pub(crate) model: &'a WorkflowModel,
    pub(crate) platform: &'a Platform,
    /// The root first, then the members in topological order.
    pub(crate) members: &'a [usize],
    /// The group's cold-start setting: its root's (the members run inside the
    /// instances the root starts, so their own settings do not apply).
    pub(crate) cold: ColdStarts,
    /// Where the group runs when it is on the edge device; `None` in the cloud.
    pub(crate) edge: Option<EdgeSite<'a>>,
    /// The stages' architecture choices (time factors and the other
    /// architecture's prices); `None` when every stage runs on the platform's.
    pub(crate) arch: Option<&'a Architectures>,
}

/// A group placed on the edge device.
pub(crate) struct EdgeSite<'a> {
    pub(crate) device: &'a EdgeDevice,
    /// Every stage's placement (true: on the device).
    pub(crate) on_edge: &'a [bool],
    /// Whether this group pays the device's fee (the first edge group does).
    pub(crate) fee: bool,
}

/// The candidates (d = 1) every member of `members` has among its own:
/// memory sizes, each on an architecture every member allows (a member
/// without an architecture choice allows only `native`). Returns the
/// configurations, ascending per architecture with `native` first, and their
/// architectures (empty when no member has an architecture choice).
pub(crate) fn common_candidates(
    base: &SampledProblem,
    members: &[usize],
    native: Arch,
) -> (Vec<Config>, Vec<Arch>) {
    let arch_of = |t: &crate::problem::StageTable, j: usize| t.architecture(j).unwrap_or(native);
    let has = |m: usize, c: Config, a: Arch| {
        let t = &base.stages[m];
        (0..t.configs.len()).any(|j| t.configs[j] == c && arch_of(t, j) == a)
    };
    let root = &base.stages[members[0]];
    let mut pairs: Vec<(bool, Config, Arch)> = (0..root.configs.len())
        .map(|j| (root.configs[j], arch_of(root, j)))
        .filter(|(c, _)| c.d == 1)
        .filter(|&(c, a)| members[1..].iter().all(|&m| has(m, c, a)))
        .map(|(c, a)| (a != native, c, a))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let tagged = members
        .iter()
        .any(|&m| !base.stages[m].architectures.is_empty());
    let configs = pairs.iter().map(|p| p.1).collect();
    let archs = if tagged {
        pairs.iter().map(|p| p.2).collect()
    } else {
        Vec::new()
    };
    (configs, archs)
}

impl Group<'_> {
    /// Seconds the group spends moving data across the device's link: every
    /// workflow edge between a member and a stage in the cloud (its data size
    /// from `platform.pricing.edge_data`, 0 MB when not given) costs the link
    /// latency plus its size over the bandwidth. 0 for a cloud group.
    pub(crate) fn link_s(&self) -> f64 {
        let Some(site) = &self.edge else {
            return 0.0;
        };
        let ids = &self.workflow.stages;
        let size = |u: usize, v: usize| {
            self.platform
                .pricing
                .edge_data
                .iter()
                .find(|e| e.from == ids[u].id && e.to == ids[v].id)
                .map_or(0.0, |e| e.data_mb)
        };
        let mut t = 0.0;
        for &m in self.members {
            for &p in &self.dag.parents[m] {
                if !site.on_edge[p] {
                    t += site.device.transfer_s(size(p, m));
                }
            }
            for &c in &self.dag.children[m] {
                if !site.on_edge[c] {
                    t += site.device.transfer_s(size(m, c));
                }
            }
        }
        t
    }

    /// The orchestration and transfer charges of the group as one function.
    pub(crate) fn extra(&self, cfg: Config) -> StageExtra {
        let pricing = &self.platform.pricing;
        if pricing.is_free() {
            return StageExtra::default();
        }
        let inside = |i: usize| self.members.contains(&i);
        // Data between two stages on the device stays there: no object.
        let local = |i: usize| inside(i) || self.edge.as_ref().is_some_and(|e| e.on_edge[i]);
        let index = |s: &str| self.workflow.stages.iter().position(|x| x.id == s);
        let mut reads = Vec::new();
        let mut writes = Vec::new();
        for e in &pricing.edge_data {
            let (Some(u), Some(v)) = (index(&e.from), index(&e.to)) else {
                continue;
            };
            if inside(v) && !local(u) {
                reads.push(e.data_mb);
            }
            if inside(u) && !local(v) {
                writes.push(e.data_mb);
            }
        }
        let mut children: Vec<usize> = self
            .members
            .iter()
            .flat_map(|&m| &self.dag.children[m])
            .copied()
            .filter(|&c| !inside(c))
            .collect();
        children.sort_unstable();
        children.dedup();
        let kind = match self.members {
            [one] => self.workflow.stages[*one].kind,
            _ => StageKind::Single,
        };
        let site = StageSite {
            kind,
            n_children: children.len(),
            first_in_topo: self.dag.topo.first().is_some_and(|&t| inside(t)),
            reads_mb: &reads,
            writes_mb: &writes,
        };
        let extra = stage_extra(pricing, &site, cfg);
        match self.members {
            // A service integration has a fixed configuration and is never fused.
            [one] => extra.with_service(pricing, &self.workflow.stages[*one].id),
            _ => extra,
        }
    }
}

/// The table of `group` for `configs` on `archs` (indexed like `configs`;
/// empty: all on the platform's architecture) under `context` (the root's),
/// from each member's residuals `resid` (in member order) over `n` samples.
///
/// On the platform's other architecture every member's in-function time is
/// scaled by its own time factor and the group is billed at that
/// architecture's rates (one architecture per function).
///
/// Latency per sample: the root's `max(start + f·P, f·M)` (its start-up with the
/// cold-start mixture of the group's setting, [`Group::cold`]) plus every other
/// member's latency less its start-up; billed time: the members' `f·M` summed,
/// billed once at the group's memory. For a one-stage group this is the
/// unfused kernel's computation, bit for bit.
pub(crate) fn group_table(
    group: &Group<'_>,
    configs: Vec<Config>,
    archs: Vec<Arch>,
    context: Option<StageContext>,
    resid: &[&Residuals],
    n: usize,
) -> StageTable {
    let n_ctx = context.as_ref().map_or(1, |c| c.parent_d.len());
    let rows = n_ctx * configs.len();
    let mut t = StageTable {
        configs,
        context,
        expected_cost_usd: Vec::with_capacity(rows),
        cost_usd: Vec::with_capacity(rows * n),
        latency_s: Vec::with_capacity(rows * n),
        architectures: archs,
    };
    // The members' models on the platform's other architecture, when a row is on it.
    let foreign = |a: &Arch| group.arch.is_some_and(|x| *a != x.native);
    let other_models: Vec<StageModel> = match group.arch {
        Some(x) if t.architectures.iter().any(foreign) => group
            .members
            .iter()
            .map(|&i| x.other_model(i, &group.model.stages[i]))
            .collect(),
        _ => Vec::new(),
    };
    let (mut lat, mut cost): (Vec<f64>, Vec<f64>) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for ctx in 0..n_ctx {
        let input_d = t.context.as_ref().map(|c| c.parent_d[ctx]);
        for j in 0..t.configs.len() {
            let cfg = t.configs[j];
            let on_other = t.architectures.get(j).is_some_and(foreign);
            let (models, platform): (Vec<&StageModel>, &Platform) = match group.arch {
                Some(x) if on_other => (other_models.iter().collect(), &x.other_platform),
                _ => (
                    group
                        .members
                        .iter()
                        .map(|&i| &group.model.stages[i])
                        .collect(),
                    group.platform,
                ),
            };
            let vcpu = match &group.edge {
                Some(site) => site.device.cores,
                None => f64::from(cfg.memory_mb) / platform.mb_per_vcpu,
            };
            let curves: Vec<StageCurves> = models
                .iter()
                .enumerate()
                .map(|(k, m)| {
                    let d_in = if k == 0 { input_d } else { None };
                    m.curves(cfg, d_in, vcpu)
                })
                .collect();
            let coster = match &group.edge {
                Some(site) => Coster::edge(site.device, site.fee, group.extra(cfg)),
                None => Coster::new(platform, cfg, group.extra(cfg)),
            };
            // Compute on the device takes `speed_factor` times as long; its
            // runtime stays resident (always warm) and the link adds its time.
            let (slow_by, link_s, setting) = match &group.edge {
                Some(site) => (
                    site.device.speed_factor,
                    group.link_s(),
                    ColdStarts::AllWarm,
                ),
                None => (1.0, 0.0, group.cold),
            };
            // The group's instances start as its root's do (members run inside them).
            let cold = models[0].cold_mix(curves[0].d, setting);
            lat.clear();
            cost.clear();
            for s in 0..n {
                let (mut latency, mut billed, mut init) = (0.0, 0.0, 0.0);
                for (k, (c, r)) in curves.iter().zip(resid).enumerate() {
                    let (mut rho, f) = (r.rho[s], r.factor[s] * slow_by);
                    if k == 0 {
                        (rho, init) =
                            cold.start_up_and_init(rho, r.cold_count_u[s], r.cold_start_u[s]);
                    }
                    let slow = c.base_s + rho + f * c.slow_s;
                    let mean = f * c.mean_s;
                    let l = if slow > mean { slow } else { mean };
                    if k == 0 {
                        latency = l;
                        billed = mean;
                    } else {
                        latency += (l - (c.base_s + rho)).max(0.0);
                        billed += mean;
                    }
                }
                lat.push(latency + link_s);
                cost.push(coster.cost_one(billed) + coster.init_cost(init));
            }
            coster.add_extra(&lat, &mut cost);
            let start = t.cost_usd.len();
            t.latency_s.extend(lat.iter().map(|&l| to_sample(l)));
            t.cost_usd.extend(cost.iter().map(|&c| to_sample(c)));
            let sum: f64 = t.cost_usd[start..].iter().map(|&c| f64::from(c)).sum();
            t.expected_cost_usd.push(sum / n as f64);
        }
    }
    t
}

/// `t` without the configurations whose q-quantile latency exceeds `timeout_s`
/// under every context.
pub(crate) fn drop_timeouts(t: StageTable, n: usize, q: f64, timeout_s: f64) -> StageTable {
    let n_cfg = t.configs.len();
    let n_ctx = t.n_contexts();
    let mut scratch = Vec::new();
    let keep: Vec<bool> = (0..n_cfg)
        .map(|j| {
            (0..n_ctx).any(|ctx| {
                let r = t.row(ctx, j) * n;
                widen(&t.latency_s[r..r + n], &mut scratch);
                quantile_in_place(&mut scratch, q) <= timeout_s
            })
        })
        .collect();
    if keep.iter().all(|&k| k) {
        return t;
    }
    let mut out = StageTable {
        configs: Vec::new(),
        context: t.context.clone(),
        expected_cost_usd: Vec::new(),
        cost_usd: Vec::new(),
        latency_s: Vec::new(),
        architectures: Vec::new(),
    };
    if !t.architectures.is_empty() {
        out.architectures = (0..n_cfg)
            .filter(|&j| keep[j])
            .map(|j| t.architectures[j])
            .collect();
    }
    out.configs = (0..n_cfg)
        .filter(|&j| keep[j])
        .map(|j| t.configs[j])
        .collect();
    for ctx in 0..n_ctx {
        for j in (0..n_cfg).filter(|&j| keep[j]) {
            let r = t.row(ctx, j);
            out.expected_cost_usd.push(t.expected_cost_usd[r]);
            out.latency_s
                .extend_from_slice(&t.latency_s[r * n..(r + 1) * n]);
            out.cost_usd
                .extend_from_slice(&t.cost_usd[r * n..(r + 1) * n]);
        }
    }
    out
}
