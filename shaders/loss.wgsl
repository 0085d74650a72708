// loss.wgsl: the loss at the output layer, its gradient, predictions.
// Rust owner:  core/src/gpu/loss.rs
// CPU twin:    core/src/cpu.rs (loss)
// Parity test: tests/tests/parity.rs
//
// Loss at the output layer, one workgroup for the whole batch or chunk.
// Twin of cpu::loss. `fan_out` is the number of outputs k; outputs are
// read from acts[h_off..] (n × k), targets from data[target_off..].
//
//   output_delta  δ = ∂L/∂f for training (L the batch mean), and the
//                 summed loss into metrics[step.slot]
//   evaluate      predictions into metrics[pred_off..] (rows by sample
//                 index) and, unless loss is `none`, the summed loss
//   model_loss    batched evaluation: workgroup m sums the loss of model
//                 step.model_base + m (outputs at m·act_stride) into
//                 metrics[step.model_base + m]

const LOSS_MSE: u32 = 0u;
const LOSS_BCE: u32 = 1u;
const LOSS_SOFTMAX: u32 = 2u;
const LOSS_NONE: u32 = 3u;
// Not a loss: δ = ∂f/∂f = 1 for every output, to backpropagate f itself
// (neural tangent kernels, ntk.wgsl).
const LOSS_ONES: u32 = 4u;
const WG: u32 = 256u;

var<workgroup> partial: array<f32, 256>;

fn softplus(x: f32) -> f32 {
    // ln(1 + eˣ), stable for any x.
    return max(x, 0.0) + log(1.0 + exp(-abs(x)));
}

// Loss of row r (sample s) of the outputs at acts[base + h_off..] against
// the targets at data[data_base + target_off..] and, if write_delta,
// ∂L/∂f of it.
fn row_loss(r: u32, s: u32, write_delta: bool, base: u32, data_base: u32) -> f32 {
    let k = args.fan_out;
    let f0 = base + args.h_off + r * k;
    let t0 = data_base + args.target_off + s * k;
    var total = 0.0;
    switch args.loss {
        case LOSS_MSE: {
            let scale = 2.0 / f32(step.n_rows * k);
            for (var c = 0u; c < k; c++) {
                let res = acts[f0 + c] - data[t0 + c];
                total += res * res;
                if (write_delta) { acts[base + args.delta_off + r * k + c] = res * scale; }
            }
        }
        case LOSS_BCE: {
            let f = acts[f0];
            let y = data[t0];
            total = softplus(f) - f * y;
            if (write_delta) { acts[base + args.delta_off + r] = (1.0 / (1.0 + exp(-f)) - y) / f32(step.n_rows); }
        }
        case LOSS_SOFTMAX: {
            var m = acts[f0];
            for (var c = 1u; c < k; c++) { m = max(m, acts[f0 + c]); }
            var sum = 0.0;
            for (var c = 0u; c < k; c++) { sum += exp(acts[f0 + c] - m); }
            let lse = m + log(sum);
            for (var c = 0u; c < k; c++) {
                let y = data[t0 + c];
                total += y * (lse - acts[f0 + c]);
                if (write_delta) {
                    acts[base + args.delta_off + r * k + c] = (exp(acts[f0 + c] - lse) - y) / f32(step.n_rows);
                }
            }
        }
        case LOSS_ONES: {
            if (write_delta) {
                for (var c = 0u; c < k; c++) { acts[base + args.delta_off + r * k + c] = 1.0; }
            }
        }
        default: {}
    }
    return total;
}

fn store_sum(local: u32, mine: f32, slot: u32) {
    partial[local] = mine;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half = half / 2u) {
        if (local < half) { partial[local] += partial[local + half]; }
        workgroupBarrier();
    }
    if (local == 0u) {
        if (step.accumulate == 1u) {
            metrics[slot] += partial[0];
        } else {
            metrics[slot] = partial[0];
        }
    }
}

// output_delta and evaluate run one workgroup per model (batched training:
// model m's activations at m·act_stride, its dataset at m·data_stride, its
// metrics block at m·model_slots).
@compute @workgroup_size(256)
fn output_delta(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let base = wg.x * args.act_stride;
    var mine = 0.0;
    for (var r = lid.x; r < step.n_rows; r += WG) {
        mine += row_loss(r, sample_index(r), true, base, wg.x * args.data_stride);
    }
    store_sum(lid.x, mine, wg.x * args.model_slots + step.slot);
}

@compute @workgroup_size(256)
fn evaluate(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let base = wg.x * args.act_stride;
    let mb = wg.x * args.model_slots;
    var mine = 0.0;
    let k = args.fan_out;
    for (var r = lid.x; r < step.n_rows; r += WG) {
        let s = sample_index(r);
        for (var c = 0u; c < k; c++) {
            metrics[mb + args.pred_off + s * k + c] = acts[base + args.h_off + r * k + c];
        }
        if (args.loss != LOSS_NONE) { mine += row_loss(r, s, false, base, wg.x * args.data_stride); }
    }
    if (args.loss != LOSS_NONE) { store_sum(lid.x, mine, mb + step.slot); }
}

@compute @workgroup_size(256)
fn model_loss(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let base = wg.x * args.act_stride;
    var mine = 0.0;
    for (var r = lid.x; r < step.n_rows; r += WG) {
        mine += row_loss(r, sample_index(r), false, base, wg.x * args.data_stride);
    }
    store_sum(lid.x, mine, step.model_base + wg.x);
}
