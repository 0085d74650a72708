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
// into metrics[model block + pred_off ..] (n × n, row-major), a 4 × 4
// block of entries per invocation (8 loads for 16 multiply-adds, as
// dense.wgsl's blocked kernels), model wg.z; the first layer overwrites,
// the rest accumulate (step.accumulate).

const WG: u32 = 256u;

// Where rows first.. (four, clamped to the last) of this layer's input
// start, and whether they are in `data`.
fn input_starts(a: DispatchArgs, first: u32, last: u32, model: u32) -> vec4<u32> {
    if (a.in_from_data == 1u) {
        let r = four(0u, first, last, 1u);
        let s = vec4<u32>(sample_index(r.x), sample_index(r.y), sample_index(r.z), sample_index(r.w));
        return model * a.data_stride + a.in_off + s * a.fan_in;
    }
    return four(model * a.act_stride + a.in_off, first, last, a.fan_in);
}

@compute @workgroup_size(256)
fn gram_layer(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let a = args;
    let n = step.n_rows;
    let blocks = (n + 3u) / 4u;
    let e = (wg.y * nw.x + wg.x) * WG + li;
    if (e >= blocks * blocks) { return; }
    let b = block(e, blocks);
    let i0 = b.row;
    let j0 = b.col;
    let m = wg.z;
    let d = m * a.act_stride + a.delta_off;
    let di = four(d, i0, n - 1u, a.fan_out);
    let dj = four(d, j0, n - 1u, a.fan_out);
    var sb0 = vec4<f32>();
    var sb1 = vec4<f32>();
    var sb2 = vec4<f32>();
    var sb3 = vec4<f32>();
    for (var o = 0u; o < a.fan_out; o++) {
        let bj = vec4<f32>(acts[dj.x + o], acts[dj.y + o], acts[dj.z + o], acts[dj.w + o]);
        sb0 += acts[di.x + o] * bj;
        sb1 += acts[di.y + o] * bj;
        sb2 += acts[di.z + o] * bj;
        sb3 += acts[di.w + o] * bj;
    }
    let sb = mat4x4<f32>(sb0, sb1, sb2, sb3);
    let xi = input_starts(a, i0, n - 1u, m);
    let xj = input_starts(a, j0, n - 1u, m);
    var sa0 = vec4<f32>();
    var sa1 = vec4<f32>();
    var sa2 = vec4<f32>();
    var sa3 = vec4<f32>();
    if (a.in_from_data == 1u) {
        for (var k = 0u; k < a.fan_in; k++) {
            let aj = vec4<f32>(data[xj.x + k], data[xj.y + k], data[xj.z + k], data[xj.w + k]);
            sa0 += data[xi.x + k] * aj;
            sa1 += data[xi.y + k] * aj;
            sa2 += data[xi.z + k] * aj;
            sa3 += data[xi.w + k] * aj;
        }
    } else {
        for (var k = 0u; k < a.fan_in; k++) {
            let aj = vec4<f32>(acts[xj.x + k], acts[xj.y + k], acts[xj.z + k], acts[xj.w + k]);
            sa0 += acts[xi.x + k] * aj;
            sa1 += acts[xi.y + k] * aj;
            sa2 += acts[xi.z + k] * aj;
            sa3 += acts[xi.w + k] * aj;
        }
    }
    let sa = mat4x4<f32>(sa0, sa1, sa2, sa3);
    for (var i = 0u; i < 4u && i0 + i < n; i++) {
        for (var j = 0u; j < 4u && j0 + j < n; j++) {
            let v = sb[i][j] * (a.w_mult * a.w_mult * sa[i][j] + a.b_mult * a.b_mult);
            let at = m * a.model_slots + a.pred_off + (i0 + i) * n + j0 + j;
            if (step.accumulate == 1u) {
                metrics[at] += v;
            } else {
                metrics[at] = v;
            }
        }
    }
}
