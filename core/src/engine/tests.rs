//! The engine on the CPU backend, against the CPU functions it wraps
//! (the GPU backend's engine is tested on lavapipe in gradlab-tests).

use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Instant;

use super::{Backend, Engine, Pending};
use crate::landscape::hessian::{sharpness, start_vector};
use crate::landscape::{plane_losses, random_plane, Grid};
use crate::{cpu, ntk, Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Problem, RunConfig, Subset, TrainConfig};

fn clock() -> f64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

fn cpu() -> Rc<Backend> {
    Rc::new(Backend::Cpu { reason: "a test".into() })
}

fn problem(kind: DatasetKind, loss: Loss) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig { hidden: vec![12], activation: Activation::Tanh, init: Init::He, ..ModelConfig::default() },
        data: DataConfig { kind, n_train: 48, n_test: 24, noise: 0.1, label_noise: 0.0, dim: 1, ..DataConfig::default() },
        train: TrainConfig::full_batch(loss, Optimizer::Sgd, 0.05),
        seed: 3,
    })
    .unwrap()
}

/// Polls `pending` once a "frame" until it is there.
fn finish<T: 'static>(mut pending: Pending<T>) -> T {
    for _ in 0..10_000 {
        if let Some(result) = pending.poll(clock) {
            return result.unwrap();
        }
    }
    panic!("a CPU computation did not finish in 10 000 frames");
}

/// The mean loss on `subset` at `params`, computed directly.
fn loss_at(p: &Problem, params: &[f32], subset: Subset) -> f32 {
    let (x, y) = p.subset(subset);
    let layout = p.spec.layout();
    let f = cpu::forward(&layout, params, &cpu::columns(x, layout.input_dim()));
    cpu::loss(p.config.train.loss, f.output(), &cpu::columns(y, layout.output_dim()), None)
}

#[test]
fn ticks_train_and_report_the_losses_of_the_parameters_they_reached() {
    let p = problem(DatasetKind::Moons, Loss::Bce);
    let mut e = Engine::new(&cpu(), p.clone()).unwrap();
    e.with_params = true;
    // Paused, a fresh engine still reports where it starts.
    let first = e.tick(None, clock).unwrap().unwrap();
    assert_eq!((first.step, e.steps_taken()), (0, 0));
    assert_eq!(first.train_loss, loss_at(&p, &p.init_params(), Subset::Train));
    assert!(e.tick(None, clock).is_none(), "nothing new while paused");
    let mut last = first.clone();
    for _ in 0..50 {
        last = e.tick(Some(u32::MAX), clock).unwrap().unwrap();
    }
    assert!(last.step >= 50 && last.step == e.steps_taken(), "at least a step a frame: {}", last.step);
    let params = e.params().unwrap();
    assert_eq!(last.train_loss, loss_at(&p, params, Subset::Train));
    assert_eq!(last.test_loss, Some(loss_at(&p, params, Subset::Test)));
    assert!(last.train_loss < 0.9 * first.train_loss, "{} → {}", first.train_loss, last.train_loss);
    assert_eq!(last.grid.len(), e.grid.len() / 2, "one output per grid point");
}

#[test]
fn single_steps_and_reset_reproduce_the_run() {
    let mut e = Engine::new(&cpu(), problem(DatasetKind::Sine, Loss::Mse)).unwrap();
    let run = |e: &mut Engine| (0..5).map(|_| e.tick(Some(1), clock).unwrap().unwrap()).collect::<Vec<_>>();
    let a = run(&mut e);
    assert_eq!(a.iter().map(|s| s.step).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    e.reset();
    assert_eq!(e.steps_taken(), 0);
    assert_eq!(e.tick(None, clock).unwrap().unwrap().step, 0);
    assert_eq!(run(&mut e), a, "the same seed, the same steps");
}

#[test]
fn pictures_equal_the_functions_they_slice_over_frames() {
    let p = problem(DatasetKind::Sine, Loss::Mse);
    let mut e = Engine::new(&cpu(), p.clone()).unwrap();
    for _ in 0..20 {
        e.tick(Some(u32::MAX), clock);
    }
    e.with_params = true;
    e.tick(Some(1), clock);
    let theta = e.params().unwrap().to_vec();
    let plane = random_plane(&p.spec.layout(), &theta, 5);
    let points = Grid::square(7, 1.0).points();
    let losses = finish(e.losses(plane.clone(), points.clone(), Subset::Test).unwrap());
    assert_eq!(losses, plane_losses(&p, Subset::Test, &plane, &points));

    let direct = sharpness(&p, &theta, start_vector(theta.len(), p.config.seed), 12);
    let value = finish(e.sharpness(12).unwrap());
    assert!((f64::from(value) - direct.value).abs() <= 1e-5 * direct.value.abs(), "{value} vs {}", direct.value);

    let gram = finish(e.ntk_gram().unwrap());
    let p64: Vec<f64> = theta.iter().map(|&v| f64::from(v)).collect();
    let expected = ntk::gram(&p.spec.layout(), &p64, &cpu::columns(&p.dataset.train.x, 1)).unwrap();
    assert_eq!(gram, expected);
}

#[test]
fn a_sweep_on_the_cpu_trains_every_net_to_its_budget() {
    use crate::double_descent::trained::Training;
    use crate::double_descent::{Feature, RfConfig, SweepRun, Teacher};
    let cfg = RfConfig { n: 20, n_test: 50, d: 5, noise: 0.3, ridge: 0.0, teacher: Teacher::Linear, feature: Feature::Relu, seed: 2 };
    let widths = [2, 10, 40];
    let mut sweep = SweepRun::new(&cpu(), &cfg, &widths, 2, Training::Readout, 60).unwrap();
    let mut frames = 0;
    while !sweep.log.finished() {
        sweep.tick(5.0, clock);
        frames += 1;
        assert!(frames < 100_000, "the sweep does not finish");
    }
    let (done, total) = sweep.log.progress();
    assert_eq!((done, total), (3 * 2 * 60, 3 * 2 * 60));
    let latest = sweep.log.latest();
    assert_eq!(latest.iter().map(|l| l.0).collect::<Vec<_>>(), widths);
    assert!(latest.iter().all(|(_, train, test)| train.median.is_finite() && test.median.is_finite()));
    assert!(!sweep.log.diverged());
    // The widest readout fits its 20 points far better than the narrowest.
    assert!(latest[2].1.median < 0.5 * latest[0].1.median, "{latest:?}");
}

#[test]
fn the_cpu_refuses_a_run_whose_step_or_evaluation_would_freeze_the_page() {
    let run = |hidden: Vec<usize>, n_train: usize, batch_size: Option<usize>| {
        let mut p = problem(DatasetKind::Moons, Loss::Bce).config;
        (p.model.hidden, p.data.n_train, p.train.batch_size) = (hidden, n_train, batch_size);
        Problem::new(p).unwrap()
    };
    // 2 → 12 → 1: 36 + 13 = 49 parameters; full batch of 48, 24 test points.
    let small = run(vec![12], 48, None);
    assert_eq!(
        super::work(&small, 10),
        [("one training step", 3 * 48 * 49), ("one evaluation of the train set, test set and drawing grid", (48 + 24 + 10) * 49)]
    );
    assert!(Engine::new(&cpu(), small).is_ok());
    // width=1024&depth=6&n=5000, full batch: ~2e10 multiply-adds a step.
    let heavy = run(vec![1024; 6], 2500, None);
    let params = heavy.spec.layout().num_params as u64;
    match Engine::new(&cpu(), heavy) {
        Err(crate::Error::TooLarge {
            what: "one training step",
            got,
            limit: super::SOFTWARE_WORK_LIMIT,
            unit: "multiply-adds",
            within: "the CPU fallback",
        }) => {
            assert_eq!(got, 3 * 2500 * params);
        }
        other => panic!("expected the step refused, got {:?}", other.err()),
    }
    // A small batch makes the step fit; evaluating 2500 points still does not.
    let batched = run(vec![1024; 6], 2500, Some(8));
    assert!(matches!(
        Engine::new(&cpu(), batched),
        Err(crate::Error::TooLarge { what: "one evaluation of the train set, test set and drawing grid", .. })
    ));
    // A net beside doubles the step: 2 → 156 → 156 → 1 on 4000 points
    // (25 117 parameters) steps 60 % of the limit alone, 120 % with it.
    let alone = run(vec![156, 156], 4000, None);
    assert_eq!(super::work(&alone, 0)[0].1, 3 * 4000 * 25_117);
    let mut beside = Engine::new(&cpu(), alone).unwrap();
    assert!(matches!(beside.add_beside(), Err(crate::Error::TooLarge { what: "one training step", .. })));
}

/// A worker's [`super::CpuRun`] trains exactly as the engine's CPU path,
/// evaluates only when asked, resets to the same start, and refuses what
/// the engine refuses.
#[test]
fn a_cpu_run_trains_as_the_engine_does() {
    let p = problem(DatasetKind::Moons, Loss::Bce);
    let mut engine = Engine::new(&cpu(), p.clone()).unwrap();
    let mut last = None;
    while engine.steps_taken() < 30 {
        let left = (30 - engine.steps_taken()) as u32;
        last = engine.tick(Some(left), clock).map(Result::unwrap).or(last);
    }
    let mut run = super::CpuRun::new(p.clone(), None, None).unwrap();
    assert_eq!(run.train(20, f64::INFINITY, clock) + run.train(10, f64::INFINITY, clock), 30);
    let snap = run.snapshot();
    let expected = last.unwrap();
    assert_eq!((snap.step, snap.train_loss, snap.test_loss, &snap.grid), (30, expected.train_loss, expected.test_loss, &expected.grid));
    assert_eq!(snap.batch_losses.len(), 30, "every step's batch loss since the last snapshot");
    assert!(snap.batch_losses.ends_with(&expected.batch_losses));
    assert!(run.snapshot().batch_losses.is_empty());
    // A budget of zero still takes a step.
    assert_eq!(run.train(5, 0.0, clock), 1);
    run.reset();
    assert_eq!(run.steps_done(), 0);
    run.train(30, f64::INFINITY, clock);
    assert_eq!(run.snapshot().grid, expected.grid, "a reset starts the same run again");

    let mut heavy = problem(DatasetKind::Moons, Loss::Bce).config;
    (heavy.model.hidden, heavy.data.n_train) = (vec![1024; 6], 2500);
    assert!(matches!(
        super::CpuRun::new(Problem::new(heavy).unwrap(), None, None),
        Err(crate::Error::TooLarge { within: "the CPU fallback", .. })
    ));
    assert!(super::CpuRun::new(p, Some(vec![0.0; 3]), None).is_err(), "initial parameters of the wrong length");
}

/// Random labels (Zhang et al. 2017): the same net trained beside on the
/// training labels shuffled fits them all, by memorizing, more slowly than
/// the true ones, and then predicts the true test labels at chance.
#[test]
fn a_net_beside_memorizes_shuffled_labels_and_tests_at_chance() {
    let p = Problem::new(RunConfig {
        model: ModelConfig { hidden: vec![64, 64], activation: Activation::Relu, init: Init::He, ..ModelConfig::default() },
        data: DataConfig {
            kind: DatasetKind::Moons,
            n_train: 64,
            n_test: 2000,
            noise: 0.1,
            label_noise: 0.0,
            dim: 1,
            ..DataConfig::default()
        },
        train: TrainConfig::full_batch(Loss::Bce, Optimizer::with_defaults("adam").unwrap(), 0.01),
        seed: 5,
    })
    .unwrap();
    let shuffled = p.shuffled_labels();
    let moved = p.dataset.train.y.iter().zip(&shuffled.dataset.train.y).filter(|(a, b)| a != b).count();
    assert!(moved > 16, "the shuffle moves labels: {moved} of 64");
    let count = |y: &[f32]| y.iter().filter(|&&c| c == 1.0).count();
    assert_eq!(count(&p.dataset.train.y), count(&shuffled.dataset.train.y), "each class keeps its count");
    assert_eq!(p.dataset.test.y, shuffled.dataset.test.y, "the test set stays true");

    let mut run = super::CpuRun::new(p, None, None).unwrap();
    run.add_beside().unwrap();
    // Steps until each net classifies its training set perfectly.
    let (mut own_at, mut beside_at) = (None, None);
    let mut last = None;
    for _ in 0..40 {
        run.train(50, f64::INFINITY, clock);
        let snap = run.snapshot();
        let beside = snap.beside.as_deref().unwrap();
        own_at = own_at.or((snap.train_accuracy == Some(1.0)).then_some(snap.step));
        beside_at = beside_at.or((beside.train_accuracy == Some(1.0)).then_some(snap.step));
        last = Some(snap);
    }
    let last = last.unwrap();
    let (own_at, beside_at) = (own_at.expect("the true labels are fitted"), beside_at.expect("the shuffled labels are memorized"));
    assert!(own_at < beside_at, "true labels fit first: step {own_at} against {beside_at}");
    // Chance here: a shuffled label is the true one for a fraction `agree`
    // of the points (½ on average over shuffles), and a test point takes
    // the shuffled label of the training points around it.
    let agree = run.problem.shuffled_agreement();
    assert_eq!(agree, 1.0 - moved as f32 / 64.0);
    let test = last.beside.unwrap().test_accuracy.unwrap();
    eprintln!("fitted at step {own_at}, memorized at {beside_at}; labels agree on {agree}, the shuffled net tests at {test}");
    assert!((test - agree).abs() < 0.06, "the shuffled net tests at chance: {test}, the labels agreeing on {agree}");
    assert!(last.test_accuracy.unwrap() > 0.9, "the true net generalizes: {:?}", last.test_accuracy);
}
