//! The last stage: k-way merges the sorted runs, inflates the compressed streams,
//! checks that both carry the same numbers, and writes the merged list.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

fn main() -> std::process::ExitCode {
    faasplan_kernels::run(|inputs, _parts| {
        let (mut runs, mut inflated) = (Vec::new(), Vec::new());
        for input in &inputs {
            if input.data.iter().all(|b| b.is_ascii_digit() || *b == b'\n') {
                runs.push(faasplan_kernels::numbers(&input.data).collect::<Vec<u64>>());
            } else {
                match miniz_oxide::inflate::decompress_to_vec(&input.data) {
                    Ok(bytes) => inflated.extend(faasplan_kernels::numbers(&bytes)),
                    Err(e) => eprintln!(
                        "{}: not a number list nor a DEFLATE stream ({e:?})",
                        input.path
                    ),
                }
            }
        }
        let mut heap: BinaryHeap<Reverse<(u64, usize, usize)>> = runs
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.is_empty())
            .map(|(i, r)| Reverse((r[0], i, 0)))
            .collect();
        let mut merged = Vec::with_capacity(runs.iter().map(Vec::len).sum());
        while let Some(Reverse((v, run, at))) = heap.pop() {
            merged.push(v);
            if let Some(&next) = runs[run].get(at + 1) {
                heap.push(Reverse((next, run, at + 1)));
            }
        }
        if !inflated.is_empty() {
            inflated.sort_unstable();
            if inflated != merged {
                eprintln!(
                    "the compressed branch holds {} numbers, the sorted branch {}",
                    inflated.len(),
                    merged.len()
                );
            }
        }
        vec![faasplan_kernels::lines(&merged)]
    })
}
