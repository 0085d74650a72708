//! Lottery tickets on the GPU: the dense nets of every seed as one batch
//! (one dataset each), then each IMP round's ticket, re-initialization and
//! random-mask models of every seed as one pruned batch, against the CPU
//! trainer on each model (`gradlab_core::lottery::Lineage` decides the
//! masks and starts for both).

use gradlab_core::gpu::{GpuTrainer, Kernels};
use gradlab_core::lottery::{self, Lineage, Pruning, Scope, Start};
use gradlab_core::{
    Activation, CpuTrainer, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, Problem, RunConfig, TrainConfig,
};
use gradlab_tests::{clock, gpu, Tolerance};

fn problem(seed: u64) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig {
            hidden: vec![16, 16],
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::He,
        },
        data: DataConfig {
            kind: DatasetKind::Moons,
            n_train: 64,
            n_test: 32,
            noise: 0.2,
            label_noise: 0.0,
            dim: 2,
            ..DataConfig::default()
        },
        train: TrainConfig { batch_size: Some(16), ..TrainConfig::full_batch(Loss::Bce, Optimizer::with_defaults("adam").unwrap(), 0.01) },
        seed,
    })
    .unwrap()
}

#[test]
fn every_round_of_every_seed_and_control_trains_as_one_gpu_batch_like_the_cpu() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let problems = [problem(1), problem(2)];
    let layout = problems[0].spec.layout();
    let size = layout.num_params;
    let (steps, k) = (60u32, 10u32);
    let pruning = Pruning { rate: 0.5, scope: Scope::Layer, prune_output: false };
    // A batch trains every model with the first problem's batch order.
    let batch_seed = problems[0].config.seed;
    let cpu = |p: &Problem, (start, mask): &Start, n: u32| {
        let mut t = CpuTrainer::new(
            layout.clone(),
            p.config.train.clone(),
            start.clone(),
            p.dataset.train.x.clone(),
            p.train_targets.clone(),
            batch_seed,
        )
        .with_mask(mask);
        (0..n).for_each(|_| _ = t.step());
        t.params().to_vec()
    };
    let close = |what: String, got: &[f32], want: &[f32]| Tolerance::relative_to_max(2e-3, want).check(&what, got, want);

    // Dense: both seeds in one batch, read at the rewind step and at the end.
    let init: Vec<f32> = problems.iter().flat_map(Problem::init_params).collect();
    let refs: Vec<&Problem> = problems.iter().collect();
    let mut dense = GpuTrainer::with_datasets(&device, &queue, &kernels, &problems[0], &refs, &init, &[]).unwrap();
    dense.train(k);
    let at_k = dense.read_params().wait(&device).unwrap();
    dense.train(steps - k);
    let at_end = dense.read_params().wait(&device).unwrap();
    let mut lines = Vec::new();
    for (s, p) in problems.iter().enumerate() {
        let start = (p.init_params(), lottery::dense(&layout));
        let (theta_k, end) = (cpu(p, &start, k), cpu(p, &start, steps));
        close(format!("seed {s}: θ_k"), &at_k[s * size..][..size], &theta_k);
        close(format!("seed {s}: dense end"), &at_end[s * size..][..size], &end);
        lines.push(Lineage::new(&layout, theta_k, end, p.spec.init_params(100 + s as u64), 100 + s as u64));
    }

    for round in 1..=2 {
        // Seed after seed: ticket, re-initialization, random mask.
        let models: Vec<(usize, Start)> =
            lines.iter_mut().enumerate().flat_map(|(s, l)| l.next_round(&layout, pruning, round).map(|m| (s, m))).collect();
        let starts: Vec<f32> = models.iter().flat_map(|(_, (p, _))| p.iter().copied()).collect();
        let masks: Vec<f32> = models.iter().flat_map(|(_, (_, m))| m.iter().copied()).collect();
        let data: Vec<&Problem> = models.iter().map(|(s, _)| &problems[*s]).collect();
        let mut batch = GpuTrainer::pruned(&device, &queue, &kernels, &problems[0], &data, &starts, &masks, &[]).unwrap();
        batch.train(steps - k);
        let got = batch.read_params().wait(&device).unwrap();
        for (i, (s, model)) in models.iter().enumerate() {
            let want = cpu(&problems[*s], model, steps - k);
            let mine = &got[i * size..][..size];
            close(format!("round {round}, seed {s}, model {}", i % 3), mine, &want);
            assert!(mine.iter().zip(&model.1).all(|(&v, &m)| m != 0.0 || v == 0.0), "pruned weights stay zero");
            if i % 3 == 0 {
                lines[*s].last = want;
            }
        }
        assert!((lottery::kept_overall(&layout, &lines[0].mask, pruning) - 0.5f64.powi(round as i32)).abs() < 0.01);
    }
}

/// The lab's whole run ([`ImpRun`]) ticked like a page on the GPU (lavapipe)
/// and on the CPU: the same phases, masks and models, test losses at the
/// same steps within the tolerance of a GPU run, the same accuracies to
/// within a test point or two, the same stability barriers (and the CPU's
/// equal to two copies trained here and measured on their line); and the
/// time of each phase on both.
#[test]
fn an_imp_run_on_the_gpu_records_what_the_cpu_run_does() {
    use gradlab_core::engine::{Backend, Gpu};
    use gradlab_core::landscape::{barrier, plane_losses, Plane};
    use gradlab_core::lottery::{Imp, ImpRun, Kind, ModelLog, SECOND_ORDER};
    use gradlab_core::Subset;
    use std::rc::Rc;

    let (device, queue) = gpu();
    let config = problem(3).config;
    let imp = Imp { pruning: Pruning { rate: 0.5, scope: Scope::Global, prune_output: false }, rounds: 2, steps: 60, rewind: 10 };
    let run = |backend: Rc<Backend>| {
        let mut run = ImpRun::new(&backend, &config, 2, imp, 2, &[25, 0]).unwrap();
        let mut ticks = 0;
        while !run.log.finished() {
            run.tick(5.0, clock);
            device.poll(wgpu::PollType::Poll).unwrap();
            ticks += 1;
            assert!(ticks < 1_000_000 && run.error.is_none(), "{:?}", run.error);
        }
        assert_eq!(run.log.done, run.log.total());
        run.log
    };
    let gpu_log = run(Rc::new(Backend::Gpu(Gpu::new(device.clone(), queue, "test".into()))));
    let cpu_log = run(Rc::new(Backend::Cpu { reason: String::new() }));
    assert_eq!(gpu_log.phases.len(), 3);
    // Round 1 trains tickets only; round 2 its controls too.
    let kinds = |p: usize| gpu_log.phases[p].models.iter().map(|m| m.kind).collect::<Vec<_>>();
    assert_eq!(kinds(0), [Kind::Dense; 2]);
    assert_eq!(kinds(1), [Kind::Ticket; 2]);
    assert_eq!(kinds(2), [Kind::Ticket, Kind::Reinit, Kind::Random, Kind::Ticket, Kind::Reinit, Kind::Random]);
    for (g, c) in gpu_log.phases.iter().zip(&cpu_log.phases) {
        assert_eq!(g.kept, c.kept);
        assert!((g.kept - 0.5f64.powi(g.round as i32)).abs() < 0.01, "round {}: {}", g.round, g.kept);
        for (i, (gm, cm)) in g.models.iter().zip(&c.models).enumerate() {
            let what = format!("round {} model {i} ({:?})", g.round, gm.kind);
            let steps = |m: &ModelLog| m.checkpoints.iter().map(|c| c.step).collect::<Vec<_>>();
            assert_eq!(steps(gm), steps(cm), "{what}: checkpoints");
            assert_eq!(gm.checkpoints[0].step, if g.round == 0 { 0 } else { imp.rewind }, "{what}: a round starts at k");
            let losses = |m: &ModelLog| m.checkpoints.iter().map(|c| c.loss as f32).collect::<Vec<_>>();
            Tolerance::relative_to_max(2e-3, &losses(cm)).check(&format!("{what}: test losses"), &losses(gm), &losses(cm));
            for (gc, cc) in gm.checkpoints.iter().zip(&cm.checkpoints) {
                assert!((gc.accuracy - cc.accuracy).abs() <= 2.0 / 32.0 + 1e-9, "{what}: accuracy at step {}: {gc:?} vs {cc:?}", cc.step);
            }
            let ((gl, ga), (cl, ca)) = (gm.end.unwrap(), cm.end.unwrap());
            assert!((gl - cl).abs() <= 2e-3 * cl.abs().max(1.0), "{what}: end loss {gl} vs {cl}");
            assert!((ga - ca).abs() <= 2.0 / 32.0 + 1e-9, "{what}: accuracy {ga} vs {ca}");
        }
        eprintln!("round {}: lavapipe {:.0} ms, CPU {:.0} ms", g.round, g.ms.unwrap(), c.ms.unwrap());
    }
    // The stability test, at k = 0 and 25: each seed's dense net and ticket.
    assert_eq!(cpu_log.stability.iter().map(|s| s.step).collect::<Vec<_>>(), [0, 25]);
    for (g, c) in gpu_log.stability.iter().zip(&cpu_log.stability) {
        for (got, want) in g.dense.iter().chain(&g.ticket).zip(c.dense.iter().chain(&c.ticket)) {
            assert!((got - want).abs() < 5e-3, "k = {}: barrier {got} on the GPU, {want} on the CPU", c.step);
        }
    }
    // Seed 0's dense copies from θ_25, trained here with both batch orders.
    let p = problem(3);
    let train = |start: Vec<f32>, steps: u64, order: u64| {
        let mut t =
            CpuTrainer::new(p.spec.layout(), p.config.train.clone(), start, p.dataset.train.x.clone(), p.train_targets.clone(), order);
        (0..steps).for_each(|_| _ = t.step());
        t.params().to_vec()
    };
    let theta_25 = train(p.init_params(), 25, 3);
    let (a, b) = (train(theta_25.clone(), 35, 3), train(theta_25, 35, 3 + SECOND_ORDER));
    let t: Vec<f32> = (0..11).map(|j| j as f32 / 10.0).collect();
    let points: Vec<[f32; 2]> = t.iter().map(|&t| [t, 0.0]).collect();
    let want = barrier(&t, &plane_losses(&p, Subset::Test, &Plane::line(&a, &b), &points)).unwrap();
    assert!((cpu_log.stability[1].dense[0] - f64::from(want)).abs() < 1e-6, "{} vs {want}", cpu_log.stability[1].dense[0]);
}
