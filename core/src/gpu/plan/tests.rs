//! The trainer's plan without a GPU: every offset inside its buffer, no two
//! regions overlapping, the records pointing where the kernels must read.

use super::*;
use crate::gpu::gpu_data::LOSS_NONE;
use crate::spec::{Activation, Init, MlpSpec, Parameterization};
use crate::train::{Loss, Optimizer};

fn layout(hidden: Vec<usize>, output_dim: usize) -> ParamLayout {
    MlpSpec { input_dim: 2, hidden, output_dim, activation: Activation::Relu, parameterization: Parameterization::Standard, init: Init::He }
        .layout()
}

fn sizes(n_train: usize, n_test: usize, n_grid: usize, dout: usize) -> DataSizes {
    DataSizes {
        train_x: 2 * n_train,
        train_y: dout * n_train,
        test_x: 2 * n_test,
        test_y: dout * n_test,
        grid_x: 2 * n_grid,
        n_train,
        n_test,
        n_grid,
    }
}

fn config(loss: Loss, batch: Option<usize>) -> TrainConfig {
    TrainConfig { batch_size: batch, ..TrainConfig::full_batch(loss, Optimizer::with_defaults("adam").unwrap(), 0.01) }
}

/// `(start, len)` regions must not overlap.
fn disjoint(mut regions: Vec<(u64, u64)>) -> bool {
    regions.sort_unstable();
    regions.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0)
}

#[test]
fn every_region_of_a_batch_of_nets_fits_its_buffer_without_overlap() {
    let l = layout(vec![16, 8], 1);
    let s = sizes(100, 50, 4096, 1);
    let plan = TrainerPlan::new(&l, &config(Loss::Bce, None), s, 3, false, u64::MAX).unwrap();
    assert_eq!((plan.batch, plan.k_max, plan.capacity), (100, MAX_STEPS_PER_SUBMIT, 1024));

    // Data: train x, train y, test x, test y, grid x, back to back.
    let d = plan.data;
    assert_eq!([d.train_x, d.train_y, d.test_x, d.test_y, d.grid, d.block], [0, 200, 300, 400, 450, 450 + 8192]);
    assert_eq!(plan.data_stride, 0, "one dataset for every model");

    // Activations: four regions a layer, `capacity` rows each, within a model's stride.
    let cap = u64::from(plan.capacity);
    let mut regions = Vec::new();
    for (shape, (z, h, delta, gate)) in l.layers.iter().zip(plan.act_offsets(&l)) {
        for at in [z, h, delta, gate] {
            regions.push((at as u64, cap * shape.fan_out as u64));
        }
    }
    assert!(disjoint(regions.clone()));
    assert!(regions.iter().all(|(at, len)| at + len <= plan.act_stride));
    assert_eq!(plan.bytes[2], 3 * plan.act_stride * 4);

    // Metrics: step losses, eval losses, probe, then the predictions and the Gram.
    let r = &plan.dispatches;
    let [train, test, grid] = r.eval;
    assert_eq!([train.loss_slot, test.loss_slot, grid.loss_slot], [1 + plan.k_max, 2 + plan.k_max, 3 + plan.k_max]);
    assert_eq!(plan.probe_slot, 4 + plan.k_max);
    let ntk = r.ntk.as_ref().expect("one output and 100 points: a Gram");
    let mut regions: Vec<(u64, u64)> = vec![(0, u64::from(plan.probe_slot) + 1)];
    regions.extend([(grid, 4096), (train, 100), (test, 50)].map(|(e, rows)| (u64::from(e.pred_off), rows)));
    regions.push((u64::from(ntk.gram_off), 100 * 100));
    assert!(disjoint(regions.clone()));
    assert_eq!(regions.iter().map(|(at, len)| at + len).max(), Some(plan.metrics_len));
    assert_eq!(plan.bytes[5], 3 * plan.metrics_len * 4);
    assert_eq!(plan.bytes[0], 3 * l.num_params as u64 * 4);
    assert_eq!(plan.bytes[1], 3 * plan.bytes[0], "Adam keeps two moments beside the gradient");

    // Records: layer 0 reads the training inputs from `data`, deeper layers
    // the layer below's H; each set's first forward reads its own inputs.
    let args = &plan.dispatch_args;
    let f = |i: u32| args[i as usize];
    assert_eq!((f(r.forward[0]).in_off, f(r.forward[0]).in_from_data), (0, 1));
    assert_eq!((f(r.forward[1]).in_off, f(r.forward[1]).in_from_data), (f(r.forward[0]).h_off, 0));
    assert_eq!(f(train.first_forward).in_off, 0);
    assert_eq!(f(test.first_forward).in_off, 300);
    assert_eq!(f(grid.first_forward).in_off, 450);
    assert_eq!((f(test.evaluate).target_off, f(test.evaluate).pred_off), (400, test.pred_off));
    assert_eq!(f(grid.evaluate).loss, LOSS_NONE, "the grid has no targets");
    assert!(args.iter().all(|a| a.param_stride as usize == l.num_params && u64::from(a.act_stride) == plan.act_stride));
    assert!(args.iter().all(|a| u64::from(a.model_slots) == plan.metrics_len && a.data_stride == 0));
    // Gated forwards store nothing over the reference pre-activations.
    assert!(r.reference_forward.iter().zip(&r.gated_forward).all(|(&rf, &g)| f(rf).z_off == f(g).gate_off));
    assert!(plan.max_step_records >= plan.k_max.max(HESSIAN_RECORDS));
}

#[test]
fn data_per_model_strides_by_a_block() {
    let l = layout(vec![4], 1);
    let plan = TrainerPlan::new(&l, &config(Loss::Mse, None), sizes(30, 10, 0, 1), 5, true, u64::MAX).unwrap();
    assert_eq!(plan.data_stride, plan.data.block);
    assert_eq!(plan.bytes[3], 5 * plan.data.block as u64 * 4);
    assert!(plan.dispatch_args.iter().all(|a| a.data_stride as usize == plan.data.block));
}

#[test]
fn mini_batches_size_the_batch_buffer_and_the_submit() {
    let l = layout(vec![8], 2);
    let plan = TrainerPlan::new(&l, &config(Loss::Softmax, Some(32)), sizes(1000, 100, 0, 2), 1, false, u64::MAX).unwrap();
    assert_eq!((plan.batch, plan.k_max), (32, MAX_STEPS_PER_SUBMIT));
    assert_eq!(plan.bytes[4], u64::from(plan.k_max) * 32 * 4, "one index per row per step");
    assert!(plan.dispatches.ntk.is_none(), "two outputs: no NTK");
    let huge = TrainerPlan::new(&l, &config(Loss::Softmax, Some(1 << 15)), sizes(1 << 16, 0, 0, 2), 1, false, u64::MAX).unwrap();
    assert_eq!(huge.k_max, 128, "at most 2²² indices a submit");
}

#[test]
fn the_ntk_gram_is_planned_up_to_its_row_limit() {
    let l = layout(vec![8], 1);
    let at = |n| TrainerPlan::new(&l, &config(Loss::Mse, None), sizes(n, 0, 0, 1), 1, false, u64::MAX).unwrap();
    let fits = at(NTK_MAX_ROWS);
    let gram = fits.dispatches.ntk.as_ref().unwrap();
    assert_eq!(u64::from(gram.gram_off) + (NTK_MAX_ROWS * NTK_MAX_ROWS) as u64, fits.metrics_len);
    assert_eq!(gram.gram.len(), 2, "one Gram dispatch a layer");
    assert!(at(NTK_MAX_ROWS + 1).dispatches.ntk.is_none());
}

#[test]
fn what_does_not_fit_the_device_is_named() {
    let l = layout(vec![1024, 1024], 1);
    let plan = |limit| TrainerPlan::new(&l, &config(Loss::Mse, None), sizes(5000, 5000, 4096, 1), 1, false, limit);
    match plan(1 << 20) {
        Err(Error::TooLarge { what, got: needed, limit, within: "this GPU", .. }) => {
            assert!(what.starts_with("activations"), "{what}");
            assert_eq!((needed, limit), (5000 * 4 * (1024 + 1024 + 1) * 4, 1 << 20), "Z, H, δ, gates of every unit");
        }
        other => panic!("{other:?}"),
    }
    let ok = plan(1 << 30).unwrap();
    assert!(ok.bytes.iter().all(|&b| b <= 1 << 30));
    // Ten points: room for the activations and the parameters (4.2 MB),
    // not for Adam's gradient and two moments beside them (12.6 MB).
    match TrainerPlan::new(&l, &config(Loss::Mse, None), sizes(10, 0, 0, 1), 1, false, 8 << 20) {
        Err(Error::TooLarge { what: "optim", got: needed, .. }) => assert_eq!(needed, 3 * 4 * l.num_params as u64),
        other => panic!("{other:?}"),
    }
}

#[test]
fn masks_go_after_the_optimizer_state_and_only_the_update_reads_them() {
    let l = layout(vec![16, 8], 1);
    let plan = TrainerPlan::new(&l, &config(Loss::Bce, None), sizes(100, 50, 0, 1), 3, false, u64::MAX).unwrap();
    let p = l.num_params as u64 * 3;
    // Adam: gradients and two moments, then the masks.
    assert_eq!(plan.bytes[1], 3 * p * 4);
    let masked = plan.clone().masked(u64::MAX).unwrap();
    assert_eq!(masked.bytes[1], 4 * p * 4);
    let update = masked.dispatches.update as usize;
    assert_eq!(u64::from(masked.dispatch_args[update].mask_off), 3 * p);
    assert!(masked.dispatch_args.iter().enumerate().all(|(i, a)| i == update || a.mask_off == 0));
    assert!(plan.dispatch_args.iter().all(|a| a.mask_off == 0), "unmasked: no mask");
    // Refused, naming the buffer, when the masks do not fit.
    let err = plan.masked(3 * p * 4 + 4).unwrap_err().to_string();
    assert!(err.contains("optim"), "{err}");
}
