//! The workflow's input: the client's payload, or generated numbers.
//!
//! A generated workload of `bytes` bytes is decimal `u64` numbers, one per line,
//! drawn with SplitMix64 from `seed` (the example functions sort, compress and
//! merge them); the same size and seed give the same bytes.

use base64::Engine as _;
use faasplan_core::executor::Workload;

/// The input bytes of `workload`.
pub fn bytes(workload: &Workload) -> Result<Vec<u8>, String> {
    match workload {
        Workload::Payload { data_base64 } => base64::engine::general_purpose::STANDARD
            .decode(data_base64)
            .map_err(|e| format!("workload.data_base64: {e}")),
        Workload::Size { bytes, seed } => {
            let target = usize::try_from(*bytes)
                .map_err(|_| format!("workload.bytes: {bytes} is too large"))?;
            Ok(numbers(target, *seed))
        }
    }
}

fn numbers(target: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(target + 21);
    let mut state = seed;
    while out.len() < target {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.extend_from_slice(z.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_workload_is_deterministic_and_sized() {
        let w = Workload::Size {
            bytes: 1000,
            seed: 7,
        };
        let a = bytes(&w).unwrap();
        assert_eq!(a, bytes(&w).unwrap());
        assert!(a.len() >= 1000 && a.len() < 1021);
        assert!(
            a.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .all(|l| std::str::from_utf8(l).unwrap().parse::<u64>().is_ok())
        );
        assert_ne!(
            a,
            bytes(&Workload::Size {
                bytes: 1000,
                seed: 8
            })
            .unwrap()
        );
    }
}
