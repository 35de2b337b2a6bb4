//! A window's feature statistics for a personal profile: the mean and the standard
//! deviation of each raw (unnormalised) MFCC over the window's active frames (the
//! normaliser's level rule), or over all of its frames when too few are active.

use std::collections::VecDeque;

/// The last `window_frames` raw MFCC frames with their active flags.
#[derive(Debug, Clone)]
pub(crate) struct WindowStats {
    window_frames: usize,
    min_active: usize,
    frames: VecDeque<(Vec<f32>, bool)>,
}

impl WindowStats {
    pub(crate) fn new(window_frames: usize, min_active: usize) -> Self {
        Self { window_frames, min_active, frames: VecDeque::with_capacity(window_frames + 1) }
    }

    /// Adds the next frame, forgetting the one that left the window.
    pub(crate) fn push(&mut self, raw: &[f32], active: bool) {
        let recycled = if self.frames.len() == self.window_frames { self.frames.pop_front().map(|(v, _)| v) } else { None };
        let mut frame = recycled.unwrap_or_default();
        frame.clear();
        frame.extend_from_slice(raw);
        self.frames.push_back((frame, active));
    }

    /// Forgets every frame (the stream started again).
    pub(crate) fn clear(&mut self) {
        self.frames.clear();
    }

    /// `[mean of each coefficient…, standard deviation of each…]` over the window so far.
    pub(crate) fn stats(&self) -> Vec<f32> {
        let n = self.frames.front().map_or(0, |(f, _)| f.len());
        let active = self.frames.iter().filter(|(_, a)| *a).count();
        let use_active = active >= self.min_active;
        let chosen = || self.frames.iter().filter(move |(_, a)| !use_active || *a).map(|(f, _)| f);
        let count = if use_active { active } else { self.frames.len() } as f64;
        let mut mean = vec![0.0f64; n];
        for frame in chosen() {
            mean.iter_mut().zip(frame).for_each(|(m, &x)| *m += f64::from(x));
        }
        mean.iter_mut().for_each(|m| *m /= count.max(1.0));
        let mut var = vec![0.0f64; n];
        for frame in chosen() {
            var.iter_mut().zip(frame).zip(&mean).for_each(|((v, &x), m)| *v += (f64::from(x) - m).powi(2));
        }
        mean.iter().map(|&m| m as f32).chain(var.iter().map(|&v| (v / count.max(1.0)).sqrt() as f32)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_frames_only_when_enough_of_them() {
        let mut w = WindowStats::new(4, 2);
        for (x, active) in [(1.0, false), (2.0, true), (4.0, true), (9.0, false), (6.0, true)] {
            w.push(&[x], active);
        }
        // The window is 2, 4, 9, 6; its active frames 2, 4, 6: mean 4, deviation √(8/3).
        let s = w.stats();
        assert!((s[0] - 4.0).abs() < 1e-6 && (s[1] - (8.0f32 / 3.0).sqrt()).abs() < 1e-6, "{s:?}");
        let mut few = WindowStats::new(3, 3);
        for (x, active) in [(1.0, true), (2.0, false), (3.0, false)] {
            few.push(&[x], active);
        }
        assert_eq!(few.stats()[0], 2.0, "fewer active frames than the minimum: all frames");
    }
}
