//! The dot product of the DCT and the mel filterbank, in four lanes.
//!
//! The wasm build is optimised for size, which switches LLVM's vectoriser off: a plain
//! iterator sum became the MFCC's largest cost after the FFT. Four accumulators give the
//! same sums in the scalar code (native, scalar wasm) and in the wasm SIMD code, so every
//! build computes bit-identical features.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    use core::arch::wasm32::{f32x4, f32x4_add, f32x4_extract_lane, f32x4_mul, v128, v128_load};
    let n = a.len().min(b.len());
    let mut acc: v128 = f32x4(0.0, 0.0, 0.0, 0.0);
    let mut k = 0;
    while k + 4 <= n {
        // SAFETY: k + 4 <= n <= both lengths; v128_load has no alignment requirement.
        let (x, y) = unsafe { (v128_load(a.as_ptr().add(k) as *const v128), v128_load(b.as_ptr().add(k) as *const v128)) };
        acc = f32x4_add(acc, f32x4_mul(x, y));
        k += 4;
    }
    let lanes = [f32x4_extract_lane::<0>(acc), f32x4_extract_lane::<1>(acc), f32x4_extract_lane::<2>(acc), f32x4_extract_lane::<3>(acc)];
    finish(lanes, &a[k..n], &b[k..n])
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let mut lanes = [0.0f32; 4];
    let mut k = 0;
    while k + 4 <= n {
        for j in 0..4 {
            lanes[j] += a[k + j] * b[k + j];
        }
        k += 4;
    }
    finish(lanes, &a[k..n], &b[k..n])
}

/// Lanes summed pairwise, then the last `n mod 4` products in order.
fn finish(lanes: [f32; 4], a: &[f32], b: &[f32]) -> f32 {
    let mut sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (x, y) in a.iter().zip(b) {
        sum += x * y;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::dot;

    #[test]
    fn dot_equals_a_double_precision_sum_within_rounding() {
        for n in [0usize, 1, 3, 4, 5, 8, 63, 64, 257] {
            let a: Vec<f32> = (0..n).map(|i| ((i * 7 + 3) % 11) as f32 - 5.0).collect();
            let b: Vec<f32> = (0..n).map(|i| 0.25 * ((i * 5 + 1) % 13) as f32).collect();
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            assert!((dot(&a, &b) as f64 - exact).abs() <= 1e-4 * (1.0 + exact.abs()), "n = {n}");
        }
    }
}
