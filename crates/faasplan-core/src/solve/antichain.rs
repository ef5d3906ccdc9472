//! Maximal antichains of the DAG: the sets of stages that can run at the same time.
//!
//! Two stages can run at once when neither is an ancestor of the other. The
//! concurrency constraint `Σ_{i ∈ A} d_i ≤ c` must hold for every antichain A;
//! since every `d_i ≥ 1`, it suffices to check the maximal ones. They are the
//! maximal cliques of the incomparability graph, enumerated with Bron–Kerbosch
//! with pivoting over `u64` bit sets. Limits: at most 64 stages, and the number of
//! maximal antichains can grow exponentially with the DAG's width (about 3^(K/3)
//! for K mutually independent groups); the workflows planned here have ≤ ~20 stages.

use crate::problem::SampledProblem;

/// Whether `choice` keeps `Σ d` over every set of stages that can run at once
/// (every maximal antichain of the DAG) within the problem's concurrency limit;
/// true without a limit. The search checks the same constraint on precomputed
/// antichains; baselines and reports call this. `choice` must fit the problem
/// (one configuration index in range per stage, see
/// [`SampledProblem::check_choice`]); a problem over 64 stages is never within.
pub fn concurrency_ok(problem: &SampledProblem, choice: &[u32]) -> bool {
    let Some(limit) = problem.concurrency_limit else {
        return true;
    };
    let d: Vec<u64> = problem
        .stages
        .iter()
        .zip(choice)
        .map(|(t, &c)| u64::from(t.configs[c as usize].d))
        .collect();
    if d.iter().sum::<u64>() <= u64::from(limit) {
        return true;
    }
    if problem.stages.len() > 64 {
        return false;
    }
    maximal_antichains(&problem.parents, &problem.topo)
        .iter()
        .all(|&set| {
            d.iter()
                .enumerate()
                .filter(|&(i, _)| set >> i & 1 == 1)
                .map(|(_, &x)| x)
                .sum::<u64>()
                <= u64::from(limit)
        })
}

/// Bit set of the stages each stage is comparable with (ancestors and descendants).
fn comparable(parents: &[Vec<usize>], topo: &[usize]) -> Vec<u64> {
    let k = parents.len();
    let mut anc = vec![0u64; k];
    for &i in topo {
        for &p in &parents[i] {
            anc[i] |= anc[p] | (1 << p);
        }
    }
    let mut cmp = anc.clone();
    for (i, a) in anc.iter().enumerate() {
        for (j, c) in cmp.iter_mut().enumerate() {
            if a >> j & 1 == 1 {
                *c |= 1 << i;
            }
        }
    }
    cmp
}

fn bron_kerbosch(r: u64, mut p: u64, mut x: u64, adj: &[u64], out: &mut Vec<u64>) {
    if p == 0 && x == 0 {
        out.push(r);
        return;
    }
    let pivot = (p | x).trailing_zeros() as usize;
    let mut cand = p & !adj[pivot];
    while cand != 0 {
        let v = cand.trailing_zeros() as usize;
        cand &= cand - 1;
        bron_kerbosch(r | 1 << v, p & adj[v], x & adj[v], adj, out);
        p &= !(1 << v);
        x |= 1 << v;
    }
}

/// Every maximal antichain as a bit set of stage indices, in a deterministic order.
/// Requires `parents.len() ≤ 64` (checked by the caller).
pub(crate) fn maximal_antichains(parents: &[Vec<usize>], topo: &[usize]) -> Vec<u64> {
    let k = parents.len();
    let full = if k == 64 { u64::MAX } else { (1u64 << k) - 1 };
    let cmp = comparable(parents, topo);
    let adj: Vec<u64> = (0..k).map(|i| !cmp[i] & full & !(1 << i)).collect();
    let mut out = Vec::new();
    bron_kerbosch(0, full, 0, &adj, &mut out);
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diamond_has_the_two_middle_stages_as_an_antichain() {
        // 0 -> {1, 2} -> 3
        let parents = vec![vec![], vec![0], vec![0], vec![1, 2]];
        let a = maximal_antichains(&parents, &[0, 1, 2, 3]);
        assert_eq!(a, vec![0b0001, 0b0110, 0b1000]);
    }

    #[test]
    fn chain_has_only_singletons() {
        let parents = vec![vec![], vec![0], vec![1]];
        assert_eq!(maximal_antichains(&parents, &[0, 1, 2]), vec![1, 2, 4]);
    }

    #[test]
    fn independent_stages_form_one_antichain() {
        let parents = vec![vec![], vec![], vec![]];
        assert_eq!(maximal_antichains(&parents, &[0, 1, 2]), vec![0b111]);
    }
}
