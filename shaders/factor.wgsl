// factor.wgsl: factorized matrix completion, every model of a sweep at once.
// Rust owner:  core/src/gpu/factor.rs
// CPU twin:    core/src/implicit/matrix.rs (Factorized::step)
// Parity test: tests/tests/factor.rs
//
// A kernel file of its own, without the common.wgsl prelude: square
// matrices, not layers, and two bindings instead of eight.
//
// Every matrix lives in `mats`, n × n row-major, slot-major: slot s of
// model m starts at (s·models + m)·n², so one slot of every model is one
// contiguous run (the models' X for a readback, their factors for the
// update). One gradient step is a fixed list of dispatches, each reading
// its record `op` (a dynamic offset into a table written once):
//
//   gemm      C = scale · op(A) op(B), op(M) = M or Mᵀ; an invocation per
//             entry, the model in z
//   residual  C = mask ⊙ (A − T) · scale (scale 1/p: the gradient of the
//             loss in X)
//   descend   A −= scale · B over `len` floats (scale: the learning rate)
//
// `problem` holds T, then the 0/1 mask (n² each), shared by the models.

struct FactorOp {
    n: u32,
    a: u32,     // slot offsets (floats) of model 0; models follow n² apart
    b: u32,
    c: u32,
    flags: u32, // gemm: bit 0 transposes A, bit 1 transposes B
    len: u32,   // descend: floats
    scale: f32,
}

@group(0) @binding(0) var<storage, read_write> mats: array<f32>;
@group(0) @binding(1) var<storage, read> problem: array<f32>;
@group(1) @binding(0) var<storage, read> op: FactorOp;

// Entry (r, c) of op(M) is at r·strides.x + c·strides.y from M's start:
// the strides of M, or of Mᵀ.
fn strides(transposed: bool) -> vec2<u32> {
    return select(vec2(op.n, 1u), vec2(1u, op.n), transposed);
}

// One entry of C per invocation. (Tiles through workgroup memory measured
// 2–2.5× slower on SwiftShader, the browser tests' adapter, at n ≤ 64.)
@compute @workgroup_size(8, 8)
fn gemm(@builtin(global_invocation_id) id: vec3<u32>) {
    let n = op.n;
    let i = id.y;
    let j = id.x;
    if (i >= n || j >= n) { return; }
    let start = id.z * n * n;
    let sa = strides((op.flags & 1u) != 0u);
    let sb = strides((op.flags & 2u) != 0u);
    var a = op.a + start + i * sa.x;
    var b = op.b + start + j * sb.y;
    var s = 0.0;
    for (var k = 0u; k < n; k++) {
        s += mats[a] * mats[b];
        a += sa.y;
        b += sb.x;
    }
    mats[op.c + start + i * n + j] = op.scale * s;
}

@compute @workgroup_size(64)
fn residual(@builtin(global_invocation_id) id: vec3<u32>) {
    let nn = op.n * op.n;
    let e = id.x;
    let m = id.y;
    if (e >= nn) { return; }
    let x = mats[op.a + m * nn + e];
    mats[op.c + m * nn + e] = problem[nn + e] * (x - problem[e]) * op.scale;
}

@compute @workgroup_size(64)
fn descend(@builtin(global_invocation_id) id: vec3<u32>) {
    let e = id.x;
    if (e >= op.len) { return; }
    mats[op.a + e] -= op.scale * mats[op.b + e];
}
