//! The GPU's loss landscapes should match the CPU's: batched loss grids on
//! random and interpolation planes (train and test sets), and sharpness by
//! power iteration on finite-difference Hessian-vector products against
//! the CPU's exact R-operator. Runs on whatever adapter wgpu finds
//! (lavapipe in CI).

use gradlab_core::gpu::{GpuTrainer, Kernels, LossProbe};
use gradlab_core::landscape::hessian::{hvp, sharpness, start_vector};
use gradlab_core::landscape::{line_points, plane_losses, random_plane, Grid, Plane};
use gradlab_core::{
    cpu, Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, Problem, RunConfig, Subset, TrainConfig,
};
use gradlab_tests::{gpu, Tolerance};

/// A loss at one point: one forward pass, only summation order differs.
const LOSS: Tolerance = Tolerance { rel: 1e-4, abs: 1e-6 };
/// A Hessian-vector product by central differences of f32 gradients
/// (step 10⁻³) against the exact one: truncation O(ε²) and rounding
/// O(10⁻⁷·|g|/ε) leave about 10⁻⁴ of the Rayleigh quotient.
const CURVATURE: Tolerance = Tolerance { rel: 2e-3, abs: 1e-5 };

fn problem(kind: DatasetKind, hidden: Vec<usize>, activation: Activation, parameterization: Parameterization, loss: Loss) -> Problem {
    problem_n(kind, hidden, activation, parameterization, loss, 96)
}

fn problem_n(kind: DatasetKind, hidden: Vec<usize>, act: Activation, param: Parameterization, loss: Loss, n_train: usize) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig { hidden, activation: act, parameterization: param, init: Init::He },
        data: DataConfig { kind, n_train, n_test: 40, noise: 0.1, label_noise: 0.0, dim: 20, ..DataConfig::default() },
        train: TrainConfig::full_batch(loss, Optimizer::Sgd, 0.05),
        seed: 7,
    })
    .unwrap()
}

fn specs() -> Vec<(&'static str, Problem)> {
    use Activation::{Gelu, Relu, Tanh};
    use Parameterization::{Ntk, Standard};
    vec![
        ("sine 7 tanh std mse", problem(DatasetKind::Sine, vec![7], Tanh, Standard, Loss::Mse)),
        ("moons 16-16 relu ntk bce", problem(DatasetKind::Moons, vec![16, 16], Relu, Ntk, Loss::Bce)),
        ("spiral 9-5-3 gelu std softmax", problem(DatasetKind::Spiral, vec![9, 5, 3], Gelu, Standard, Loss::Softmax)),
        ("circles 64 relu std mse", problem(DatasetKind::Circles, vec![64], Relu, Standard, Loss::Mse)),
    ]
}

/// More training rows than one chunk of activations holds: the grid sums
/// its loss over row chunks.
#[test]
fn gpu_loss_grid_sums_over_row_chunks() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let p = problem_n(DatasetKind::Blobs, vec![5], Activation::Tanh, Parameterization::Standard, Loss::Bce, 2500);
    let theta = p.init_params();
    let plane = random_plane(&p.spec.layout(), &theta, 4);
    let points = Grid::square(6, 1.0).points();
    let probe = LossProbe::new(&device, &queue, &kernels, &p, points.len()).unwrap();
    let gpu = probe.evaluate(&plane, &points, Subset::Train).unwrap().wait(&device).unwrap();
    LOSS.check("2500-row grid", &gpu, &plane_losses(&p, Subset::Train, &plane, &points));
}

#[test]
fn gpu_loss_grid_equals_cpu_grid() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    for (name, p) in specs() {
        let theta = p.init_params();
        let plane = random_plane(&p.spec.layout(), &theta, 11);
        // 17² points: more than one chunk of models when chunks are small.
        let grid = Grid::square(17, 0.8);
        let points = grid.points();
        let probe = LossProbe::new(&device, &queue, &kernels, &p, points.len()).unwrap();
        for subset in [Subset::Train, Subset::Test] {
            let gpu = probe.evaluate(&plane, &points, subset).unwrap().wait(&device).unwrap();
            let cpu = plane_losses(&p, subset, &plane, &points);
            let worst = LOSS.check(&format!("{name} {subset:?} grid"), &gpu, &cpu);
            eprintln!("{name} {subset:?}: worst grid error {worst:.3} of tolerance (chunk {})", probe.chunk());
        }
        // The grid's centre is the training loss the trainer reports.
        let mut trainer = GpuTrainer::new(&device, &queue, &kernels, &p, &theta, &[]).unwrap();
        let train_loss = trainer.read_snapshot().wait(&device).unwrap().train_loss;
        let centre = probe.evaluate(&plane, &[[0.0, 0.0]], Subset::Train).unwrap().wait(&device).unwrap();
        LOSS.check(&format!("{name} centre"), &centre, &[train_loss]);
    }
}

#[test]
fn gpu_interpolation_line_equals_cpu() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let p = problem(DatasetKind::Moons, vec![12], Activation::Tanh, Parameterization::Standard, Loss::Bce);
    let a = p.init_params();
    let b = p.spec.init_params(99);
    let line = Plane::line(&a, &b);
    let points = line_points();
    let probe = LossProbe::new(&device, &queue, &kernels, &p, points.len()).unwrap();
    for subset in [Subset::Train, Subset::Test] {
        let gpu = probe.evaluate(&line, &points, subset).unwrap().wait(&device).unwrap();
        LOSS.check(&format!("line {subset:?}"), &gpu, &plane_losses(&p, subset, &line, &points));
    }
    // Too many points, or a plane of the wrong size, are refused.
    assert!(probe.evaluate(&line, &vec![[0.0, 0.0]; points.len() + 1], Subset::Train).is_err());
    assert!(probe.evaluate(&Plane::line(&a[1..], &b[1..]), &points, Subset::Train).is_err());
}

/// One power iteration gives `v₀ᵀHv₀` for the shared start vector: the
/// finite-difference HVP against the exact one. Fifty give `λ_max`.
#[test]
fn gpu_sharpness_equals_cpu_sharpness() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    for (name, p) in specs() {
        let theta = p.init_params();
        let mut trainer = GpuTrainer::new(&device, &queue, &kernels, &p, &theta, &[]).unwrap();
        // Train a little first: curvature at a point GD has visited.
        trainer.train(20);
        let params = trainer.read_params().wait(&device).unwrap();
        let v0 = start_vector(params.len(), p.config.seed);
        let layout = p.spec.layout();
        let (x, y) = p.subset(Subset::Train);
        let (x, y) = (cpu::columns::<f64>(x, layout.input_dim()), cpu::columns::<f64>(y, layout.output_dim()));
        let p64: Vec<f64> = params.iter().map(|&v| f64::from(v)).collect();
        let mut hv = vec![0.0; p64.len()];
        hvp(&layout, &p64, &x, &y, p.config.train.loss, &v0, &mut hv);
        let quotient: f64 = v0.iter().zip(&hv).map(|(a, b)| a * b).sum();
        let first = trainer.sharpness(1).unwrap().wait(&device).unwrap();
        let scale = hv.iter().map(|h| h * h).sum::<f64>().sqrt();
        let tol = Tolerance { abs: CURVATURE.abs + CURVATURE.rel * scale, ..CURVATURE };
        tol.check(&format!("{name} v₀ᵀHv₀"), &first, &[quotient as f32]);

        trainer.reset(&params);
        let gpu = trainer.sharpness(50).unwrap().wait(&device).unwrap();
        let cpu = sharpness(&p, &params, v0, 50);
        let lambda = *gpu.last().unwrap();
        eprintln!("{name}: λ_max GPU {lambda:.5}, CPU {:.5}", cpu.value);
        Tolerance { rel: 1e-3, abs: 1e-5 }.check(&format!("{name} λ_max"), &[lambda], &[cpu.value as f32]);
    }
}
