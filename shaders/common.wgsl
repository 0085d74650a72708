// common.wgsl: the prelude of every kernel (bind groups, argument structs, activations).
// Rust owner:  core/src/gpu/common.rs (layouts; struct twins in core/src/gpu/gpu_data.rs)
// CPU twin:    core/src/cpu.rs (activate, activate_grad), core/src/dropout.rs (hash, dropout_factor)
// Parity test: tests/tests/shaders.rs (struct sizes), tests/tests/parity.rs
//
// core/src/gpu/shaders.rs prepends it to each kernel file.
//
// The argument records are read-only *storage* buffers, not uniforms:
// Mesa's lavapipe bakes uniform values that steer control flow into the
// shader and recompiles it whenever they change, so every step paid for an
// LLVM compile. Eight storage buffers in all: WebGPU's default per-stage
// limit.
//
// Keep in sync with core/src/gpu/gpu_data.rs (structs; the shader test
// compares their sizes) and core/src/gpu/common.rs (bind group layout).

// Static geometry of one dispatch (one layer, one kernel). Twin of
// gpu_data::DispatchArgs.
struct DispatchArgs {
    fan_in: u32,
    fan_out: u32,
    w_off: u32,        // offsets in f32 elements
    b_off: u32,
    in_off: u32,       // layer input: rows of `data` (first layer) or `acts`
    in_from_data: u32, // 1: the input is data rows picked by sample_index()
    z_off: u32,        // pre-activations in acts
    h_off: u32,        // post-activations in acts
    delta_off: u32,    // ∂L/∂z in acts
    prev_z_off: u32,   // backprop: pre-activations of the layer below
    prev_delta_off: u32,
    target_off: u32,   // loss: targets in `data`, row-major n × fan_out
    pred_off: u32,     // eval: where predictions go in `metrics`
    activation: u32,   // cpu::activate's codes: 0 relu, 1 tanh, 2 gelu, 3 linear
    loss: u32,         // 0 mse, 1 bce, 2 softmax, 3 none (predict only)
    optimizer: u32,    // train::Optimizer::code
    w_mult: f32,
    b_mult: f32,
    hyper0: f32,       // β₁ / β / α
    hyper1: f32,       // β₂
    hyper2: f32,       // ε
    num_params: u32,
    param_stride: u32, // batched evaluation: floats between models in params
    act_stride: u32,   // ... and in acts (0 when training one model)
    gate_off: u32,     // Hessian probes (gated = 1): ReLU gates frozen at the
    prev_gate_off: u32, // reference pre-activations of this layer / the one below
    gated: u32,
    model_slots: u32,  // batched: floats between consecutive models' metrics blocks
    data_stride: u32,  // batched: floats between consecutive models' datasets (0: shared)
    mask_off: u32,     // update: where the pruning masks start in `optim` (0: none)
    drop_salt: u32,    // dropout on this layer's output (forward) or the one below's (backprop): layer index + 1; 0: none
}

// What changes from step to step (or eval chunk to chunk). Twin of
// gpu_data::StepArgs.
struct StepArgs {
    lr: f32,
    weight_decay: f32,
    bias1: f32,        // Adam's 1 − β₁ᵗ
    bias2: f32,        // Adam's 1 − β₂ᵗ
    n_rows: u32,       // rows in this batch or chunk
    full_batch: u32,   // 1: row r is sample row_base + r; 0: batch[batch_off + r]
    row_base: u32,
    batch_off: u32,
    slot: u32,         // metrics[slot] receives this step's summed loss
    accumulate: u32,   // 1: add to metrics[slot] instead of overwriting it
    model_base: u32,   // batched evaluation: first model of this chunk
    scale: f32,        // Hessian probes: θ ± scale·v
    drop_p: f32,       // a training step's dropout probability (0: none, and for every evaluation)
    drop_scale: f32,   // a kept unit's factor 1/(1 − p), from the host
    drop_key: u32,     // the step's key: seed and step hashed (dropout::Dropout::at)
}

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
// Gradients (num_params), then the optimizer's state (0, 1 or 2 × num_params).
@group(0) @binding(1) var<storage, read_write> optim: array<f32>;
@group(0) @binding(2) var<storage, read_write> acts: array<f32>;
@group(0) @binding(3) var<storage, read_write> data: array<f32>;
@group(0) @binding(4) var<storage, read_write> batch: array<u32>;
@group(0) @binding(5) var<storage, read_write> metrics: array<f32>;
@group(1) @binding(0) var<storage, read> args: DispatchArgs;
@group(2) @binding(0) var<storage, read> step: StepArgs;

// metrics[NORM_SLOT] holds ‖g + λθ‖ for normalized GD (gpu_data::NORM_SLOT).
const NORM_SLOT: u32 = 0u;

// One 32-bit mix ("lowbias32"). Twin of dropout::hash.
fn hash(x: u32) -> u32 {
    var v = x;
    v ^= v >> 16u;
    v *= 0x7feb352du;
    v ^= v >> 15u;
    v *= 0x846ca68bu;
    v ^= v >> 16u;
    return v;
}

// Dropout's factor for unit c of batch row r in the layer salted `salt`:
// 0 (dropped) or drop_scale; 1 without dropout. Twin of dropout::Dropout::factor.
fn dropout_factor(salt: u32, r: u32, c: u32) -> f32 {
    if (salt == 0u || step.drop_p == 0.0) { return 1.0; }
    let bits = hash(hash(hash(step.drop_key ^ hash(salt)) ^ r) ^ c);
    let u = f32(bits >> 8u) * 5.9604644775390625e-8; // 2⁻²⁴: exact
    return select(0.0, step.drop_scale, u >= step.drop_p);
}

// Blocked kernels (4 × 4 results an invocation): block `e` of a result
// with `cols` blocks a row starts at element row 4·(e / cols), column
// 4·(e % cols).
struct Block { row: u32, col: u32 }

fn block(e: u32, cols: u32) -> Block {
    return Block((e / cols) * 4u, (e % cols) * 4u);
}

// Where rows first … first + 3 start, `stride` apart from `base`, the ones
// past `last` read as `last` (so no branch in the inner loop).
fn four(base: u32, first: u32, last: u32, stride: u32) -> vec4<u32> {
    return base + min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last)) * stride;
}

// Index into the dataset of row r of the current batch or chunk.
fn sample_index(r: u32) -> u32 {
    if (step.full_batch == 1u) {
        return step.row_base + r;
    }
    return batch[step.batch_off + r];
}

const GELU_C: f32 = 0.7978845608028654; // √(2/π)
const GELU_A: f32 = 0.044715;

// Twin of cpu::activate.
fn activate(code: u32, z: f32) -> f32 {
    switch code {
        case 0u: { return max(z, 0.0); }
        case 1u: { return tanh(z); }
        case 2u: {
            let u = GELU_C * (z + GELU_A * z * z * z);
            return 0.5 * z * (1.0 + tanh(u));
        }
        default: { return z; }
    }
}

// Twin of cpu::activate_grad.
fn activate_grad(code: u32, z: f32) -> f32 {
    switch code {
        case 0u: { return select(0.0, 1.0, z > 0.0); }
        case 1u: {
            let t = tanh(z);
            return 1.0 - t * t;
        }
        case 2u: {
            let u = GELU_C * (z + GELU_A * z * z * z);
            let t = tanh(u);
            let du = GELU_C * (1.0 + 3.0 * GELU_A * z * z);
            return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * du;
        }
        default: { return 1.0; }
    }
}
