//! Automatic layered layout for imported workflows.
//!
//! 1. Layer = length of the longest path from a source (Kahn's order), so every
//!    edge points to a later layer, left to right. Stages on a cycle (which a
//!    valid workflow has not) go to layer 0.
//! 2. Within a layer, stages are ordered by the mean row of their parents
//!    (one barycentre sweep, ties keep the user's order), which removes most
//!    crossings on workflow-shaped DAGs.
//! 3. Layer `l`, row `r` is placed at `x = l · (NODE_W + H_GAP)`,
//!    `y = (r − rows_l / 2) · (NODE_H + V_GAP)` around a common centre line.

use faasplan_core::dag::{Position, Workflow};

use super::{NODE_H, NODE_W};

/// Horizontal gap between layers, model units.
pub const H_GAP: f64 = 80.0;
/// Vertical gap between stages of a layer, model units.
pub const V_GAP: f64 = 32.0;

/// Layer of each stage (indexed like `wf.stages`).
pub fn layers(wf: &Workflow) -> Vec<usize> {
    let n = wf.stages.len();
    let index = |id: &str| wf.stages.iter().position(|s| s.id == id);
    let edges: Vec<(usize, usize)> = wf
        .edges
        .iter()
        .filter_map(|e| Some((index(&e.from)?, index(&e.to)?)))
        .collect();
    let mut indegree = vec![0usize; n];
    for &(_, b) in &edges {
        indegree[b] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).rev().collect();
    while let Some(a) = ready.pop() {
        for &(from, b) in &edges {
            if from == a {
                layer[b] = layer[b].max(layer[a] + 1);
                indegree[b] -= 1;
                if indegree[b] == 0 {
                    ready.push(b);
                }
            }
        }
    }
    layer
}

/// A top-left position for every stage (indexed like `wf.stages`).
pub fn layered_layout(wf: &Workflow) -> Vec<Position> {
    let layer = layers(wf);
    let depth = layer.iter().copied().max().map_or(0, |m| m + 1);
    let mut row = vec![0.0f64; wf.stages.len()];
    let mut rows_in: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (l, slot) in rows_in.iter_mut().enumerate() {
        let mut members: Vec<(f64, usize)> = (0..wf.stages.len())
            .filter(|&i| layer[i] == l)
            .map(|i| (parent_barycentre(wf, i, &row).unwrap_or(i as f64), i))
            .collect();
        members.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (r, &(_, i)) in members.iter().enumerate() {
            row[i] = r as f64;
        }
        *slot = members.into_iter().map(|(_, i)| i).collect();
    }
    let tallest = rows_in.iter().map(Vec::len).max().unwrap_or(0) as f64;
    (0..wf.stages.len())
        .map(|i| {
            let count = rows_in[layer[i]].len() as f64;
            let centred = row[i] + (tallest - count) / 2.0;
            Position {
                x: layer[i] as f64 * (NODE_W + H_GAP),
                y: centred * (NODE_H + V_GAP),
            }
        })
        .collect()
}

fn parent_barycentre(wf: &Workflow, i: usize, row: &[f64]) -> Option<f64> {
    let id = &wf.stages[i].id;
    let parents: Vec<f64> = wf
        .edges
        .iter()
        .filter(|e| &e.to == id)
        .filter_map(|e| wf.stages.iter().position(|s| s.id == e.from))
        .map(|p| row[p])
        .collect();
    (!parents.is_empty()).then(|| parents.iter().sum::<f64>() / parents.len() as f64)
}
