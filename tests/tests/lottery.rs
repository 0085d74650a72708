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
use gradlab_tests::{gpu, Tolerance};

fn problem(seed: u64) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig {
            hidden: vec![16, 16],
            activation: Activation::Relu,
            parameterization: Parameterization::Standard,
            init: Init::He,
        },
        data: DataConfig { kind: DatasetKind::Moons, n_train: 64, n_test: 32, noise: 0.2, label_noise: 0.0, dim: 2 },
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
