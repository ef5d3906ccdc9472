//! Seeded random streams.
//!
//! Every random draw in faasplan comes from a Xoshiro256++ generator seeded from
//! the user's `seed` and a stream number, so that draws for one purpose (say,
//! stage 3's start-up times) do not shift when another purpose draws more or
//! fewer numbers. The same seed gives bit-identical draws natively and in wasm32.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A generator for stream `stream` of seed `seed`.
pub fn stream(seed: u64, stream: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(splitmix64(
        seed ^ splitmix64(stream.wrapping_add(0x9E37_79B9_7F4A_7C15)),
    ))
}

/// A uniform draw in the open interval (0, 1), with 53 random bits.
pub fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// The SplitMix64 finaliser: a bijective 64-bit mix.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn same_seed_and_stream_give_the_same_draws() {
        let a: Vec<f64> = (0..4)
            .map({
                let mut r = stream(7, 3);
                move |_| uniform(&mut r)
            })
            .collect();
        let b: Vec<f64> = (0..4)
            .map({
                let mut r = stream(7, 3);
                move |_| uniform(&mut r)
            })
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn streams_differ() {
        assert_ne!(uniform(&mut stream(7, 3)), uniform(&mut stream(7, 4)));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn uniform_stays_inside_the_open_interval() {
        let mut r = stream(1, 1);
        assert!(
            (0..10_000)
                .map(|_| uniform(&mut r))
                .all(|u| u > 0.0 && u < 1.0)
        );
    }
}
