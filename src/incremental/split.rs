//! A split graph's two execution plans (the trunk for one chunk of frames, the head for one
//! window), checked once at load against the whole graph on a probe window.

use tract_onnx::prelude::*;

use super::graph::GraphSplit;
use super::{RingState, StreamingMode};
use crate::{Error, Result};


/// Largest difference between a split's logits and the whole graph's on the probe window,
/// relative to `1 + |logit|`. Float noise is ~1e-6; a graph that is not local in time
/// differs by far more.
const PROBE_TOLERANCE: f32 = 1e-3;

/// A split graph with its two execution plans: the trunk for one chunk of frames and the
/// head for one window.
pub(crate) struct Split {
    pub(super) receptive_field: usize,
    pub(super) chunk_frames: usize,
    /// Frontier frames in one window: `window_frames − receptive_field + 1`.
    pub(super) window_out: usize,
    pub(super) n_in: usize,
    trunk: TypedSimpleState,
    head: TypedSimpleState,
    /// Per frontier tensor: time axis and shape over the whole window.
    pub(super) shapes: Vec<(usize, Vec<usize>)>,
    trunk_input: Vec<f32>,
}

fn tract_err(stage: &str) -> impl Fn(TractError) -> String + '_ {
    move |e| format!("{stage}: {e:#}")
}

impl Split {
    /// Builds both plans for `chunk_frames` new frames per trunk run and checks the split
    /// against the whole graph on a probe window (`full` runs it).
    pub(crate) fn build(
        split: &GraphSplit,
        window_frames: usize,
        n_in: usize,
        chunk_frames: usize,
        full: &mut dyn FnMut(&[f32]) -> Result<Vec<f32>>,
    ) -> std::result::Result<Self, String> {
        let rf = split.receptive_field;
        let window_out = window_frames - rf + 1;
        let chunk_frames = chunk_frames.clamp(1, window_out);
        let chunk_in = chunk_frames + rf - 1;
        let trunk = tract_onnx::onnx().model_for_proto_model(&split.trunk).map_err(tract_err("trunk"))?;
        let trunk = crate::rewrites::plan(trunk, &[vec![1, chunk_in, n_in]], ["trunk input", "trunk", "trunk plan"])?;
        let mut trunk = trunk.spawn().map_err(tract_err("trunk state"))?;
        // The frontier's shapes from one chunk, then stretched to the whole window.
        let probe_chunk = Tensor::from_shape(&[1, chunk_in, n_in], &vec![0.0f32; chunk_in * n_in]).map_err(tract_err("trunk input"))?;
        let outs = trunk.run(tvec!(probe_chunk.into_tvalue())).map_err(tract_err("trunk run"))?;
        if outs.len() != split.frontier.len() {
            return Err("the trunk's outputs do not match the frontier".into());
        }
        let mut shapes = Vec::new();
        for (out, f) in outs.iter().zip(&split.frontier) {
            let mut shape = out.shape().to_vec();
            if shape.get(f.axis) != Some(&chunk_frames) {
                return Err(format!(
                    "\"{}\" has shape {shape:?} for {chunk_in} input frames; expected {chunk_frames} frames on axis {}",
                    f.name, f.axis
                ));
            }
            shape[f.axis] = window_out;
            shapes.push((f.axis, shape));
        }
        let head = tract_onnx::onnx().model_for_proto_model(&split.head).map_err(tract_err("head"))?;
        let head_inputs: Vec<Vec<usize>> = shapes.iter().map(|(_, shape)| shape.clone()).collect();
        let head = crate::rewrites::plan(head, &head_inputs, ["head input", "head", "head plan"])?;
        let head = head.spawn().map_err(tract_err("head state"))?;
        let mut built = Self {
            receptive_field: rf,
            chunk_frames,
            window_out,
            n_in,
            trunk,
            head,
            shapes,
            trunk_input: vec![0.0; chunk_in * n_in],
        };
        built.probe(window_frames, full)?;
        Ok(built)
    }

    pub(crate) fn mode(&self) -> StreamingMode {
        StreamingMode::Incremental { receptive_field: self.receptive_field, chunk_frames: self.chunk_frames }
    }

    /// A pseudo-random window through the whole graph and through trunk chunks plus head:
    /// the logits must agree, and frames that two chunks both compute must be equal.
    fn probe(&mut self, window_frames: usize, full: &mut dyn FnMut(&[f32]) -> Result<Vec<f32>>) -> std::result::Result<(), String> {
        let mut seed = 0x5eed_u64;
        let window: Vec<f32> = (0..window_frames * self.n_in)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((seed >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
            })
            .collect();
        let want = full(&window).map_err(|e| e.to_string())?;
        let mut ring = RingState::new(self);
        ring.update(self, &window, usize::MAX).map_err(|e| e.to_string())?;
        let got = self.head(&ring).map_err(|e| e.to_string())?;
        let worst = want.iter().zip(&got).map(|(a, b)| (a - b).abs() / (1.0 + a.abs())).fold(0.0f32, f32::max);
        if want.len() != got.len() || !(worst <= PROBE_TOLERANCE) {
            return Err(format!("split and whole graph disagree on a probe window (relative logit difference {worst:e})"));
        }
        // Translation: the same frames computed from a chunk that starts one frame earlier.
        if self.window_out > self.chunk_frames {
            let mut shifted = RingState::new(self);
            shifted.update(self, &window[..(window_frames - 1) * self.n_in], usize::MAX).map_err(|e| e.to_string())?;
            for ((a, b), (axis, shape)) in ring.rings.iter().zip(&shifted.rings).zip(&self.shapes) {
                let (outer, inner) = outer_inner(shape, *axis);
                let t = self.window_out;
                for o in 0..outer {
                    // `shifted` holds frames 0..t−1 of `ring` in its positions 1..t.
                    let ra = &a[o * t * inner..(o * t + t - 1) * inner];
                    let rb = &b[(o * t + 1) * inner..(o + 1) * t * inner];
                    let worst = ra.iter().zip(rb).map(|(x, y)| (x - y).abs() / (1.0 + x.abs())).fold(0.0f32, f32::max);
                    if !(worst <= PROBE_TOLERANCE) {
                        return Err(format!("per-frame layers depend on where a frame sits in the window ({worst:e})"));
                    }
                }
            }
        }
        Ok(())
    }

    /// The trunk on `chunk_frames + receptive_field − 1` frames (row-major, `n_in` each).
    pub(super) fn run_trunk(&mut self, frames: &[f32]) -> Result<TVec<TValue>> {
        self.trunk_input.copy_from_slice(frames);
        let chunk_in = self.trunk_input.len() / self.n_in;
        let input = Tensor::from_shape(&[1, chunk_in, self.n_in], &self.trunk_input)
            .map_err(|e| Error::Model(format!("trunk input: {e:#}")))?;
        self.trunk.run(tvec!(input.into_tvalue())).map_err(|e| Error::Model(format!("inference (trunk) failed: {e:#}")))
    }

    /// The head on the window's frontier: the model's logits.
    pub(crate) fn head(&mut self, ring: &RingState) -> Result<Vec<f32>> {
        crate::model::first_output(&self.head_outputs(ring)?)
    }

    /// The head's outputs on the window's frontier: the logits, then the pooled embedding
    /// when the model exposes one (see `crate::model`).
    pub(crate) fn head_outputs(&mut self, ring: &RingState) -> Result<TVec<TValue>> {
        let mut inputs = TVec::new();
        for (buf, (_, shape)) in ring.rings.iter().zip(&self.shapes) {
            let t = Tensor::from_shape(shape, buf).map_err(|e| Error::Model(format!("head input: {e:#}")))?;
            inputs.push(t.into_tvalue());
        }
        self.head.run(inputs).map_err(|e| Error::Model(format!("inference (head) failed: {e:#}")))
    }
}

/// Elements before and after the time axis of `shape`.
pub(super) fn outer_inner(shape: &[usize], axis: usize) -> (usize, usize) {
    (shape[..axis].iter().product(), shape[axis + 1..].iter().product())
}
