//! The empirical NTK Gram of n = 256 sine points for a one-hidden-layer
//! tanh net (NTK parameterization) of width 64, 512 and 4096: the CPU
//! reference (`ntk::gram`, f64) against the GPU backend
//! (`GpuTrainer::ntk_gram`, including the readback).
//!
//! Run with `./x bench`. Both backends are measured in the same run, so
//! their ratio is meaningful on a noisy machine; absolute numbers are not.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gradlab_core::cpu::columns;
use gradlab_core::gpu::{request_device, GpuTrainer, Kernels};
use gradlab_core::{
    ntk, Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, Problem, RunConfig, Subset, TrainConfig,
};

fn problem(width: usize) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig {
            hidden: vec![width],
            activation: Activation::Tanh,
            parameterization: Parameterization::Ntk,
            init: Init::Normal { sigma: 1.0 },
        },
        data: DataConfig {
            kind: DatasetKind::Sine,
            n_train: 256,
            n_test: 0,
            noise: 0.1,
            label_noise: 0.0,
            dim: 1,
            ..DataConfig::default()
        },
        train: TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, 0.1),
        seed: 1,
    })
    .unwrap()
}

fn gram(c: &mut Criterion) {
    let (adapter, device, queue) = pollster::block_on(request_device(wgpu::Backends::all() & !wgpu::Backends::BROWSER_WEBGPU))
        .expect("the GPU benchmark needs an adapter (lavapipe: ./x setup)");
    let kernels = Kernels::new(&device);
    let gpu_name = format!("gpu ({})", adapter.get_info().name);
    let mut group = c.benchmark_group("NTK Gram, n = 256");
    group.sample_size(10);
    for width in [64, 512, 4096] {
        let p = problem(width);
        let layout = p.spec.layout();
        let params = p.init_params();
        let p64: Vec<f64> = params.iter().map(|&v| f64::from(v)).collect();
        let x = columns::<f64>(p.subset(Subset::Train).0, 1);
        group.bench_with_input(BenchmarkId::new("cpu f64", width), &width, |b, _| b.iter(|| ntk::gram(&layout, &p64, &x).unwrap()));
        let mut t = GpuTrainer::new(&device, &queue, &kernels, &p, &params, &[]).unwrap();
        group.bench_with_input(BenchmarkId::new(&gpu_name, width), &width, |b, _| b.iter(|| t.ntk_gram().unwrap().wait(&device).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, gram);
criterion_main!(benches);
