//! Planning controls: mode (latency- or cost-bounded), the bound, percentile,
//! confidence and the platform (a preset or custom prices), with the guarantee
//! they ask for in one sentence ([`guarantee_sentence`]).

use faasplan_core::frontier::FrontierPoint;
use faasplan_core::platform::Preset;
use faasplan_core::sampling::fresh_sample_count;
use faasplan_core::settings::{Bound, ColdStarts, CostKind, PlanSettings};
use wasm_bindgen::JsCast;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::browser::perf::mark_bound_input;
use crate::components::widgets::number_field::NumberField;
use crate::components::widgets::slider::Slider;
use crate::state::notice::thousands;
use crate::state::run::output;
use crate::state::{Action, Level, PlatformChoice};
use crate::store::{Store, use_store};

/// Latency bound a switch to latency mode starts from, s.
pub const DEFAULT_LATENCY_S: f64 = 60.0;
/// Cost bound a switch to cost mode starts from, USD per run.
pub const DEFAULT_COST_USD: f64 = 0.01;

/// The controls panel.
#[component]
pub fn ControlsPanel() -> Html {
    let store = use_store();
    let s = &store.state().project.settings;
    let invalid = {
        let store = store.clone();
        Callback::from(move |msg: String| store.report(Level::Warning, msg))
    };
    let q_pct = s.percentile * 100.0;
    let conf_pct = (1.0 - s.delta) * 100.0;
    html! {
        <section class="panel panel-controls" data-testid="panel-controls">
            <header class="panel-head"><h2>{ "Guarantee and prices" }</h2></header>
            <div class="control">
                <NumberField label="Percentile" unit="%" value={round(q_pct, 1)} min=50.0 max=99.9 step=0.1
                    testid="percentile" on_change={store.callback(|v: f64| Action::SetPercentile(v / 100.0))} on_invalid={invalid.clone()} />
                <Slider label="Percentile" value={q_pct} min=50.0 max=99.9 step=0.1 testid="percentile-slider"
                    on_change={store.callback(|v: f64| Action::SetPercentile(v / 100.0))} />
            </div>
            <div class="control">
                <NumberField label="Confidence" unit="%" value={round(conf_pct, 3)} min=50.0 max=99.999 step=0.1
                    testid="confidence" on_change={store.callback(|v: f64| Action::SetDelta(1.0 - v / 100.0))} on_invalid={invalid.clone()} />
                <p class="hint">{ "Chance that the guarantee holds, given the sampling (1 − δ)." }</p>
            </div>
            <p class="hint" data-testid="guarantee-sentence">{ guarantee_sentence(s) }</p>
            { view_cold_starts(&store, s.cold_starts, &invalid) }
            { view_platform(&store, &invalid) }
            <crate::components::fusion_controls::FusionControls />
        </section>
    }
}

/// The mode switch: latency-bounded or cost-bounded planning.
pub fn view_mode(store: &Store, bound: Bound) -> Html {
    let latency = matches!(bound, Bound::Latency { .. });
    let to_latency = store.callback(|_: MouseEvent| {
        Action::SetBound(Bound::Latency {
            max_s: DEFAULT_LATENCY_S,
        })
    });
    let to_cost = store.callback(|_: MouseEvent| {
        Action::SetBound(Bound::Cost {
            max_usd: DEFAULT_COST_USD,
            kind: CostKind::Mean,
        })
    });
    html! {
        <div class="segmented" role="group" aria-label="Planning mode">
            <button class={classes!("seg", latency.then_some("on"))} data-testid="mode-latency"
                    onclick={if latency { Callback::noop() } else { to_latency }}>{ "Latency bound" }</button>
            <button class={classes!("seg", (!latency).then_some("on"))} data-testid="mode-cost"
                    onclick={if latency { to_cost } else { Callback::noop() }}>{ "Cost bound" }</button>
        </div>
    }
}

/// Slider range `(min, max, step)` over the frontier's values (latency or
/// cost), with 10% margins and 1,000 steps; `fallback` without a frontier.
pub fn slider_range(values: &[f64], fallback: (f64, f64, f64)) -> (f64, f64, f64) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return fallback;
    }
    let (min, max) = (lo * 0.9, (hi * 1.1).max(lo * 0.9 + 1e-12));
    let step = sig((max - min) / 1000.0);
    // Ends on the step grid, so every slider position is a tidy decimal.
    let min = on_grid((min / step).floor() * step, step);
    let max = on_grid((max / step).ceil() * step, step);
    (min, max, step)
}

/// `v` rounded to the decimals of `step` (the closest float to that decimal, so it
/// prints as written: 21.5, not 21.517299070332).
pub fn on_grid(v: f64, step: f64) -> f64 {
    let decimals = (-step.log10().floor()).clamp(0.0, 12.0);
    let scale = 10f64.powf(decimals);
    (v * scale).round() / scale
}

/// `x` rounded to 2 significant digits (a tidy slider step).
fn sig(x: f64) -> f64 {
    let e = 10f64.powf(x.abs().log10().floor() - 1.0);
    (x / e).round() * e
}

/// The bound: a number field and a slider over the frontier's range (and,
/// for a cost bound, whether the mean or the percentile cost is bounded).
pub fn view_bound(store: &Store, bound: Bound, invalid: &Callback<String>) -> Html {
    let out = output(store.state());
    let values = |f: fn(&FrontierPoint) -> f64| -> Vec<f64> {
        out.map(|o| o.frontier.points.iter().map(f).collect())
            .unwrap_or_default()
    };
    let marked = |cb: Callback<f64>, step: f64| {
        Callback::from(move |v: f64| {
            mark_bound_input();
            cb.emit(on_grid(v, step));
        })
    };
    match bound {
        Bound::Latency { max_s } => {
            let set = store.callback(|v: f64| Action::SetBound(Bound::Latency { max_s: v }));
            let (min, max, step) =
                slider_range(&values(|p| p.guaranteed_latency_s), (1.0, 600.0, 0.5));
            let slide = marked(set.clone(), step);
            html! {
                <div class="control">
                    <NumberField label="Latency bound" unit="s" value={max_s} min=0.01 max=86400.0 step=0.5
                        testid="bound" on_change={set.clone()} on_invalid={invalid.clone()} />
                    <Slider label="Latency bound" value={max_s} {min} {max} {step} testid="bound-slider" on_change={slide} />
                </div>
            }
        }
        Bound::Cost { max_usd, kind } => {
            let set =
                store.callback(move |v: f64| Action::SetBound(Bound::Cost { max_usd: v, kind }));
            let (min, max, step) =
                slider_range(&values(|p| p.expected_cost_usd), (0.0, 0.1, 0.0001));
            let slide = marked(set.clone(), step);
            let on_kind = store.callback(move |e: Event| {
                let quantile = select_value(&e) == "quantile";
                let kind = if quantile {
                    CostKind::Quantile
                } else {
                    CostKind::Mean
                };
                Action::SetBound(Bound::Cost { max_usd, kind })
            });
            html! {
                <div class="control">
                    <NumberField label="Cost bound" unit="USD/run" value={max_usd} min=0.0 max=1000.0 step=0.0001
                        testid="bound" on_change={set.clone()} on_invalid={invalid.clone()} />
                    <Slider label="Cost bound" value={max_usd} {min} {max} {step} testid="bound-slider" on_change={slide} />
                    <label class="field">
                        <span class="field-label">{ "Bounded cost" }</span>
                        <select data-testid="cost-kind" onchange={on_kind}>
                            <option value="mean" selected={kind == CostKind::Mean}>{ "mean" }</option>
                            <option value="quantile" selected={kind == CostKind::Quantile}>{ "percentile" }</option>
                        </select>
                    </label>
                </div>
            }
        }
    }
}

/// The cold-start setting of every stage: as profiled, all warm, first
/// invocation cold, or a rate in percent.
fn view_cold_starts(store: &Store, cold: ColdStarts, invalid: &Callback<String>) -> Html {
    let key = match cold {
        ColdStarts::Profile => "profile",
        ColdStarts::AllWarm => "warm",
        ColdStarts::FirstInvocation => "first",
        ColdStarts::Rate(_) => "rate",
    };
    let on_kind = store.callback(|e: Event| {
        Action::SetColdStarts(match select_value(&e).as_str() {
            "warm" => ColdStarts::AllWarm,
            "first" => ColdStarts::FirstInvocation,
            "rate" => ColdStarts::Rate(5.0),
            _ => ColdStarts::Profile,
        })
    });
    let rate = match cold {
        ColdStarts::Rate(pct) => html! {
            <NumberField label="Cold-start rate" unit="%" value={pct} min=0.0 max=100.0 step=0.5
                testid="cold-start-rate" on_change={store.callback(|v: f64| Action::SetColdStarts(ColdStarts::Rate(v)))} on_invalid={invalid.clone()} />
        },
        _ => html! {},
    };
    html! {
        <div class="control">
            <label class="field">
                <span class="field-label">{ "Cold starts" }</span>
                <select data-testid="cold-starts" onchange={on_kind}>
                    <option value="profile" selected={key == "profile"}>{ "as profiled" }</option>
                    <option value="warm" selected={key == "warm"}>{ "all warm" }</option>
                    <option value="first" selected={key == "first"}>{ "first invocation cold" }</option>
                    <option value="rate" selected={key == "rate"}>{ "a rate per instance" }</option>
                </select>
            </label>
            { rate }
            <p class="hint">{ "How likely each instance is to start cold; a stage waits for its slowest instance." }</p>
        </div>
    }
}

fn view_platform(store: &Store, invalid: &Callback<String>) -> Html {
    let project = &store.state().project;
    let p = &project.platform;
    let on_preset = store.callback(|e: Event| {
        let v = select_value(&e);
        let preset = Preset::ALL
            .into_iter()
            .find(|p| preset_key(*p) == v)
            .unwrap_or(Preset::AwsX86_64);
        Action::SetPreset(preset)
    });
    let current = match project.platform_choice {
        PlatformChoice::Preset(p) => preset_key(p),
        PlatformChoice::Custom => "custom",
    };
    let per_request = p.price_per_request;
    let per_gb_s = p.price_per_gb_s;
    let set_gb_s = store.callback(move |v: f64| Action::SetPrices {
        price_per_gb_s: v,
        price_per_request: per_request,
    });
    let set_req = store.callback(move |v: f64| Action::SetPrices {
        price_per_gb_s: per_gb_s,
        price_per_request: v / 1e6,
    });
    html! {
        <div class="control">
            <label class="field">
                <span class="field-label">{ "Platform" }</span>
                <select data-testid="preset" onchange={on_preset}>
                    { for Preset::ALL.into_iter().map(|pr| html! {
                        <option value={preset_key(pr)} selected={current == preset_key(pr)}>{ pr.platform().name }</option>
                    }) }
                    if current == "custom" { <option value="custom" selected=true disabled=true>{ "Custom prices" }</option> }
                </select>
            </label>
            <NumberField label="Price per GB-s" unit="USD" value={per_gb_s} min=0.0 max=1.0 step=0.0000001
                testid="price-gb-s" on_change={set_gb_s} on_invalid={invalid.clone()} />
            <NumberField label="Price per 1M requests" unit="USD" value={round(per_request * 1e6, 6)} min=0.0 max=1000.0 step=0.01
                testid="price-requests" on_change={set_req} on_invalid={invalid.clone()} />
            <p class="hint">{ format!("{:.0} MB per vCPU · {}–{} MB · timeout {:.0} s", p.mb_per_vcpu, p.min_memory_mb, p.max_memory_mb, p.timeout_s) }</p>
        </div>
    }
}

/// Stable key of a preset for `<option value>`.
pub fn preset_key(p: Preset) -> &'static str {
    match p {
        Preset::AwsX86_64 => "aws_x86_64",
        Preset::AwsArm64 => "aws_arm64",
        Preset::JolteonProfiled => "jolteon_profiled",
    }
}

fn select_value(e: &Event) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
        .map(|s| s.value())
        .unwrap_or_default()
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// The guarantee the settings ask for, in one sentence, e.g. "P95 ≤ 42 s, certified
/// at 99.9% confidence on 50,000 fresh runs."
pub fn guarantee_sentence(s: &PlanSettings) -> String {
    let p = crate::components::plan_panel::table::pct(s.percentile);
    let conf = format!("{}", round((1.0 - s.delta) * 100.0, 3));
    let runs = match fresh_sample_count(s) {
        Ok(m) => format!("{} fresh runs", thousands(m)),
        Err(_) => "fresh runs (too many for memory: lower fresh_samples)".to_string(),
    };
    match s.bound {
        Bound::Latency { max_s } => {
            format!(
                "P{p} ≤ {} s, certified at {conf}% confidence on {runs}.",
                round(max_s, 2)
            )
        }
        Bound::Cost { max_usd, kind } => {
            let cost = match kind {
                CostKind::Mean => "Mean cost",
                CostKind::Quantile => "Cost",
            };
            let at = if kind == CostKind::Quantile {
                format!(" at P{p}")
            } else {
                String::new()
            };
            format!(
                "{cost} ≤ ${max_usd} per run{at}; the P{p} latency is certified at {conf}% confidence on {runs}."
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faasplan_core::settings::SampleCount;

    fn sentence(bound: Bound, q: f64, delta: f64, fresh: usize) -> String {
        guarantee_sentence(&PlanSettings {
            bound,
            percentile: q,
            delta,
            fresh_samples: SampleCount::Fixed(fresh),
            ..PlanSettings::default()
        })
    }

    #[test]
    fn the_guarantee_reads_as_one_sentence() {
        assert_eq!(
            sentence(Bound::Latency { max_s: 42.0 }, 0.95, 0.001, 50_000),
            "P95 ≤ 42 s, certified at 99.9% confidence on 50,000 fresh runs."
        );
        assert_eq!(
            sentence(Bound::Latency { max_s: 7.125 }, 0.999, 0.05, 1_600_000),
            "P99.9 ≤ 7.13 s, certified at 95% confidence on 1,600,000 fresh runs."
        );
        assert_eq!(
            sentence(
                Bound::Cost {
                    max_usd: 0.01,
                    kind: CostKind::Mean
                },
                0.99,
                0.001,
                999
            ),
            "Mean cost ≤ $0.01 per run; the P99 latency is certified at 99.9% confidence on 999 fresh runs."
        );
    }

    #[test]
    fn the_default_fresh_sample_count_is_named() {
        let s = PlanSettings {
            bound: Bound::Latency { max_s: 10.0 },
            ..PlanSettings::default()
        };
        let m = fresh_sample_count(&s).expect("the default fits");
        assert!(guarantee_sentence(&s).ends_with(&format!("on {} fresh runs.", thousands(m))));
    }
}
