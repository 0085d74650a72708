//! The playground: pick data and a network, train it live, watch its
//! function and its losses.

mod charts;
mod depth;
mod export;
mod hidden;
mod network;
mod neuron;
mod own;
mod run;
mod schedule;
pub mod state;
mod training;

use gradlab_core::Parameterization;
use leptos::prelude::*;

use self::run::{Chart, Run};
use self::state::{
    InitScheme, PgView, ACT, BATCH, CLASSES, DATA, DEPTH, INIT, LABEL_NOISE, LOSS, LR, N, NOISE, OPT, PARAM, SEED, SIGMA, VIEW, WD, WIDTH,
};
use self::training::{PgSchedule, RandomLabels, ALPHA, BETA, BETA2, DROPOUT, EVERY, GAMMA, RANDOM, SCHED, TOTAL, WARMUP};
use crate::kit::controls::{self, fmt_int, ChartFigure, Tex};
use crate::kit::{use_lab, LabKit};

/// The batch slider's label: full, or the size.
fn fmt_batch(position: f64) -> String {
    if position < 0.5 {
        "full".into()
    } else {
        fmt_int(2f64.powf(position.round() - 1.0))
    }
}

/// The playground lab. `embed` drops the page chrome and fills the frame.
#[component]
pub fn Playground(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let k: LabKit<Run> = use_lab(embed);
    let settings = k.settings();
    let ntk = move || k.with(|s| s.param == Parameterization::Ntk);
    let shows = move |v: PgView| k.with(|s| s.view == v);
    let charts = move || {
        view! {
            <ChartFigure class="chart network" hidden=move || !shows(PgView::Network) chart=k.chart(Chart::Network) label="every neuron's activation over the input, and the weights between them" name="gradlab-playground-network">
                <Tex tex=r"h_{l,j}(x) = \phi\big(z_{l,j}(x)\big)" />" "
                {move || k.with(|s| format!(
                    "Each square is one neuron: its activation at every point of the input {}, orange where positive, blue where negative, white at 0, scaled to its own largest value (a dead ReLU stays white). Lines are weights, orange positive and blue negative, thicker for larger |w|. {}Click a neuron to enlarge it on the right (with the training points where they belong: over the plane, or beside the output).",
                    if s.data.input_dim() == 1 { "line (a curve)" } else { "plane" },
                    if s.width > network::MAX_SHOWN { format!("Layers wider than {} show the {} neurons with the largest outgoing weights. ", network::MAX_SHOWN, network::MAX_SHOWN) } else { String::new() },
                ))}
            </ChartFigure>
            <ChartFigure class="chart projection" hidden=move || !shows(PgView::Hidden) chart=k.chart(Chart::Projection) label="the training points in the last hidden layer, on its top two principal axes" name="gradlab-playground-hidden">
                <Tex tex=r"x_i \mapsto \big(\langle h_{L-1}(x_i) - \bar h,\, u_1\rangle,\ \langle h_{L-1}(x_i) - \bar h,\, u_2\rangle\big)" />" "
                {move || k.with(|s| format!(
                    "The training points{} as the last hidden layer represents them, projected on its top two principal axes u₁, u₂ (recomputed as it trains). The output layer draws one hyperplane through this {}-dimensional representation, so once the net fits the data a hyperplane separates the classes there. Two axes show part of that: on moons, circles or blobs the classes pull apart in the picture too; on the spiral, whose arms wind around each other, they often stay interleaved in two dimensions while separated in all of them.",
                    if s.n > hidden::MAX_POINTS { format!(" (the first {} of {})", hidden::MAX_POINTS, s.n) } else { String::new() },
                    s.width,
                ))}
            </ChartFigure>
            <ChartFigure class="chart regions" hidden=move || !shows(PgView::Hidden) chart=k.chart(Chart::Regions) label="the linear regions of the network over the input, and their number against the step" name="gradlab-playground-regions">
                <Tex tex=r"\pi(x) = \big(\mathbb 1[z_{l,j}(x) > 0]\big)_{l,j}" />" "
                "A ReLU network computes a linear function wherever its activation pattern π(x), which units are on, stays the same. Left: each pattern found on the 64 × 64 drawing grid in its own colour (regions smaller than a grid cell are missed, so the count is a lower bound). Right: their number against the step. Counts stay far below the maximum possible for the architecture (Hanin & Rolnick 2019)."
            </ChartFigure>
            <ChartFigure class="chart depth" hidden=move || !shows(PgView::Depth) chart=k.chart(Chart::Depth) label="the spread of each layer's activations and the size of its gradient, at initialization and now" name="gradlab-playground-depth">
                <Tex tex=r"\mathrm{Var}\,z_{l} \approx n_{l-1}\,\sigma_w^2\,\mathbb E\,\phi(z_{l-1})^2, \qquad W_l \sim \mathcal N\!\big(0, \sigma^2 / n_{l-1}\big)" />" "
                {move || k.with(|s| format!(
                    "Left: the standard deviation of each hidden layer's activations over the first {} training points; right: the size of the loss gradient with respect to each layer's weights (the output layer last). Dashed: at initialization; solid: now. Each layer multiplies the variance of its input by about σ²/2 for ReLU (σ² for tanh near 0), so with σ below √2 (ReLU) activations and gradients shrink geometrically with depth, above it they grow: He initialization (σ = √2) keeps a ReLU net level on average, Xavier (σ² ≈ 1 at equal widths) halves the variance per ReLU layer. That is the average over draws: at finite width one draw still wanders, by a factor of a few over 16 layers at width 32 (Hanin 2018). Try depth 16 with σ = 1, 1.41 and 2. Here: {}, {} layers.",
                    s.n.min(hidden::MAX_POINTS),
                    match s.init {
                        InitScheme::He => "He".to_owned(),
                        InitScheme::Xavier => "Xavier".to_owned(),
                        InitScheme::Normal => format!("σ = {:.2}", s.sigma),
                    },
                    s.depth,
                ))}
            </ChartFigure>
            <ChartFigure class="chart function" hidden=move || !shows(PgView::Function) chart=k.chart(Chart::Function) label="the network's function over the data" name="gradlab-playground-function">
                <Tex tex=move || if ntk() { r"f_\theta(x) = z_L,\ \ z_l = \tfrac{1}{\sqrt{n_{l-1}}}\, W_l\, h_{l-1} + b_l,\ \ h_0 = x,\ h_l = \phi(z_l)" } else { r"f_\theta(x) = z_L,\ \ z_l = W_l\, h_{l-1} + b_l,\ \ h_0 = x,\ h_l = \phi(z_l)" } />" "{move || k.with(|s| if s.data.classifies() {
                    "Decision boundary: colour is the predicted class, white the boundary; dots are training points (labels as given, noise included)."
                } else {
                    "Fitted function (orange) against the true sin(2πx) (dashed); dots are noisy training points."
                })}
            </ChartFigure>
            <ChartFigure class="chart losses" chart=k.chart(Chart::Losses) label="training and test loss curves, and accuracy" name="gradlab-playground-losses">
                <Tex tex=r"L(\theta) = \tfrac{1}{n}\textstyle\sum_{i=1}^{n} \ell\big(f_\theta(x_i),\, y_i\big)" />" "
                {move || k.with(|s| format!(
                    "Loss on the whole training set (solid) and the held-out test set (dashed), log scale{}{}. The dotted line marks the step of the lowest test loss so far: early stopping would keep the net from there. (The test set plays the validation set here; to report a fair test score, pick the step on data you then no longer use.)",
                    if s.data.classifies() { "; below, the fraction of each set classified right, with chance (one in the number of classes) dotted" } else { "" },
                    if s.random == RandomLabels::Beside { ". Grey: the same net trained on shuffled labels, tested on the true ones" } else { "" },
                ))}
            </ChartFigure>
        }
    };
    // What decides which controls show: memos, so that the controls are
    // made again only when it changes, not on every slider move (made
    // anew each time, they grew the heap over a thousand changes).
    let own = Memo::new(move |_| k.with(|s| s.data.own()));
    let arms = Memo::new(move |_| k.with(|s| s.data.multiclass() && !s.data.own()));
    let classifies = Memo::new(move |_| k.with(|s| s.data.classifies()));
    let normal = Memo::new(move |_| k.with(|s| s.init == InitScheme::Normal));
    let forced = Memo::new(move |_| k.with(|s| (s.loss() != s.loss).then(|| (s.classes(), s.loss))));
    let opt = Memo::new(move |_| k.with(|s| s.opt.name()));
    let sched = Memo::new(move |_| k.with(|s| s.sched));
    let dropping = Memo::new(move |_| k.with(|s| s.dropout > 0.0));
    // With a net beside: how often its shuffled labels are the true ones.
    let shuffled = Memo::new(move |_| {
        k.with(|s| {
            let agreement = || gradlab_core::Problem::new(s.run_config()).ok().map(|p| p.shuffled_agreement());
            (s.random == RandomLabels::Beside).then(|| if s.data.classifies() { agreement() } else { None })
        })
    });
    // The rate's curve, where it is not a flat line.
    let moving = Memo::new(move |_| k.with(|s| s.sched != PgSchedule::Constant || s.warmup > 0));
    // Your points: the class a click adds, how many there are, and Clear.
    let own_points = move || {
        let swatch = move |c: usize| {
            let (r, g, b) = crate::charts::CLASSES[c];
            view! {
                <button class="swatch" name=format!("class-{c}") aria-label=format!("clicks add class {} points", c + 1) title=format!("class {}", c + 1)
                    style=format!("background: rgb({r}, {g}, {b})") aria-pressed=move || k.with(|s| (s.class == c).to_string())
                    on:click=move |_| k.set(|s| s.class = c)></button>
            }
        };
        view! {
            {move || classifies.get().then(|| view! {
                <div class="swatches" role="group" aria-label="the class a click adds">{(0..crate::charts::CLASSES.len()).map(swatch).collect_view()}</div>
            })}
            <p class="note">
                {move || k.with(|s| match s.own_points().len() {
                    n if n <= own::MAX_URL_POINTS => format!("{n} points; click the plot to add one (a link holds up to {}), shift-click to erase. ", own::MAX_URL_POINTS),
                    n => format!("{n} points, more than a link holds: kept in this browser's storage, the link says pts=local. Shift-click erases. "),
                })}
                <button name="clear-points" on:click=move |_| k.set(|s| s.points.clear())>"Clear"</button>
            </p>
            <label class="upload">"Load a CSV file (x1,x2,label or x,y rows): "
                <input type="file" name="points-file" accept=".csv,text/csv,text/plain" on:change=move |ev| {
                    let input: web_sys::HtmlInputElement = event_target(&ev);
                    if let Some(file) = input.files().and_then(|f| f.get(0)) {
                        own::upload(k, file);
                    }
                    input.set_value("");
                } />
            </label>
        }
    };
    // Batch sizes are powers of two: the slider moves through their logs.
    let batch_positions = (BATCH.hi as f64).log2() + 1.0;
    let controls = move || {
        view! {
            <fieldset>
                <legend>"Data"</legend>
                {DATA.select(settings)}
                {move || arms.get().then(|| CLASSES.slider(settings))}
                {move || own.get().then(own_points)}
                {move || (!own.get()).then(|| view! { {N.slider(settings)} {NOISE.slider(settings)} {LABEL_NOISE.slider(settings)} })}
            </fieldset>
                <fieldset>
                    <legend>"Network"</legend>
                    {WIDTH.slider(settings)}
                    {DEPTH.slider(settings)}
                    {ACT.select(settings)}
                    {PARAM.select(settings)}
                    {INIT.select(settings)}
                    {move || normal.get().then(|| SIGMA.slider(settings))}
                </fieldset>
                <fieldset>
                    <legend>"Training"</legend>
                    {LOSS.select(settings)}
                    {move || forced.get().map(|(k, loss)| view! {
                        <p class="note">{format!("{k} classes: training with softmax cross-entropy ({} is for two).", loss.name())}</p>
                    })}
                    {OPT.select(settings)}
                    {move || matches!(opt.get(), "momentum" | "nesterov" | "adam").then(|| BETA.slider(settings))}
                    {move || (opt.get() == "adam").then(|| BETA2.slider(settings))}
                    {move || (opt.get() == "rmsprop").then(|| ALPHA.slider(settings))}
                    {LR.slider(settings)}
                    {SCHED.select(settings)}
                    {move || match sched.get() {
                        PgSchedule::Constant => None,
                        PgSchedule::Step => Some(view! { {EVERY.slider(settings)} {GAMMA.slider(settings)} }.into_any()),
                        PgSchedule::Cosine => Some(TOTAL.slider(settings).into_any()),
                    }}
                    {WARMUP.slider(settings)}
                    {move || moving.get().then(|| schedule::lr_curve(k))}
                    {WD.slider(settings)}
                    {DROPOUT.slider(settings)}
                    {move || dropping.get().then(|| view! {
                        <p class="note">"Each training step drops every hidden unit with this probability (and scales the kept ones by 1/(1 − p)); the losses, accuracies and pictures use the whole net."</p>
                    })}
                    <controls::Slider label=BATCH.label name=BATCH.key
                        value=Signal::derive(move || k.with(|s| if s.batch == 0 { 0.0 } else { (s.batch as f64).log2() + 1.0 }))
                        scale=controls::Scale { min: 0.0, max: batch_positions, steps: BATCH.steps, log: false }
                        format=fmt_batch on_change=Callback::new(move |v: f64| k.set(|s| s.batch = if v < 0.5 { 0 } else { 1 << (v.round() as u32 - 1) })) />
                    {controls::seed(settings, &SEED)}
                    {RANDOM.select(settings)}
                    {move || shuffled.get().map(|agree| view! {
                        <p class="note">{match agree {
                            Some(agree) => format!(
                                "A second net, from the same start, trains beside this one on the training labels shuffled (grey curves). The shuffled labels agree with the true ones on {:.0} % of the points, by chance: that is where its test accuracy should sit. It can fit them only by memorizing each point, which takes more steps and a wider or deeper net (Zhang et al. 2017); in two dimensions, with points of different labels side by side, a small net may never get there.",
                                100.0 * agree,
                            ),
                            None => "A second net, from the same start, trains beside this one on the training targets shuffled (grey curves): it can fit them only by memorizing each point, and its test loss stays high (Zhang et al. 2017).".to_owned(),
                        }}</p>
                    })}
                </fieldset>
                <fieldset>
                    <legend>"Show"</legend>
                    {VIEW.select(settings)}
                </fieldset>
        }
    };
    // More of your points than a URL holds stay in local storage.
    let many = Memo::new(move |_| k.with(|s| (s.points.len() > own::MAX_URL_POINTS).then(|| s.points.clone())));
    Effect::new(move |_| {
        if let Some(points) = many.get() {
            crate::web::store(own::STORAGE_KEY, &gradlab_core::points::to_csv(&points));
        }
    });
    let mut parts = k.parts("playground", ViewFn::from(controls), ViewFn::from(charts));
    // The step the network view's pictures show (empty before the first).
    let neurons = k.watch(|r: &Run| r.inside.as_ref().map_or(String::new(), |i| i.step.to_string()));
    // The hidden view's latest count of linear regions, and its step.
    let regions = k.watch(|r: &Run| r.hidden.counts.last().map_or(String::new(), |c| format!("{}@{}", c.1, c.0)));
    // The depth view's activation spreads per layer, at initialization.
    let spread = k.watch(|r: &Run| {
        r.depth.init.as_ref().map_or(String::new(), |s| s.activation_std.iter().map(|v| format!("{v:.3e}")).collect::<Vec<_>>().join(","))
    });
    // The step of the lowest test loss (early stopping's).
    let best = k.watch(|r: &Run| r.progress.history.best.map_or(String::new(), |b| b.0.to_string()));
    // The net beside's latest accuracies (train,test), where there is one.
    let beside = k.watch(|r: &Run| {
        let fmt = |v: Option<f32>| v.map_or(String::new(), |v| v.to_string());
        r.progress.history.beside.last().map_or(String::new(), |p| format!("{},{}", fmt(p.train_accuracy), fmt(p.test_accuracy)))
    });
    parts.root_data = vec![
        ("data-neurons", neurons),
        ("data-regions", regions),
        ("data-spread-at-init", spread),
        ("data-best-step", best),
        ("data-beside", beside),
    ];
    k.page(parts)
}

#[cfg(test)]
mod tests {
    #[test]
    fn batch_positions_name_powers_of_two() {
        assert_eq!(super::fmt_batch(0.0), "full");
        assert_eq!(super::fmt_batch(1.0), "1");
        assert_eq!(super::fmt_batch(11.0), "1024");
    }
}
