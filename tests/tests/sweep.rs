//! Nets of several widths (and seeds) trained side by side as one GPU batch
//! should each train exactly as they do alone on the CPU: narrower nets
//! embedded in the widest one's layout (`MlpSpec::embed_params`), their
//! extra units zero and staying zero.

use gradlab_core::gpu::{GpuTrainer, Kernels};
use gradlab_core::{
    Activation, CpuTrainer, DataConfig, DatasetKind, Error, Init, Loss, MlpSpec, ModelConfig, Optimizer, Parameterization, Part, Problem,
    RunConfig, Schedule, Subset, TrainConfig,
};
use gradlab_tests::{gpu, Tolerance};

const STEPS: u32 = 100;
/// As in the parity tests: rounding compounds over the steps.
const AFTER_STEPS_REL: f64 = 2e-3;

fn problem(hidden: Vec<usize>, optimizer: Optimizer, batch_size: Option<usize>) -> Problem {
    problem_frozen(hidden, optimizer, batch_size, 0)
}

fn problem_frozen(hidden: Vec<usize>, optimizer: Optimizer, batch_size: Option<usize>, frozen_layers: usize) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig { hidden, activation: Activation::Tanh, parameterization: Parameterization::Standard, init: Init::He },
        data: DataConfig {
            kind: DatasetKind::Moons,
            n_train: 80,
            n_test: 40,
            noise: 0.1,
            label_noise: 0.1,
            dim: 20,
            ..DataConfig::default()
        },
        train: TrainConfig {
            loss: Loss::Bce,
            optimizer,
            lr: 0.05,
            schedule: Schedule::Constant,
            warmup: 0,
            dropout: 0.0,
            weight_decay: if frozen_layers > 0 { 0.0 } else { 1e-3 },
            batch_size,
            frozen_layers,
        },
        seed: 5,
    })
    .unwrap()
}

fn sweep(hiddens: &[Vec<usize>], widest: Vec<usize>, optimizer: Optimizer, batch_size: Option<usize>, frozen: usize) {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let problem = |hidden, optimizer, batch_size| problem_frozen(hidden, optimizer, batch_size, frozen);
    let wide = problem(widest, optimizer, batch_size);
    let mut inits = Vec::new();
    let mut cpus: Vec<(MlpSpec, CpuTrainer)> = Vec::new();
    for (i, hidden) in hiddens.iter().enumerate() {
        let p = problem(hidden.clone(), optimizer, batch_size);
        let init = p.spec.init_params(100 + i as u64);
        inits.extend(p.spec.embed_params(&init, &wide.spec).unwrap());
        let (x, y) = p.subset(Subset::Train);
        let cpu = CpuTrainer::new(p.spec.layout(), p.config.train.clone(), init, x.to_vec(), y.to_vec(), p.config.seed);
        cpus.push((p.spec.clone(), cpu));
    }
    let mut gpu = GpuTrainer::new(&device, &queue, &kernels, &wide, &inits, &[]).unwrap();
    assert_eq!(gpu.models(), hiddens.len());
    gpu.train(STEPS);
    let snaps = gpu.read_snapshot().wait_all(&device).unwrap();
    let params = gpu.read_params().wait(&device).unwrap();
    let size = wide.spec.layout().num_params;
    for (m, (spec, cpu)) in cpus.iter_mut().enumerate() {
        let mut last = 0.0;
        for _ in 0..STEPS {
            last = cpu.step();
        }
        let expected = spec.embed_params(cpu.params(), &wide.spec).unwrap();
        let got = &params[m * size..(m + 1) * size];
        let name = format!("{:?} in {:?}", spec.hidden, wide.spec.hidden);
        let worst = Tolerance::relative_to_max(AFTER_STEPS_REL, &expected).check(&format!("{name}: parameters"), got, &expected);
        eprintln!("{name}: worst parameter error {worst:.3} of tolerance");
        let real = spec.embed_params(&vec![1.0; spec.layout().num_params], &wide.spec).unwrap();
        if frozen > 0 {
            let init = &inits[m * size..(m + 1) * size];
            let readout = wide.spec.layout().layers[frozen].w_offset;
            assert_eq!(&got[..readout], &init[..readout], "{name}: frozen layers do not move");
            assert_ne!(&got[readout..], &init[readout..], "{name}: the readout trains");
        }
        assert!(got.iter().zip(&real).all(|(g, r)| *r != 0.0 || *g == 0.0), "{name}: the extra units stay exactly zero");
        Tolerance { rel: 1e-2, abs: 1e-4 }.check(&format!("{name}: last batch loss"), &[*snaps[m].batch_losses.last().unwrap()], &[last]);
    }
}

#[test]
fn widths_trained_side_by_side_match_each_trained_alone() {
    let adam = Optimizer::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    sweep(&[vec![1], vec![3], vec![8], vec![20], vec![20]], vec![20], adam, Some(16), 0);
}

#[test]
fn deeper_sweeps_and_momentum_also_match() {
    sweep(&[vec![2, 5], vec![6, 3], vec![6, 7]], vec![6, 7], Optimizer::Momentum { beta: 0.9 }, None, 0);
}

/// Random-features training: the first layer frozen, the readout trained,
/// on both backends alike.
#[test]
fn readout_only_sweeps_match_and_leave_the_features_alone() {
    sweep(&[vec![4], vec![16], vec![30]], vec![30], Optimizer::Sgd, None, 1);
}

#[test]
fn a_batch_of_models_refuses_what_it_cannot_do() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let p = problem(vec![4], Optimizer::NormalizedGd { eps: 1e-8 }, None);
    let two = [p.init_params(), p.init_params()].concat();
    let refused = |r: Result<GpuTrainer, Error>| {
        r.err().map(|e| match e {
            Error::Invalid { part, field, .. } => (part, field),
            other => panic!("{other}"),
        })
    };
    assert_eq!(
        refused(GpuTrainer::new(&device, &queue, &kernels, &p, &two, &[])),
        Some((Part::Training, "optimizer")),
        "normalized GD is per model"
    );
    let p = problem(vec![4], Optimizer::Sgd, None);
    assert_eq!(
        refused(GpuTrainer::new(&device, &queue, &kernels, &p, &two[1..], &[])),
        Some((Part::Request, "parameters")),
        "not a whole number of models"
    );
    let mut t = GpuTrainer::new(&device, &queue, &kernels, &p, &two, &[]).unwrap();
    assert!(matches!(t.sharpness(4), Err(Error::Invalid { field: "sharpness", .. })), "sharpness is per model");
    let ntk = MlpSpec { parameterization: Parameterization::Ntk, ..p.spec.clone() };
    let wider = MlpSpec { hidden: vec![8], ..p.spec.clone() };
    assert!(ntk.embed_params(&p.init_params(), &wider).is_err());
    assert!(wider.embed_params(&wider.init_params(1), &p.spec).is_err(), "cannot embed into a narrower net");
}

/// A double-descent sweep's group: every seed on its own data, readout-only
/// or full training, trained as one batch, equals each member alone on the
/// CPU, and the batch's test errors are the members' own.
#[test]
fn sweep_groups_with_a_dataset_per_seed_match_each_net_alone() {
    use gradlab_core::double_descent::trained::{groups, Training};
    use gradlab_core::double_descent::{Feature, RfConfig, Teacher};
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let cfg = RfConfig { n: 40, n_test: 50, d: 5, noise: 0.4, ridge: 0.0, teacher: Teacher::Nonlinear, feature: Feature::Relu, seed: 7 };
    for training in [Training::Readout, Training::Full] {
        let gs = groups(&cfg, &[3, 10, 40], 2, training).unwrap();
        assert_eq!(gs.len(), 1);
        let g = &gs[0];
        let mut t = GpuTrainer::with_datasets(&device, &queue, &kernels, &g.problem, &g.datasets(), &g.params().unwrap(), &[]).unwrap();
        t.train(STEPS);
        let snaps = t.read_snapshot().wait_all(&device).unwrap();
        let params = t.read_params().wait(&device).unwrap();
        for (i, m) in g.members.iter().enumerate() {
            let (x, y) = m.problem.subset(Subset::Train);
            let mut cpu =
                CpuTrainer::new(m.problem.spec.layout(), m.problem.config.train.clone(), m.init.clone(), x.to_vec(), y.to_vec(), m.seed);
            for _ in 0..STEPS {
                cpu.step();
            }
            let name = format!("{training:?} width {} seed {}", m.width, m.seed);
            let got = g.member_params(i, &params);
            let worst = Tolerance::relative_to_max(AFTER_STEPS_REL, cpu.params()).check(&format!("{name}: parameters"), &got, cpu.params());
            eprintln!("{name}: worst parameter error {worst:.3} of tolerance");
            let (train, test) = m.errors(cpu.params());
            let tol = Tolerance { rel: 1e-3, abs: 1e-5 };
            tol.check(&format!("{name}: train error"), &[snaps[i].train_loss], &[train as f32]);
            tol.check(&format!("{name}: test error"), &[snaps[i].test_loss.unwrap()], &[test as f32]);
        }
    }
    let one = &groups(&cfg, &[3], 1, Training::Readout).unwrap()[0];
    let two = [one.datasets()[0], one.datasets()[0]];
    assert!(
        GpuTrainer::with_datasets(&device, &queue, &kernels, &one.problem, &two, &one.params().unwrap(), &[]).is_err(),
        "a dataset per model"
    );
}
