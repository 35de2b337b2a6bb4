//! Graph rewrites for the shapes tract's fast kernels skip, applied to every plan the engine
//! builds (the whole window, and a split model's head). Each one computes the same values
//! as the op it replaces; `tests/incremental.rs` and the probe in [`crate::incremental`]
//! compare the results with the unrewritten graph.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::nn::{Reduce, Reducer};

/// The one way the engine makes an execution plan from an ONNX graph (the whole window, a
/// split model's trunk and head): f32 inputs of these shapes, tract's typing, [`optimize`],
/// a runnable plan. An error names the stage in the caller's words: `stages` = (input
/// shapes, optimisation, plan).
pub(crate) fn plan(
    graph: InferenceModel,
    input_shapes: &[Vec<usize>],
    stages: [&str; 3],
) -> std::result::Result<Arc<TypedRunnableModel>, String> {
    let [input, optimise, runnable] = stages;
    let mut graph = graph;
    for (i, shape) in input_shapes.iter().enumerate() {
        graph = graph.with_input_fact(i, f32::fact(shape).into()).map_err(|e| format!("{input}: {e:#}"))?;
    }
    let typed = graph.into_typed().and_then(optimize).map_err(|e| format!("{optimise}: {e:#}"))?;
    typed.into_runnable().map_err(|e| format!("{runnable}: {e:#}"))
}

/// Declutters, rewrites and optimises a typed graph: what `into_optimized` does, plus the
/// rewrites below.
pub(crate) fn optimize(model: TypedModel) -> TractResult<TypedModel> {
    let mut model = model.into_decluttered()?;
    sums_as_products(&mut model)?;
    let mut model = model.into_optimized()?;
    generic_arithmetic_as_loops(&mut model)?;
    Ok(model)
}

/// Rewrites each f32 sum over the last axis (the pooling's sums over time) as a product
/// with a column of ones: the same sum, run by the matrix kernels. tract's reduction calls
/// its kernel once per row, which made two sums over `[1, 96, 278]` half of the head's time.
/// Call before `into_optimized`, so the product is planned with the rest.
fn sums_as_products(model: &mut TypedModel) -> TractResult<()> {
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(reduce) = node.op_as::<Reduce>() else { continue };
        let fact = model.outlet_fact(node.inputs[0])?;
        let Some(shape) = fact.shape.as_concrete() else { continue };
        let rank = shape.len();
        if reduce.reducer != Reducer::Sum || fact.datum_type != f32::datum_type() || reduce.axes[..] != [rank - 1] || !(2..=10).contains(&rank) {
            continue;
        }
        let n = shape[rank - 1];
        let lead: String = "abcdefghij".chars().take(rank - 1).collect();
        let op = EinSum::new(format!("{lead}k,kz->{lead}z").parse()?, f32::datum_type());
        let mut patch = TypedModelPatch::default();
        let x = patch.tap_model(model, node.inputs[0])?;
        let ones = patch.add_const(format!("{}.ones", node.name), Tensor::from_shape(&[n, 1], &vec![1f32; n])?)?;
        let sum = patch.wire_node(&node.name, op, &[x, ones])?[0];
        patch.shunt_outside(model, id.into(), sum)?;
        patch.apply(model)?;
    }
    Ok(())
}

/// Replaces the f32 arithmetic that an optimised plan left on tract's generic path with
/// [`BroadcastF32`]. Call after `into_optimized`: what is left then is what found no fast
/// kernel. tract's fast paths need the repeated operand's block to be a multiple of the
/// SIMD width, so the attention weights `[1, 1, 278]` times the activations `[1, 96, 278]`
/// went through ndarray's generic zip, the slowest step of a stream update when profiled.
fn generic_arithmetic_as_loops(model: &mut TypedModel) -> TractResult<()> {
    for id in model.eval_order()? {
        let Some(op) = loop_for(model, id)? else { continue };
        let node = model.node(id);
        TypedModelPatch::replace_single_op(model, node, &node.inputs, op)?.apply(model)?;
    }
    Ok(())
}

/// The loop that replaces node `id`, if it is f32 arithmetic between inputs of equal rank.
fn loop_for(model: &TypedModel, id: usize) -> TractResult<Option<BroadcastF32>> {
    let Some(bin) = model.node(id).op_as::<TypedBinOp>() else { return Ok(None) };
    let Some(arith) = Arith::from_name(bin.0.name()) else { return Ok(None) };
    let facts = model.node_input_facts(id)?;
    let output = model.outlet_fact(id.into())?;
    let all_f32 = facts.iter().copied().chain([output]).all(|f| f.datum_type == f32::datum_type());
    if facts.len() != 2 || !all_f32 || facts[0].rank() != facts[1].rank() {
        return Ok(None);
    }
    Ok(Some(BroadcastF32 { arith, generic: bin.clone() }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

impl Arith {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "Add" => Self::Add,
            "Sub" => Self::Sub,
            "Mul" => Self::Mul,
            "Div" => Self::Div,
            _ => return None,
        })
    }

    /// `out[i] = a[i·sa] ∘ b[i·sb]`, strides 0 or 1; the common cases get their own loops
    /// so that they vectorise.
    fn row(self, a: &[f32], sa: usize, b: &[f32], sb: usize, out: &mut [f32]) {
        macro_rules! apply {
            ($f:expr) => {{
                let f = $f;
                match (sa, sb) {
                    (1, 1) => out.iter_mut().zip(a).zip(b).for_each(|((o, &x), &y)| *o = f(x, y)),
                    (1, _) => out.iter_mut().zip(a).for_each(|(o, &x)| *o = f(x, b[0])),
                    (_, 1) => out.iter_mut().zip(b).for_each(|(o, &y)| *o = f(a[0], y)),
                    _ => out.fill(f(a[0], b[0])),
                }
            }};
        }
        match self {
            Self::Add => apply!(|x: f32, y: f32| x + y),
            Self::Sub => apply!(|x: f32, y: f32| x - y),
            Self::Mul => apply!(|x: f32, y: f32| x * y),
            Self::Div => apply!(|x: f32, y: f32| x / y),
        }
    }
}

/// An f32 element-wise op with numpy broadcasting between inputs of equal rank, as one
/// strided loop per output row. Inputs with unusual strides go to the op it replaced.
#[derive(Debug, Clone)]
pub(crate) struct BroadcastF32 {
    arith: Arith,
    generic: TypedBinOp,
}

impl PartialEq for BroadcastF32 {
    fn eq(&self, other: &Self) -> bool {
        self.arith == other.arith
    }
}
impl Eq for BroadcastF32 {}

impl Op for BroadcastF32 {
    fn name(&self) -> StaticName {
        format!("BroadcastF32{:?}", self.arith).into()
    }

    op_as_typed_op!();
}

impl EvalOp for BroadcastF32 {
    op_out_of_plan!();

    fn eval(&self, ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let natural = |t: &TValue| t.len() == t.shape().iter().product::<usize>() && t.strides() == &*Tensor::natural_strides(t.shape());
        if !inputs.iter().all(natural) {
            return self.generic.eval(ctx, inputs);
        }
        let (a, b) = args_2!(inputs);
        let shape = tract_onnx::tract_core::broadcast::multi_broadcast(&[a.shape(), b.shape()])?;
        let (sa, sb) = (broadcast_strides(a.shape(), &shape), broadcast_strides(b.shape(), &shape));
        let (a_view, b_view) = (a.view(), b.view());
        let (a, b) = (a_view.as_slice::<f32>()?, b_view.as_slice::<f32>()?);
        let mut out = Tensor::zero::<f32>(&shape)?;
        let mut out_view = out.view_mut();
        let rank = shape.len();
        let row_len = shape.last().copied().unwrap_or(1);
        if row_len > 0 {
            let rows = out_view.as_slice_mut::<f32>()?.chunks_exact_mut(row_len);
            let mut index = vec![0usize; rank.saturating_sub(1)];
            let (last_a, last_b) = (sa.last().copied().unwrap_or(0), sb.last().copied().unwrap_or(0));
            for row in rows {
                let offset = |strides: &[usize]| index.iter().zip(strides).map(|(i, s)| i * s).sum::<usize>();
                let (oa, ob) = (offset(&sa), offset(&sb));
                let a_row = &a[oa..oa + if last_a == 0 { 1 } else { row_len }];
                let b_row = &b[ob..ob + if last_b == 0 { 1 } else { row_len }];
                self.arith.row(a_row, last_a, b_row, last_b, row);
                // Next row: an odometer over the leading axes.
                for axis in (0..index.len()).rev() {
                    index[axis] += 1;
                    if index[axis] < shape[axis] {
                        break;
                    }
                    index[axis] = 0;
                }
            }
        }
        drop(out_view);
        Ok(tvec!(out.into_tvalue()))
    }
}

/// Element strides of `shape` read as `out` (same rank): 0 along broadcast axes.
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let natural = Tensor::natural_strides(shape);
    shape.iter().zip(out).zip(natural.iter()).map(|((&d, &o), &s)| if d == 1 && o != 1 { 0 } else { s as usize }).collect()
}

impl TypedOp for BroadcastF32 {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        self.generic.output_facts(inputs)
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped model's pooling multiplies `[1, 1, 278]` by `[1, 96, 278]`: tract finds no
    /// fast kernel for it, so the plan must hold the loop (else the rewrite went stale).
    #[test]
    fn the_shipped_poolings_broadcast_product_runs_as_a_loop() {
        let model = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(crate::model::EMBEDDED_ONNX))
            .unwrap()
            .with_input_fact(0, f32::fact([1, 300, 40]).into())
            .unwrap()
            .into_typed()
            .unwrap();
        let plain = model.clone().into_optimized().unwrap();
        let generic = |m: &TypedModel| m.nodes().iter().filter(|n| n.op_is::<TypedBinOp>()).count();
        assert!(generic(&plain) >= 1, "tract now optimises every binary op of the shipped model: drop this rewrite");
        let ours = optimize(model).unwrap();
        assert_eq!(generic(&ours), 0);
        assert!(ours.nodes().iter().any(|n| n.op_is::<BroadcastF32>()));
    }

    /// Every op, every broadcast pattern of two rank-3 inputs, against tract's own eval.
    #[test]
    fn broadcast_loops_equal_tracts_generic_arithmetic() {
        use tract_onnx::tract_core::ops::math;
        let ops: [(Arith, Box<dyn tract_onnx::tract_core::ops::binary::BinMiniOp>); 4] =
            [(Arith::Add, Box::new(math::Add)), (Arith::Sub, Box::new(math::Sub)), (Arith::Mul, Box::new(math::Mul)), (Arith::Div, Box::new(math::Div))];
        let full = [2usize, 3, 7];
        let value = |shape: &[usize], seed: f32| {
            let n: usize = shape.iter().product();
            Tensor::from_shape(shape, &(0..n).map(|i| 1.5 + ((i as f32 + seed) * 0.7).sin()).collect::<Vec<_>>()).unwrap()
        };
        for (arith, mini) in ops {
            for mask_a in 0..8u32 {
                for mask_b in 0..8u32 {
                    let shape = |mask: u32| full.iter().enumerate().map(|(i, &d)| if mask >> i & 1 == 1 { 1 } else { d }).collect::<Vec<_>>();
                    let (a, b) = (value(&shape(mask_a), 0.0), value(&shape(mask_b), 3.0));
                    let generic = TypedBinOp(mini.clone(), None);
                    let want = generic.eval_out_of_plan(tvec!(a.clone().into_tvalue(), b.clone().into_tvalue())).unwrap().unwrap();
                    let ours = BroadcastF32 { arith, generic };
                    let got = ours.eval_out_of_plan(tvec!(a.into_tvalue(), b.into_tvalue())).unwrap().unwrap();
                    assert_eq!(got[0].shape(), want[0].shape(), "{arith:?} {mask_a} {mask_b}");
                    let values = |t: &TValue| t.to_plain_array_view::<f32>().unwrap().iter().copied().collect::<Vec<_>>();
                    assert_eq!(values(&got[0]), values(&want[0]), "{arith:?} {mask_a} {mask_b}");
                }
            }
        }
    }
}
