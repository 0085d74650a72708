//! One configuration on the CPU: the engine's CPU path, and what the page's
//! worker runs off the main thread. It trains for as long as it is given,
//! is evaluated (train set, test set and drawing grid: about three steps'
//! work) only when asked, and computes the landscape's and the NTK lab's
//! probes at its current parameters, a slice at a time.

use std::cell::RefCell;
use std::rc::Rc;

use nalgebra::DMatrix;

use super::{check_work, check_work_with, grid_points, Backend, Clock, Pending, CPU_BUDGET_MS};
use crate::gpu::{EvalSet, Snapshot};
use crate::hidden::{Hidden, Rows};
use crate::landscape::hessian::{self, start_vector};
use crate::landscape::{plane_losses, Plane};
use crate::{cpu, ntk, CpuTrainer, Error, Part, Problem, Subset};

/// One configuration training on the CPU. See the module docs.
pub struct CpuRun {
    pub problem: Problem,
    pub grid: Vec<f32>,
    init: Vec<f32>,
    trainer: CpuTrainer,
    /// Batch losses since the last snapshot.
    batch_losses: Vec<f32>,
    /// The last power-iteration vector (warm start), shared with the
    /// sharpness computation in flight.
    top: Rc<RefCell<Option<Vec<f64>>>>,
    /// The same net trained beside on shuffled labels, if asked.
    beside: Option<Box<Beside>>,
}

/// A net trained step for step beside the run's own on its shuffled labels.
struct Beside {
    problem: Problem,
    trainer: CpuTrainer,
    batch_losses: Vec<f32>,
}

/// The losses (and a classifier's accuracies) of `t` on `p`'s sets; no grid.
fn measured(p: &Problem, t: &CpuTrainer, batch_losses: Vec<f32>) -> Snapshot {
    let layout = t.layout();
    let (din, dout) = (layout.input_dim(), layout.output_dim());
    let loss = p.config.train.loss;
    let classifies = p.dataset.classes().is_some();
    let measure = |x: &[f32], y: &[f32]| {
        let f = cpu::forward(layout, t.params(), &cpu::columns(x, din));
        let accuracy = classifies.then(|| loss.accuracy(f.output().as_slice(), y, dout));
        (cpu::loss(loss, f.output(), &cpu::columns(y, dout), None), accuracy)
    };
    let (train_loss, train_accuracy) = measure(&p.dataset.train.x, &p.train_targets);
    let test = (!p.dataset.test.is_empty()).then(|| measure(&p.dataset.test.x, &p.test_targets));
    Snapshot {
        step: t.steps_done(),
        batch_losses,
        train_loss,
        test_loss: test.map(|t| t.0),
        train_accuracy,
        test_accuracy: test.and_then(|t| t.1),
        grid: Vec::new(),
        beside: None,
    }
}

impl CpuRun {
    /// A run of `problem` from `init` (the problem's own initial
    /// parameters if `None`) whose snapshots predict on `grid` (the
    /// drawing grid if `None`).
    ///
    /// # Errors
    /// A step or an evaluation past the CPU's work limit, or `init` of the
    /// wrong length.
    pub fn new(problem: Problem, init: Option<Vec<f32>>, grid: Option<Vec<f32>>) -> Result<Self, Error> {
        let grid = grid.unwrap_or_else(|| grid_points(&problem));
        check_work(&Backend::Cpu { reason: String::new() }, &problem, &grid)?;
        let init = init.unwrap_or_else(|| problem.init_params());
        let p = problem.spec.layout().num_params;
        if init.len() != p {
            return Err(Error::invalid(Part::Request, "init", format!("has {} parameters, the net {p}", init.len())));
        }
        Ok(Self::checked(problem, init, grid))
    }

    /// [`Self::new`] for a problem and grid already checked.
    pub(super) fn checked(problem: Problem, init: Vec<f32>, grid: Vec<f32>) -> Self {
        let trainer = Self::trainer(&problem, &init);
        Self { problem, grid, init, trainer, batch_losses: Vec::new(), top: Rc::default(), beside: None }
    }

    /// Trains the same net beside this one, from the same start, on
    /// shuffled labels ([`Problem::shuffled_labels`]); snapshots then carry
    /// that net's ([`Snapshot::beside`]). From step 0.
    ///
    /// # Errors
    /// Both nets' steps or evaluations past the CPU's work limit
    /// ([`check_work_with`]).
    pub fn add_beside(&mut self) -> Result<(), Error> {
        check_work_with(&Backend::Cpu { reason: String::new() }, &self.problem, &self.grid, true)?;
        let problem = self.problem.shuffled_labels();
        let trainer = Self::trainer(&problem, &self.init);
        self.beside = Some(Box::new(Beside { problem, trainer, batch_losses: Vec::new() }));
        self.reset();
        Ok(())
    }

    fn trainer(p: &Problem, init: &[f32]) -> CpuTrainer {
        let (x, y) = p.subset(Subset::Train);
        CpuTrainer::new(p.spec.layout(), p.config.train.clone(), init.to_vec(), x.to_vec(), y.to_vec(), p.config.seed)
    }

    /// Back to the initial parameters.
    pub fn reset(&mut self) {
        self.trainer = Self::trainer(&self.problem, &self.init);
        self.batch_losses.clear();
        self.top = Rc::default();
        if let Some(b) = &mut self.beside {
            b.trainer = Self::trainer(&b.problem, &self.init);
            b.batch_losses.clear();
        }
    }

    /// Trains on with `config` from the next step (a reset keeps it).
    ///
    /// # Errors
    /// As [`crate::TrainConfig::retuned`].
    pub fn retune(&mut self, config: &crate::TrainConfig) -> Result<(), Error> {
        // A larger batch makes each step more work.
        let mut next = self.problem.clone();
        next.config.train = self.problem.config.train.retuned(config)?;
        check_work_with(&Backend::Cpu { reason: String::new() }, &next, &self.grid, self.beside.is_some())?;
        self.trainer.retune(config)?;
        if let Some(b) = &mut self.beside {
            b.trainer.retune(config)?;
            b.problem.config.train = config.clone();
        }
        self.problem = next;
        Ok(())
    }

    #[must_use]
    pub fn steps_done(&self) -> u64 {
        self.trainer.steps_done()
    }

    #[must_use]
    pub fn params(&self) -> &[f32] {
        self.trainer.params()
    }

    /// Trains up to `max` steps, stopping once `budget_ms` by `clock` have
    /// passed (at least one step); returns the steps taken.
    pub fn train(&mut self, max: u64, budget_ms: f64, clock: Clock) -> u64 {
        let start = clock();
        let mut taken = 0;
        while taken < max {
            self.batch_losses.push(self.trainer.step());
            if let Some(b) = &mut self.beside {
                b.batch_losses.push(b.trainer.step());
            }
            taken += 1;
            if clock() - start >= budget_ms {
                break;
            }
        }
        taken
    }

    /// The losses and the function on the grid now, with the batch losses
    /// since the last snapshot.
    pub fn snapshot(&mut self) -> Snapshot {
        let mut snap = measured(&self.problem, &self.trainer, std::mem::take(&mut self.batch_losses));
        snap.grid = self.trainer.predict(&self.grid);
        snap.beside = self.beside.as_mut().map(|b| Box::new(measured(&b.problem, &b.trainer, std::mem::take(&mut b.batch_losses))));
        snap
    }

    /// Every hidden unit's activation at `rows`.
    ///
    /// # Errors
    /// Rows past their set, or too many.
    pub fn hidden(&self, rows: &Rows) -> Result<Hidden, Error> {
        let p = &self.problem;
        let x = match rows.set {
            EvalSet::Train => &p.dataset.train.x,
            EvalSet::Test => &p.dataset.test.x,
            EvalSet::Grid => &self.grid,
        };
        let d = p.spec.input_dim;
        let layout = self.trainer.layout();
        rows.check(x.len() / d, Hidden::widths(layout).iter().sum())?;
        Ok(Hidden::compute(layout, self.trainer.params(), &rows.gather(x, d)))
    }

    /// The gradient of the mean training loss over the first `rows`
    /// training points, at the current parameters.
    ///
    /// # Errors
    /// No rows, or more than the training set.
    pub fn gradient(&self, rows: usize) -> Result<Vec<f32>, Error> {
        let p = &self.problem;
        let n = p.dataset.train.len();
        if !(1..=n).contains(&rows) {
            return Err(Error::invalid(Part::Request, "gradient rows", format!("{rows} not in 1..={n}")));
        }
        let layout = self.trainer.layout();
        let (din, dout) = (layout.input_dim(), layout.output_dim());
        let x = cpu::columns::<f32>(&p.dataset.train.x[..rows * din], din);
        let y = cpu::columns::<f32>(&p.train_targets[..rows * dout], dout);
        let mut grad = vec![0.0; layout.num_params];
        cpu::loss_and_grad(layout, self.trainer.params(), &x, &y, p.config.train.loss, &mut grad);
        Ok(grad)
    }

    /// The mean loss on `subset` at `points` of `plane`, a point at a time
    /// for as long as each poll's clock allows.
    ///
    /// # Errors
    /// A plane of the wrong dimension.
    pub fn losses(&self, plane: Plane, points: Vec<[f32; 2]>, subset: Subset) -> Result<Pending<Vec<f32>>, Error> {
        let p = self.trainer.params().len();
        if [&plane.center, &plane.d1, &plane.d2].iter().any(|v| v.len() != p) {
            return Err(Error::invalid(Part::Request, "plane", format!("should have {p} dimensions")));
        }
        let problem = self.problem.clone();
        let mut out = Vec::with_capacity(points.len());
        Ok(Pending(Box::new(move |clock| {
            let start = clock();
            while out.len() < points.len() && clock() - start < CPU_BUDGET_MS {
                let at = out.len();
                out.extend(plane_losses(&problem, subset, &plane, &points[at..=at]));
            }
            (out.len() == points.len()).then(|| Ok(std::mem::take(&mut out)))
        })))
    }

    /// `iterations` of power iteration for the sharpness (top Hessian
    /// eigenvalue of the training loss) at the current parameters,
    /// warm-started from the previous call, an iteration at a time.
    #[must_use]
    pub fn sharpness(&self, iterations: u32) -> Pending<f32> {
        let (problem, params, top) = (self.problem.clone(), self.trainer.params().to_vec(), Rc::clone(&self.top));
        let mut v = top.borrow_mut().take().unwrap_or_else(|| start_vector(params.len(), problem.config.seed));
        let (mut left, mut value) = (iterations, f64::NAN);
        Pending(Box::new(move |clock| {
            let start = clock();
            while left > 0 && clock() - start < CPU_BUDGET_MS {
                let step = hessian::sharpness(&problem, &params, std::mem::take(&mut v), 1);
                (value, v) = (step.value, step.vector);
                left -= 1;
            }
            (left == 0).then(|| {
                *top.borrow_mut() = Some(std::mem::take(&mut v));
                Ok(value as f32)
            })
        }))
    }

    /// The empirical NTK on the training set at the current parameters
    /// (`n × n`), computed at the first poll.
    #[must_use]
    pub fn ntk_gram(&self) -> Pending<DMatrix<f64>> {
        let layout = self.trainer.layout().clone();
        let params: Vec<f64> = self.trainer.params().iter().map(|&v| f64::from(v)).collect();
        let x = self.problem.dataset.train.x.clone();
        let mut done = false;
        Pending(Box::new(move |_| {
            (!std::mem::replace(&mut done, true)).then(|| ntk::gram(&layout, &params, &cpu::columns::<f64>(&x, layout.input_dim())))
        }))
    }
}
