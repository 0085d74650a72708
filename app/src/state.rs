//! The playground's settings as they live in the URL query.
//!
//! Two stages, as everywhere input enters gradlab: [`RawQuery`] takes
//! whatever the URL holds (every value a string, unknown keys ignored), and
//! [`PlaygroundState::from_query`] turns it into checked settings, clamping
//! or replacing each bad value and saying so in a message the page shows.
//! [`PlaygroundState::to_query`] writes the canonical query back, so a
//! shared link or an embed reproduces the same run.

use gradlab_core::double_descent::trained::Training;
use gradlab_core::double_descent::{Feature, RfConfig, Teacher};
use gradlab_core::{Activation, DataConfig, DatasetKind, Init, Loss, ModelConfig, Optimizer, Parameterization, RunConfig, TrainConfig};
use serde::{Deserialize, Serialize};

/// Limits of the playground's controls (the URL may ask for no more).
pub const WIDTH: (usize, usize) = (1, 1024);
pub const DEPTH: (usize, usize) = (1, 6);
pub const POINTS: (usize, usize) = (10, 5000);
pub const LR: (f32, f32) = (1e-4, 10.0);
pub const NOISE: (f32, f32) = (0.0, 0.5);
pub const LABEL_NOISE: (f32, f32) = (0.0, 0.5);
/// Mini-batch sizes are powers of two up to this; 0 means full batch.
pub const MAX_BATCH: usize = 1024;
pub const MAX_SEED: u64 = 1_000_000;

/// Everything a person sets in the playground.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlaygroundState {
    pub data: DatasetKind,
    /// Training points; the test set has as many.
    pub n: usize,
    pub noise: f32,
    pub label_noise: f32,
    pub width: usize,
    pub depth: usize,
    pub act: Activation,
    pub param: Parameterization,
    pub loss: Loss,
    pub opt: &'static str,
    pub lr: f32,
    /// 0 is full batch.
    pub batch: usize,
    pub seed: u64,
}

impl Default for PlaygroundState {
    fn default() -> Self {
        Self {
            data: DatasetKind::Spiral,
            n: 256,
            noise: 0.05,
            label_noise: 0.0,
            width: 32,
            depth: 2,
            act: Activation::Relu,
            param: Parameterization::Standard,
            loss: Loss::Bce,
            opt: "adam",
            lr: 0.01,
            batch: 0,
            seed: 1,
        }
    }
}

/// The query as it comes, before any checking.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawQuery {
    data: Option<String>,
    n: Option<String>,
    noise: Option<String>,
    label_noise: Option<String>,
    width: Option<String>,
    depth: Option<String>,
    act: Option<String>,
    param: Option<String>,
    loss: Option<String>,
    opt: Option<String>,
    lr: Option<String>,
    batch: Option<String>,
    seed: Option<String>,
}

/// Collects what was wrong with a query while it is checked.
struct Checker {
    messages: Vec<String>,
}

impl Checker {
    /// Reads the raw query (unknown keys ignored) into `T`.
    fn read<T: Default + for<'de> Deserialize<'de>>(query: &str) -> (Self, T) {
        let mut c = Checker { messages: Vec::new() };
        let query = query.strip_prefix('?').unwrap_or(query);
        let raw = serde_urlencoded::from_str(query).unwrap_or_else(|_| {
            c.messages.push("The link's settings could not be read; using the defaults.".into());
            T::default()
        });
        (c, raw)
    }

    fn number<T>(&mut self, key: &str, raw: Option<&str>, default: T, (lo, hi): (T, T)) -> T
    where
        T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display,
    {
        let Some(text) = raw else { return default };
        match text.trim().parse::<T>() {
            Ok(v) if v < lo => {
                self.messages.push(format!("{key}={text} is below the minimum {lo}; using {lo}."));
                lo
            }
            Ok(v) if v > hi => {
                self.messages.push(format!("{key}={text} is above the maximum {hi}; using {hi}."));
                hi
            }
            // NaN compares false with both bounds (and is unordered with
            // itself): refuse it here.
            Ok(v) if v.partial_cmp(&v).is_some() => v,
            // An integer setting given a negative or fractional number.
            Err(_) if text.trim().parse::<f64>().is_ok_and(|v| v < 0.0) => {
                self.messages.push(format!("{key}={text} is below the minimum {lo}; using {lo}."));
                lo
            }
            Err(_) if text.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
                self.messages.push(format!("{key}={text} is not a whole number; using {default}."));
                default
            }
            _ => {
                self.messages.push(format!("{key}={text} is not a number; using {default}."));
                default
            }
        }
    }

    fn choice<T: Copy>(&mut self, key: &str, raw: Option<&str>, default: T, options: &[(&str, T)]) -> T {
        let Some(text) = raw else { return default };
        if let Some((_, v)) = options.iter().find(|(name, _)| *name == text.trim()) {
            return *v;
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        self.messages.push(format!("{key}={text} is not one of {}; using the default.", names.join(", ")));
        default
    }
}

fn named<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<(&'static str, T)> {
    all.iter().map(|&v| (name(v), v)).collect()
}

impl PlaygroundState {
    /// Parses and checks a query string (with or without the leading `?`).
    /// Returns the settings and one message per value that had to change.
    #[must_use]
    pub fn from_query(query: &str) -> (Self, Vec<String>) {
        let (mut c, raw): (_, RawQuery) = Checker::read(query);
        let d = Self::default();
        let data = c.choice("data", raw.data.as_deref(), d.data, &named(&DatasetKind::ALL, DatasetKind::name));
        let mut loss = c.choice("loss", raw.loss.as_deref(), d.loss, &named(&Loss::ALL, Loss::name));
        if data.classes().is_none() && loss != Loss::Mse {
            if raw.loss.is_some() {
                c.messages.push(format!("{} is a regression task: using the mse loss.", data.name()));
            }
            loss = Loss::Mse;
        }
        let opts: Vec<(&'static str, &'static str)> = Optimizer::NAMES.iter().map(|&n| (n, n)).collect();
        let mut batch = c.number("batch", raw.batch.as_deref(), d.batch, (0, MAX_BATCH));
        if batch != 0 && !batch.is_power_of_two() {
            let p = batch.next_power_of_two().min(MAX_BATCH);
            c.messages.push(format!("batch={batch} is not a power of two; using {p}."));
            batch = p;
        }
        let state = Self {
            data,
            n: c.number("n", raw.n.as_deref(), d.n, POINTS),
            noise: c.number("noise", raw.noise.as_deref(), d.noise, NOISE),
            label_noise: c.number("label_noise", raw.label_noise.as_deref(), d.label_noise, LABEL_NOISE),
            width: c.number("width", raw.width.as_deref(), d.width, WIDTH),
            depth: c.number("depth", raw.depth.as_deref(), d.depth, DEPTH),
            act: c.choice("act", raw.act.as_deref(), d.act, &named(&Activation::ALL, Activation::name)),
            param: c.choice("param", raw.param.as_deref(), d.param, &named(&Parameterization::ALL, Parameterization::name)),
            loss,
            opt: c.choice("opt", raw.opt.as_deref(), d.opt, &opts),
            lr: c.number("lr", raw.lr.as_deref(), d.lr, LR),
            batch,
            seed: c.number("seed", raw.seed.as_deref(), d.seed, (0, MAX_SEED)),
        };
        (state, c.messages)
    }

    /// The canonical query for these settings (no leading `?`).
    #[must_use]
    pub fn to_query(&self) -> String {
        let pairs: [(&str, String); 13] = [
            ("data", self.data.name().into()),
            ("n", self.n.to_string()),
            ("noise", self.noise.to_string()),
            ("label_noise", self.label_noise.to_string()),
            ("width", self.width.to_string()),
            ("depth", self.depth.to_string()),
            ("act", self.act.name().into()),
            ("param", self.param.name().into()),
            ("loss", self.loss.name().into()),
            ("opt", self.opt.into()),
            ("lr", self.lr.to_string()),
            ("batch", self.batch.to_string()),
            ("seed", self.seed.to_string()),
        ];
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The run these settings describe (the same JSON the CLI reads).
    #[must_use]
    pub fn run_config(&self) -> RunConfig {
        RunConfig {
            model: ModelConfig { hidden: vec![self.width; self.depth], activation: self.act, parameterization: self.param, init: Init::He },
            data: DataConfig {
                kind: self.data,
                n_train: self.n,
                n_test: self.n,
                noise: self.noise,
                label_noise: self.label_noise,
                dim: 20,
            },
            train: TrainConfig {
                batch_size: (self.batch > 0).then_some(self.batch),
                ..TrainConfig::full_batch(self.loss, Optimizer::with_defaults(self.opt).unwrap_or_default(), self.lr)
            },
            seed: self.seed,
        }
    }
}

/// A run as the command-line tool reads it (`gradlab CONFIG.json`): the
/// [`RunConfig`] with the CLI's `steps` and `backend` keys beside it.
/// `steps` is how far the page has trained (1000 before the first step),
/// within what the CLI allows.
#[must_use]
pub fn cli_config(run: &RunConfig, steps: u64) -> String {
    let steps = if steps == 0 { 1000 } else { steps.min(u64::from(gradlab_core::config::MAX_RUN_STEPS)) };
    let mut value = serde_json::to_value(run).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("steps".into(), steps.into());
        map.insert("backend".into(), "cpu".into());
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Limits of the landscape lab (full batch: every step sees every point).
pub const LANDSCAPE_POINTS: (usize, usize) = (16, 1024);
pub const LANDSCAPE_WIDTH: (usize, usize) = (1, 512);
pub const LANDSCAPE_DEPTH: (usize, usize) = (1, 4);
pub const LANDSCAPE_LR: (f32, f32) = (1e-3, 2.0);
pub const GRID: (usize, usize) = gradlab_core::landscape::GRID_SIZES;
pub const RANGE: (f32, f32) = (0.05, 5.0);

/// Which of the landscape lab's views to show (the embed shows one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    All,
    Contour,
    Slice,
    Sharpness,
    Connect,
}

impl View {
    pub const ALL: [Self; 5] = [Self::All, Self::Contour, Self::Slice, Self::Sharpness, Self::Connect];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Contour => "contour",
            Self::Slice => "slice",
            Self::Sharpness => "sharpness",
            Self::Connect => "connect",
        }
    }

    /// Whether `self` (the page's choice) shows `view`.
    #[must_use]
    pub fn shows(self, view: Self) -> bool {
        self == Self::All || self == view
    }
}

/// The plane the contour view slices along.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaneKind {
    /// Li et al.'s two filter-normalized random directions.
    Random,
    /// The top two principal components of the trajectory so far.
    Pca,
}

/// Everything a person sets in the landscape lab.
#[derive(Clone, Debug, PartialEq)]
pub struct LandscapeState {
    pub data: DatasetKind,
    pub n: usize,
    pub width: usize,
    pub depth: usize,
    pub act: Activation,
    pub param: Parameterization,
    pub loss: Loss,
    /// `gd` (full-batch gradient descent) or `momentum` (heavy ball, β = 0.9).
    pub opt: &'static str,
    pub lr: f32,
    pub seed: u64,
    /// Grid points per side.
    pub grid: usize,
    /// Half-width of the random plane's square, in filter-normalized units.
    pub range: f32,
    /// Contours of log₁₀ loss (`true`) or of the loss itself.
    pub log: bool,
    pub plane: PlaneKind,
    pub view: View,
}

impl Default for LandscapeState {
    fn default() -> Self {
        // Sharpens from ~38 to the edge 2/η = 50 in ~1500 steps, then
        // hovers there (see landscape::hessian's edge-of-stability test).
        Self {
            data: DatasetKind::Sine,
            n: 128,
            width: 32,
            depth: 2,
            act: Activation::Tanh,
            param: Parameterization::Standard,
            loss: Loss::Mse,
            opt: "gd",
            lr: 0.04,
            seed: 1,
            grid: 32,
            range: 1.0,
            log: true,
            plane: PlaneKind::Random,
            view: View::All,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawLandscape {
    data: Option<String>,
    n: Option<String>,
    width: Option<String>,
    depth: Option<String>,
    act: Option<String>,
    param: Option<String>,
    loss: Option<String>,
    opt: Option<String>,
    lr: Option<String>,
    seed: Option<String>,
    grid: Option<String>,
    range: Option<String>,
    scale: Option<String>,
    plane: Option<String>,
    view: Option<String>,
}

/// Momentum's β in the landscape lab.
pub const MOMENTUM: f32 = 0.9;

impl LandscapeState {
    /// Parses and checks a query, like [`PlaygroundState::from_query`].
    #[must_use]
    pub fn from_query(query: &str) -> (Self, Vec<String>) {
        let (mut c, raw): (_, RawLandscape) = Checker::read(query);
        let d = Self::default();
        let data = c.choice("data", raw.data.as_deref(), d.data, &named(&DatasetKind::ALL, DatasetKind::name));
        let mut loss = c.choice("loss", raw.loss.as_deref(), d.loss, &named(&Loss::ALL, Loss::name));
        if data.classes().is_none() && loss != Loss::Mse {
            c.messages.push(format!("{} is a regression task: using the mse loss.", data.name()));
            loss = Loss::Mse;
        }
        let state = Self {
            data,
            n: c.number("n", raw.n.as_deref(), d.n, LANDSCAPE_POINTS),
            width: c.number("width", raw.width.as_deref(), d.width, LANDSCAPE_WIDTH),
            depth: c.number("depth", raw.depth.as_deref(), d.depth, LANDSCAPE_DEPTH),
            act: c.choice("act", raw.act.as_deref(), d.act, &named(&Activation::ALL, Activation::name)),
            param: c.choice("param", raw.param.as_deref(), d.param, &named(&Parameterization::ALL, Parameterization::name)),
            loss,
            opt: c.choice("opt", raw.opt.as_deref(), d.opt, &[("gd", "gd"), ("momentum", "momentum")]),
            lr: c.number("lr", raw.lr.as_deref(), d.lr, LANDSCAPE_LR),
            seed: c.number("seed", raw.seed.as_deref(), d.seed, (0, MAX_SEED)),
            grid: c.number("grid", raw.grid.as_deref(), d.grid, GRID),
            range: c.number("range", raw.range.as_deref(), d.range, RANGE),
            log: c.choice("scale", raw.scale.as_deref(), d.log, &[("log", true), ("linear", false)]),
            plane: c.choice("plane", raw.plane.as_deref(), d.plane, &[("random", PlaneKind::Random), ("pca", PlaneKind::Pca)]),
            view: c.choice("view", raw.view.as_deref(), d.view, &named(&View::ALL, View::name)),
        };
        (state, c.messages)
    }

    /// The canonical query (no leading `?`), `lab=landscape` first.
    #[must_use]
    pub fn to_query(&self) -> String {
        let pairs: [(&str, String); 16] = [
            ("lab", "landscape".into()),
            ("data", self.data.name().into()),
            ("n", self.n.to_string()),
            ("width", self.width.to_string()),
            ("depth", self.depth.to_string()),
            ("act", self.act.name().into()),
            ("param", self.param.name().into()),
            ("loss", self.loss.name().into()),
            ("opt", self.opt.into()),
            ("lr", self.lr.to_string()),
            ("seed", self.seed.to_string()),
            ("grid", self.grid.to_string()),
            ("range", self.range.to_string()),
            ("scale", if self.log { "log" } else { "linear" }.into()),
            ("plane", if self.plane == PlaneKind::Pca { "pca" } else { "random" }.into()),
            ("view", self.view.name().into()),
        ];
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// Whether a change from `old` to `self` needs a new run (the other
    /// settings only change what is drawn).
    #[must_use]
    pub fn same_run(&self, old: &Self) -> bool {
        self.run_config() == old.run_config()
    }

    /// The learning rate past which gradient descent on a quadratic with
    /// curvature λ diverges, as a bound on λ: `2/η` for GD, `(2 + 2β)/η`
    /// for heavy-ball momentum.
    #[must_use]
    pub fn edge(&self) -> f64 {
        let beta = if self.opt == "momentum" { f64::from(MOMENTUM) } else { 0.0 };
        (2.0 + 2.0 * beta) / f64::from(self.lr)
    }

    /// How [`LandscapeState::edge`] is written.
    #[must_use]
    pub fn edge_label(&self) -> &'static str {
        if self.opt == "momentum" {
            "(2+2β)/η"
        } else {
            "2/η"
        }
    }

    /// The run: full batch, the data's standard noise, no weight decay.
    #[must_use]
    pub fn run_config(&self) -> RunConfig {
        RunConfig {
            model: ModelConfig { hidden: vec![self.width; self.depth], activation: self.act, parameterization: self.param, init: Init::He },
            data: DataConfig { kind: self.data, n_train: self.n, n_test: self.n, noise: 0.1, label_noise: 0.0, dim: 20 },
            train: TrainConfig::full_batch(
                self.loss,
                if self.opt == "momentum" { Optimizer::Momentum { beta: MOMENTUM } } else { Optimizer::Sgd },
                self.lr,
            ),
            seed: self.seed,
        }
    }
}

/// Limits of the double-descent lab (exact random-features curves).
pub const DD_POINTS: (usize, usize) = (20, 300);
pub const DD_DIM: (usize, usize) = (1, 100);
pub const DD_NOISE: (f64, f64) = (0.0, 2.0);
/// Ridge λ: 0, or a slider from 10⁻⁶ to 10.
pub const DD_RIDGE: (f64, f64) = (1e-6, 10.0);
pub const DD_SEEDS: (usize, usize) = (1, 10);
pub const DD_FEATURES: (usize, usize) = (2, 600);
/// Training steps of each net of a trained sweep.
pub const DD_STEPS: (u64, u64) = (10, 20_000);

/// Which double-descent curves to show (the embed shows one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DdView {
    All,
    Model,
    Sample,
    /// Test error against training step (needs a trained sweep).
    Epoch,
}

impl DdView {
    pub const ALL: [Self; 4] = [Self::All, Self::Model, Self::Sample, Self::Epoch];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Model => "model",
            Self::Sample => "sample",
            Self::Epoch => "epoch",
        }
    }

    #[must_use]
    pub fn shows(self, view: Self) -> bool {
        self == Self::All || self == view
    }
}

/// Everything a person sets in the double-descent lab.
#[derive(Clone, Debug, PartialEq)]
pub struct DdState {
    /// Training points (model-wise curve).
    pub n: usize,
    pub d: usize,
    pub noise: f64,
    pub ridge: f64,
    pub teacher: Teacher,
    pub feature: Feature,
    pub seeds: usize,
    pub seed: u64,
    /// Features of the sample-wise curve.
    pub p: usize,
    /// Trained nets beside the exact curve (`None`: off).
    pub train: Option<Training>,
    /// Steps each trained net takes.
    pub steps: u64,
    pub view: DdView,
}

impl Default for DdState {
    fn default() -> Self {
        Self {
            n: 100,
            d: 20,
            noise: 0.5,
            ridge: 0.0,
            teacher: Teacher::Linear,
            feature: Feature::Relu,
            seeds: 5,
            seed: 1,
            p: 100,
            train: None,
            steps: 2000,
            view: DdView::All,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawDd {
    n: Option<String>,
    d: Option<String>,
    noise: Option<String>,
    ridge: Option<String>,
    teacher: Option<String>,
    feature: Option<String>,
    seeds: Option<String>,
    seed: Option<String>,
    p: Option<String>,
    train: Option<String>,
    steps: Option<String>,
    view: Option<String>,
}

/// The trained-sweep choices, as the URL names them.
const TRAINING: [(&str, Option<Training>); 3] = [("off", None), ("readout", Some(Training::Readout)), ("full", Some(Training::Full))];

impl DdState {
    /// Parses and checks a query, like [`PlaygroundState::from_query`].
    #[must_use]
    pub fn from_query(query: &str) -> (Self, Vec<String>) {
        let (mut c, raw): (_, RawDd) = Checker::read(query);
        let d = Self::default();
        let mut ridge = c.number("ridge", raw.ridge.as_deref(), d.ridge, (0.0, DD_RIDGE.1));
        if ridge > 0.0 && ridge < DD_RIDGE.0 {
            ridge = DD_RIDGE.0;
        }
        let state = Self {
            n: c.number("n", raw.n.as_deref(), d.n, DD_POINTS),
            d: c.number("d", raw.d.as_deref(), d.d, DD_DIM),
            noise: c.number("noise", raw.noise.as_deref(), d.noise, DD_NOISE),
            ridge,
            teacher: c.choice(
                "teacher",
                raw.teacher.as_deref(),
                d.teacher,
                &[("linear", Teacher::Linear), ("nonlinear", Teacher::Nonlinear)],
            ),
            feature: c.choice("feature", raw.feature.as_deref(), d.feature, &[("relu", Feature::Relu), ("tanh", Feature::Tanh)]),
            seeds: c.number("seeds", raw.seeds.as_deref(), d.seeds, DD_SEEDS),
            seed: c.number("seed", raw.seed.as_deref(), d.seed, (0, MAX_SEED)),
            p: c.number("p", raw.p.as_deref(), d.p, DD_FEATURES),
            train: c.choice("train", raw.train.as_deref(), d.train, &TRAINING),
            steps: c.number("steps", raw.steps.as_deref(), d.steps, DD_STEPS),
            view: c.choice("view", raw.view.as_deref(), d.view, &named(&DdView::ALL, DdView::name)),
        };
        (state, c.messages)
    }

    /// The canonical query (no leading `?`), `lab=dd` first.
    #[must_use]
    pub fn to_query(&self) -> String {
        let pairs: [(&str, String); 13] = [
            ("lab", "dd".into()),
            ("n", self.n.to_string()),
            ("d", self.d.to_string()),
            ("noise", self.noise.to_string()),
            ("ridge", self.ridge.to_string()),
            ("teacher", if self.teacher == Teacher::Linear { "linear" } else { "nonlinear" }.into()),
            ("feature", if self.feature == Feature::Relu { "relu" } else { "tanh" }.into()),
            ("seeds", self.seeds.to_string()),
            ("seed", self.seed.to_string()),
            ("p", self.p.to_string()),
            ("train", Self::training_name(self.train).into()),
            ("steps", self.steps.to_string()),
            ("view", self.view.name().into()),
        ];
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The URL's name of a trained-sweep choice.
    #[must_use]
    pub fn training_name(train: Option<Training>) -> &'static str {
        TRAINING.iter().find(|(_, t)| *t == train).map_or("off", |(name, _)| name)
    }

    /// True if `other` trains the same sweep (only the exact curve's ridge,
    /// the sample-wise p or the view differ).
    #[must_use]
    pub fn same_sweep(&self, other: &Self) -> bool {
        Self { ridge: self.ridge, p: self.p, view: self.view, ..other.clone() } == *self
    }

    /// The experiment (σ is applied when drawing: curves are quadratic in it).
    #[must_use]
    pub fn config(&self) -> RfConfig {
        RfConfig {
            n: self.n,
            n_test: 500,
            d: self.d,
            noise: self.noise,
            ridge: self.ridge,
            teacher: self.teacher,
            feature: self.feature,
            seed: self.seed,
        }
    }
}

/// Limits of the NTK lab.
pub const NTK_WIDTH: (usize, usize) = (4, 2048);
pub const NTK_DEPTH: (usize, usize) = (1, 3);
pub const NTK_POINTS: (usize, usize) = (4, 512);
pub const NTK_LR: (f32, f32) = (1e-4, 10.0);
pub const NTK_STEPS: (u64, u64) = (10, 100_000);

/// The NTK lab's pictures (the embed shows one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtkView {
    All,
    /// The Gram matrix and its spectrum.
    Kernel,
    /// Kernel drift and weight movement against step, for several widths.
    Drift,
    /// The net's function beside the linearized (kernel) prediction.
    Function,
    /// Residual components along the kernel's eigenvectors, against theory.
    Bias,
}

impl NtkView {
    pub const ALL: [Self; 5] = [Self::All, Self::Kernel, Self::Drift, Self::Function, Self::Bias];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Kernel => "kernel",
            Self::Drift => "drift",
            Self::Function => "function",
            Self::Bias => "bias",
        }
    }

    #[must_use]
    pub fn shows(self, view: Self) -> bool {
        self == Self::All || self == view
    }
}

/// Everything a person sets in the NTK lab.
#[derive(Clone, Debug, PartialEq)]
pub struct NtkState {
    pub width: usize,
    pub depth: usize,
    pub param: Parameterization,
    pub act: Activation,
    pub lr: f32,
    /// Training points (1D regression).
    pub n: usize,
    pub seed: u64,
    /// Steps each net trains.
    pub steps: u64,
    pub view: NtkView,
}

impl Default for NtkState {
    fn default() -> Self {
        Self {
            width: 256,
            depth: 2,
            param: Parameterization::Ntk,
            act: Activation::Tanh,
            lr: 0.1,
            n: 32,
            seed: 1,
            steps: 1000,
            view: NtkView::All,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawNtk {
    width: Option<String>,
    depth: Option<String>,
    param: Option<String>,
    act: Option<String>,
    lr: Option<String>,
    n: Option<String>,
    seed: Option<String>,
    steps: Option<String>,
    view: Option<String>,
}

impl NtkState {
    /// Parses and checks a query, like [`PlaygroundState::from_query`].
    #[must_use]
    pub fn from_query(query: &str) -> (Self, Vec<String>) {
        let (mut c, raw): (_, RawNtk) = Checker::read(query);
        let d = Self::default();
        let state = Self {
            width: c.number("width", raw.width.as_deref(), d.width, NTK_WIDTH),
            depth: c.number("depth", raw.depth.as_deref(), d.depth, NTK_DEPTH),
            param: c.choice("param", raw.param.as_deref(), d.param, &named(&Parameterization::ALL, Parameterization::name)),
            act: c.choice("act", raw.act.as_deref(), d.act, &named(&Activation::ALL, Activation::name)),
            lr: c.number("lr", raw.lr.as_deref(), d.lr, NTK_LR),
            n: c.number("n", raw.n.as_deref(), d.n, NTK_POINTS),
            seed: c.number("seed", raw.seed.as_deref(), d.seed, (0, MAX_SEED)),
            steps: c.number("steps", raw.steps.as_deref(), d.steps, NTK_STEPS),
            view: c.choice("view", raw.view.as_deref(), d.view, &named(&NtkView::ALL, NtkView::name)),
        };
        (state, c.messages)
    }

    /// The canonical query (no leading `?`), `lab=ntk` first.
    #[must_use]
    pub fn to_query(&self) -> String {
        let pairs: [(&str, String); 10] = [
            ("lab", "ntk".into()),
            ("width", self.width.to_string()),
            ("depth", self.depth.to_string()),
            ("param", self.param.name().into()),
            ("act", self.act.name().into()),
            ("lr", self.lr.to_string()),
            ("n", self.n.to_string()),
            ("seed", self.seed.to_string()),
            ("steps", self.steps.to_string()),
            ("view", self.view.name().into()),
        ];
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The widths trained side by side for the drift picture: the chosen
    /// one and up to three narrower by factors of 4 (at least 4 wide).
    #[must_use]
    pub fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = [64, 16, 4, 1].iter().map(|f| self.width / f).filter(|&w| w >= NTK_WIDTH.0).collect();
        w.dedup();
        w
    }

    /// The run of width `width`: full-batch gradient descent on MSE, `n`
    /// noisy sine points (no test set).
    #[must_use]
    pub fn run_config(&self, width: usize) -> RunConfig {
        RunConfig {
            model: ModelConfig {
                hidden: vec![width; self.depth],
                activation: self.act,
                parameterization: self.param,
                init: Init::Normal { sigma: 1.0 },
            },
            data: DataConfig { kind: DatasetKind::Sine, n_train: self.n, n_test: 0, noise: 0.1, label_noise: 0.0, dim: 1 },
            train: TrainConfig::full_batch(Loss::Mse, Optimizer::Sgd, self.lr),
            seed: self.seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_every_default_is_a_valid_run() {
        let s = PlaygroundState::default();
        let (back, msgs) = PlaygroundState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        gradlab_core::Problem::new(s.run_config()).unwrap();
    }

    #[test]
    fn every_choice_round_trips() {
        for data in DatasetKind::ALL {
            for act in Activation::ALL {
                for opt in Optimizer::NAMES {
                    let s = PlaygroundState {
                        data,
                        act,
                        opt,
                        loss: if data.classes().is_some() { Loss::Softmax } else { Loss::Mse },
                        lr: 0.0316,
                        batch: 64,
                        ..PlaygroundState::default()
                    };
                    let (back, msgs) = PlaygroundState::from_query(&format!("?{}", s.to_query()));
                    assert_eq!(back, s);
                    assert!(msgs.is_empty());
                    gradlab_core::Problem::new(s.run_config()).unwrap();
                }
            }
        }
    }

    #[test]
    fn bad_values_are_clamped_or_replaced_with_a_message() {
        let (s, msgs) = PlaygroundState::from_query("width=99999&depth=0&lr=abc&n=NaN&batch=100&opt=lbfgs&zzz=1");
        assert_eq!(s.width, WIDTH.1);
        assert_eq!(s.depth, DEPTH.0);
        assert_eq!(s.lr, PlaygroundState::default().lr);
        assert_eq!(s.n, PlaygroundState::default().n);
        assert_eq!(s.batch, 128);
        assert_eq!(s.opt, "adam");
        assert_eq!(msgs.len(), 6, "{msgs:?}");
        assert!(msgs[0].contains("batch=100"));
        assert!(msgs.iter().any(|m| m.contains("width=99999 is above the maximum 1024")));
        assert!(msgs.iter().any(|m| m.contains("lbfgs")));
    }

    #[test]
    fn negative_and_fractional_counts_are_explained() {
        let (s, msgs) = PlaygroundState::from_query("depth=-3&width=2.5&seed=-1");
        assert_eq!((s.depth, s.width, s.seed), (DEPTH.0, PlaygroundState::default().width, 0));
        assert!(msgs.iter().any(|m| m.contains("depth=-3 is below the minimum 1")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("width=2.5 is not a whole number")), "{msgs:?}");
        assert_eq!(msgs.len(), 3, "{msgs:?}");
    }

    #[test]
    fn nan_and_infinite_floats_are_refused() {
        let (s, msgs) = PlaygroundState::from_query("lr=NaN&noise=inf");
        assert_eq!(s.lr, PlaygroundState::default().lr);
        assert_eq!(s.noise, NOISE.1);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
    }

    #[test]
    fn exported_configs_read_back_as_the_same_run() {
        let s = PlaygroundState { batch: 32, opt: "momentum", ..PlaygroundState::default() };
        let text = cli_config(&s.run_config(), 500);
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let map = value.as_object_mut().unwrap();
        assert_eq!(map.remove("steps"), Some(500.into()));
        assert_eq!(map.remove("backend"), Some("cpu".into()));
        let back: RunConfig = serde_json::from_value(value).unwrap();
        assert_eq!(back, s.run_config());
        let l = LandscapeState { opt: "momentum", ..LandscapeState::default() };
        assert!(cli_config(&l.run_config(), 0).contains("\"steps\": 1000"));
        assert!(cli_config(&l.run_config(), 1 << 40).contains("\"steps\": 1000000"));
    }

    #[test]
    fn regression_forces_mse() {
        let (s, msgs) = PlaygroundState::from_query("data=sine&loss=bce");
        assert_eq!(s.loss, Loss::Mse);
        assert_eq!(msgs.len(), 1);
        let (s, msgs) = PlaygroundState::from_query("data=sine");
        assert_eq!(s.loss, Loss::Mse);
        assert!(msgs.is_empty());
    }

    #[test]
    fn landscape_round_trips_and_clamps() {
        let s = LandscapeState {
            grid: 64,
            range: 0.5,
            log: false,
            plane: PlaneKind::Pca,
            view: View::Connect,
            opt: "momentum",
            ..LandscapeState::default()
        };
        let (back, msgs) = LandscapeState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        gradlab_core::Problem::new(s.run_config()).unwrap();
        let (s, msgs) = LandscapeState::from_query("lab=landscape&grid=1000&lr=-1&plane=tilted&n=5");
        assert_eq!((s.grid, s.lr, s.plane, s.n), (GRID.1, LANDSCAPE_LR.0, PlaneKind::Random, LANDSCAPE_POINTS.0));
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!((LandscapeState::default().edge() - 50.0).abs() < 1e-4);
        let other = LandscapeState { grid: 16, view: View::Slice, ..LandscapeState::default() };
        assert!(other.same_run(&LandscapeState::default()));
        assert!(!LandscapeState { lr: 0.1, ..LandscapeState::default() }.same_run(&LandscapeState::default()));
    }

    #[test]
    fn double_descent_round_trips_and_clamps() {
        let s = DdState {
            n: 150,
            ridge: 0.01,
            teacher: Teacher::Nonlinear,
            train: Some(Training::Full),
            steps: 500,
            view: DdView::Epoch,
            ..DdState::default()
        };
        let (back, msgs) = DdState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        let (s, msgs) = DdState::from_query("lab=dd&n=5000&noise=-1&ridge=1e-9&view=3d&train=all&steps=99999999");
        assert_eq!((s.n, s.noise, s.ridge, s.view, s.train, s.steps), (DD_POINTS.1, 0.0, DD_RIDGE.0, DdView::All, None, DD_STEPS.1));
        assert_eq!(msgs.len(), 5, "{msgs:?}");
        assert!(s.same_sweep(&DdState { ridge: 1.0, p: 7, ..s.clone() }));
        assert!(!s.same_sweep(&DdState { noise: 1.0, ..s.clone() }));
    }

    #[test]
    fn ntk_round_trips_and_clamps() {
        let s = NtkState { width: 100, depth: 3, param: Parameterization::Standard, lr: 0.01, view: NtkView::Bias, ..NtkState::default() };
        let (back, msgs) = NtkState::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(msgs.is_empty(), "{msgs:?}");
        let (s, msgs) = NtkState::from_query("lab=ntk&width=100000&depth=0&lr=nan&view=x&bogus=1");
        assert_eq!((s.width, s.depth, s.lr, s.view), (NTK_WIDTH.1, NTK_DEPTH.0, NtkState::default().lr, NtkView::All));
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert_eq!(NtkState { width: 512, ..s.clone() }.widths(), vec![8, 32, 128, 512]);
        assert_eq!(NtkState { width: 20, ..s }.widths(), vec![5, 20]);
    }
}

/// Property tests of every widget's URL: state → URL → state is the
/// identity, unknown keys change nothing, and every out-of-range number is
/// clamped to its bound with one message naming it.
#[cfg(test)]
mod properties {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;

    /// `(key, lowest, highest, whole)` of every numeric setting of a lab,
    /// the bounds as the URL writes them; `whole`: an integer setting.
    type Bounds = Vec<(&'static str, String, String, bool)>;

    fn bound<T: ToString>(key: &'static str, (lo, hi): (T, T)) -> (&'static str, String, String, bool) {
        let (lo, hi) = (lo.to_string(), hi.to_string());
        // The integer settings are the unsigned ones.
        (key, lo, hi, std::any::type_name::<T>().starts_with('u'))
    }

    fn pairs(query: &str) -> BTreeMap<String, String> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap().into_iter().collect()
    }

    fn playground_bounds() -> Bounds {
        vec![
            bound("n", POINTS),
            bound("noise", NOISE),
            bound("label_noise", LABEL_NOISE),
            bound("width", WIDTH),
            bound("depth", DEPTH),
            bound("lr", LR),
            bound("batch", (0, MAX_BATCH)),
            bound("seed", (0, MAX_SEED)),
        ]
    }

    fn landscape_bounds() -> Bounds {
        vec![
            bound("n", LANDSCAPE_POINTS),
            bound("width", LANDSCAPE_WIDTH),
            bound("depth", LANDSCAPE_DEPTH),
            bound("lr", LANDSCAPE_LR),
            bound("seed", (0, MAX_SEED)),
            bound("grid", GRID),
            bound("range", RANGE),
        ]
    }

    fn dd_bounds() -> Bounds {
        vec![
            bound("n", DD_POINTS),
            bound("d", DD_DIM),
            bound("noise", DD_NOISE),
            bound("ridge", (0.0, DD_RIDGE.1)),
            bound("seeds", DD_SEEDS),
            bound("seed", (0, MAX_SEED)),
            bound("p", DD_FEATURES),
            bound("steps", DD_STEPS),
        ]
    }

    fn ntk_bounds() -> Bounds {
        vec![
            bound("width", NTK_WIDTH),
            bound("depth", NTK_DEPTH),
            bound("lr", NTK_LR),
            bound("n", NTK_POINTS),
            bound("seed", (0, MAX_SEED)),
            bound("steps", NTK_STEPS),
        ]
    }

    fn playground() -> impl Strategy<Value = PlaygroundState> {
        let data =
            (select(DatasetKind::ALL.to_vec()), select(Loss::ALL.to_vec()), POINTS.0..=POINTS.1, NOISE.0..=NOISE.1, 0.0..=LABEL_NOISE.1);
        let net = (WIDTH.0..=WIDTH.1, DEPTH.0..=DEPTH.1, select(Activation::ALL.to_vec()), select(Parameterization::ALL.to_vec()));
        let train = (select(Optimizer::NAMES.to_vec()), LR.0..=LR.1, 0u32..=11, 0..=MAX_SEED);
        (data, net, train).prop_map(|((data, loss, n, noise, label_noise), (width, depth, act, param), (opt, lr, batch, seed))| {
            PlaygroundState {
                data,
                n,
                noise,
                label_noise,
                width,
                depth,
                act,
                param,
                loss: if data.classes().is_some() { loss } else { Loss::Mse },
                opt,
                lr,
                batch: if batch == 0 { 0 } else { 1 << (batch - 1) },
                seed,
            }
        })
    }

    fn landscape() -> impl Strategy<Value = LandscapeState> {
        let run = (
            select(DatasetKind::ALL.to_vec()),
            select(Loss::ALL.to_vec()),
            LANDSCAPE_POINTS.0..=LANDSCAPE_POINTS.1,
            LANDSCAPE_WIDTH.0..=LANDSCAPE_WIDTH.1,
            LANDSCAPE_DEPTH.0..=LANDSCAPE_DEPTH.1,
            select(Activation::ALL.to_vec()),
            select(Parameterization::ALL.to_vec()),
        );
        let steps = (select(vec!["gd", "momentum"]), LANDSCAPE_LR.0..=LANDSCAPE_LR.1, 0..=MAX_SEED);
        let picture = (GRID.0..=GRID.1, RANGE.0..=RANGE.1, any::<bool>(), any::<bool>(), select(View::ALL.to_vec()));
        (run, steps, picture).prop_map(|((data, loss, n, width, depth, act, param), (opt, lr, seed), (grid, range, log, pca, view))| {
            LandscapeState {
                data,
                n,
                width,
                depth,
                act,
                param,
                loss: if data.classes().is_some() { loss } else { Loss::Mse },
                opt,
                lr,
                seed,
                grid,
                range,
                log,
                plane: if pca { PlaneKind::Pca } else { PlaneKind::Random },
                view,
            }
        })
    }

    fn dd() -> impl Strategy<Value = DdState> {
        let ridge = prop_oneof![Just(0.0), DD_RIDGE.0..=DD_RIDGE.1];
        let data = (DD_POINTS.0..=DD_POINTS.1, DD_DIM.0..=DD_DIM.1, DD_NOISE.0..=DD_NOISE.1, ridge, any::<bool>(), any::<bool>());
        let rest = (
            DD_SEEDS.0..=DD_SEEDS.1,
            0..=MAX_SEED,
            DD_FEATURES.0..=DD_FEATURES.1,
            select(TRAINING.iter().map(|t| t.1).collect::<Vec<_>>()),
            DD_STEPS.0..=DD_STEPS.1,
            select(DdView::ALL.to_vec()),
        );
        (data, rest).prop_map(|((n, d, noise, ridge, linear, relu), (seeds, seed, p, train, steps, view))| DdState {
            n,
            d,
            noise,
            ridge,
            teacher: if linear { Teacher::Linear } else { Teacher::Nonlinear },
            feature: if relu { Feature::Relu } else { Feature::Tanh },
            seeds,
            seed,
            p,
            train,
            steps,
            view,
        })
    }

    fn ntk() -> impl Strategy<Value = NtkState> {
        (
            NTK_WIDTH.0..=NTK_WIDTH.1,
            NTK_DEPTH.0..=NTK_DEPTH.1,
            select(Parameterization::ALL.to_vec()),
            select(Activation::ALL.to_vec()),
            NTK_LR.0..=NTK_LR.1,
            NTK_POINTS.0..=NTK_POINTS.1,
            0..=MAX_SEED,
            NTK_STEPS.0..=NTK_STEPS.1,
            select(NtkView::ALL.to_vec()),
        )
            .prop_map(|(width, depth, param, act, lr, n, seed, steps, view)| NtkState {
                width,
                depth,
                param,
                act,
                lr,
                n,
                seed,
                steps,
                view,
            })
    }

    /// Keys no lab's settings read (page flags such as `theme` may turn up:
    /// they are not settings either).
    fn unknown_key() -> impl Strategy<Value = String> {
        "[a-z_]{1,10}".prop_filter("a key some lab reads", |k| {
            let known = [playground_bounds(), landscape_bounds(), dd_bounds(), ntk_bounds()];
            let names = ["data", "act", "param", "loss", "opt", "scale", "plane", "view", "teacher", "feature", "train", "lab"];
            !names.contains(&k.as_str()) && !known.iter().flatten().any(|b| b.0 == k)
        })
    }

    /// State → URL → state is the identity; unknown keys change nothing;
    /// each numeric key pushed `excess` past either bound comes back as
    /// that bound, with one message naming it.
    fn check<S: PartialEq + std::fmt::Debug>(
        s: &S,
        from_query: fn(&str) -> (S, Vec<String>),
        to_query: fn(&S) -> String,
        bounds: &Bounds,
        junk: &[(String, String)],
        excess: f64,
    ) -> Result<(), TestCaseError> {
        let query = to_query(s);
        let (back, messages) = from_query(&query);
        prop_assert_eq!(&back, s);
        prop_assert!(messages.is_empty(), "{:?}", messages);
        let reparse = |q: &str| {
            let (s, m) = from_query(q);
            (to_query(&s), m)
        };
        let mut with_junk = query.clone();
        for (k, v) in junk {
            with_junk.push('&');
            with_junk.push_str(&serde_urlencoded::to_string([(k, v)]).unwrap());
        }
        let (back, messages) = reparse(&with_junk);
        prop_assert_eq!(&back, &query);
        prop_assert!(messages.is_empty(), "{:?}", messages);
        let canonical = pairs(&query);
        for (key, lo, hi, whole) in bounds {
            // Whole settings given a fraction say so instead (tested apart).
            let excess = if *whole { excess.ceil() } else { excess };
            for (bad, expected) in [(hi.parse::<f64>().unwrap() + excess, hi), (lo.parse::<f64>().unwrap() - excess, lo)] {
                let mut asked = canonical.clone();
                asked.insert((*key).to_owned(), bad.to_string());
                let (back, messages) = reparse(&serde_urlencoded::to_string(&asked).unwrap());
                let mut want = canonical.clone();
                want.insert((*key).to_owned(), expected.clone());
                prop_assert_eq!(pairs(&back), want, "{}={}", key, bad);
                prop_assert_eq!(messages.len(), 1, "{}={}: {:?}", key, bad, messages);
                prop_assert!(messages[0].starts_with(&format!("{key}=")), "{:?}", messages);
            }
        }
        Ok(())
    }

    fn junk() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec((unknown_key(), "[ -~]{0,12}"), 0..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn playground_urls(s in playground(), junk in junk(), excess in prop_oneof![1e-4..1.0f64, 1.0..1e6f64]) {
            check(&s, PlaygroundState::from_query, PlaygroundState::to_query, &playground_bounds(), &junk, excess)?;
        }

        #[test]
        fn landscape_urls(s in landscape(), junk in junk(), excess in prop_oneof![1e-4..1.0f64, 1.0..1e6f64]) {
            check(&s, LandscapeState::from_query, LandscapeState::to_query, &landscape_bounds(), &junk, excess)?;
        }

        #[test]
        fn double_descent_urls(s in dd(), junk in junk(), excess in prop_oneof![1e-4..1.0f64, 1.0..1e6f64]) {
            check(&s, DdState::from_query, DdState::to_query, &dd_bounds(), &junk, excess)?;
        }

        #[test]
        fn ntk_urls(s in ntk(), junk in junk(), excess in prop_oneof![1e-4..1.0f64, 1.0..1e6f64]) {
            check(&s, NtkState::from_query, NtkState::to_query, &ntk_bounds(), &junk, excess)?;
        }
    }
}
