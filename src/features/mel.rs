//! Slaney-style mel scale and filterbank, as `librosa.filters.mel(htk=False, norm="slaney")`.

const F_SP: f64 = 200.0 / 3.0; // Hz per mel in the linear region
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz → mel on the Slaney (Auditory Toolbox) scale: linear below 1 kHz, logarithmic above.
pub fn hz_to_mel_slaney(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ { MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step() } else { hz / F_SP }
}

/// Inverse of [`hz_to_mel_slaney`].
pub fn mel_to_hz_slaney(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL { MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp() } else { F_SP * mel }
}

/// A mel filterbank stored sparsely: each filter is non-zero on one contiguous bin range.
#[derive(Debug, Clone)]
pub struct MelFilterbank {
    n_bins: usize,
    filters: Vec<(usize, Vec<f32>)>,
}

impl MelFilterbank {
    pub fn n_mels(&self) -> usize {
        self.filters.len()
    }

    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Dense weight of filter `m` at FFT bin `bin` (for tests and inspection).
    pub fn weight(&self, m: usize, bin: usize) -> f32 {
        let (start, weights) = &self.filters[m];
        if bin >= *start && bin < start + weights.len() { weights[bin - start] } else { 0.0 }
    }

    /// `out[m] = Σ_bin weight[m][bin] · power[bin]`.
    pub fn apply(&self, power: &[f32], out: &mut [f32]) {
        debug_assert_eq!(power.len(), self.n_bins);
        for (slot, (start, weights)) in out.iter_mut().zip(&self.filters) {
            let bins = &power[*start..*start + weights.len()];
            *slot = super::dot::dot(weights, bins);
        }
    }
}

/// Builds the filterbank exactly as librosa: triangles between adjacent mel points, each
/// scaled by `2 / (f[m+2] − f[m])` so that every filter has unit area ("slaney" norm).
pub fn mel_filterbank(sample_rate: u32, n_fft: usize, n_mels: usize, fmin: f64, fmax: f64) -> MelFilterbank {
    let n_bins = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> =
        (0..n_bins).map(|k| k as f64 * sample_rate as f64 / n_fft as f64).collect();
    let (mel_min, mel_max) = (hz_to_mel_slaney(fmin), hz_to_mel_slaney(fmax));
    let mel_points: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz_slaney(mel_min + (mel_max - mel_min) * i as f64 / (n_mels + 1) as f64))
        .collect();

    let filters = (0..n_mels)
        .map(|m| {
            let (lo, mid, hi) = (mel_points[m], mel_points[m + 1], mel_points[m + 2]);
            let enorm = 2.0 / (hi - lo);
            let dense: Vec<f32> = fft_freqs
                .iter()
                .map(|&f| {
                    let lower = (f - lo) / (mid - lo);
                    let upper = (hi - f) / (hi - mid);
                    (lower.min(upper).max(0.0) * enorm) as f32
                })
                .collect();
            let start = dense.iter().position(|&w| w != 0.0).unwrap_or(0);
            let end = dense.iter().rposition(|&w| w != 0.0).map_or(start, |e| e + 1);
            (start, dense[start..end].to_vec())
        })
        .collect();
    MelFilterbank { n_bins, filters }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_matches_librosa_reference_points() {
        // librosa.hz_to_mel(1000.0) == 15.0, hz_to_mel(8000.0) == 45.245640471924965
        assert!((hz_to_mel_slaney(1000.0) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel_slaney(8000.0) - 45.245640471924965).abs() < 1e-9);
        assert!((hz_to_mel_slaney(500.0) - 7.5).abs() < 1e-12);
        for hz in [0.0, 100.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz_slaney(hz_to_mel_slaney(hz)) - hz).abs() < 1e-9);
        }
    }

    #[test]
    fn filters_are_triangles_of_unit_area_in_hz() {
        let fb = mel_filterbank(16_000, 512, 64, 0.0, 8000.0);
        assert_eq!((fb.n_mels(), fb.n_bins()), (64, 257));
        let bin_hz = 16_000.0 / 512.0;
        // Wide (upper) filters span many bins, so their sampled area is close to 1.
        for m in 40..64 {
            let area: f32 = (0..257).map(|b| fb.weight(m, b)).sum::<f32>() * bin_hz;
            assert!((area - 1.0).abs() < 0.05, "filter {m} area {area}");
        }
    }
}
