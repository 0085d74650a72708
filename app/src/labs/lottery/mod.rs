//! The lottery-ticket lab: iterative magnitude pruning with rewinding
//! (Frankle & Carbin 2019; late rewinding, Frankle et al. 2020) trained
//! live ([`gradlab_core::lottery::ImpRun`]), each round's ticket beside
//! its two controls (the same mask re-initialized, a random mask of the
//! same per-layer counts), over several seeds, every round one batch.

mod charts;
mod export;
mod run;
pub mod state;

use gradlab_core::lottery::Kind;
use leptos::prelude::*;

use self::run::Run;
use self::state::*;
use crate::kit::controls::{self, ChartFigure, Tex};
use crate::kit::{use_lab, LabKit, LabView, Named};

#[component]
pub fn LotteryLab(
    /// Render the chrome-free embed view.
    embed: bool,
) -> impl IntoView {
    let k: LabKit<Run> = use_lab(embed);
    let settings = k.settings();
    let readout = k.watch(Run::readout);
    let shows = move |v: LtView| k.with(|s| s.view.shows(v));
    // The last finished round's medians, and the rounds' times.
    let summary = k.watch(|r: &Run| {
        let Some(log) = r.log() else { return (String::new(), String::new()) };
        let last = |kind| log.ends(kind, true).last().map(|(kept, b)| (*kept, b.median));
        let said = match (last(Kind::Dense), last(Kind::Ticket), last(Kind::Reinit), last(Kind::Random)) {
            (Some((_, d)), Some((kept, t)), re, ra) => {
                let control = |name: &str, v: Option<(f64, f64)>| {
                    v.filter(|v| v.0 == kept).map_or(String::new(), |v| format!(", {name} {:.1}%", 100.0 * v.1))
                };
                format!(
                    "At {:.1}% of the weights: ticket {:.1}%{}{} against the dense net's {:.1}% (median test accuracy over seeds).",
                    100.0 * kept,
                    100.0 * t,
                    control("re-initialized", re),
                    control("random mask", ra),
                    100.0 * d
                )
            }
            _ => String::new(),
        };
        let times: Vec<String> = log
            .phases
            .iter()
            .filter_map(|p| {
                p.ms.map(|ms| {
                    format!("{} {:.1} s", if p.round == 0 { "dense".to_owned() } else { format!("round {}", p.round) }, ms / 1000.0)
                })
            })
            .collect();
        (said, if times.is_empty() { String::new() } else { format!("Time per phase here: {}.", times.join(", ")) })
    });
    let early = k.watch(|r: &Run| {
        // Each kind's early-stopping steps (median over every round and seed).
        r.log().map(|log| {
            [Kind::Dense, Kind::Ticket, Kind::Reinit, Kind::Random]
                .iter()
                .filter_map(|&kind| {
                    let steps: Vec<f64> = log
                        .phases
                        .iter()
                        .flat_map(|p| &p.models)
                        .filter(|m| m.kind == kind)
                        .filter_map(|m| m.best().map(|b| b.0 as f64))
                        .collect();
                    (!steps.is_empty()).then(|| (kind, gradlab_core::double_descent::Band::of(&steps).median))
                })
                .collect::<Vec<_>>()
        })
    });
    // Results so far of each kind (`ticket:2,reinit:2,random:2`).
    let ends = k.watch(|r: &Run| {
        r.log().map_or(String::new(), |log| {
            Kind::ROUND.iter().map(|&kind| format!("{}:{}", kind.name(), log.ends(kind, true).len())).collect::<Vec<_>>().join(",")
        })
    });
    let charts = move || {
        view! {
            <ChartFigure class="chart lottery sparsity" hidden=move || !shows(LtView::Sparsity) chart=k.chart(LtView::Sparsity) label="test accuracy or loss against the fraction of weights remaining" name="gradlab-lottery-sparsity">
                <Tex tex=r"m_{r} = \text{top}_{(1-p)^{r}}\big(|\theta_T \odot m_{r-1}|\big), \qquad \theta^{(r)}_0 = \theta_k \odot m_r" />" "
                {move || k.with(|s| format!(
                    "Iterative magnitude pruning: train {} steps, keep the largest {:.0}% of the surviving weights of {}, rewind the survivors to {}, and train again; {} rounds leave {:.1}%. Beside each ticket, its controls: the same mask from a fresh initialization, and a random mask with the same count in each layer. Median and quartiles over {} seeds. ",
                    s.steps,
                    100.0 * (1.0 - s.rate),
                    match (s.scope == gradlab_core::lottery::Scope::Layer, s.output == Output::Prune) {
                        (true, false) => "each hidden layer",
                        (true, true) => "each layer",
                        (false, false) => "all hidden layers together",
                        (false, true) => "all layers together",
                    },
                    if s.rewind_step() == 0 { "their initial values θ₀".to_owned() } else { format!("their values θ_k at step k = {}", s.rewind_step()) },
                    s.rounds,
                    100.0 * (1.0 - s.rate).powi(s.rounds as i32),
                    s.seeds,
                ))}
                "On small MLPs the effect needs care: on moons, 2→128→128→1, late rewinding (k = 100) keeps the ticket at the dense net's accuracy down to 3% of the weights while re-initialization falls 3 to 6 points behind. Down to 6% all three stay level with the dense net, and at 3% a random mask rewound like the ticket kept pace with it on two seeds of three: there the rewound values matter as much as the mask. Rewinding to θ₀ instead, ticket and re-initialization stay level until about 1.6%, and on the spiral neither rewinding gives tickets an edge. Toy data are easy for sparse nets: expect smaller gaps than on images. "
                {move || summary.with(|s| s.0.clone())}
            </ChartFigure>
            <ChartFigure class="chart lottery training" hidden=move || !shows(LtView::Training) chart=k.chart(LtView::Training) label="test loss against training step in one round" name="gradlab-lottery-training">
                <Tex tex=r"t^{*} = \arg\min_t \ L_{\text{test}}(\theta_t)" />" "
                {move || k.with(|s| format!("Test loss against step, median over seeds, of the dense net (dashed) and of round {}'s ticket and controls, which start at the rewind step. ", s.shown_round()))}
                {move || early.with(|e| e.as_ref().map(|e| {
                    let parts: Vec<String> = e.iter().map(|(kind, step)| format!("{} {step:.0}", kind.name())).collect();
                    format!("Early-stopping iteration t* (where test loss is lowest; median over every round and seed): {}. Frankle & Carbin found winning tickets reach it sooner than the dense net.", parts.join(", "))
                }).unwrap_or_default())}
            </ChartFigure>
            <ChartFigure class="chart lottery mask" hidden=move || !shows(LtView::Mask) chart=k.chart(LtView::Mask) label="the ticket's weight matrices with pruned weights blank" name="gradlab-lottery-mask">
                <Tex tex=r"W_l \odot M_l" />" "
                {move || k.with(|s| format!(
                    "The first seed's ticket in round {}: on the left the network with its surviving connections (darker for larger |w|; at most the largest 1500 of a layer drawn), then each layer's weight matrix (a row per unit, a column per input), brighter for larger |w| relative to the layer's largest, pruned weights blank; trained values once the round is done. {} {}",
                    s.shown_round(),
                    if s.output == Output::Prune { "Biases are never pruned; the output layer is, here at the same rate as the others (Frankle & Carbin used half)." } else { "The output layer and the biases are never pruned." },
                    if s.scope == gradlab_core::lottery::Scope::Global { "Pruned globally, layers keep different shares: the smallest weights go wherever they are." } else { "" }
                ))}
            </ChartFigure>
            <ChartFigure class="chart lottery stability" hidden=move || !shows(LtView::Stability) chart=k.chart(LtView::Stability) label="the loss barrier between two copies trained with different batch orders, against the rewind step" name="gradlab-lottery-stability">
                <Tex tex=r"B(k) = \max_{t \in [0,1]} L\big((1-t)\,\theta^{a}_T + t\,\theta^{b}_T\big) - \big[(1-t)\,L(\theta^{a}_T) + t\,L(\theta^{b}_T)\big]" />" "
                {move || k.with(|s| format!(
                    "Stability to SGD noise (Frankle et al. 2020): two copies start from θ_k (pruned by the last round's mask for the ticket) and train to step {} with different mini-batch orders; B(k) is the test-loss barrier on the straight line between them (median and quartiles over seeds), at k = {}. Near zero, the copies land in one linearly connected basin: training from θ_k is stable. Frankle et al. found sparse IMP nets match the dense net only when rewound to a step where they are stable, and dense nets become stable early in training. Here that picture is weak: in the default setting, over three seeds, every barrier stayed below 0.03 in test loss and most were 0, for the dense net and the ticket at every k. On these toy problems the copies land in one basin wherever they start, so the test cannot tell stable from unstable rewinding.",
                    s.steps,
                    s.stability_steps().iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                ))}
            </ChartFigure>
        }
    };
    let bar = move || {
        view! {
            <div class="progress-row">
                <progress aria-label="steps trained" max=move || readout.with(|r| r.total_steps.max(1) as f64) value=move || readout.with(|r| r.steps as f64)></progress>
                <span>{move || readout.with(|r| match (r.failed, r.done) {
                    (true, _) => "stopped".to_owned(),
                    (_, true) => "all rounds and the stability test done".to_owned(),
                    _ if r.phases == 0 => "training the dense nets…".to_owned(),
                    _ if r.phases == r.total_phases => "stability test…".to_owned(),
                    _ => format!("round {} of {}…", r.phases, r.total_phases - 1),
                })}</span>
            </div>
            <p class="note">{move || summary.with(|s| s.1.clone())}</p>
        }
    };
    let controls = move || {
        view! {
            {controls::fieldset("Data and net", settings, &[&DATA, &N, &NOISE, &WIDTH, &DEPTH])}
            {controls::fieldset("Training", settings, &[&OPT, &LR, &BATCH, &STEPS])}
            <fieldset>
                <legend>"Pruning"</legend>
                {RATE.slider(settings)}
                {ROUNDS.slider(settings)}
                {SCOPE.select(settings)}
                {OUTPUT.select(settings)}
                {REWIND.slider(settings)}
                {move || k.with(|s| (s.rewind != s.rewind_step()).then(|| view! {
                    <p class="note">{format!("k = {} is not before the end of training (T = {}): rewinding to step {}.", s.rewind, s.steps, s.rewind_step())}</p>
                }))}
            </fieldset>
            <fieldset>
                <legend>"Experiment"</legend>
                {SEEDS.slider(settings)}
                {controls::seed(settings, &SEED)}
                {ROUND.slider(settings)}
                {METRIC.select(settings)}
                {VIEW.select(settings)}
                <p class="note">"Every round's tickets and controls, all seeds, train as one batch: on the GPU when the badge names WebGPU, otherwise on the CPU in a slice of each frame. Test loss and accuracy come from each net's outputs on its test set, on the backend that trains it."</p>
            </fieldset>
        }
    };
    let mut parts = k.parts("lottery", ViewFn::from(controls), ViewFn::from(charts));
    (parts.transport, parts.transport_above) = (ViewFn::from(bar), true);
    parts.root_data = vec![
        ("data-phases", Signal::derive(move || readout.with(|r| r.phases.to_string()))),
        ("data-total-phases", Signal::derive(move || readout.with(|r| r.total_phases.to_string()))),
        ("data-done", Signal::derive(move || readout.with(|r| r.done.to_string()))),
    ];
    parts.views_data = vec![
        ("data-view", Signal::derive(move || k.with(|s| s.view.name().to_owned()))),
        ("data-ends", Signal::derive(move || ends.get())),
    ];
    k.page(parts)
}
