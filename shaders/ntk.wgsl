// ntk.wgsl: empirical neural tangent kernels, layer by layer.
// Rust owner:  core/src/gpu/ntk.rs
// CPU twin:    core/src/ntk.rs (cross_gram)
// Parity test: tests/tests/ntk.rs
//
// The empirical neural tangent kernel of a scalar-output net, layer by
// layer from forward inputs and backward signals. Twin: ntk::cross_gram.
//
// Before these run: a forward pass over the n training rows and a backward
// pass seeded with ∂f/∂f = 1 (output_delta with loss `ones`), leaving each
// layer's input A (n × fan_in, in `data` or `acts`) and signal B = ∂f/∂z
// (n × fan_out, at delta_off in `acts`). Then, per layer,
//
//   gram_layer  Θ[i, j] (+)= (B Bᵀ)[i, j] · (w_mult² (A Aᵀ)[i, j] + b_mult²)
//
// into metrics[model block + pred_off ..] (n × n, row-major), one
// invocation per entry, model wg.z; the first layer overwrites, the rest
// accumulate (step.accumulate).

const WG: u32 = 256u;

// Where row r of this layer's input starts, and whether it is in `data`.
fn input_start(a: DispatchArgs, r: u32, model: u32) -> u32 {
    if (a.in_from_data == 1u) {
        return model * a.data_stride + a.in_off + sample_index(r) * a.fan_in;
    }
    return model * a.act_stride + a.in_off + r * a.fan_in;
}

@compute @workgroup_size(256)
fn gram_layer(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let a = args;
    let n = step.n_rows;
    let e = (wg.y * nw.x + wg.x) * WG + li;
    if (e >= n * n) { return; }
    let i = e / n;
    let j = e % n;
    let m = wg.z;
    let di = m * a.act_stride + a.delta_off + i * a.fan_out;
    let dj = m * a.act_stride + a.delta_off + j * a.fan_out;
    var sb = 0.0;
    for (var o = 0u; o < a.fan_out; o++) { sb += acts[di + o] * acts[dj + o]; }
    let xi = input_start(a, i, m);
    let xj = input_start(a, j, m);
    var sa = 0.0;
    if (a.in_from_data == 1u) {
        for (var k = 0u; k < a.fan_in; k++) { sa += data[xi + k] * data[xj + k]; }
    } else {
        for (var k = 0u; k < a.fan_in; k++) { sa += acts[xi + k] * acts[xj + k]; }
    }
    let v = sb * (a.w_mult * a.w_mult * sa + a.b_mult * a.b_mult);
    let at = m * a.model_slots + a.pred_off + e;
    if (step.accumulate == 1u) {
        metrics[at] += v;
    } else {
        metrics[at] = v;
    }
}
