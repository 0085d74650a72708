// dense.wgsl: dense layers forward, their weight gradients, backprop.
// Rust owner:  core/src/gpu/dense.rs
// CPU twin:    core/src/cpu.rs (forward, loss_and_grad)
// Parity test: tests/tests/parity.rs
//
// Each computes, one output element per invocation,
//
//   forward      Z = H_in · (w_mult·W)ᵀ + b_mult·b, H = φ(Z) ⊙ M    (n × fan_out)
//   weight_grad  ∂W = w_mult · δᵀ · H_in, ∂b = b_mult · Σ_rows δ      (fan_out × fan_in+1)
//   backprop     δ_below = (w_mult · δ · W) ⊙ φ'(Z_below) ⊙ M_below  (n × fan_in)
//
// or, in its `_blocked` twin, a 4 × 4 block of them (layers whose input is
// in `acts`; which layers: gpu::dense::Pipelines::pick).
//
// M is a training step's dropout mask on a hidden layer, 0 or 1/(1 − p)
// per unit (dropout_factor; all ones without dropout and in evaluation).
//
// Each kernel copies its arguments into locals first and keeps branches
// out of its inner loop. Software adapters (lavapipe, SwiftShader) run
// invocations as SIMD lanes on the CPU; there, every argument re-read or
// branch inside the loop costs a bounds-checked gather per lane. One
// element per invocation, the loop's body is two loads per multiply-add;
// a 4 × 4 block loads 8 values for 16 of them. On lavapipe that trained a
// 2→256³→1 net 2.5–3× faster and the playground's 2→64→64→1 about 2×;
// nets of width 8 ran alike. Workgroup-memory tiling did not help there
// and is left out until a benchmark on real GPUs asks for it.
//
// With `gated`, ReLU layers take their on/off pattern from reference
// pre-activations instead of their own (Hessian probes, landscape.wgsl):
// the network is then smooth in θ, and differences of its gradients give
// the Hessian that backprop's derivatives define, kinks excluded.

// Where row r of the layer input starts (in `data` or in `acts`).
fn input_row(a: DispatchArgs, r: u32) -> u32 {
    if (a.in_from_data == 1u) {
        return a.in_off + sample_index(r) * a.fan_in;
    }
    return a.in_off + r * a.fan_in;
}

// The elements of a result matrix, row after row, are numbered across the
// workgroups of 256 along x (and y past 65 535 of them), so no lane idles
// whatever the shape: a scalar output fills whole workgroups, as a 16×16
// tiling of an n × 1 result would not (15 of every 16 lanes idle, and
// software adapters pay for idle lanes). Rust: gpu::dense_groups.
const WG: u32 = 256u;

fn element(wg: vec3<u32>, nw: vec3<u32>, li: u32) -> u32 {
    return (wg.y * nw.x + wg.x) * WG + li;
}

// Batched training and evaluation run many parameter vectors at once:
// model wg.z has its parameters at wg.z·param_stride, its activations at
// wg.z·act_stride and its dataset at wg.z·data_stride (0: one shared set).
@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let a = args;
    let e = element(wg, nw, li);
    if (e >= step.n_rows * a.fan_out) { return; }
    let r = e / a.fan_out;
    let c = e % a.fan_out;
    let pm = wg.z * a.param_stride;
    let am = wg.z * a.act_stride;
    let x0 = input_row(a, r) + select(am, wg.z * a.data_stride, a.in_from_data == 1u);
    let w0 = pm + a.w_off + c * a.fan_in;
    var acc = 0.0;
    if (a.in_from_data == 1u) {
        for (var k = 0u; k < a.fan_in; k++) { acc += data[x0 + k] * params[w0 + k]; }
    } else {
        for (var k = 0u; k < a.fan_in; k++) { acc += acts[x0 + k] * params[w0 + k]; }
    }
    forward_out(a, pm, am, r, c, acc);
}

// Unit c of row r from its weighted sum: Z, and H = φ(Z) ⊙ M.
fn forward_out(a: DispatchArgs, pm: u32, am: u32, r: u32, c: u32, acc: f32) {
    let z = a.w_mult * acc + a.b_mult * params[pm + a.b_off + c];
    let i = am + r * a.fan_out + c;
    acts[a.z_off + i] = z;
    var h = activate(a.activation, z);
    if (a.gated == 1u && a.activation == 0u) { h = select(0.0, z, acts[a.gate_off + i] > 0.0); }
    acts[a.h_off + i] = h * dropout_factor(a.drop_salt, r, c);
}

@compute @workgroup_size(256)
fn weight_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let a = args;
    let n = step.n_rows;
    let e = element(wg, nw, li);
    if (e >= a.fan_out * (a.fan_in + 1u)) { return; }
    let o = e / (a.fan_in + 1u);
    let k = e % (a.fan_in + 1u); // k == fan_in: the bias
    let pm = wg.z * a.param_stride;
    let am = wg.z * a.act_stride;
    let d0 = am + a.delta_off + o;
    var acc = 0.0;
    if (k == a.fan_in) {
        for (var r = 0u; r < n; r++) { acc += acts[d0 + r * a.fan_out]; }
        optim[pm + a.b_off + o] = a.b_mult * acc;
        return;
    }
    if (a.in_from_data == 0u) {
        let x0 = am + a.in_off + k;
        for (var r = 0u; r < n; r++) {
            acc += acts[d0 + r * a.fan_out] * acts[x0 + r * a.fan_in];
        }
    } else if (step.full_batch == 1u) {
        let x0 = wg.z * a.data_stride + a.in_off + step.row_base * a.fan_in + k;
        for (var r = 0u; r < n; r++) {
            acc += acts[d0 + r * a.fan_out] * data[x0 + r * a.fan_in];
        }
    } else {
        for (var r = 0u; r < n; r++) {
            let x = data[wg.z * a.data_stride + a.in_off + batch[step.batch_off + r] * a.fan_in + k];
            acc += acts[d0 + r * a.fan_out] * x;
        }
    }
    optim[pm + a.w_off + o * a.fan_in + k] = a.w_mult * acc;
}

@compute @workgroup_size(256)
fn backprop(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let a = args;
    let e = element(wg, nw, li);
    if (e >= step.n_rows * a.fan_in) { return; }
    let r = e / a.fan_in;
    let k = e % a.fan_in;
    let pm = wg.z * a.param_stride;
    let am = wg.z * a.act_stride;
    let d0 = am + a.delta_off + r * a.fan_out;
    let w0 = pm + a.w_off + k;
    var acc = 0.0;
    for (var o = 0u; o < a.fan_out; o++) {
        acc += acts[d0 + o] * params[w0 + o * a.fan_in];
    }
    backprop_out(a, am, r, k, acc);
}

// δ below for unit k of row r from its weighted sum of the δ above.
fn backprop_out(a: DispatchArgs, am: u32, r: u32, k: u32, acc: f32) {
    let i = am + r * a.fan_in + k;
    var gate = activate_grad(a.activation, acts[a.prev_z_off + i]);
    if (a.gated == 1u && a.activation == 0u) { gate = select(0.0, 1.0, acts[a.prev_gate_off + i] > 0.0); }
    acts[a.prev_delta_off + i] = a.w_mult * acc * gate * dropout_factor(a.drop_salt, r, k);
}

// The blocked kernels (`block` and `four` in common.wgsl). Rows and
// columns past the last are read as the last one (no branch in the loop)
// and not written.

@compute @workgroup_size(256)
fn forward_blocked(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let a = args;
    let n = step.n_rows;
    let cols = (a.fan_out + 3u) / 4u;
    let e = element(wg, nw, li);
    if (e >= (n + 3u) / 4u * cols) { return; }
    let b = block(e, cols);
    let pm = wg.z * a.param_stride;
    let am = wg.z * a.act_stride;
    let x = four(am + a.in_off, b.row, n - 1u, a.fan_in);
    let w = four(pm + a.w_off, b.col, a.fan_out - 1u, a.fan_in);
    var acc0 = vec4<f32>();
    var acc1 = vec4<f32>();
    var acc2 = vec4<f32>();
    var acc3 = vec4<f32>();
    for (var k = 0u; k < a.fan_in; k++) {
        let wk = vec4<f32>(params[w.x + k], params[w.y + k], params[w.z + k], params[w.w + k]);
        acc0 += acts[x.x + k] * wk;
        acc1 += acts[x.y + k] * wk;
        acc2 += acts[x.z + k] * wk;
        acc3 += acts[x.w + k] * wk;
    }
    let acc = mat4x4<f32>(acc0, acc1, acc2, acc3);
    for (var i = 0u; i < 4u && b.row + i < n; i++) {
        for (var j = 0u; j < 4u && b.col + j < a.fan_out; j++) {
            forward_out(a, pm, am, b.row + i, b.col + j, acc[i][j]);
        }
    }
}

// Blocks of (row, unit below); the weights of four units below side by side.
@compute @workgroup_size(256)
fn backprop_blocked(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let a = args;
    let n = step.n_rows;
    let cols = (a.fan_in + 3u) / 4u;
    let e = element(wg, nw, li);
    if (e >= (n + 3u) / 4u * cols) { return; }
    let b = block(e, cols);
    let pm = wg.z * a.param_stride;
    let am = wg.z * a.act_stride;
    let d = four(am + a.delta_off, b.row, n - 1u, a.fan_out);
    let w = four(pm + a.w_off, b.col, a.fan_in - 1u, 1u);
    var acc0 = vec4<f32>();
    var acc1 = vec4<f32>();
    var acc2 = vec4<f32>();
    var acc3 = vec4<f32>();
    for (var o = 0u; o < a.fan_out; o++) {
        let wo = o * a.fan_in;
        let wk = vec4<f32>(params[w.x + wo], params[w.y + wo], params[w.z + wo], params[w.w + wo]);
        acc0 += acts[d.x + o] * wk;
        acc1 += acts[d.y + o] * wk;
        acc2 += acts[d.z + o] * wk;
        acc3 += acts[d.w + o] * wk;
    }
    let acc = mat4x4<f32>(acc0, acc1, acc2, acc3);
    for (var i = 0u; i < 4u && b.row + i < n; i++) {
        for (var j = 0u; j < 4u && b.col + j < a.fan_in; j++) {
            backprop_out(a, am, b.row + i, b.col + j, acc[i][j]);
        }
    }
}

// Blocks of (unit, input); one more column of blocks sums the biases of
// their four units.
@compute @workgroup_size(256)
fn weight_grad_blocked(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let a = args;
    let n = step.n_rows;
    let cols = (a.fan_in + 3u) / 4u + 1u;
    let e = element(wg, nw, li);
    if (e >= (a.fan_out + 3u) / 4u * cols) { return; }
    let b = block(e, cols);
    let pm = wg.z * a.param_stride;
    let am = wg.z * a.act_stride;
    let o = four(am + a.delta_off, b.row, a.fan_out - 1u, 1u);
    if (b.col == 4u * (cols - 1u)) {
        var sum = vec4<f32>();
        for (var r = 0u; r < n; r++) {
            let dr = r * a.fan_out;
            sum += vec4<f32>(acts[o.x + dr], acts[o.y + dr], acts[o.z + dr], acts[o.w + dr]);
        }
        for (var i = 0u; i < 4u && b.row + i < a.fan_out; i++) {
            optim[pm + a.b_off + b.row + i] = a.b_mult * sum[i];
        }
        return;
    }
    let k = four(am + a.in_off, b.col, a.fan_in - 1u, 1u);
    var acc0 = vec4<f32>();
    var acc1 = vec4<f32>();
    var acc2 = vec4<f32>();
    var acc3 = vec4<f32>();
    for (var r = 0u; r < n; r++) {
        let dr = r * a.fan_out;
        let xr = r * a.fan_in;
        let h = vec4<f32>(acts[k.x + xr], acts[k.y + xr], acts[k.z + xr], acts[k.w + xr]);
        acc0 += acts[o.x + dr] * h;
        acc1 += acts[o.y + dr] * h;
        acc2 += acts[o.z + dr] * h;
        acc3 += acts[o.w + dr] * h;
    }
    let acc = mat4x4<f32>(acc0, acc1, acc2, acc3);
    for (var i = 0u; i < 4u && b.row + i < a.fan_out; i++) {
        for (var j = 0u; j < 4u && b.col + j < a.fan_in; j++) {
            optim[pm + a.w_off + (b.row + i) * a.fan_in + b.col + j] = a.w_mult * acc[i][j];
        }
    }
}
