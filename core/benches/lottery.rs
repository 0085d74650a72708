//! One lottery-ticket experiment as the lab runs it ([`ImpRun`]): the
//! lab's default net (moons, 2→128→128→1 ReLU, Adam, batches of 32) over
//! three seeds, the dense run and one IMP round (ticket, re-initialization
//! and random mask of every seed) of 100 steps, on the GPU (every phase one
//! batch) and on the CPU backend. Run with `./x bench`; compare the ratio,
//! not absolute times.

use std::rc::Rc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use gradlab_core::engine::{Backend, Gpu};
use gradlab_core::gpu::request_device;
use gradlab_core::lottery::{self, Imp, ImpRun, Pruning, Scope};

fn clock() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

fn lottery(c: &mut Criterion) {
    let (adapter, device, queue) = pollster::block_on(request_device(wgpu::Backends::all() & !wgpu::Backends::BROWSER_WEBGPU))
        .expect("the GPU benchmark needs an adapter (lavapipe: ./x setup)");
    let config = lottery::moons(1, 500);
    let imp = Imp { pruning: Pruning { rate: 0.5, scope: Scope::Layer, prune_output: false }, rounds: 1, steps: 100, rewind: 10 };
    let gpu = Rc::new(Backend::Gpu(Gpu::new(device.clone(), queue, adapter.get_info().name)));
    let cpu = Rc::new(Backend::Cpu { reason: String::new() });
    let mut group = c.benchmark_group(format!("IMP, 3 seeds, dense + 1 round of 100 steps ({})", adapter.get_info().name));
    group.sample_size(10);
    for (name, backend) in [("gpu", &gpu), ("cpu", &cpu)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut run = ImpRun::new(backend, &config, 3, imp, 1, &[]).unwrap();
                while !run.log.finished() {
                    run.tick(50.0, clock);
                    device.poll(wgpu::PollType::Poll).unwrap();
                }
                run.log.done
            });
        });
    }
    group.finish();
}

criterion_group!(benches, lottery);
criterion_main!(benches);
