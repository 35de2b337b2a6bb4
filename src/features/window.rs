/// Periodic Hann window of `win_length` (scipy `get_window("hann", fftbins=True)`),
/// zero-padded to `n_fft` with the window centred, as librosa's `pad_center` does.
pub fn hann_window_centered(win_length: usize, n_fft: usize) -> Vec<f32> {
    assert!(win_length <= n_fft, "window longer than the FFT");
    let mut window = vec![0.0f32; n_fft];
    let offset = (n_fft - win_length) / 2;
    for n in 0..win_length {
        let phase = 2.0 * std::f64::consts::PI * n as f64 / win_length as f64;
        window[offset + n] = (0.5 - 0.5 * phase.cos()) as f32;
    }
    window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_hann_is_centred_and_symmetric_about_its_peak() {
        let w = hann_window_centered(400, 512);
        assert_eq!(w.len(), 512);
        assert!(w[..56].iter().all(|&x| x == 0.0));
        assert!(w[456..].iter().all(|&x| x == 0.0));
        assert_eq!(w[56], 0.0); // periodic window starts at zero
        assert!((w[56 + 200] - 1.0).abs() < 1e-7); // and peaks at N/2
        for k in 1..200 {
            assert!((w[56 + 200 - k] - w[56 + 200 + k]).abs() < 1e-6);
        }
    }
}
