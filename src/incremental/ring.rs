//! One stream's per-frame activations over its window: shifted by the frames each hop adds,
//! which the trunk computes (a chunk at a time).

use super::split::{outer_inner, Split};
use crate::{Error, Result};

/// One stream's per-frame activations over its window (the frontier tensors, whole-window
/// layout, oldest frame first).
#[derive(Debug, Clone)]
pub(crate) struct RingState {
    pub(super) rings: Vec<Vec<f32>>,
}

impl RingState {
    pub(crate) fn new(split: &Split) -> Self {
        Self { rings: split.shapes.iter().map(|(_, s)| vec![0.0; s.iter().product()]).collect() }
    }

    /// `window` holds the newest input frames (row-major, oldest first; normally a whole
    /// window), of which the last `new_frames` arrived since the previous update. Shifts
    /// the ring by that many frames and computes the frontier frames they complete.
    pub(crate) fn update(&mut self, split: &mut Split, window: &[f32], new_frames: usize) -> Result<()> {
        let n_in = split.n_in;
        let rf = split.receptive_field;
        let t = split.window_out;
        // Only the last window counts.
        let window = &window[window.len().saturating_sub((t + rf - 1) * n_in)..];
        let frames = window.len() / n_in;
        if frames < rf {
            return Err(Error::Model(format!("{frames} frames are fewer than the receptive field {rf}")));
        }
        // Frontier frames this window yields, right-aligned with the ring.
        let available = (frames - rf + 1).min(t);
        let n = new_frames.min(available);
        if n == 0 {
            return Ok(());
        }
        for (ring, (axis, shape)) in self.rings.iter_mut().zip(&split.shapes) {
            let (outer, inner) = outer_inner(shape, *axis);
            for o in 0..outer {
                ring[o * t * inner..(o + 1) * t * inner].copy_within(n * inner.., 0);
            }
        }
        // Output frame `j` of the window's frontier (0 ≤ j < frames − rf + 1) is computed
        // from input frames j .. j + rf. Chunks of `chunk_frames` cover the last `n`; the
        // last chunk is pulled back to end at the newest frame (recomputing a few).
        let p = split.chunk_frames;
        let out_frames = frames - rf + 1;
        if out_frames < p {
            return Err(Error::Model(format!("{frames} frames are fewer than one trunk chunk")));
        }
        let mut start = out_frames - n;
        loop {
            let s = start.min(out_frames - p);
            let outputs = split.run_trunk(&window[s * n_in..(s + p + rf - 1) * n_in])?;
            for ((ring, out), (axis, shape)) in self.rings.iter_mut().zip(&outputs).zip(&split.shapes) {
                let view = out.to_plain_array_view::<f32>().map_err(|e| Error::Model(format!("trunk output: {e:#}")))?;
                let data: Vec<f32>;
                let src = match view.as_slice() {
                    Some(s) => s,
                    None => {
                        data = view.iter().copied().collect();
                        &data
                    }
                };
                let (outer, inner) = outer_inner(shape, *axis);
                for o in 0..outer {
                    // Chunk frame c is window frame s + c, ring position t − out_frames + s + c.
                    let dst = (o * t + t - out_frames + s) * inner;
                    let from = o * p * inner;
                    ring[dst..dst + p * inner].copy_from_slice(&src[from..from + p * inner]);
                }
            }
            start = s + p;
            if start >= out_frames {
                break;
            }
        }
        Ok(())
    }
}

