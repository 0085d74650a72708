//! The GPU's empirical neural tangent kernel equals the CPU's (f64, itself
//! held to `J Jᵀ` from finite differences in gradlab-core), for every
//! activation and parameterization, depths 1–3, several models at once.

use gradlab_core::cpu::columns;
use gradlab_core::gpu::{GpuTrainer, Kernels, NTK_MAX_ROWS};
use gradlab_core::{
    ntk, Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, Problem, RunConfig, Subset, TrainConfig,
};
use gradlab_tests::{gpu, Tolerance};

fn problem(hidden: Vec<usize>, activation: Activation, parameterization: Parameterization, kind: DatasetKind, n: usize) -> Problem {
    Problem::new(RunConfig {
        model: ModelConfig { hidden, activation, parameterization, init: Init::Normal { sigma: 1.0 } },
        data: DataConfig { kind, n_train: n, n_test: 10, noise: 0.1, label_noise: 0.0, dim: 3, ..DataConfig::default() },
        train: TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, 0.05),
        seed: 2,
    })
    .unwrap()
}

#[test]
fn gpu_grams_equal_cpu_grams() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let cases = [
        (vec![16], Activation::Relu, Parameterization::Standard, DatasetKind::Sine),
        (vec![8, 12], Activation::Tanh, Parameterization::Ntk, DatasetKind::Sine),
        (vec![5, 7, 3], Activation::Gelu, Parameterization::Ntk, DatasetKind::Teacher),
        (vec![300], Activation::Relu, Parameterization::Ntk, DatasetKind::Teacher),
    ];
    for (hidden, activation, parameterization, kind) in cases {
        let p = problem(hidden.clone(), activation, parameterization, kind, 37);
        let layout = p.spec.layout();
        // Two models: the init and a perturbed copy (biases non-zero).
        let a = p.init_params();
        let b: Vec<f32> = a.iter().enumerate().map(|(i, v)| v + 0.1 * ((i as f32) * 0.37).sin()).collect();
        let mut t = GpuTrainer::new(&device, &queue, &kernels, &p, &[a.clone(), b.clone()].concat(), &[]).unwrap();
        let grams = t.ntk_gram().unwrap().wait(&device).unwrap();
        let (x, _) = p.subset(Subset::Train);
        let x = columns::<f64>(x, layout.input_dim());
        for (m, params) in [a, b].iter().enumerate() {
            let p64: Vec<f64> = params.iter().map(|&v| f64::from(v)).collect();
            let want: Vec<f32> = ntk::gram(&layout, &p64, &x).unwrap().transpose().iter().map(|&v| v as f32).collect();
            let worst = Tolerance::relative_to_max(1e-5, &want).check(
                &format!("{hidden:?} {activation:?} {parameterization:?} model {m}"),
                &grams[m],
                &want,
            );
            eprintln!("{hidden:?} {activation:?} {parameterization:?} model {m}: worst error {worst:.3} of tolerance");
        }
    }
}

#[test]
fn training_moves_the_gpu_gram_as_it_moves_the_cpu_one() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let p = problem(vec![24, 24], Activation::Tanh, Parameterization::Ntk, DatasetKind::Sine, 20);
    let mut t = GpuTrainer::new(&device, &queue, &kernels, &p, &p.init_params(), &[]).unwrap();
    let before = t.ntk_gram().unwrap().wait(&device).unwrap().remove(0);
    t.train(50);
    let after = t.ntk_gram().unwrap().wait(&device).unwrap().remove(0);
    let params = t.read_params().wait(&device).unwrap();
    let (x, _) = p.subset(Subset::Train);
    let p64: Vec<f64> = params.iter().map(|&v| f64::from(v)).collect();
    let want: Vec<f32> = ntk::gram(&p.spec.layout(), &p64, &columns::<f64>(x, 1)).unwrap().iter().map(|&v| v as f32).collect();
    Tolerance::relative_to_max(1e-5, &want).check("after 50 steps", &after, &want);
    assert_ne!(before, after, "the kernel moved");
}

#[test]
fn the_gpu_gram_refuses_what_it_cannot_hold() {
    let (device, queue) = gpu();
    let kernels = Kernels::new(&device);
    let big = problem(vec![4], Activation::Relu, Parameterization::Standard, DatasetKind::Sine, NTK_MAX_ROWS + 1);
    let mut t = GpuTrainer::new(&device, &queue, &kernels, &big, &big.init_params(), &[]).unwrap();
    assert!(t.ntk_gram().unwrap_err().to_string().contains("at most 512"));
}
