// Dense layers as tiled GEMMs, one 16×16 output tile per workgroup:
//
//   forward      Z = [H_in, 1] · [w_mult·W, b_mult·b]ᵀ, H = φ(Z)   (n × fan_out)
//   weight_grad  [∂W, ∂b] = δᵀ · [H_in, 1], scaled by w_mult / b_mult
//   backprop     δ_below = (w_mult · δ · W) ⊙ φ'(Z_below)            (n × fan_in)
//
// The bias rides along as an extra input column of ones, so one GEMM gives
// both the weight and the bias terms.

const TILE: u32 = 16u;
const MODE_FORWARD: u32 = 0u;
const MODE_WEIGHT_GRAD: u32 = 1u;
const MODE_BACKPROP: u32 = 2u;

var<workgroup> tile_a: array<f32, 256>;
var<workgroup> tile_b: array<f32, 256>;

// Row r, column k of the layer input (k < fan_in).
fn layer_input(r: u32, k: u32) -> f32 {
    if (args.in_from_data == 1u) {
        return data[args.in_off + sample_index(r) * args.fan_in + k];
    }
    return acts[args.in_off + r * args.fan_in + k];
}

// GEMM dimensions (M, N, K) of each mode.
fn dims(mode: u32) -> vec3<u32> {
    switch mode {
        case MODE_FORWARD: { return vec3(step.n_rows, args.fan_out, args.fan_in + 1u); }
        case MODE_WEIGHT_GRAD: { return vec3(args.fan_out, args.fan_in + 1u, step.n_rows); }
        default: { return vec3(step.n_rows, args.fan_in, args.fan_out); }
    }
}

// A(m, k) of the product C = A · Bᵀ.
fn load_a(mode: u32, m: u32, k: u32) -> f32 {
    switch mode {
        case MODE_FORWARD: {
            if (k < args.fan_in) { return layer_input(m, k); }
            return 1.0;
        }
        case MODE_WEIGHT_GRAD: { return acts[args.delta_off + k * args.fan_out + m]; }
        default: { return acts[args.delta_off + m * args.fan_out + k]; }
    }
}

// B(n, k) of the product C = A · Bᵀ.
fn load_b(mode: u32, n: u32, k: u32) -> f32 {
    switch mode {
        case MODE_FORWARD: {
            if (k < args.fan_in) { return params[args.w_off + n * args.fan_in + k] * args.w_mult; }
            return params[args.b_off + n] * args.b_mult;
        }
        case MODE_WEIGHT_GRAD: {
            if (n < args.fan_in) { return layer_input(k, n); }
            return 1.0;
        }
        default: { return params[args.w_off + k * args.fan_in + n]; }
    }
}

// One output element of C = A · Bᵀ per invocation; every invocation of the
// workgroup must call this (it holds barriers).
fn gemm(mode: u32, wg: vec3<u32>, local: vec3<u32>) -> f32 {
    let mnk = dims(mode);
    let row0 = wg.y * TILE;
    let col0 = wg.x * TILE;
    var acc = 0.0;
    let tiles = (mnk.z + TILE - 1u) / TILE;
    for (var t = 0u; t < tiles; t++) {
        let k = t * TILE + local.x;
        let ar = row0 + local.y;
        let bc = col0 + local.y;
        var a = 0.0;
        var b = 0.0;
        if (ar < mnk.x && k < mnk.z) { a = load_a(mode, ar, k); }
        if (bc < mnk.y && k < mnk.z) { b = load_b(mode, bc, k); }
        tile_a[local.y * TILE + local.x] = a;
        tile_b[local.y * TILE + local.x] = b;
        workgroupBarrier();
        for (var i = 0u; i < TILE; i++) {
            acc += tile_a[local.y * TILE + i] * tile_b[local.x * TILE + i];
        }
        workgroupBarrier();
    }
    return acc;
}

@compute @workgroup_size(16, 16)
fn forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let z = gemm(MODE_FORWARD, wg, local);
    let r = wg.y * TILE + local.y;
    let c = wg.x * TILE + local.x;
    if (r < step.n_rows && c < args.fan_out) {
        let i = r * args.fan_out + c;
        acts[args.z_off + i] = z;
        acts[args.h_off + i] = activate(args.activation, z);
    }
}

@compute @workgroup_size(16, 16)
fn weight_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let g = gemm(MODE_WEIGHT_GRAD, wg, local);
    let o = wg.y * TILE + local.y;
    let k = wg.x * TILE + local.x;
    if (o < args.fan_out && k < args.fan_in) {
        grads[args.w_off + o * args.fan_in + k] = g * args.w_mult;
    } else if (o < args.fan_out && k == args.fan_in) {
        grads[args.b_off + o] = g * args.b_mult;
    }
}

@compute @workgroup_size(16, 16)
fn backprop(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let dh = gemm(MODE_BACKPROP, wg, local) * args.w_mult;
    let r = wg.y * TILE + local.y;
    let k = wg.x * TILE + local.x;
    if (r < step.n_rows && k < args.fan_in) {
        let i = r * args.fan_in + k;
        acts[args.prev_delta_off + i] = dh * activate_grad(args.activation, acts[args.prev_z_off + i]);
    }
}
