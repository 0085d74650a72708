//! The dense kernels' two forms per shape on the GPU: one result element
//! an invocation against a 4 × 4 block (`gpu::dense::BLOCKED_FROM` picks
//! between them by width). Training steps of 2→w→w→1 tanh nets, full
//! batch, SGD, read back as a frame would, for widths 8 to 1024.
//!
//! Run with `./x bench`. Both forms are measured in the same run, so their
//! ratio per width is meaningful on a noisy machine; absolute numbers are
//! not, and a software adapter's ratios need not be a real GPU's.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gradlab_core::gpu::{request_device, GpuTrainer, Kernels};
use gradlab_core::{
    Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, Problem, RunConfig, TrainConfig,
};

/// Widths, points, and steps a sample.
const SHAPES: [(usize, usize, u32); 4] = [(8, 512, 32), (64, 512, 16), (256, 512, 2), (1024, 128, 1)];

fn problem(width: usize, n: usize) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig {
            hidden: vec![width; 2],
            activation: Activation::Tanh,
            parameterization: Parameterization::Standard,
            init: Init::Normal { sigma: 1.0 },
        },
        data: DataConfig { kind: DatasetKind::Spiral, n_train: n, n_test: 0, ..DataConfig::default() },
        train: TrainConfig::full_batch(Loss::Bce, Optimizer::Sgd, 0.01),
        seed: 1,
    })
    .unwrap()
}

fn dense(c: &mut Criterion) {
    let (adapter, device, queue) = pollster::block_on(request_device(wgpu::Backends::all() & !wgpu::Backends::BROWSER_WEBGPU))
        .expect("the GPU benchmark needs an adapter (lavapipe: ./x setup)");
    let blocked = Kernels::new(&device);
    let mut element = blocked.clone();
    element.dense.blocked_from = usize::MAX;
    let mut group = c.benchmark_group(format!("training steps, 2→w→w→1 ({})", adapter.get_info().name));
    group.sample_size(10);
    for (width, n, steps) in SHAPES {
        let p = problem(width, n);
        group.throughput(Throughput::Elements(u64::from(steps)));
        for (name, kernels) in [("element", &element), ("blocked", &blocked)] {
            let mut t = GpuTrainer::new(&device, &queue, kernels, &p, &p.init_params(), &[]).unwrap();
            group.bench_with_input(BenchmarkId::new(name, format!("w {width}, n {n}")), &width, |b, _| {
                b.iter(|| {
                    t.train(steps);
                    t.read_snapshot().wait(&device).unwrap()
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, dense);
criterion_main!(benches);
