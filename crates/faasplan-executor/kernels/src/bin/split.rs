//! The workflow's first stage: reads the input numbers and range-partitions
//! them, so that part p holds the p-th slice of the value range.

fn main() -> std::process::ExitCode {
    faasplan_kernels::run(|inputs, parts| {
        let mut buckets = vec![Vec::new(); parts];
        for input in &inputs {
            for v in faasplan_kernels::numbers(&input.data) {
                let p = (u128::from(v) * parts as u128 >> 64) as usize;
                buckets[p].push(v);
            }
        }
        buckets.iter().map(|b| faasplan_kernels::lines(b)).collect()
    })
}
