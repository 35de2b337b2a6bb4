//! The model's input window as frames arrive: the newest `window_frames` normalised MFCC
//! frames in a ring, copied out as one contiguous slice when the model runs. One piece for
//! the live stream, whole clips and calibration.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub(crate) struct FrameWindow {
    /// The newest frames, oldest first; at most one window of values.
    ring: VecDeque<f32>,
    /// The contiguous copy the model reads.
    window: Vec<f32>,
}

impl FrameWindow {
    /// A window of `len` values (`window_frames × n_mfcc`), empty.
    pub(crate) fn new(len: usize) -> Self {
        Self { ring: VecDeque::with_capacity(len), window: vec![0.0; len] }
    }

    /// Whether a whole window of frames is held.
    pub(crate) fn is_full(&self) -> bool {
        self.ring.len() == self.window.len()
    }

    pub(crate) fn clear(&mut self) {
        self.ring.clear();
    }

    /// Appends one frame, dropping the oldest once a whole window is held.
    pub(crate) fn push(&mut self, frame: &[f32]) {
        if self.is_full() {
            self.ring.drain(..frame.len());
        }
        self.ring.extend(frame.iter().copied());
    }

    /// The held frames as one slice. The ring's two halves are copied as slices: an element
    /// iterator is slow in the size-optimised wasm build.
    pub(crate) fn contiguous(&mut self) -> &[f32] {
        let (older, newer) = self.ring.as_slices();
        let split = older.len().min(self.window.len());
        let (head, tail) = self.window.split_at_mut(split);
        head.copy_from_slice(&older[..head.len()]);
        let rest = tail.len().min(newer.len());
        tail[..rest].copy_from_slice(&newer[..rest]);
        &self.window
    }
}

#[cfg(test)]
mod tests {
    use super::FrameWindow;

    #[test]
    fn keeps_the_newest_frames_in_order_across_the_ring_seam() {
        let mut w = FrameWindow::new(6); // three frames of two values
        for i in 0..7 {
            w.push(&[i as f32, 10.0 * i as f32]);
        }
        assert_eq!(w.contiguous(), &[4.0, 40.0, 5.0, 50.0, 6.0, 60.0]);
        w.clear();
        w.push(&[1.0, 2.0]);
        assert_eq!(&w.contiguous()[..2], &[1.0, 2.0]);
    }
}
