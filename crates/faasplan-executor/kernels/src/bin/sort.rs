//! Sorts its numbers and writes them as sorted runs, one per downstream instance.

fn main() -> std::process::ExitCode {
    faasplan_kernels::run(|inputs, parts| {
        let mut values: Vec<u64> = inputs
            .iter()
            .flat_map(|i| faasplan_kernels::numbers(&i.data))
            .collect();
        values.sort_unstable();
        faasplan_kernels::chunks(&values, parts)
            .iter()
            .map(|c| faasplan_kernels::lines(c))
            .collect()
    })
}
