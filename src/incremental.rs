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

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use tract_onnx::pb::{self, GraphProto, ModelProto, NodeProto, ValueInfoProto};
use tract_onnx::prelude::*;

use crate::{Error, Result};

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

/// Largest difference between a split's logits and the whole graph's on the probe window,
/// relative to `1 + |logit|`. Float noise is ~1e-6; a graph that is not local in time
/// differs by far more.
const PROBE_TOLERANCE: f32 = 1e-3;

/// Time axis, rank and receptive field of a tensor that is local in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Local {
    axis: usize,
    rank: usize,
    rf: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Does not depend on the input.
    Const,
    /// Frame `j` depends only on input frames `j .. j + rf`.
    Local(Local),
    /// Anything else (pooled over time, or an op this analysis does not know).
    Global,
}

/// One tensor where the trunk hands over to the head.
#[derive(Debug, Clone)]
struct Frontier {
    name: String,
    axis: usize,
}

/// The graph cut in two, still as ONNX.
#[derive(Debug, Clone)]
pub(crate) struct GraphSplit {
    trunk: ModelProto,
    head: ModelProto,
    frontier: Vec<Frontier>,
    receptive_field: usize,
}

const UNARY: &[&str] = &[
    "Relu", "Tanh", "Sigmoid", "LeakyRelu", "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "HardSwish",
    "Exp", "Log", "Abs", "Neg", "Sqrt", "Reciprocal", "Erf", "Identity", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos",
    "Gelu", "Mish", "ThresholdedRelu",
];
/// Element-wise with numpy broadcasting.
const BROADCAST: &[&str] = &["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu"];
/// Ops that, with only constant inputs, still are not constant.
const NOT_FOLDABLE: &[&str] = &["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"];

fn attr<'a>(node: &'a NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn attr_ints<'a>(node: &'a NodeProto, name: &str) -> Option<&'a [i64]> {
    attr(node, name).map(|a| a.ints.as_slice())
}

impl GraphSplit {
    pub(crate) fn receptive_field(&self) -> usize {
        self.receptive_field
    }
}

/// Splits `proto` (input `[1, window_frames, n]`, batch, frames, coefficients) at the end of
/// its per-frame layers, or says why it cannot.
pub(crate) fn split_graph(proto: &ModelProto, window_frames: usize) -> std::result::Result<GraphSplit, String> {
    let graph = proto.graph.as_ref().ok_or("the model has no graph")?;
    let initializers: HashMap<&str, &pb::TensorProto> = graph.initializer.iter().map(|t| (t.name.as_str(), t)).collect();
    let inputs: Vec<&ValueInfoProto> = graph.input.iter().filter(|i| !initializers.contains_key(i.name.as_str())).collect();
    if inputs.len() != 1 || graph.output.len() != 1 {
        return Err("the graph needs exactly one input and one output".into());
    }
    let input = inputs[0].name.as_str();
    let output = graph.output[0].name.as_str();

    // Shapes of constants, where the file states them (for broadcasting checks).
    let mut const_shapes: HashMap<&str, Vec<i64>> = initializers.iter().map(|(n, t)| (*n, t.dims.clone())).collect();
    let mut kinds: HashMap<&str, Kind> = initializers.keys().map(|n| (*n, Kind::Const)).collect();
    kinds.insert(input, Kind::Local(Local { axis: 1, rank: 3, rf: 1 }));

    for node in &graph.node {
        let mut ins = Vec::with_capacity(node.input.len());
        for name in &node.input {
            if name.is_empty() {
                ins.push(None); // an optional input left out
                continue;
            }
            match kinds.get(name.as_str()) {
                Some(kind) => ins.push(Some((name.as_str(), *kind))),
                None => return Err(format!("node \"{}\" reads \"{name}\" before anything writes it", node.name)),
            }
        }
        let has_subgraph = node.attribute.iter().any(|a| a.g.is_some() || !a.graphs.is_empty());
        let custom = !(node.domain.is_empty() || node.domain == "ai.onnx");
        let all_const = ins.iter().flatten().all(|(_, k)| *k == Kind::Const);
        let kind = if has_subgraph || custom {
            Kind::Global
        } else if all_const && (node.op_type == "Constant" || !ins.is_empty()) && !NOT_FOLDABLE.contains(&node.op_type.as_str()) {
            Kind::Const
        } else if ins.iter().flatten().any(|(_, k)| *k == Kind::Global) {
            Kind::Global
        } else {
            local_rule(node, &ins, &const_shapes).map_or(Kind::Global, Kind::Local)
        };
        if node.op_type == "Constant"
            && let (Some(out), Some(t)) = (node.output.first(), attr(node, "value").and_then(|a| a.t.as_ref()))
        {
            const_shapes.insert(out.as_str(), t.dims.clone());
        }
        for out in node.output.iter().filter(|o| !o.is_empty()) {
            kinds.insert(out.as_str(), kind);
        }
    }

    match kinds.get(output) {
        Some(Kind::Global) => {}
        Some(_) => return Err("the output is computed frame by frame or is constant: nothing pools over time".into()),
        None => return Err(format!("nothing writes the output \"{output}\"")),
    }

    // The frontier: per-frame tensors that a non-per-frame node reads.
    let mut frontier: Vec<(&str, Local)> = Vec::new();
    for node in &graph.node {
        let node_kind = node.output.iter().find(|o| !o.is_empty()).and_then(|o| kinds.get(o.as_str())).copied();
        if node_kind != Some(Kind::Global) {
            continue;
        }
        for name in node.input.iter().filter(|n| !n.is_empty()) {
            if let Some(Kind::Local(local)) = kinds.get(name.as_str())
                && !frontier.iter().any(|(n, _)| n == name)
            {
                frontier.push((name.as_str(), *local));
            }
        }
    }
    // Only nodes the output needs count (a dangling per-frame branch is no frontier).
    let needed = ancestors(graph, &[output], &HashSet::new());
    frontier.retain(|(name, _)| needed.contains(*name));
    let Some(&(_, first)) = frontier.first() else {
        return Err("no per-frame tensor feeds the pooling".into());
    };
    if frontier.iter().any(|(_, l)| l.rf != first.rf) {
        return Err("the per-frame tensors that feed the pooling have different receptive fields".into());
    }
    if frontier.iter().any(|(name, _)| *name == input) {
        return Err("the layers after the input are not per-frame (valid 1-D convolutions, element-wise ops, ...)".into());
    }
    let receptive_field = first.rf;
    if receptive_field > window_frames {
        return Err(format!("receptive field {receptive_field} exceeds the window of {window_frames} frames"));
    }

    let frontier: Vec<Frontier> = frontier.iter().map(|(name, l)| Frontier { name: name.to_string(), axis: l.axis }).collect();
    let split = cut(proto, &frontier, receptive_field)?;
    let trunk_computes = split.trunk.graph.iter().flat_map(|g| &g.node).any(|n| matches!(n.op_type.as_str(), "Conv" | "MatMul"));
    if !trunk_computes {
        return Err("no convolution or matrix product runs frame by frame before the pooling".into());
    }
    Ok(split)
}

/// Cuts the graph at `frontier`: the trunk computes those tensors from the input, the head
/// the output from them.
fn cut(proto: &ModelProto, frontier: &[Frontier], receptive_field: usize) -> std::result::Result<GraphSplit, String> {
    let graph = proto.graph.as_ref().ok_or("the model has no graph")?;
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let input = graph.input.iter().find(|i| !initializers.contains(i.name.as_str())).ok_or("the graph has no input")?;
    let output = graph.output.first().ok_or("the graph has no output")?;
    let frontier_names: Vec<&str> = frontier.iter().map(|f| f.name.as_str()).collect();
    let stop: HashSet<&str> = initializers.iter().copied().chain([input.name.as_str()]).collect();
    let trunk_tensors = ancestors(graph, &frontier_names, &stop);
    let head_stop: HashSet<&str> = initializers.iter().copied().chain(frontier_names.iter().copied()).collect();
    let head_tensors = ancestors(graph, &[output.name.as_str()], &head_stop);
    if head_tensors.contains(input.name.as_str()) {
        return Err("the pooling also reads the input by another path".into());
    }

    let value_info = |name: &str| ValueInfoProto { name: name.to_string(), r#type: None, doc_string: String::new() };
    let float_input = |name: &str| ValueInfoProto {
        name: name.to_string(),
        r#type: Some(pb::TypeProto {
            denotation: String::new(),
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor { elem_type: 1, shape: None })),
        }),
        doc_string: String::new(),
    };
    let subgraph = |tensors: &HashSet<&str>, inputs: Vec<ValueInfoProto>, outputs: Vec<ValueInfoProto>, name: &str| {
        let nodes: Vec<NodeProto> =
            graph.node.iter().filter(|n| n.output.iter().any(|o| tensors.contains(o.as_str()))).cloned().collect();
        let used: HashSet<&str> = nodes.iter().flat_map(|n| n.input.iter().map(String::as_str)).collect();
        let initializer = graph.initializer.iter().filter(|t| used.contains(t.name.as_str())).cloned().collect();
        ModelProto {
            ir_version: proto.ir_version,
            opset_import: proto.opset_import.clone(),
            producer_name: proto.producer_name.clone(),
            producer_version: proto.producer_version.clone(),
            domain: proto.domain.clone(),
            model_version: proto.model_version,
            doc_string: String::new(),
            metadata_props: Vec::new(),
            training_info: Vec::new(),
            functions: proto.functions.clone(),
            graph: Some(GraphProto {
            node: nodes,
            name: name.to_string(),
            initializer,
            sparse_initializer: Vec::new(),
            doc_string: String::new(),
            input: inputs,
            output: outputs,
            // Shapes recorded for the whole window would contradict a chunk's.
            value_info: Vec::new(),
            quantization_annotation: Vec::new(),
            }),
        }
    };
    let trunk = subgraph(&trunk_tensors, vec![input.clone()], frontier_names.iter().map(|n| value_info(n)).collect(), "trunk");
    let head = subgraph(&head_tensors, frontier_names.iter().map(|n| float_input(n)).collect(), vec![output.clone()], "head");
    Ok(GraphSplit { trunk, head, frontier: frontier.to_vec(), receptive_field })
}

/// Every tensor that `roots` are computed from (themselves included), not looking past
/// (nor including) the tensors in `stop`.
fn ancestors<'a>(graph: &'a GraphProto, roots: &[&'a str], stop: &HashSet<&'a str>) -> HashSet<&'a str> {
    let producer: HashMap<&str, &NodeProto> =
        graph.node.iter().flat_map(|n| n.output.iter().filter(|o| !o.is_empty()).map(move |o| (o.as_str(), n))).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut todo: Vec<&str> = roots.to_vec();
    while let Some(name) = todo.pop() {
        if stop.contains(name) || !seen.insert(name) {
            continue;
        }
        if let Some(node) = producer.get(name) {
            todo.extend(node.input.iter().filter(|i| !i.is_empty()).map(String::as_str));
        }
    }
    seen
}

/// The time axis and receptive field of a node's output when it is local in time.
fn local_rule(node: &NodeProto, ins: &[Option<(&str, Kind)>], const_shapes: &HashMap<&str, Vec<i64>>) -> Option<Local> {
    let present: Vec<(&str, Kind)> = ins.iter().flatten().copied().collect();
    let first_local = |i: usize| match ins.get(i).copied().flatten() {
        Some((_, Kind::Local(l))) => Some(l),
        _ => None,
    };
    let rest_const = |from: usize| ins.iter().skip(from).flatten().all(|(_, k)| *k == Kind::Const);
    let op = node.op_type.as_str();
    match op {
        "Transpose" => {
            let x = first_local(0)?;
            let perm: Vec<i64> = match attr_ints(node, "perm") {
                Some(p) => p.to_vec(),
                None => (0..x.rank as i64).rev().collect(),
            };
            if perm.len() != x.rank {
                return None;
            }
            let axis = perm.iter().position(|&p| p == x.axis as i64)?;
            Some(Local { axis, ..x })
        }
        "Conv" => {
            let x = first_local(0)?;
            if x.rank != 3 || x.axis != 2 || !rest_const(1) || present.len() < 2 {
                return None;
            }
            let auto_pad = attr(node, "auto_pad").map(|a| a.s.as_slice()).unwrap_or(b"NOTSET");
            let zero_pads = attr_ints(node, "pads").is_none_or(|p| p.iter().all(|&v| v == 0));
            let unit_strides = attr_ints(node, "strides").is_none_or(|s| s.iter().all(|&v| v == 1));
            if !(matches!(auto_pad, b"NOTSET" | b"VALID" | b"") && zero_pads && unit_strides) {
                return None;
            }
            let kernel = match attr_ints(node, "kernel_shape") {
                Some(&[k]) => k,
                Some(_) => return None,
                None => match const_shapes.get(present[1].0).map(Vec::as_slice) {
                    Some(&[_, _, k]) => k,
                    _ => return None,
                },
            };
            let dilation = match attr_ints(node, "dilations") {
                None => 1,
                Some(&[d]) => d,
                Some(_) => return None,
            };
            if kernel < 1 || dilation < 1 {
                return None;
            }
            let grow = usize::try_from((kernel - 1).checked_mul(dilation)?).ok()?;
            Some(Local { rf: x.rf.checked_add(grow)?, ..x })
        }
        "BatchNormalization" => {
            let x = first_local(0)?;
            let single_output = node.output.iter().filter(|o| !o.is_empty()).count() == 1;
            (x.axis != 1 && rest_const(1) && single_output).then_some(x)
        }
        "Clip" | "Dropout" => {
            let x = first_local(0)?;
            rest_const(1).then_some(x)
        }
        "MatMul" => {
            // Per-frame linear layer: frames × features @ constant features × outputs.
            let x = first_local(0)?;
            let w = const_shapes.get(ins.get(1).copied().flatten()?.0)?;
            (rest_const(1) && w.len() == 2 && x.rank >= 2 && x.axis + 1 < x.rank).then_some(x)
        }
        _ if UNARY.contains(&op) => {
            let x = first_local(0)?;
            (present.len() == 1).then_some(x)
        }
        _ if BROADCAST.contains(&op) => {
            let mut local: Option<Local> = None;
            for &(_, kind) in &present {
                if let Kind::Local(l) = kind {
                    if local.is_some_and(|m| m != l) {
                        return None;
                    }
                    local = Some(l);
                }
            }
            let x = local?;
            for &(name, kind) in &present {
                if kind != Kind::Const {
                    continue;
                }
                // A constant must not vary over time (size 1 or absent on the time axis).
                let dims = const_shapes.get(name)?;
                if dims.len() > x.rank {
                    return None;
                }
                let offset = x.rank - dims.len();
                if x.axis >= offset && dims[x.axis - offset] != 1 {
                    return None;
                }
            }
            Some(x)
        }
        _ => None,
    }
}

/// A split graph with its two execution plans: the trunk for one chunk of frames and the
/// head for one window.
pub(crate) struct Split {
    receptive_field: usize,
    chunk_frames: usize,
    /// Frontier frames in one window: `window_frames − receptive_field + 1`.
    window_out: usize,
    n_in: usize,
    trunk: TypedSimpleState,
    head: TypedSimpleState,
    /// Per frontier tensor: time axis and shape over the whole window.
    shapes: Vec<(usize, Vec<usize>)>,
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
        let trunk = tract_onnx::onnx()
            .model_for_proto_model(&split.trunk)
            .map_err(tract_err("trunk"))?
            .with_input_fact(0, f32::fact([1, chunk_in, n_in]).into())
            .map_err(tract_err("trunk input"))?
            .into_typed()
            .and_then(crate::rewrites::optimize)
            .map_err(tract_err("trunk"))?
            .into_runnable()
            .map_err(tract_err("trunk plan"))?;
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
        let mut head = tract_onnx::onnx().model_for_proto_model(&split.head).map_err(tract_err("head"))?;
        for (i, (_, shape)) in shapes.iter().enumerate() {
            head = head.with_input_fact(i, f32::fact(shape).into()).map_err(tract_err("head input"))?;
        }
        let head = head
            .into_typed()
            .and_then(crate::rewrites::optimize)
            .map_err(tract_err("head"))?
            .into_runnable()
            .map_err(tract_err("head plan"))?
            .spawn()
            .map_err(tract_err("head state"))?;
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
    fn run_trunk(&mut self, frames: &[f32]) -> Result<TVec<TValue>> {
        self.trunk_input.copy_from_slice(frames);
        let chunk_in = self.trunk_input.len() / self.n_in;
        let input = Tensor::from_shape(&[1, chunk_in, self.n_in], &self.trunk_input)
            .map_err(|e| Error::Model(format!("trunk input: {e:#}")))?;
        self.trunk.run(tvec!(input.into_tvalue())).map_err(|e| Error::Model(format!("inference (trunk) failed: {e:#}")))
    }

    /// The head on the window's frontier: the model's logits.
    pub(crate) fn head(&mut self, ring: &RingState) -> Result<Vec<f32>> {
        let mut inputs = TVec::new();
        for (buf, (_, shape)) in ring.rings.iter().zip(&self.shapes) {
            let t = Tensor::from_shape(shape, buf).map_err(|e| Error::Model(format!("head input: {e:#}")))?;
            inputs.push(t.into_tvalue());
        }
        let outputs = self.head.run(inputs).map_err(|e| Error::Model(format!("inference (head) failed: {e:#}")))?;
        crate::model::first_output(&outputs)
    }
}

/// Elements before and after the time axis of `shape`.
fn outer_inner(shape: &[usize], axis: usize) -> (usize, usize) {
    (shape[..axis].iter().product(), shape[axis + 1..].iter().product())
}

/// One stream's per-frame activations over its window (the frontier tensors, whole-window
/// layout, oldest frame first).
#[derive(Debug, Clone)]
pub(crate) struct RingState {
    rings: Vec<Vec<f32>>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
