//! The engine on the GPU (lavapipe in CI) against the same engine on the
//! CPU: snapshots along training, reset, loss grids, sharpness, NTK Grams
//! and a trained sweep; a new run waits for the work of the runs before it;
//! the backend probe measures a rate; and when everything is dropped, every
//! GPU buffer is released.
//!
//! One test, run in order: the buffer count is process-wide.

use std::rc::Rc;

use gradlab_core::double_descent::trained::Training;
use gradlab_core::double_descent::{Feature, RfConfig, SweepRun, Teacher};
use gradlab_core::engine::rate::{reference, Rate, Workload};
use gradlab_core::engine::{Backend, Engine, Gpu, Pending};
use gradlab_core::gpu::{memory, Snapshot};
use gradlab_core::landscape::{random_plane, Grid};
use gradlab_core::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Problem, RunConfig, Subset, TrainConfig};
use gradlab_tests::{clock, gpu, Tolerance};

fn problem() -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig { hidden: vec![16, 16], activation: Activation::Tanh, init: Init::He, ..ModelConfig::default() },
        data: DataConfig {
            kind: DatasetKind::Sine,
            n_train: 40,
            n_test: 20,
            noise: 0.1,
            label_noise: 0.0,
            dim: 1,
            ..DataConfig::default()
        },
        train: TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, 0.05),
        seed: 4,
    })
    .unwrap()
}

/// The snapshot after `steps` more steps (or the next one), waiting for
/// the device (native: maps need a poll). Each tick asks for the steps
/// still to submit: a tick trains while a snapshot is on its way.
fn next(e: &mut Engine, device: &wgpu::Device, steps: Option<u32>) -> Snapshot {
    let target = e.steps_taken() + u64::from(steps.unwrap_or(0));
    for _ in 0..1000 {
        let left = steps.map(|_| (target - e.steps_taken()) as u32);
        if let Some(s) = e.tick(left, clock) {
            let s = s.unwrap();
            if s.step >= target {
                assert_eq!(s.step, target, "no step past those asked");
                return s;
            }
        }
        device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    }
    panic!("no snapshot");
}

fn finish<T: 'static>(mut pending: Pending<T>, device: &wgpu::Device) -> T {
    for _ in 0..100_000 {
        if let Some(r) = pending.poll(clock) {
            return r.unwrap();
        }
        device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    }
    panic!("a computation did not finish");
}

/// Twelve single steps, their training losses.
fn steps(e: &mut Engine, device: &wgpu::Device) -> Vec<f32> {
    (0..12).map(|_| next(e, device, Some(1)).train_loss).collect()
}

#[test]
fn the_engine_on_the_gpu_matches_the_cpu_and_releases_every_buffer() {
    let (device, queue) = gpu();
    let gpu_backend = Rc::new(Backend::Gpu(Gpu::new(device.clone(), queue, "test adapter".into())));
    let cpu_backend = Rc::new(Backend::Cpu { reason: "the reference".into() });
    let at_start = memory::held();
    {
        let p = problem();
        let (mut g, mut c) = (Engine::new(&gpu_backend, p.clone()).unwrap(), Engine::new(&cpu_backend, p.clone()).unwrap());
        g.with_params = true;
        c.with_params = true;
        assert_eq!(memory::held(), at_start, "a GPU run allocates nothing before it starts");

        // Training: the same losses step by step, and again after a reset.
        let (gl, cl) = (steps(&mut g, &device), steps(&mut c, &device));
        assert!(memory::held().buffers > at_start.buffers, "a GPU run holds buffers");
        Tolerance { rel: 1e-4, abs: 1e-6 }.check("training losses", &gl, &cl);
        g.reset();
        assert_eq!(next(&mut g, &device, None).step, 0);
        Tolerance { rel: 1e-6, abs: 0.0 }.check("after a reset", &steps(&mut g, &device), &gl);

        // A net beside on shuffled labels: one GPU batch with the first,
        // trained alike on both backends, the first net as it was alone.
        let (mut g2, mut c2) = (Engine::new(&gpu_backend, p.clone()).unwrap(), Engine::new(&cpu_backend, p.clone()).unwrap());
        g2.add_beside().unwrap();
        c2.add_beside().unwrap();
        let (sg, sc) = (next(&mut g2, &device, Some(12)), next(&mut c2, &device, Some(12)));
        let (bg, bc) = (sg.beside.as_deref().unwrap(), sc.beside.as_deref().unwrap());
        let tol = Tolerance { rel: 1e-4, abs: 1e-6 };
        tol.check("beside: losses", &[bg.train_loss, bg.test_loss.unwrap()], &[bc.train_loss, bc.test_loss.unwrap()]);
        tol.check("the first net, with a net beside", &[sg.train_loss], &[gl[11]]);
        assert!((bg.train_loss - sg.train_loss).abs() > 1e-3, "the net beside fits other labels");
        assert!(g2.add_beside().is_err(), "once, before the first step");
        drop((g2, c2));

        // Pictures at the same parameters.
        let theta = g.params().unwrap().to_vec();
        Tolerance::relative_to_max(1e-5, c.params().unwrap()).check("parameters", &theta, c.params().unwrap());
        let plane = random_plane(&p.spec.layout(), &theta, 9);
        // A small grid, then a larger one (the probe grows to fit it).
        for size in [3, 6] {
            let points = Grid::square(size, 0.5).points();
            let on_gpu = finish(g.losses(plane.clone(), points.clone(), Subset::Train).unwrap(), &device);
            let on_cpu = finish(c.losses(plane.clone(), points, Subset::Train).unwrap(), &device);
            Tolerance { rel: 1e-4, abs: 1e-6 }.check("loss grid", &on_gpu, &on_cpu);
        }
        let (sg, sc) = (finish(g.sharpness(20).unwrap(), &device), finish(c.sharpness(20).unwrap(), &device));
        Tolerance { rel: 3e-3, abs: 1e-5 }.check("sharpness", &[sg], &[sc]);
        let kg: Vec<f32> = finish(g.ntk_gram().unwrap(), &device).iter().map(|&v| v as f32).collect();
        let kc: Vec<f32> = finish(c.ntk_gram().unwrap(), &device).iter().map(|&v| v as f32).collect();
        Tolerance::relative_to_max(1e-4, &kc).check("NTK Gram", &kg, &kc);

        // A new run waits until the work queued before it is done, and
        // only that: not for what runs beside it queue meanwhile.
        next(&mut g, &device, Some(1));
        let mut a = Engine::new(&gpu_backend, p.clone()).unwrap();
        device.poll(wgpu::PollType::wait_indefinitely()).unwrap(); // g's work
        assert!(a.tick(Some(8), clock).is_none());
        assert_eq!(a.steps_taken(), 1, "a queues one step until the GPU has timed one (more as its times allow)");
        let held = memory::held();
        let mut b = Engine::new(&gpu_backend, p.clone()).unwrap();
        assert!(b.tick(Some(8), clock).is_none());
        assert_eq!(b.steps_taken(), 0, "b waits for a's batch");
        assert_eq!(memory::held(), held, "and holds no buffer meanwhile");
        device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
        a.tick(Some(u32::MAX), clock);
        assert!(b.tick(Some(8), clock).is_none());
        assert_eq!(b.steps_taken(), 1, "then b trains beside a, whose new work it does not wait for");
        next(&mut b, &device, Some(8));
        drop(a);

        // Playing, training goes on while snapshots travel, and they come
        // at the eye's rate (15 a second at most), not one per submit.
        let (start, at, mut snapshots) = (clock(), b.steps_taken(), 0u64);
        while clock() - start < 400.0 {
            snapshots += u64::from(b.tick(Some(u32::MAX), clock).is_some());
            device.poll(wgpu::PollType::Poll).unwrap();
        }
        let trained = b.steps_taken() - at;
        eprintln!("playing 400 ms: {trained} steps, {snapshots} snapshots");
        // (Plus one at each doubling of the step, for a young run's start.)
        let doublings = (b.steps_taken() as f64).log2().ceil() as u64;
        assert!(snapshots <= 7 + doublings && trained > 4 * snapshots.max(1), "{trained} steps, {snapshots} snapshots");

        // A trained sweep completes as on the CPU.
        let cfg = RfConfig { n: 20, n_test: 40, d: 4, noise: 0.3, ridge: 0.0, teacher: Teacher::Linear, feature: Feature::Relu, seed: 5 };
        let run = |backend: &Rc<Backend>| {
            let mut sweep = SweepRun::new(backend, &cfg, &[3, 12, 40], 2, Training::Readout, 50).unwrap();
            for _ in 0..100_000 {
                if sweep.log.finished() {
                    return sweep.log.latest();
                }
                sweep.tick(5.0, clock);
                device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
            }
            panic!("the sweep does not finish");
        };
        let (on_gpu, on_cpu) = (run(&gpu_backend), run(&cpu_backend));
        for ((w, train_g, test_g), (_, train_c, test_c)) in on_gpu.iter().zip(&on_cpu) {
            let tol = Tolerance { rel: 1e-3, abs: 1e-5 };
            tol.check(&format!("width {w} train"), &[train_g.median as f32], &[train_c.median as f32]);
            tol.check(&format!("width {w} test"), &[test_g.median as f32], &[test_c.median as f32]);
        }
    }
    {
        // The page's backend probe: the reference net's rate on the GPU,
        // from the steps of the snapshots that came back.
        let mut rate = Rate::new(&gpu_backend, &Workload::Train(reference().config), 50.0, 60_000.0).unwrap();
        let r = (0..100_000)
            .find_map(|_| {
                let r = rate.tick(0.0, clock);
                device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
                r
            })
            .expect("a rate")
            .unwrap();
        assert!(r.is_finite() && r > 0.0, "{r} steps/s");
    }
    {
        // Four million weights are drawn a slice a tick (about 0.1 s a
        // million in the browser, which would hold up the page's frame),
        // and the run starts from exactly the seed's.
        let mut config = problem().config;
        config.model.hidden = vec![2048, 2048];
        let p = Problem::new(config).unwrap();
        let mut wide = Engine::new(&gpu_backend, p.clone()).unwrap();
        wide.with_params = true;
        device.poll(wgpu::PollType::wait_indefinitely()).unwrap(); // the work queued before it
        let held = memory::held();
        assert!(wide.tick(Some(0), clock).is_none());
        assert_eq!(memory::held(), held, "nothing is made while the weights are drawn");
        let mut ticks = 1;
        let first = loop {
            ticks += 1;
            if let Some(s) = wide.tick(Some(0), clock) {
                break s.unwrap();
            }
            device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
            assert!(ticks < 100_000, "no first snapshot");
        };
        assert_eq!(first.step, 0);
        assert!(wide.params().unwrap() == p.init_params().as_slice(), "the seed's weights");
    }
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    assert_eq!(memory::held(), at_start, "every buffer is released with its run");
}
