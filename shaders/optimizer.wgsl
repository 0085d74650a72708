// optimizer.wgsl: parameter updates of every optimizer.
// Rust owner:  core/src/gpu/optimizer.rs
// CPU twin:    core/src/train.rs (Optimizer::update)
// Parity test: tests/tests/parity.rs
//
// Parameter updates, one invocation per parameter. Twin of
// train::Optimizer::update; `args.optimizer` picks the rule. Weight decay
// is coupled: every rule sees g = m·(∇L + λθ), m the parameter's pruning
// mask (1 without one), and writes θ ← m·(θ − η·delta): a pruned weight
// stays exactly zero, its optimizer state too.
//
//   grad_norm  ‖g‖ over all parameters into metrics[NORM_SLOT] (one
//              workgroup; normalized GD only)
//   update     θ ← θ − η·delta(g, state)

const WG: u32 = 256u;
var<workgroup> partial: array<f32, 256>;

// 1 kept, 0 pruned.
fn keep(i: u32) -> f32 {
    if (args.mask_off == 0u) { return 1.0; }
    return optim[args.mask_off + i];
}

fn decayed_grad(i: u32) -> f32 {
    return keep(i) * (optim[i] + step.weight_decay * params[i]);
}

@compute @workgroup_size(256)
fn grad_norm(@builtin(local_invocation_id) lid: vec3<u32>) {
    var mine = 0.0;
    for (var i = lid.x; i < args.num_params; i += WG) {
        let g = decayed_grad(i);
        mine += g * g;
    }
    partial[lid.x] = mine;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half = half / 2u) {
        if (lid.x < half) { partial[lid.x] += partial[lid.x + half]; }
        workgroupBarrier();
    }
    if (lid.x == 0u) { metrics[NORM_SLOT] = sqrt(partial[0]); }
}

@compute @workgroup_size(256)
fn update(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = (wg.y * groups.x + wg.x) * WG + lid.x;
    let n = args.num_params;
    if (i >= n) { return; }
    // State slot j of parameter i lives at optim[(1 + j)·n + i].
    let s0 = n + i;
    let s1 = 2u * n + i;
    let g = decayed_grad(i);
    var delta = g;
    switch args.optimizer {
        case 1u: { // momentum
            let v = args.hyper0 * optim[s0] + g;
            optim[s0] = v;
            delta = v;
        }
        case 2u: { // nesterov
            let v = args.hyper0 * optim[s0] + g;
            optim[s0] = v;
            delta = g + args.hyper0 * v;
        }
        case 3u: { // adam
            let m = args.hyper0 * optim[s0] + (1.0 - args.hyper0) * g;
            let v = args.hyper1 * optim[s1] + (1.0 - args.hyper1) * g * g;
            optim[s0] = m;
            optim[s1] = v;
            delta = (m / step.bias1) / (sqrt(v / step.bias2) + args.hyper2);
        }
        case 4u: { // rmsprop
            let v = args.hyper0 * optim[s0] + (1.0 - args.hyper0) * g * g;
            optim[s0] = v;
            delta = g / (sqrt(v) + args.hyper2);
        }
        case 5u: { // normalized gd
            delta = g / (metrics[NORM_SLOT] + args.hyper2);
        }
        default: {}
    }
    params[i] = keep(i) * (params[i] - step.lr * delta);
}
