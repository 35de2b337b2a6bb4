/// Orthonormal DCT-II as a `n_out × n_in` row-major matrix: the first `n_out` rows of
/// `scipy.fft.dct(x, type=2, norm="ortho")`.
pub fn dct2_ortho_matrix(n_out: usize, n_in: usize) -> Vec<f32> {
    let n = n_in as f64;
    let mut matrix = vec![0.0f32; n_out * n_in];
    for k in 0..n_out {
        let scale = if k == 0 { (1.0 / n).sqrt() } else { (2.0 / n).sqrt() };
        for i in 0..n_in {
            let angle = std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n);
            matrix[k * n_in + i] = (scale * angle.cos()) as f32;
        }
    }
    matrix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_orthonormal_dct_is_orthogonal() {
        let n = 16;
        let m = dct2_ortho_matrix(n, n);
        for a in 0..n {
            for b in 0..n {
                let dot: f32 = (0..n).map(|i| m[a * n + i] * m[b * n + i]).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5, "rows {a},{b}: {dot}");
            }
        }
    }

    #[test]
    fn constant_input_has_only_a_dc_coefficient() {
        let m = dct2_ortho_matrix(4, 8);
        let x = [3.0f32; 8];
        let y: Vec<f32> = (0..4).map(|k| (0..8).map(|i| m[k * 8 + i] * x[i]).sum()).collect();
        assert!((y[0] - 3.0 * 8f32.sqrt()).abs() < 1e-5);
        assert!(y[1..].iter().all(|v| v.abs() < 1e-5));
    }
}
