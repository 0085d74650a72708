//! The double-descent lab's default trained sweep on the GPU (n = 100
//! teacher points in 20 dimensions, readout only, the exact curve's 33
//! widths 1–1000, 5 seeds: 165 nets), trained for 20
//! steps and read back: as the lab runs it, one batch per group of similar
//! widths (narrower nets zero-padded, `double_descent::trained::groups`),
//! against the same nets trained one after another on the same backend.
//! Run with `./x bench`; compare the ratio, not absolute times.

use criterion::{criterion_group, criterion_main, Criterion};
use gradlab_core::double_descent::trained::{gpu_trainers, groups, Training};
use gradlab_core::double_descent::{feature_counts, Feature, RfConfig, Teacher};
use gradlab_core::gpu::{request_device, GpuTrainer, Kernels};

const STEPS: u32 = 20;
const SEEDS: usize = 5;

fn sweep(c: &mut Criterion) {
    let (adapter, device, queue) = pollster::block_on(request_device(wgpu::Backends::all() & !wgpu::Backends::BROWSER_WEBGPU))
        .expect("the GPU benchmark needs an adapter (lavapipe: ./x setup)");
    let kernels = Kernels::new(&device);
    let cfg = RfConfig { n: 100, n_test: 500, d: 20, noise: 0.5, ridge: 0.0, teacher: Teacher::Linear, feature: Feature::Relu, seed: 1 };
    let widths = feature_counts(cfg.n, 10.0, 24);
    let plan = groups(&cfg, &widths, SEEDS, Training::Readout).unwrap();
    let nets: usize = plan.iter().map(|g| g.members.len()).sum();

    let mut group = c.benchmark_group(format!("{nets}-net double-descent sweep, {STEPS} steps ({})", adapter.get_info().name));
    group.sample_size(10);
    group.bench_function(format!("{} batches", plan.len()), |b| {
        b.iter(|| {
            let mut parts: Vec<GpuTrainer> =
                plan.iter().flat_map(|g| gpu_trainers(&device, &queue, &kernels, g).unwrap()).map(|(_, t)| t).collect();
            let reads: Vec<_> = parts
                .iter_mut()
                .map(|t| {
                    t.train(STEPS);
                    t.read_snapshot()
                })
                .collect();
            reads.iter().map(|r| r.wait_all(&device).unwrap()).collect::<Vec<_>>()
        });
    });
    group.bench_function("one by one", |b| {
        b.iter(|| {
            plan.iter()
                .flat_map(|g| &g.members)
                .map(|m| {
                    let mut t = GpuTrainer::new(&device, &queue, &kernels, &m.problem, &m.init, &[]).unwrap();
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
