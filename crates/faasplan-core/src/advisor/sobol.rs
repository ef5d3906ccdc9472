//! Quasi-Monte Carlo: the Sobol sequence (Joe–Kuo direction numbers,
//! `new-joe-kuo-6.21201`, first [`MAX_DIMS`] dimensions, unscrambled, the same
//! points as SciPy's `qmc.Sobol(scramble=False)`) and the standard normal
//! quantile (Acklam's rational approximation, relative error below 1.2e-9).

/// The most dimensions the sequence provides.
pub const MAX_DIMS: usize = 16;

/// Bits of every coordinate.
const BITS: usize = 32;

/// `(s, a, m₁..m_s)` of dimensions 2.. (dimension 1 is van der Corput's).
const JOE_KUO: [(u32, u32, &[u32]); MAX_DIMS - 1] = [
    (1, 0, &[1]),
    (2, 1, &[1, 3]),
    (3, 1, &[1, 3, 1]),
    (3, 2, &[1, 1, 1]),
    (4, 1, &[1, 1, 3, 3]),
    (4, 4, &[1, 3, 5, 13]),
    (5, 2, &[1, 1, 5, 5, 17]),
    (5, 4, &[1, 1, 5, 5, 5]),
    (5, 7, &[1, 1, 7, 11, 19]),
    (5, 11, &[1, 1, 5, 1, 1]),
    (5, 13, &[1, 1, 1, 3, 11]),
    (5, 14, &[1, 3, 5, 5, 31]),
    (6, 1, &[1, 3, 3, 9, 7, 49]),
    (6, 13, &[1, 1, 1, 15, 21, 21]),
    (6, 16, &[1, 3, 1, 13, 27, 49]),
];

/// Direction numbers `v[dim][bit]`, scaled to 32 bits.
fn directions(dims: usize) -> Vec<[u32; BITS]> {
    let mut out = Vec::with_capacity(dims);
    let mut first = [0u32; BITS];
    for (i, v) in first.iter_mut().enumerate() {
        *v = 1u32 << (BITS - 1 - i);
    }
    out.push(first);
    for &(s, a, m) in JOE_KUO.iter().take(dims.saturating_sub(1)) {
        let s = s as usize;
        let mut v = [0u32; BITS];
        for i in 0..BITS {
            if i < s {
                v[i] = m[i] << (BITS - 1 - i);
            } else {
                let mut x = v[i - s] ^ (v[i - s] >> s);
                for k in 1..s {
                    if (a >> (s - 1 - k)) & 1 == 1 {
                        x ^= v[i - k];
                    }
                }
                v[i] = x;
            }
        }
        out.push(v);
    }
    out
}

/// The first `count` points of the `dims`-dimensional Sobol sequence (the first
/// point is the origin), row-major `count × dims`, or `None` if `dims` is 0 or
/// above [`MAX_DIMS`].
pub fn sobol_points(count: usize, dims: usize) -> Option<Vec<f64>> {
    if dims == 0 || dims > MAX_DIMS {
        return None;
    }
    let v = directions(dims);
    let mut x = vec![0u32; dims];
    let mut out = Vec::with_capacity(count * dims);
    let scale = 1.0 / (1u64 << BITS) as f64;
    for n in 0..count {
        if n > 0 {
            // Gray-code order: flip the direction of the lowest zero bit of n − 1.
            let c = (n - 1).trailing_ones() as usize;
            for (xj, vj) in x.iter_mut().zip(&v) {
                *xj ^= vj[c.min(BITS - 1)];
            }
        }
        out.extend(x.iter().map(|&xj| f64::from(xj) * scale));
    }
    Some(out)
}

/// The standard normal quantile `Φ⁻¹(p)` for `p` in (0, 1) (±∞ at the ends).
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let low = 0.024_25;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// `count` standard normal vectors of dimension `dims` from the Sobol points
/// `1..=count` (the origin skipped), row-major; `None` as for [`sobol_points`].
pub fn normal_points(count: usize, dims: usize) -> Option<Vec<f64>> {
    let pts = sobol_points(count + 1, dims)?;
    Some(pts[dims..].iter().map(|&p| normal_quantile(p)).collect())
}
