//! Loss-landscape work, CPU reference vs GPU backend, for the landscape
//! lab's default spec (2→32→32→1 tanh on 128 sine points, MSE): one G×G
//! loss grid (G = 16, 32, 64) and one 8-iteration sharpness update.
//!
//! Run with `./x bench`. Both backends are measured in the same run, so
//! their ratio is meaningful on a noisy machine; absolute numbers are not.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gradlab_core::gpu::{request_device, GpuTrainer, Kernels, LossProbe};
use gradlab_core::landscape::hessian::{sharpness, start_vector};
use gradlab_core::landscape::{plane_losses, random_plane, Grid};
use gradlab_core::{Activation, DataConfig, DatasetKind, Loss, ModelConfig, Optimizer, Problem, RunConfig, Subset, TrainConfig};

fn problem() -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig { hidden: vec![32, 32], activation: Activation::Tanh, ..ModelConfig::default() },
        data: DataConfig {
            kind: DatasetKind::Sine,
            n_train: 128,
            n_test: 128,
            noise: 0.1,
            label_noise: 0.0,
            dim: 20,
            ..DataConfig::default()
        },
        train: TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, 0.04),
        seed: 1,
    })
    .unwrap()
}

fn landscape(c: &mut Criterion) {
    let p = problem();
    let theta = p.init_params();
    let plane = random_plane(&p.spec.layout(), &theta, 1);
    let (adapter, device, queue) = pollster::block_on(request_device(wgpu::Backends::all() & !wgpu::Backends::BROWSER_WEBGPU))
        .expect("the GPU benchmark needs an adapter (lavapipe: ./x setup)");
    let kernels = Kernels::new(&device);
    let gpu_name = format!("gpu ({})", adapter.get_info().name);
    let probe = LossProbe::new(&device, &queue, &kernels, &p, 64 * 64).unwrap();

    let mut group = c.benchmark_group("loss grid, 2-32-32-1 tanh, 128 points");
    group.sample_size(10);
    for size in [16, 32, 64] {
        let points = Grid::square(size, 1.0).points();
        group.bench_with_input(BenchmarkId::new("cpu", format!("{size}x{size}")), &points, |b, pts| {
            b.iter(|| plane_losses(&p, Subset::Train, &plane, pts));
        });
        group.bench_with_input(BenchmarkId::new(&gpu_name, format!("{size}x{size}")), &points, |b, pts| {
            b.iter(|| probe.evaluate(&plane, pts, Subset::Train).unwrap().wait(&device).unwrap());
        });
    }
    group.finish();

    let mut group = c.benchmark_group("sharpness, 8 power iterations");
    group.sample_size(10);
    let start = start_vector(theta.len(), 1);
    group.bench_function("cpu (exact, f64)", |b| b.iter(|| sharpness(&p, &theta, start.clone(), 8)));
    let mut trainer = GpuTrainer::new(&device, &queue, &kernels, &p, &theta, &[]).unwrap();
    group.bench_function(&gpu_name, |b| b.iter(|| trainer.sharpness(8).unwrap().wait(&device).unwrap()));
    group.finish();
}

criterion_group!(benches, landscape);
criterion_main!(benches);
