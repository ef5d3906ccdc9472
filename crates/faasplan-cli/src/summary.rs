//! Short human summaries for stderr.

use faasplan_core::plan::{PlanReport, PlanStatus};
use faasplan_core::settings::{Bound, CostKind};

/// A percentile as a percentage without float noise: 0.95 → "95", 0.999 → "99.9".
pub fn percent(q: f64) -> String {
    let s = format!("{:.4}", q * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Runs per million, to quote costs per million runs.
pub const MILLION: f64 = 1e6;

/// A bound rounded up to a value that still holds when quoted (4 significant
/// digits, upwards, so "the nearest achievable bound" is one a user can type).
pub fn rounded_up(b: &Bound) -> Bound {
    let up = |v: f64| {
        if v <= 0.0 || !v.is_finite() {
            return v;
        }
        let scale = 10f64.powi(3 - v.log10().floor() as i32);
        (v * scale).ceil() / scale
    };
    match *b {
        Bound::Latency { max_s } => Bound::Latency { max_s: up(max_s) },
        Bound::Cost { max_usd, kind } => Bound::Cost {
            max_usd: up(max_usd),
            kind,
        },
    }
}

/// The confidence claim of a run: the settings' confidence when the sample
/// count reaches what the sample-size formula needs (`needed`), else a plain
/// statement that the guarantee does not hold at that count.
pub fn confidence(confidence: f64, samples: usize, needed: usize) -> String {
    if samples >= needed {
        format!("with confidence {confidence}")
    } else {
        format!("({})", no_guarantee(confidence, samples, needed))
    }
}

/// The plain statement that a sample count is too small for the claimed confidence.
pub fn no_guarantee(confidence: f64, samples: usize, needed: usize) -> String {
    format!(
        "the guarantee does NOT hold: {samples} samples are too few for confidence {confidence} (the sample-size formula needs {needed}); the figures are estimates only"
    )
}

/// The summary of a plan: one line per stage and the totals; `needed` is the
/// sample count the guarantee needs.
pub fn plan(report: &PlanReport, needed: usize) -> String {
    let s = &report.settings;
    let status = match report.status {
        PlanStatus::Optimal => "optimal".to_string(),
        PlanStatus::FeasibleWithGap { relative_gap } => {
            format!("feasible, within {:.2}% of optimal", relative_gap * 100.0)
        }
        _ => "no plan".to_string(),
    };
    let run = format!("{} samples, seed {}, {}", s.samples, s.seed, s.platform);
    // With a sample design in the report, the union-bound flag says whether the
    // a-priori guarantee holds at this N; else compare with the formula's N.
    let holds = report.guarantee.as_ref().map_or(s.samples >= needed, |g| {
        g.union_bound || s.samples >= needed
    });
    let mut out = if holds {
        format!(
            "{}: {status} at P{} with confidence {} ({run})\n",
            report.workflow,
            percent(s.percentile),
            s.confidence
        )
    } else {
        format!(
            "{}: {status} at P{} ({run})\n  {}\n",
            report.workflow,
            percent(s.percentile),
            no_guarantee(s.confidence, s.samples, needed)
        )
    };
    let w = report
        .stages
        .iter()
        .map(|p| p.stage.chars().count())
        .max()
        .unwrap_or(5);
    for p in &report.stages {
        let mut fused = match &p.fused_into {
            Some(root) => format!("   fused into {root}"),
            None => String::new(),
        };
        if p.on_edge {
            fused.push_str("   on the edge device");
        }
        if let Some(a) = p.architecture {
            fused.push_str(&format!("   {a}"));
        }
        if !p.shares_memory_with.is_empty() {
            fused.push_str(&format!(
                "   shares memory with {}",
                p.shares_memory_with.join(", ")
            ));
        }
        out.push_str(&format!(
            "  {:<w$}  {:>5} MB × {:>2}   P{}: {:>7.2} s   ${:.6} per run{fused}\n",
            p.stage,
            p.memory_mb,
            p.d,
            percent(s.percentile),
            p.latency_q_s,
            p.expected_cost_usd
        ));
    }
    let cert = report
        .guarantee
        .as_ref()
        .and_then(|g| g.certificate.as_ref());
    if let Some(t) = &report.totals {
        let how = match cert {
            Some(c) if c.certified_latency_s.is_some() => format!(
                "P{} ≤ {:.2} s certified at {}% confidence on {} fresh runs",
                percent(s.percentile),
                t.guaranteed_latency_s,
                percent(c.confidence),
                c.fresh_samples
            ),
            _ => format!(
                "guaranteed latency {:.2} s on the planning samples (too few fresh runs to certify)",
                t.guaranteed_latency_s
            ),
        };
        out.push_str(&format!(
            "{how}; expected cost ${:.6} per run, ${:.2} per million runs\n",
            t.expected_cost_usd,
            t.expected_cost_usd * MILLION
        ));
    }
    // The breakdown of every plan, also when the functions are all it pays for.
    if let Some(b) = report.cost_breakdown {
        let edge = if b.edge_usd != 0.0 {
            format!(", edge device ${:.2}", b.edge_usd * MILLION)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "per million runs: functions ${:.2}, orchestration ${:.2}, intermediate data ${:.2}{edge}\n",
            b.functions_usd * MILLION,
            b.transitions_usd * MILLION,
            b.transfer_usd * MILLION
        ));
    }
    if let Some(g) = &report.guarantee {
        let verdict = match cert.and_then(|c| c.meets_bound) {
            Some(true) => "; certificate meets the bound",
            Some(false) => "; certificate does NOT meet the bound",
            None => "",
        };
        let violations = match cert.and_then(|c| c.violations.zip(c.violation_upper)) {
            Some((k, u)) => format!(
                "; {k} fresh violations, violation probability ≤ {:.4}%",
                u * 100.0
            ),
            None => String::new(),
        };
        out.push_str(&format!(
            "planned on N = {} samples allowing a = {} over the bound{}, {} solve(s){violations}{verdict}\n",
            g.samples,
            g.allowed_violations,
            if g.union_bound { " (union bound holds)" } else { "" },
            g.attempts
        ));
    }
    if let Some(o) = &report.out_of_sample {
        let q = percent(s.percentile);
        let latency_q = o.totals.latency_q_s;
        out.push_str(&match s.bound {
            // A mean-cost bound is about the average, not about each run.
            Bound::Cost {
                kind: CostKind::Mean,
                max_usd,
            } => format!(
                "out of sample ({} fresh samples): mean cost ${:.6} per run (bound ${max_usd}), P{q} latency {latency_q:.2} s\n",
                o.samples, o.totals.expected_cost_usd
            ),
            _ => format!(
                "out of sample ({} fresh samples): {:.2}% meet the bound, P{q} latency {latency_q:.2} s\n",
                o.samples,
                o.fraction_meeting_bound * 100.0
            ),
        });
    }
    out
}

/// How far above the plan's cost a cost bound may be before it looks like a unit
/// mistake (the bound does not bind: the plan is the fastest there is).
const FAR_ABOVE: f64 = 100.0;

/// A hint when a cost bound is far above what any plan costs: with a cost
/// bound the planner returns the fastest plan, whose cost is the top of the
/// useful range, so a bound 100× above it (e.g. 1800 meant in units of 1e-5
/// USD) binds nothing and is likely a mistake.
pub fn cost_bound_hint(report: &PlanReport) -> Option<String> {
    let Bound::Cost { max_usd, kind } = report.settings.bound else {
        return None;
    };
    let totals = report.totals.as_ref()?;
    let cost = match kind {
        CostKind::Mean => totals.expected_cost_usd,
        CostKind::Quantile => totals.cost_q_usd,
    };
    (cost > 0.0 && max_usd > FAR_ABOVE * cost).then(|| {
        format!(
            "hint: the cost bound ${max_usd} per run is {:.0}× what the fastest plan costs (${cost:.6} per run), so it binds nothing: every bound from ${cost:.6} up gives this same plan; is the bound in the wrong unit (USD per run)?",
            max_usd / cost
        )
    })
}
