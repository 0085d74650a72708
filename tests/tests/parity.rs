//! The GPU trainer should match the CPU reference: forward outputs, losses,
//! gradients, and parameters after 200 steps of every optimizer, across
//! depths 1–3, widths 1, 7, 64 and 301, both parameterizations, all three
//! losses, full and mini-batch. Widths of 16 and more run the blocked
//! kernels (4 × 4 results an invocation); 301 units and batches of 23 rows
//! end in partial blocks. Runs on whatever adapter wgpu finds
//! (lavapipe in CI).

use gradlab_core::dropout::Dropout;
use gradlab_core::gpu::{EvalSet, GpuTrainer, Kernels};
use gradlab_core::{
    cpu, Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, Problem, RunConfig, Schedule,
    TrainConfig,
};
use gradlab_tests::{gpu, Tolerance};

/// One forward pass or one gradient: only summation order differs.
const ONE_PASS: Tolerance = Tolerance { rel: 1e-4, abs: 1e-5 };
/// 200 steps compound rounding differences. The two f32 runs cannot stay
/// bit-close: over ~10⁶ ReLU pre-activations a few land within rounding
/// of 0 and flip their gate on one side only, and RMSProp/Adam rescale
/// each coordinate's step to O(η) however small its gradient. So each
/// parameter is held to 0.2% of its own size plus 0.2% of the largest
/// parameter (see `Tolerance::relative_to_max`): far below anything a
/// chart could show, far above rounding noise.
const AFTER_200_STEPS_REL: f64 = 2e-3;

struct Case {
    name: &'static str,
    kind: DatasetKind,
    hidden: Vec<usize>,
    activation: Activation,
    parameterization: Parameterization,
    loss: Loss,
    batch: Option<usize>,
    lr: f32,
}

fn cases() -> Vec<Case> {
    use Activation::{Gelu, Relu, Tanh};
    use Parameterization::{Ntk, Standard};
    vec![
        Case {
            name: "sine 1 tanh std mse",
            kind: DatasetKind::Sine,
            hidden: vec![1],
            activation: Tanh,
            parameterization: Standard,
            loss: Loss::Mse,
            batch: None,
            lr: 0.05,
        },
        Case {
            name: "moons 7-7 relu ntk bce mini",
            kind: DatasetKind::Moons,
            hidden: vec![7, 7],
            activation: Relu,
            parameterization: Ntk,
            loss: Loss::Bce,
            batch: Some(16),
            lr: 0.1,
        },
        Case {
            name: "spiral 64-64-64 gelu std softmax",
            kind: DatasetKind::Spiral,
            hidden: vec![64, 64, 64],
            activation: Gelu,
            parameterization: Standard,
            loss: Loss::Softmax,
            batch: None,
            lr: 0.02,
        },
        Case {
            name: "circles 301 relu ntk mse",
            kind: DatasetKind::Circles,
            hidden: vec![301],
            activation: Relu,
            parameterization: Ntk,
            loss: Loss::Mse,
            batch: None,
            lr: 0.05,
        },
        Case {
            name: "xor 301-7 tanh std bce mini",
            kind: DatasetKind::Xor,
            hidden: vec![301, 7],
            activation: Tanh,
            parameterization: Standard,
            loss: Loss::Bce,
            batch: Some(23),
            lr: 0.02,
        },
    ]
}

fn problem(case: &Case, optimizer: Optimizer) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig {
            hidden: case.hidden.clone(),
            activation: case.activation,
            parameterization: case.parameterization,
            init: Init::He,
        },
        data: DataConfig { kind: case.kind, n_train: 64, n_test: 40, noise: 0.05, label_noise: 0.05, dim: 20, ..DataConfig::default() },
        train: TrainConfig {
            loss: case.loss,
            optimizer,
            lr: if matches!(optimizer, Optimizer::Adam { .. } | Optimizer::RmsProp { .. }) { case.lr / 10.0 } else { case.lr },
            schedule: Schedule::Cosine { total: 200, min_ratio: 0.1 },
            warmup: 0,
            dropout: 0.0,
            weight_decay: 1e-3,
            batch_size: case.batch,
            frozen_layers: 0,
        },
        seed: 17,
    })
    .unwrap()
}

fn grid(problem: &Problem) -> Vec<f32> {
    let d = problem.spec.input_dim;
    (0..50).flat_map(|i| (0..d).map(move |j| -1.0 + 0.04 * i as f32 + 0.3 * j as f32)).collect()
}

#[test]
fn forward_and_loss_should_match_reference() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    for case in cases() {
        let p = problem(&case, Optimizer::Sgd);
        let params = p.init_params();
        let grid = grid(&p);
        let mut g = GpuTrainer::new(&device, &queue, &kernels, &p, &params, &grid).unwrap();
        let snap = g.read_snapshot().wait(&device).unwrap();
        let layout = p.spec.layout();
        let train_pred = g.read_predictions(EvalSet::Train).wait(&device).unwrap();
        ONE_PASS.check(&format!("{}: train outputs", case.name), &train_pred, &cpu::predict(&layout, &params, &p.dataset.train.x));
        let test_pred = g.read_predictions(EvalSet::Test).wait(&device).unwrap();
        ONE_PASS.check(&format!("{}: test outputs", case.name), &test_pred, &cpu::predict(&layout, &params, &p.dataset.test.x));
        ONE_PASS.check(&format!("{}: grid outputs", case.name), &snap.grid, &cpu::predict(&layout, &params, &grid));
        let out = layout.output_dim();
        let cpu_loss = |x: &[f32], y: &[f32]| {
            let f = cpu::forward(&layout, &params, &cpu::columns::<f32>(x, layout.input_dim()));
            cpu::loss(p.config.train.loss, f.output(), &cpu::columns(y, out), None)
        };
        let train_loss = cpu_loss(&p.dataset.train.x, &p.train_targets);
        let test_loss = cpu_loss(&p.dataset.test.x, &p.test_targets);
        ONE_PASS.check(&format!("{}: train loss", case.name), &[snap.train_loss], &[train_loss]);
        ONE_PASS.check(&format!("{}: test loss", case.name), &[snap.test_loss.unwrap()], &[test_loss]);
        // Accuracy, for classifiers: the CPU's predictions counted on the host.
        let accuracy =
            |x: &[f32], y: &[f32]| p.dataset.classes().map(|_| p.config.train.loss.accuracy(&cpu::predict(&layout, &params, x), y, out));
        assert_eq!(snap.train_accuracy, accuracy(&p.dataset.train.x, &p.train_targets), "{}: train accuracy", case.name);
        assert_eq!(snap.test_accuracy, accuracy(&p.dataset.test.x, &p.test_targets), "{}: test accuracy", case.name);
    }
}

#[test]
fn gradients_should_match_reference() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    for case in cases() {
        let p = problem(&case, Optimizer::Sgd);
        let mut cpu_run = p.cpu_trainer();
        let params = p.init_params();
        let mut g = GpuTrainer::new(&device, &queue, &kernels, &p, &params, &[]).unwrap();
        g.train(1);
        let gpu_grads = g.read_grads().wait(&device).unwrap();
        let gpu_loss = g.read_snapshot().wait(&device).unwrap().batch_losses[0];
        // The CPU trainer's first step sees the same batch; recompute its
        // gradient at the initial parameters.
        let cpu_loss = cpu_run.step();
        let mut cpu_grads = vec![0.0f32; params.len()];
        let layout = p.spec.layout();
        let idx = first_batch(&p);
        let gather = |src: &[f32], d: usize| -> Vec<f32> { idx.iter().flat_map(|&i| src[i * d..(i + 1) * d].to_vec()).collect() };
        let x = cpu::columns::<f32>(&gather(&p.dataset.train.x, layout.input_dim()), layout.input_dim());
        let y = cpu::columns::<f32>(&gather(&p.train_targets, layout.output_dim()), layout.output_dim());
        cpu::loss_and_grad(&layout, &params, &x, &y, p.config.train.loss, &mut cpu_grads);
        ONE_PASS.check(&format!("{}: batch loss", case.name), &[gpu_loss], &[cpu_loss]);
        Tolerance::relative_to_max(ONE_PASS.rel, &cpu_grads).check(&format!("{}: gradients", case.name), &gpu_grads, &cpu_grads);
    }
}

fn first_batch(p: &Problem) -> Vec<usize> {
    let n = p.dataset.train.len();
    let mut s = gradlab_core::train::BatchSampler::new(n, p.config.train.batch(n), p.config.seed);
    let mut out = Vec::new();
    s.next_into(&mut out);
    out.into_iter().map(|i| i as usize).collect()
}

#[test]
fn parameters_after_200_steps_should_match_reference() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    for case in cases() {
        for name in Optimizer::NAMES {
            let optimizer = Optimizer::with_defaults(name).unwrap();
            let p = problem(&case, optimizer);
            let mut cpu_run = p.cpu_trainer();
            let mut g = GpuTrainer::new(&device, &queue, &kernels, &p, &p.init_params(), &[]).unwrap();
            let cpu_losses: Vec<f32> = (0..200).map(|_| cpu_run.step()).collect();
            g.train(200);
            let snap = g.read_snapshot().wait(&device).unwrap();
            let gpu_params = g.read_params().wait(&device).unwrap();
            let what = format!("{} / {name}", case.name);
            let ratio = Tolerance::relative_to_max(AFTER_200_STEPS_REL, cpu_run.params()).check(
                &format!("{what}: parameters"),
                &gpu_params,
                cpu_run.params(),
            );
            Tolerance::relative_to_max(AFTER_200_STEPS_REL, &cpu_losses).check(
                &format!("{what}: batch losses"),
                &snap.batch_losses,
                &cpu_losses[200 - snap.batch_losses.len()..],
            );
            eprintln!("{what}: worst parameter error {ratio:.3} of tolerance");
            // The run must have learned something, or the comparison is vacuous.
            assert!(cpu_losses[199] < cpu_losses[0], "{what}: loss did not fall ({} → {})", cpu_losses[0], cpu_losses[199]);
        }
    }
}

/// A seeded 0/1 mask pruning about `pruned` of the entries.
fn mask(len: usize, pruned: f64, seed: u64) -> Vec<f32> {
    let mut rng = gradlab_core::rng::Rng::new(seed, gradlab_core::rng::Stream::Data);
    (0..len).map(|_| f32::from(u8::from(rng.uniform() >= pruned))).collect()
}

#[test]
fn pruned_training_keeps_pruned_weights_zero_and_matches_reference() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    for case in cases().into_iter().filter(|c| c.hidden.len() == 2) {
        for name in Optimizer::NAMES {
            let optimizer = Optimizer::with_defaults(name).unwrap();
            let mut p = problem(&case, optimizer);
            // Pruning leaves weights on dead paths (every weight out of
            // their unit pruned), whose only gradient is weight decay's
            // λθ. Adam and RMSProp turn that into steps of ±η that bounce
            // around zero, where f32 rounding decides the sign: one such
            // weight of the 301-7 net ended at 0.057 on the GPU and −5e-6
            // on the CPU. Without weight decay their gradient is exactly 0
            // on both sides.
            if matches!(optimizer, Optimizer::Adam { .. } | Optimizer::RmsProp { .. }) {
                p.config.train.weight_decay = 0.0;
            }
            let size = p.spec.layout().num_params;
            // Two models side by side, each with its own mask (normalized GD
            // trains one model at a time).
            let models = if matches!(optimizer, Optimizer::NormalizedGd { .. }) { 1 } else { 2 };
            let init: Vec<f32> = (0..models).flat_map(|m| p.spec.init_params(17 + m as u64)).collect();
            let masks: Vec<f32> = (0..models).flat_map(|m| mask(size, 0.5 + 0.2 * m as f64, m as u64)).collect();
            let mut g = GpuTrainer::pruned(&device, &queue, &kernels, &p, &[&p], &init, &masks, &[]).unwrap();
            g.train(200);
            let gpu_params = g.read_params().wait(&device).unwrap();
            let what = format!("{} / {name}", case.name);
            for m in 0..models {
                let range = m * size..(m + 1) * size;
                let mut cpu_run = gradlab_core::CpuTrainer::new(
                    p.spec.layout(),
                    p.config.train.clone(),
                    init[range.clone()].to_vec(),
                    p.dataset.train.x.clone(),
                    p.train_targets.clone(),
                    p.config.seed,
                )
                .with_mask(&masks[range.clone()]);
                let losses: Vec<f32> = (0..200).map(|_| cpu_run.step()).collect();
                let mean = |l: &[f32]| l.iter().sum::<f32>() / l.len() as f32;
                assert!(mean(&losses[180..]) < mean(&losses[..20]), "{what}: model {m} did not learn");
                let (gpu, cpu, kept) = (&gpu_params[range.clone()], cpu_run.params(), &masks[range]);
                for (i, &k) in kept.iter().enumerate() {
                    if k == 0.0 {
                        assert!(
                            gpu[i] == 0.0 && cpu[i] == 0.0,
                            "{what}: model {m} pruned weight {i} is {} (GPU), {} (CPU)",
                            gpu[i],
                            cpu[i]
                        );
                    }
                }
                assert!(cpu.iter().zip(kept).any(|(&v, &k)| k == 1.0 && v != 0.0));
                Tolerance::relative_to_max(AFTER_200_STEPS_REL, cpu).check(&format!("{what}: model {m} parameters"), gpu, cpu);
            }
            // A reset rewinds to the same pruned start.
            g.reset(&init);
            let rewound = g.read_params().wait(&device).unwrap();
            assert!(rewound.iter().zip(&init).zip(&masks).all(|((&r, &i), &k)| r == i * k), "{what}: reset");
        }
    }
}

/// Hidden activations read out of the GPU's forward pass, mid-run, equal
/// the CPU forward pass at the same parameters: rows of every set, in any
/// order, past one chunk of activations. So does the gradient over the
/// first training points. Neither read changes training (the row indices
/// go where mini-batches' do, the gradient where a step's does).
#[test]
fn hidden_activations_should_match_reference() {
    use gradlab_core::hidden::{Hidden, Rows};
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    for case in cases() {
        let p = problem(&case, Optimizer::Sgd);
        let grid = grid(&p);
        let mut g = GpuTrainer::new(&device, &queue, &kernels, &p, &p.init_params(), &grid).unwrap();
        let mut plain = GpuTrainer::new(&device, &queue, &kernels, &p, &p.init_params(), &grid).unwrap();
        g.train(20);
        let params = g.read_params().wait(&device).unwrap();
        let layout = p.spec.layout();
        let d = layout.input_dim();
        let sets = [
            (Rows { set: EvalSet::Train, index: (0..64).rev().collect() }, &p.dataset.train.x),
            (Rows { set: EvalSet::Test, index: vec![39, 0, 7] }, &p.dataset.test.x),
            (Rows { set: EvalSet::Grid, index: (0..3000).map(|i| (i * 7) % 50).collect() }, &grid),
        ];
        for (rows, x) in &sets {
            let got = g.read_hidden(rows).unwrap().wait(&device).unwrap();
            let want = Hidden::compute(&layout, &params, &rows.gather(x, d));
            assert_eq!((got.rows, &got.widths), (want.rows, &want.widths), "{}: shape", case.name);
            ONE_PASS.check(&format!("{}: hidden activations of {:?}", case.name, rows.set), got.layers(), want.layers());
        }
        // The gradient over the first training points, as the depth view reads it.
        let rows = 40;
        let got = g.read_gradient(rows).unwrap().wait(&device).unwrap();
        let (din, dout) = (layout.input_dim(), layout.output_dim());
        let x = cpu::columns::<f32>(&p.dataset.train.x[..rows * din], din);
        let y = cpu::columns::<f32>(&p.train_targets[..rows * dout], dout);
        let mut want = vec![0.0; params.len()];
        cpu::loss_and_grad(&layout, &params, &x, &y, p.config.train.loss, &mut want);
        Tolerance::relative_to_max(ONE_PASS.rel, &want).check(&format!("{}: gradient over {rows} points", case.name), &got, &want);
        assert!(g.read_gradient(0).is_err() && g.read_gradient(65).is_err(), "{}: rows outside the training set", case.name);
        g.train(20);
        plain.train(40);
        let (a, b) = (g.read_params().wait(&device).unwrap(), plain.read_params().wait(&device).unwrap());
        assert_eq!(a, b, "{}: reading hidden activations or the gradient changed training", case.name);
        let past = Rows { set: EvalSet::Test, index: vec![40] };
        assert!(g.read_hidden(&past).is_err(), "{}: a row past the test set was read", case.name);
    }
}

/// A learning rate changed mid-run is, step for step, the run whose
/// schedule made that change from the start (0.1 to 0.05 at step 40:
/// `Step { every: 40, gamma: 0.5 }`), on both backends, with mini-batches
/// and momentum; changing more than the rate's settings is refused.
#[test]
fn a_learning_rate_changed_mid_run_is_that_schedule_from_the_start() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let case = &cases()[1]; // moons, ReLU, mini-batches
    let momentum = Optimizer::with_defaults("momentum").unwrap();
    let mut p = problem(case, momentum);
    p.config.train.lr = 0.1;
    p.config.train.schedule = Schedule::Constant;
    p.config.train.warmup = 0;
    let mut scheduled = p.clone();
    scheduled.config.train.schedule = Schedule::Step { every: 40, gamma: 0.5 };
    let later = TrainConfig { lr: 0.05, ..p.config.train.clone() };

    let (mut live, mut planned) = (p.cpu_trainer(), scheduled.cpu_trainer());
    let live_losses: Vec<f32> = (0..80)
        .map(|t| {
            if t == 40 {
                live.retune(&later).unwrap();
            }
            live.step()
        })
        .collect();
    let planned_losses: Vec<f32> = (0..80).map(|_| planned.step()).collect();
    assert_eq!(live_losses, planned_losses, "CPU: every step's loss");
    assert_eq!(live.params(), planned.params(), "CPU: the parameters");

    let mut g_live = GpuTrainer::new(&device, &queue, &kernels, &p, &p.init_params(), &[]).unwrap();
    let mut g_planned = GpuTrainer::new(&device, &queue, &kernels, &scheduled, &scheduled.init_params(), &[]).unwrap();
    g_live.train(40);
    g_live.retune(&later).unwrap();
    g_live.train(40);
    g_planned.train(80);
    let (a, b) = (g_live.read_params().wait(&device).unwrap(), g_planned.read_params().wait(&device).unwrap());
    assert_eq!(a, b, "GPU: the parameters");
    ONE_PASS.check("GPU against CPU after the change", &a, live.params());

    let adam = TrainConfig { optimizer: Optimizer::with_defaults("adam").unwrap(), ..later.clone() };
    assert!(live.retune(&adam).is_err() && g_live.retune(&adam).is_err(), "another optimizer restarts");
    assert!(live.retune(&TrainConfig { lr: f32::NAN, ..later }).is_err(), "a bad rate is refused");
}

/// A batch size and momentum changed mid-run: each backend's run retuned
/// at step 0 is the run configured so from the start, and the two backends
/// agree after a change mid-run (the GPU plans its buffers again, keeping
/// parameters and optimizer state; the next batch starts a new epoch).
#[test]
fn a_batch_size_and_momentum_changed_mid_run_agree_on_both_backends() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let case = &cases()[1]; // moons, ReLU, batches of 16
    let p = problem(case, Optimizer::Momentum { beta: 0.9 });
    let later = TrainConfig { batch_size: Some(48), optimizer: Optimizer::Momentum { beta: 0.5 }, ..p.config.train.clone() };
    let mut from_start = p.clone();
    from_start.config.train = later.clone();

    let mut cpu_start = from_start.cpu_trainer();
    let mut cpu_retuned = p.cpu_trainer();
    cpu_retuned.retune(&later).unwrap();
    let mut gpu_retuned = GpuTrainer::new(&device, &queue, &kernels, &p, &p.init_params(), &[]).unwrap();
    gpu_retuned.retune(&later).unwrap();
    for _ in 0..20 {
        assert_eq!(cpu_retuned.step(), cpu_start.step(), "CPU: a retune at step 0 is the run from the start");
    }
    gpu_retuned.train(20);
    ONE_PASS.check(
        "GPU retuned at step 0 against the CPU from the start",
        &gpu_retuned.read_params().wait(&device).unwrap(),
        cpu_start.params(),
    );

    let (mut cpu, mut gpu) = (p.cpu_trainer(), GpuTrainer::new(&device, &queue, &kernels, &p, &p.init_params(), &[]).unwrap());
    for _ in 0..30 {
        cpu.step();
    }
    gpu.train(30);
    cpu.retune(&later).unwrap();
    gpu.retune(&later).unwrap();
    let losses: Vec<f32> = (0..30).map(|_| cpu.step()).collect();
    gpu.train(30);
    ONE_PASS.check("GPU against CPU, 30 steps after the change", &gpu.read_params().wait(&device).unwrap(), cpu.params());
    let snap = gpu.read_snapshot().wait(&device).unwrap();
    ONE_PASS.check("the batch losses after the change", &snap.batch_losses, &losses);
    let adam = TrainConfig { optimizer: Optimizer::with_defaults("adam").unwrap(), ..later };
    assert!(cpu.retune(&adam).is_err() && gpu.retune(&adam).is_err(), "another optimizer restarts");
}

/// Dropout: the GPU draws the CPU's masks (its first gradient equals the
/// CPU's with the same masks, and differs from the gradient without them),
/// and 100 steps later both have the same parameters.
#[test]
fn dropout_masks_and_parameters_match_reference() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    for case in cases().into_iter().filter(|c| c.hidden.len() > 1) {
        let mut p = problem(&case, Optimizer::with_defaults("momentum").unwrap());
        p.config.train.dropout = 0.3;
        let params = p.init_params();
        let layout = p.spec.layout();
        let mut g = GpuTrainer::new(&device, &queue, &kernels, &p, &params, &[]).unwrap();
        g.train(1);
        let gpu_grads = g.read_grads().wait(&device).unwrap();
        let idx = first_batch(&p);
        let gather = |src: &[f32], d: usize| -> Vec<f32> { idx.iter().flat_map(|&i| src[i * d..(i + 1) * d].to_vec()).collect() };
        let x = cpu::columns::<f32>(&gather(&p.dataset.train.x, layout.input_dim()), layout.input_dim());
        let y = cpu::columns::<f32>(&gather(&p.train_targets, layout.output_dim()), layout.output_dim());
        let (mut dropped, mut whole) = (vec![0.0f32; params.len()], vec![0.0f32; params.len()]);
        let masks = Dropout::at(0.3, p.config.seed, 0);
        cpu::loss_and_grad_dropped(&layout, &params, &x, &y, p.config.train.loss, &mut dropped, masks.as_ref());
        cpu::loss_and_grad(&layout, &params, &x, &y, p.config.train.loss, &mut whole);
        let tol = Tolerance::relative_to_max(ONE_PASS.rel, &dropped);
        tol.check(&format!("{}: first gradient with dropout", case.name), &gpu_grads, &dropped);
        let apart = gpu_grads.iter().zip(&whole).filter(|(a, b)| f64::from((*a - *b).abs()) > 10.0 * tol.abs).count();
        assert!(apart > params.len() / 4, "{}: dropout changed only {apart} of {} gradient entries", case.name, params.len());

        let mut cpu_run = p.cpu_trainer();
        for _ in 0..100 {
            cpu_run.step();
        }
        g.train(99);
        let what = format!("{}: parameters after 100 steps with dropout", case.name);
        let ratio = Tolerance::relative_to_max(AFTER_200_STEPS_REL, cpu_run.params()).check(
            &what,
            &g.read_params().wait(&device).unwrap(),
            cpu_run.params(),
        );
        eprintln!("{what}: worst error {ratio:.3} of tolerance");
    }
}
