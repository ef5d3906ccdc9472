//! Baseline plans in the state: the worker's answer for the current bound
//! ([`BaselinesStatus`]), the legend's hidden markers, and the comparison
//! sentence of each baseline against the chosen plan ([`compare`]).
//!
//! Like the check, an answer carries the `inputs_rev` and `bound_rev` it was
//! asked for and is dropped unless both are current. The hidden markers are a
//! set of baseline names kept across runs and bounds (they are a view choice,
//! not part of the saved project).

use std::rc::Rc;

use super::{Action, AppState};
use crate::worker::protocol::{BaselineRow, BaselineSet};

/// State of the baseline plans for the current bound.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum BaselinesStatus {
    /// Not asked for the current bound.
    #[default]
    Idle,
    /// Asked for `bound_rev` `key`.
    Pending {
        /// `bound_rev` it was asked for.
        key: u64,
    },
    /// Arrived.
    Done {
        /// `bound_rev` it was asked for.
        key: u64,
        /// The baselines.
        set: Rc<BaselineSet>,
    },
    /// Failed with a message for the user.
    Failed {
        /// `bound_rev` it was asked for.
        key: u64,
        /// Why.
        message: String,
    },
}

impl BaselinesStatus {
    fn key(&self) -> Option<u64> {
        match self {
            BaselinesStatus::Idle => None,
            BaselinesStatus::Pending { key }
            | BaselinesStatus::Done { key, .. }
            | BaselinesStatus::Failed { key, .. } => Some(*key),
        }
    }
}

/// How a baseline compares with the chosen plan.
#[derive(Clone, Debug, PartialEq)]
pub enum Comparison {
    /// The baseline found no plan.
    NoPlan,
    /// Its plan misses the bound: guaranteed latency `latency_s` > `bound_s`.
    Misses {
        /// The baseline's guaranteed latency, s.
        latency_s: f64,
        /// The bound, s.
        bound_s: f64,
    },
    /// Its plan meets the bound; the chosen plan's cost relative to it, %
    /// (negative: the chosen plan is cheaper).
    Meets {
        /// `(chosen − baseline) / baseline × 100`.
        cost_diff_pct: f64,
    },
}

/// Compares baseline `row` (judged against `bound_s`) with a chosen plan of
/// expected cost `chosen_cost_usd`.
pub fn compare(row: &BaselineRow, bound_s: f64, chosen_cost_usd: f64) -> Comparison {
    if row.plan.is_none() || !row.expected_cost_usd.is_finite() {
        Comparison::NoPlan
    } else if !row.meets_bound {
        Comparison::Misses {
            latency_s: row.guaranteed_latency_s,
            bound_s,
        }
    } else {
        Comparison::Meets {
            cost_diff_pct: (chosen_cost_usd - row.expected_cost_usd) / row.expected_cost_usd
                * 100.0,
        }
    }
}

/// The comparison as a sentence about the chosen plan, e.g. "−23% cost at the
/// same P95" or "misses the bound: P95 41.23 s > 40 s"; `p` is the percentile label ("95").
pub fn sentence(c: &Comparison, p: &str) -> String {
    match *c {
        Comparison::NoPlan => "no plan".to_string(),
        Comparison::Misses { latency_s, bound_s } => format!(
            "misses the bound: P{p} {} s > {} s",
            sig(latency_s),
            sig(bound_s)
        ),
        Comparison::Meets { cost_diff_pct } if cost_diff_pct.abs() < 0.05 => {
            format!("same cost at the same P{p} bound")
        }
        Comparison::Meets { cost_diff_pct } => {
            let sign = if cost_diff_pct < 0.0 { "−" } else { "+" };
            format!(
                "{sign}{:.1}% cost at the same P{p} bound",
                cost_diff_pct.abs()
            )
        }
    }
}

/// Four significant digits without trailing zeros ("40", "41.23").
fn sig(x: f64) -> String {
    faasplan_charts::fmt_short(x, 4)
}

impl AppState {
    pub(crate) fn apply_baselines(&mut self, action: Action) {
        let current = |rev: u64, key: u64, s: &AppState| rev == s.inputs_rev && key == s.bound_rev;
        match action {
            Action::BaselinesStarted { rev, key } if current(rev, key, self) => {
                self.baselines = BaselinesStatus::Pending { key };
            }
            Action::BaselinesFinished { rev, key, result } if current(rev, key, self) => {
                self.baselines = match result {
                    Ok(set) => BaselinesStatus::Done { key, set },
                    Err(message) => BaselinesStatus::Failed { key, message },
                };
            }
            Action::ToggleMarker(name) if !self.hidden_markers.remove(&name) => {
                self.hidden_markers.insert(name);
            }
            _ => {}
        }
    }

    /// The baselines of the current bound, if they are the current ones.
    pub fn current_baselines(&self) -> &BaselinesStatus {
        if self.baselines.key() == Some(self.bound_rev) {
            &self.baselines
        } else {
            &BaselinesStatus::Idle
        }
    }
}

#[cfg(test)]
mod tests;
