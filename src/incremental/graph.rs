//! Which tensors of an ONNX graph are local in time (frame `j` depends only on input frames
//! `j .. j + rf`), and the cut of the graph where that stops: the trunk and the head, both
//! still ONNX.

use std::collections::{HashMap, HashSet};

use tract_onnx::pb::{self, GraphProto, ModelProto, NodeProto, ValueInfoProto};


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
pub(super) struct Frontier {
    pub(super) name: String,
    pub(super) axis: usize,
}

/// The graph cut in two, still as ONNX.
#[derive(Debug, Clone)]
pub(crate) struct GraphSplit {
    pub(super) trunk: ModelProto,
    pub(super) head: ModelProto,
    pub(super) frontier: Vec<Frontier>,
    pub(super) receptive_field: usize,
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
    // The logits, and the pooled embedding the model added after them (crate::model).
    if inputs.len() != 1 || !(1..=2).contains(&graph.output.len()) {
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
pub(super) fn cut(proto: &ModelProto, frontier: &[Frontier], receptive_field: usize) -> std::result::Result<GraphSplit, String> {
    let graph = proto.graph.as_ref().ok_or("the model has no graph")?;
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let input = graph.input.iter().find(|i| !initializers.contains(i.name.as_str())).ok_or("the graph has no input")?;
    // The logits first, then whatever else the model exposes (its pooled embedding).
    let outputs: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    if outputs.is_empty() {
        return Err("the graph has no output".into());
    }
    let frontier_names: Vec<&str> = frontier.iter().map(|f| f.name.as_str()).collect();
    let stop: HashSet<&str> = initializers.iter().copied().chain([input.name.as_str()]).collect();
    let trunk_tensors = ancestors(graph, &frontier_names, &stop);
    let head_stop: HashSet<&str> = initializers.iter().copied().chain(frontier_names.iter().copied()).collect();
    let head_tensors = ancestors(graph, &outputs, &head_stop);
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
    let head = subgraph(&head_tensors, frontier_names.iter().map(|n| float_input(n)).collect(), graph.output.clone(), "head");
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
