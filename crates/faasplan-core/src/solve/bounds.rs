//! Latency bounds on a sample subset S (the reduced problem of constraint generation).
//!
//! Tables are laid out like `StageTable::latency_s` with `m = |S|` samples per row.
//! With `m_i(t)` the least latency of stage `i` on sample `t` over all its
//! configurations and contexts:
//! - `head_i(t) = max_{p ∈ parents(i)} (head_p(t) + m_p(t))`, the earliest start;
//! - `tail_i(t) = max_{c ∈ children(i)} (m_c(t) + tail_c(t))`, the least time after;
//! - `base(t) = max_i (head_i(t) + m_i(t) + tail_i(t))`, the least workflow latency
//!   any plan reaches on `t`;
//! - per configuration, `thr` = the `(a + 1)`-th largest `head + L(t) + tail` over the
//!   samples: no plan using it meets a bound below `thr`. It does not depend on the
//!   bound, so it is computed once on all N samples (`Precomputed::thr`, `thr_at =
//!   Some(a)`), which is never weaker than on a subset (the same per-sample values,
//!   and the `(a + 1)`-th largest of a superset is at least that of a subset).

use crate::stats::guarantee_in_place;

/// Bounds of one subset.
pub(crate) struct SubsetBounds {
    /// `[stage * m + t]`.
    pub tail: Vec<f64>,
    /// `[t]`.
    pub base: Vec<f64>,
    /// Least latency per stage, `[stage * m + t]`.
    pub minl: Vec<f64>,
    /// `[stage][row]` (empty unless asked for).
    pub thr: Vec<Vec<f64>>,
}

/// Per-sample minimum over the rows of a `rows × m` table.
pub(crate) fn row_min<E: Copy + Into<f64>>(table: &[E], m: usize) -> Vec<f64> {
    let mut out = vec![f64::INFINITY; m];
    for row in table.chunks_exact(m.max(1)) {
        for (o, &v) in out.iter_mut().zip(row) {
            let v: f64 = v.into();
            if v < *o {
                *o = v;
            }
        }
    }
    out
}

/// Computes the bounds from the gathered latency tables `lat[stage]`.
pub(crate) fn subset_bounds<E: Copy + Into<f64>, T: AsRef<[E]>>(
    lat: &[T],
    parents: &[Vec<usize>],
    topo: &[usize],
    m: usize,
    thr_at: Option<usize>,
) -> SubsetBounds {
    let k = lat.len();
    let minl: Vec<Vec<f64>> = lat.iter().map(|t| row_min(t.as_ref(), m)).collect();
    let mut head = vec![0.0; k * m];
    let mut tail = vec![0.0; k * m];
    for &i in topo {
        for &q in &parents[i] {
            for t in 0..m {
                let v = head[q * m + t] + minl[q][t];
                if v > head[i * m + t] {
                    head[i * m + t] = v;
                }
            }
        }
    }
    for &i in topo.iter().rev() {
        for &q in &parents[i] {
            for t in 0..m {
                let v = minl[i][t] + tail[i * m + t];
                if v > tail[q * m + t] {
                    tail[q * m + t] = v;
                }
            }
        }
    }
    let mut base = vec![0.0; m];
    for i in 0..k {
        for t in 0..m {
            let v = head[i * m + t] + minl[i][t] + tail[i * m + t];
            if v > base[t] {
                base[t] = v;
            }
        }
    }
    let Some(a) = thr_at else {
        return SubsetBounds {
            tail,
            base,
            thr: Vec::new(),
            minl: minl.concat(),
        };
    };
    let mut v = vec![0.0; m];
    let thr = (0..k)
        .map(|i| {
            lat[i]
                .as_ref()
                .chunks_exact(m.max(1))
                .map(|row| {
                    for t in 0..m {
                        v[t] = head[i * m + t] + row[t].into() + tail[i * m + t];
                    }
                    if a >= m {
                        0.0
                    } else {
                        guarantee_in_place(&mut v, a)
                    }
                })
                .collect()
        })
        .collect();
    SubsetBounds {
        tail,
        base,
        thr,
        minl: minl.concat(),
    }
}
