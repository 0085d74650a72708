// landscape.wgsl: parameters on a plane, Hessian-vector products.
// Rust owner:  core/src/gpu/landscape/mod.rs
// CPU twin:    core/src/landscape/mod.rs (plane_losses), core/src/landscape/hessian.rs
// Parity test: tests/tests/landscape.rs
//
// Loss landscapes: parameter vectors on a plane, and Hessian-vector
// products by central differences of gradients. Twins: landscape::Plane::at
// and landscape::hessian (the CPU's exact R-operator is the oracle).
//
//   plane_params  params[m·P + i] = c[i] + α_m·d₁[i] + β_m·d₂[i] for the
//                 chunk's models, with optim = [c | d₁ | d₂ | (α, β) per point]
//
// Power iteration, with optim = [g | θ | v | hv | λ per iteration]:
//
//   hvp_perturb   params = θ + scale·v
//   hvp_keep      hv = g                      (the gradient at θ + εv)
//   hvp_finish    hv = (hv − g) / (2·scale)   (g: the gradient at θ − εv)
//   rayleigh      λ[slot] = v·hv, then v = hv/‖hv‖ (one workgroup)

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn plane_params(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = args.num_params;
    let i = id.x;
    let m = id.y;
    if (i >= p) { return; }
    let g = 3u * p + 2u * (step.model_base + m);
    params[m * p + i] = optim[i] + optim[g] * optim[p + i] + optim[g + 1u] * optim[2u * p + i];
}

// Index of this invocation in a 2D dispatch of 256-wide workgroups.
fn flat(wg: vec3<u32>, groups: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wg.y * groups.x + wg.x) * WG + lid.x;
}

@compute @workgroup_size(256)
fn hvp_perturb(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat(wg, groups, lid);
    let p = args.num_params;
    if (i >= p) { return; }
    params[i] = optim[p + i] + step.scale * optim[2u * p + i];
}

@compute @workgroup_size(256)
fn hvp_keep(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat(wg, groups, lid);
    let p = args.num_params;
    if (i >= p) { return; }
    optim[3u * p + i] = optim[i];
}

@compute @workgroup_size(256)
fn hvp_finish(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat(wg, groups, lid);
    let p = args.num_params;
    if (i >= p) { return; }
    optim[3u * p + i] = (optim[3u * p + i] - optim[i]) / (2.0 * step.scale);
}

var<workgroup> sums: array<vec2<f32>, 256>;

@compute @workgroup_size(256)
fn rayleigh(@builtin(local_invocation_id) lid: vec3<u32>) {
    let p = args.num_params;
    var mine = vec2<f32>(0.0);
    for (var i = lid.x; i < p; i += WG) {
        let hv = optim[3u * p + i];
        mine += vec2<f32>(optim[2u * p + i] * hv, hv * hv);
    }
    sums[lid.x] = mine;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half = half / 2u) {
        if (lid.x < half) { sums[lid.x] += sums[lid.x + half]; }
        workgroupBarrier();
    }
    let total = sums[0];
    if (lid.x == 0u) { optim[4u * p + step.slot] = total.x; }
    // A zero or non-finite ‖hv‖ leaves v as it was.
    let norm = sqrt(total.y);
    if (norm > 0.0 && norm < 3.0e38) {
        for (var i = lid.x; i < p; i += WG) {
            optim[2u * p + i] = optim[3u * p + i] / norm;
        }
    }
}
