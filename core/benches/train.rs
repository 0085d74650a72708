//! Training throughput, CPU reference vs GPU backend, for the playground's
//! default: a 2→64→64→1 MLP on 512 spiral points, full batch, Adam.
//!
//! Run with `./x bench`. Both are measured in the same run, so their ratio
//! is meaningful even on a noisy machine; absolute numbers are not.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gradlab_core::engine::rate::reference;
use gradlab_core::gpu::{request_device, GpuTrainer, Kernels};

const STEPS: u32 = 64;

fn train(c: &mut Criterion) {
    let p = reference();
    let mut group = c.benchmark_group("train 2-64-64-1, 512 points");
    group.throughput(Throughput::Elements(u64::from(STEPS)));
    group.sample_size(10);

    let mut cpu = p.cpu_trainer();
    group.bench_function("cpu", |b| {
        b.iter(|| {
            for _ in 0..STEPS {
                cpu.step();
            }
        });
    });

    let (adapter, device, queue) = pollster::block_on(request_device(wgpu::Backends::all() & !wgpu::Backends::BROWSER_WEBGPU))
        .expect("the GPU benchmark needs an adapter (lavapipe: ./x setup)");
    let kernels = Kernels::new(&device);
    let mut gpu = GpuTrainer::new(&device, &queue, &kernels, &p, &p.init_params(), &[]).unwrap();
    let name = format!("gpu ({})", adapter.get_info().name);
    group.bench_function(name, |b| {
        b.iter(|| {
            gpu.train(STEPS);
            // Wait for the work, as a frame that reads metrics would.
            gpu.read_snapshot().wait(&device).unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, train);
criterion_main!(benches);
