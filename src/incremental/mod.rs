//! Incremental inference for a live stream: each hop runs only the new frames through the
//! network's per-frame layers, and pooling plus head on a ring of per-frame activations.
//!
//! The shipped networks (`training/networks.py`) are a TDNN: valid (unpadded) dilated 1-D
//! convolutions over time, then attentive statistics pooling and a linear head. Each output
//! frame of the convolutions depends only on `receptive_field` consecutive input frames, and
//! the input normalisation is causal (a frame once normalised never changes), so the
//! activations of frames already seen are still valid one hop later: only the frames that
//! the new audio completed need computing.
//!
//! Nothing here is specific to the shipped files. The ONNX graph is read as a graph and
//! split where it stops being per-frame:
//! - the **trunk** is every node whose output is *local in time*: computed from the input
//!   by ops that keep frames apart (valid 1-D convolutions with stride 1, element-wise
//!   ops, batch normalisation, transposes, matrix products over the feature axis,
//!   broadcasting with constants that do not vary over time);
//! - the **frontier** is the trunk's tensors that the rest of the graph reads (for the
//!   TDNN: the last ReLU and the attention logits, both `[1, channels, frames]`);
//! - the **head** is the rest: softmax over time, the weighted mean and deviation, the
//!   linear layer.
//!
//! The trunk runs on `chunk_frames + receptive_field − 1` input frames and yields
//! `chunk_frames` frontier frames; the head runs on the whole window's frontier, kept in a
//! ring that shifts by the frames each hop adds. An op outside the list (a padded or
//! strided convolution, a normalisation over time, an unknown op) only moves the cut to
//! before it. The model falls back to the whole window every hop
//! ([`StreamingMode::FullWindow`], with the reason) when no convolution or matrix product
//! is left before the cut, the tensors at the cut have different receptive fields, the
//! metadata's `streaming.receptive_field` differs from the graph's, or, checked once at
//! load, the split disagrees with the whole graph on a pseudo-random window (the logits,
//! and the same frames computed by chunks that start one frame apart).
//!
//! Clips ([`crate::classify`]) keep running whole windows: theirs are a second apart, so
//! most frames are new anyway, and their numbers are what the model card reports.

//!
//! tract's own pulse streaming (`tract-pulse`) was considered: it turns a whole graph into a
//! streaming one, but pulses every op, pooling over time included, which this model's
//! attentive pooling cannot be; and it works on tract's typed graph, where a cut that the
//! probe can check against the unmodified ONNX graph is harder to make. Cutting the ONNX
//! graph here keeps the head exactly the exported one.
//!
//! - `graph`: which tensors are local in time, and the cut (still ONNX);
//! - `split`: the two plans (trunk per chunk, head per window) and the probe;
//! - `ring`: one stream's per-frame activations over its window.

mod graph;
mod ring;
mod split;

use serde::Serialize;

pub(crate) use graph::split_graph;
pub(crate) use ring::RingState;
pub(crate) use split::Split;

/// How a stream runs a model each hop.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StreamingMode {
    /// Only the frames a hop adds go through the per-frame layers (`chunk_frames` at a
    /// time, each seeing `receptive_field` input frames); pooling and head run on the
    /// window's per-frame activations.
    Incremental { receptive_field: usize, chunk_frames: usize },
    /// The whole window goes through the model every hop, for this reason.
    FullWindow { reason: String },
}

#[cfg(test)]
mod tests {
    use super::graph::{cut, split_graph, Frontier};
    use super::split::Split;
    use crate::Result;
    use tract_onnx::pb::{self, ModelProto, NodeProto};
    use tract_onnx::prelude::*;

    fn shipped() -> ModelProto {
        tract_onnx::onnx().proto_model_for_read(&mut std::io::Cursor::new(crate::model::EMBEDDED_ONNX)).unwrap()
    }

    fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
        NodeProto {
            op_type: op.into(),
            name: output.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            ..Default::default()
        }
    }

    /// The whole graph as a plan for one window.
    pub(super) fn whole(proto: &ModelProto) -> impl FnMut(&[f32]) -> Result<Vec<f32>> {
        let plan = tract_onnx::onnx()
            .model_for_proto_model(proto)
            .unwrap()
            .with_input_fact(0, f32::fact([1, 300, 40]).into())
            .unwrap()
            .into_optimized()
            .unwrap()
            .into_runnable()
            .unwrap();
        move |window: &[f32]| {
            let input = Tensor::from_shape(&[1, 300, 40], window).unwrap();
            let out = plan.run(tvec!(input.into_tvalue())).unwrap();
            Ok(out[0].to_plain_array_view::<f32>().unwrap().iter().copied().collect())
        }
    }

    #[test]
    fn the_shipped_graph_splits_after_its_last_per_frame_layers() {
        let split = split_graph(&shipped(), 300).map_err(|e| e.to_string()).unwrap();
        assert_eq!(split.receptive_field, 23);
        let names: Vec<&str> = split.frontier.iter().map(|f| f.name.as_str()).collect();
        // The attention logits (softmax over time) and the last ReLU (pooled), both
        // [1, channels, frames]; everything from the softmax on is the head.
        assert_eq!(names, ["conv1d_6", "relu_4"]);
        assert!(split.frontier.iter().all(|f| f.axis == 2));
        let ops = |m: &ModelProto| m.graph.as_ref().unwrap().node.iter().map(|n| n.op_type.clone()).collect::<Vec<_>>();
        assert_eq!(ops(&split.trunk).iter().filter(|o| *o == "Conv").count(), 7);
        // The shipped files store weights as float16 with a Cast to float32 in front.
        assert_eq!(ops(&split.head).iter().find(|o| *o != "Cast").map(String::as_str), Some("Softmax"));
        assert!(!ops(&split.head).contains(&"Conv".to_string()));
    }

    #[test]
    fn the_probe_rejects_a_cut_whose_trunk_is_not_local_in_time() {
        // The analysis would never cut here: the first ReLU's output minus its mean over
        // the window feeds the next convolution. Forcing the shipped cut anyway must fail
        // the probe, the safety net for a gap in the analysis.
        let mut proto = shipped();
        let graph = proto.graph.as_mut().unwrap();
        graph.value_info.clear();
        graph.initializer.push(pb::TensorProto {
            name: "time_axis".into(),
            dims: vec![1],
            data_type: 7,
            int64_data: vec![2],
            ..Default::default()
        });
        let second_conv = graph.node.iter().position(|n| n.input.first().is_some_and(|i| i == "relu")).unwrap();
        graph.node[second_conv].input[0] = "centred".into();
        graph.node.insert(second_conv, node("Sub", &["relu", "relu_mean"], "centred"));
        graph.node.insert(second_conv, node("ReduceMean", &["relu", "time_axis"], "relu_mean"));
        // The analysis cuts right before the mean instead (after the first convolution).
        let early = split_graph(&proto, 300).map_err(|e| e.to_string()).unwrap();
        assert_eq!((early.receptive_field, early.frontier[0].name.as_str(), early.frontier.len()), (5, "relu", 1));

        let frontier = ["relu_4", "conv1d_6"].map(|name| Frontier { name: name.into(), axis: 2 });
        let forced = cut(&proto, &frontier, 23).map_err(|e| e.to_string()).unwrap();
        let err = Split::build(&forced, 300, 40, 25, &mut whole(&proto)).err().expect("the probe must refuse this cut");
        assert!(err.contains("disagree") || err.contains("depend on where"), "{err}");
        // The same cut of the unmodified graph passes.
        let fine = cut(&shipped(), &frontier, 23).map_err(|e| e.to_string()).unwrap();
        let mut plain = shipped();
        plain.graph.as_mut().unwrap().value_info.clear();
        if let Err(e) = Split::build(&fine, 300, 40, 25, &mut whole(&plain)) {
            panic!("{e}");
        }
    }
}

