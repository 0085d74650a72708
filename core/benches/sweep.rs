//! A double-descent width sweep on the GPU: 12 two-layer nets (widths
//! log-spaced 2–400, readout only, 100 teacher points in 20 dimensions,
//! full-batch GD) trained for 100 steps as one batch (narrower nets
//! embedded, zero-padded, in the widest) against the same nets trained one
//! after another, on the same backend; and 12 seeds of one width (no
//! padding) both ways. Run with `./x bench`; compare the ratios, not
//! absolute times.

use criterion::{criterion_group, criterion_main, Criterion};
use gradlab_core::gpu::{request_device, GpuTrainer, Kernels};
use gradlab_core::{
    Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, Problem, RunConfig, Schedule, TrainConfig,
};

const STEPS: u32 = 100;

fn problem(width: usize) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig {
            hidden: vec![width],
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::Normal { sigma: 1.0 },
        },
        data: DataConfig { kind: DatasetKind::Teacher, n_train: 100, n_test: 200, noise: 0.0, label_noise: 0.5, dim: 20 },
        train: TrainConfig {
            loss: Loss::Mse,
            optimizer: Optimizer::Sgd,
            lr: 1e-3,
            schedule: Schedule::Constant,
            weight_decay: 0.0,
            batch_size: None,
            frozen_layers: 1,
        },
        seed: 1,
    })
    .unwrap()
}

fn sweep(c: &mut Criterion) {
    let widths: Vec<usize> = (0..12).map(|i| (2.0 * 200f64.powf(f64::from(i) / 11.0)).round() as usize).collect();
    let (adapter, device, queue) = pollster::block_on(request_device(wgpu::Backends::all() & !wgpu::Backends::BROWSER_WEBGPU))
        .expect("the GPU benchmark needs an adapter (lavapipe: ./x setup)");
    let kernels = Kernels::new(&device);
    let name = adapter.get_info().name;
    let wide = problem(*widths.last().unwrap());
    let problems: Vec<Problem> = widths.iter().map(|&w| problem(w)).collect();
    let batched: Vec<f32> = problems.iter().flat_map(|p| p.spec.embed_params(&p.init_params(), &wide.spec).unwrap()).collect();

    let mut group = c.benchmark_group(format!("12-width sweep, {STEPS} steps ({name})"));
    group.sample_size(10);
    group.bench_function("one batch", |b| {
        b.iter(|| {
            let mut t = GpuTrainer::new(&device, &queue, &kernels, &wide, &batched, &[]).unwrap();
            t.train(STEPS);
            t.read_snapshot().wait_all(&device).unwrap()
        });
    });
    group.bench_function("one by one", |b| {
        b.iter(|| {
            problems
                .iter()
                .map(|p| {
                    let mut t = GpuTrainer::new(&device, &queue, &kernels, p, &p.init_params(), &[]).unwrap();
                    t.train(STEPS);
                    t.read_snapshot().wait(&device).unwrap()
                })
                .collect::<Vec<_>>()
        });
    });
    group.finish();

    // The same width, 12 seeds: no padding, only the batching.
    let same = problem(100);
    let inits: Vec<Vec<f32>> = (0..12).map(|s| same.spec.init_params(s)).collect();
    let stacked = inits.concat();
    let mut group = c.benchmark_group(format!("width 100 × 12 seeds, {STEPS} steps ({name})"));
    group.sample_size(10);
    group.bench_function("one batch", |b| {
        b.iter(|| {
            let mut t = GpuTrainer::new(&device, &queue, &kernels, &same, &stacked, &[]).unwrap();
            t.train(STEPS);
            t.read_snapshot().wait_all(&device).unwrap()
        });
    });
    group.bench_function("one by one", |b| {
        b.iter(|| {
            inits
                .iter()
                .map(|init| {
                    let mut t = GpuTrainer::new(&device, &queue, &kernels, &same, init, &[]).unwrap();
                    t.train(STEPS);
                    t.read_snapshot().wait(&device).unwrap()
                })
                .collect::<Vec<_>>()
        });
    });
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
