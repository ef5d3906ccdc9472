//! Options of the selected stage: id, parallel/single, allowed d, memory grid,
//! an optional fixed configuration, the Choice the stage is an alternative of
//! (planned for the slowest, or with probabilities), and the configuration it runs
//! with today (the user's current configuration, evaluated against the plan; not a
//! planner input), and the stages it shares a function (one memory size) with.
//! For a workflow imported from a state machine: how many times
//! its cycles run, and a service integration's latency and price per run.
//! Every field commits on change.

use faasplan_core::dag::{Choice, ChoiceMode, Config, MemoryGrid, Stage, StageKind};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::widgets::number_field::NumberField;
use crate::state::deploy::{MAX_LOOP_ITERATIONS, is_service, loop_iterations, service_setting};
use crate::state::project::parse_d_list;
use crate::state::{Action, Level, StageEdit};
use crate::store::{Store, use_store};

/// The stage inspector (shows a hint when nothing is selected).
#[component]
pub fn Inspector() -> Html {
    let store = use_store();
    let state = store.state();
    let stage = state
        .selected_stage()
        .and_then(|id| state.project.workflow.stages.iter().find(|s| s.id == id));
    let Some(stage) = stage else {
        return html! {
            <div class="inspector empty" data-testid="inspector">
                { "Select a stage to edit its options; double-click it to rename." }
            </div>
        };
    };
    let edit = |f: fn(&Stage, f64) -> StageEdit| {
        let (store, s) = (store.clone(), stage.clone());
        store.clone().callback(move |v: f64| Action::EditStage {
            id: s.id.clone(),
            edit: f(&s, v),
        })
    };
    let invalid = {
        let store = store.clone();
        Callback::from(move |msg: String| store.report(Level::Warning, msg))
    };
    let m = &stage.memory;
    html! {
        <div class="inspector" data-testid="inspector">
            <div class="inspector-row">
                { view_id(&store, stage) }
                { view_kind(&store, stage) }
                { view_allowed_d(&store, stage) }
            </div>
            <div class="inspector-row">
                <NumberField label="Memory min" unit="MB" value={f64::from(m.min_mb)} min=128.0 max=10240.0
                    testid="memory-min" on_change={edit(|s, v| StageEdit::Memory(MemoryGrid { min_mb: v as u32, ..s.memory.clone() }))} on_invalid={invalid.clone()} />
                <NumberField label="max" unit="MB" value={f64::from(m.max_mb)} min=128.0 max=10240.0
                    testid="memory-max" on_change={edit(|s, v| StageEdit::Memory(MemoryGrid { max_mb: v as u32, ..s.memory.clone() }))} on_invalid={invalid.clone()} />
                <NumberField label="step" unit="MB" value={f64::from(m.step_mb)} min=1.0 max=10240.0
                    testid="memory-step" on_change={edit(|s, v| StageEdit::Memory(MemoryGrid { step_mb: v as u32, ..s.memory.clone() }))} on_invalid={invalid.clone()} />
                { view_listed(m) }
            </div>
            { view_fixed(&store, stage, edit, invalid.clone()) }
            { view_shared(&store, stage) }
            { for state.project.workflow.choices.iter()
                .filter(|c| c.alternatives.iter().any(|a| a.stages.contains(&stage.id)))
                .map(|c| view_choice(&store, c, &invalid)) }
            { view_imported(&store, stage, &invalid) }
            { view_connect(&store, stage) }
            { super::never_fuse::view_never_fuse(&store, stage) }
            { super::arch_choice::view_arch_choice(&store, stage) }
            { view_current(&store, stage) }
        </div>
    }
}

/// Settings of a workflow imported from a state machine: the loop count of
/// its cycles, and the latency and price per run of a service integration.
fn view_imported(store: &Store, stage: &Stage, invalid: &Callback<String>) -> Html {
    let state = store.state();
    let Some(sm) = state.project.state_machine.as_deref() else {
        return Html::default();
    };
    let loops = loop_iterations(sm).map(|n| {
        let on_change = store.callback(|v: f64| Action::SetLoopIterations(v as u32));
        let body = state
            .project
            .workflow
            .loops
            .iter()
            .find(|l| l.stages.contains(&stage.id))
            .map(|l| {
                html! {
                    <span class="hint" data-testid="loop-body">
                        { format!("Runs {} times per execution (cycle {}): planned once, one memory size for all its runs.", l.iterations, l.name) }
                    </span>
                }
            });
        html! { <>
            <NumberField label={format!("Cycles ({}) run", sm.loops.join(", "))} unit="times"
                value={f64::from(n)} min=1.0 max={f64::from(MAX_LOOP_ITERATIONS)} step=1.0
                testid="loop-iterations" {on_change} on_invalid={invalid.clone()} />
            { for body }
        </> }
    });
    let service = is_service(sm, &stage.id).then(|| {
        let (latency_s, usd_per_run) = service_setting(&state.project, &stage.id);
        let (id, id2) = (stage.id.clone(), stage.id.clone());
        let on_latency = store.callback(move |v: f64| Action::SetService {
            stage: id.clone(),
            latency_s: v,
            usd_per_run,
        });
        let on_cost = store.callback(move |v: f64| Action::SetService {
            stage: id2.clone(),
            latency_s,
            usd_per_run: v / 1e6,
        });
        html! { <>
            <span class="hint">{ "A service integration, not a Lambda function:" }</span>
            <NumberField label="Latency" unit="s" value={latency_s} min=0.0 max=900.0 step=0.01
                testid="service-latency" on_change={on_latency} on_invalid={invalid.clone()} />
            <NumberField label="Price" unit="$ per 1M runs" value={usd_per_run * 1e6} min=0.0 max=1e9 step=0.01
                testid="service-cost" on_change={on_cost} on_invalid={invalid.clone()} />
        </> }
    });
    if loops.is_none() && service.is_none() {
        return Html::default();
    }
    html! {
        <fieldset class="inspector-row imported" data-testid="imported-settings">
            <legend>{ "Imported state machine" }</legend>
            { for loops }
            { for service }
        </fieldset>
    }
}

/// The Choice the stage is an alternative of: plan for the slowest, or set
/// the alternatives' probabilities.
fn view_choice(store: &Store, choice: &Choice, invalid: &Callback<String>) -> Html {
    let weights: Vec<f64> = choice.alternatives.iter().map(|a| a.probability).collect();
    let name = choice.name.clone();
    let onchange = {
        let (name, weights) = (name.clone(), weights.clone());
        store.callback(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let mode = if select.value() == "probabilities" {
                ChoiceMode::Probabilities
            } else {
                ChoiceMode::Slowest
            };
            Action::SetChoice {
                name: name.clone(),
                mode,
                weights: weights.clone(),
            }
        })
    };
    let weighted = choice.mode == ChoiceMode::Probabilities;
    let shares = choice.probabilities();
    html! {
        <fieldset class="inspector-row choice" data-testid="choice">
            <legend>{ format!("Choice {}", choice.name) }</legend>
            <label class="field">
                <span class="field-label">{ "Plan for" }</span>
                <select data-testid="choice-mode" {onchange}>
                    <option value="slowest" selected={!weighted}>{ "the slowest alternative" }</option>
                    <option value="probabilities" selected={weighted}>{ "the alternatives' probabilities" }</option>
                </select>
            </label>
            { for choice.alternatives.iter().enumerate().map(|(j, a)| {
                let stages = if a.stages.is_empty() { "no stage".to_string() } else { a.stages.join(", ") };
                let label = format!("{} ({stages})", a.label);
                if !weighted {
                    return html! { <span class="muted choice-alt">{ label }</span> };
                }
                let (name, weights) = (name.clone(), weights.clone());
                let on_change = store.callback(move |v: f64| {
                    let mut w = weights.clone();
                    w[j] = v;
                    Action::SetChoice { name: name.clone(), mode: ChoiceMode::Probabilities, weights: w }
                });
                let share = shares.as_ref().map_or(0.0, |p| p[j]);
                html! { <>
                    <NumberField label={label} value={a.probability} min=0.0 max=1.0 step=0.01
                        testid={format!("choice-p-{j}")} {on_change} on_invalid={invalid.clone()} />
                    <span class="muted">{ format!("{:.1} %", share * 100.0) }</span>
                </> }
            }) }
        </fieldset>
    }
}

/// Edges without a mouse: connect the selected stage to another one.
/// The stages that run the same function (one memory size for all of them),
/// and a control to tie this stage to another stage's function or untie it.
fn view_shared(store: &Store, stage: &Stage) -> Html {
    let wf = &store.state().project.workflow;
    let partners = wf.shares_memory_with(&stage.id);
    let current = partners.first().map(|s| s.to_string()).unwrap_or_default();
    let others: Vec<&str> = wf
        .stages
        .iter()
        .map(|s| s.id.as_str())
        .filter(|&id| id != stage.id)
        .collect();
    let id = stage.id.clone();
    let onchange = store.callback(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        let with = select.value();
        Action::EditStage {
            id: id.clone(),
            edit: StageEdit::ShareMemory((!with.is_empty()).then_some(with)),
        }
    });
    let function = wf.shared_of(&stage.id).map(|g| g.function.clone());
    html! {
        <div class="inspector-row">
            <label class="field">
                <span class="field-label">{ "Same function as" }</span>
                <select data-testid="share-memory" {onchange}>
                    <option value="" selected={current.is_empty()}>{ "none (its own function)" }</option>
                    { for others.into_iter().map(|o| html! {
                        <option value={o.to_string()} selected={o == current}>{ o }</option>
                    }) }
                </select>
            </label>
            if !partners.is_empty() {
                <span class="hint" data-testid="shares-memory">
                    { format!("shares memory with: {}", partners.join(", ")) }
                    { function.map(|f| format!(" (function {f})")).unwrap_or_default() }
                </span>
            }
        </div>
    }
}

fn view_connect(store: &Store, stage: &Stage) -> Html {
    let wf = &store.state().project.workflow;
    let targets: Vec<&str> = wf
        .stages
        .iter()
        .map(|s| s.id.as_str())
        .filter(|&id| id != stage.id && !wf.edges.iter().any(|e| e.from == stage.id && e.to == id))
        .collect();
    if targets.is_empty() {
        return Html::default();
    }
    let from = stage.id.clone();
    let onchange = store.callback(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        let to = select.value();
        select.set_value("");
        Action::Connect {
            from: from.clone(),
            to,
        }
    });
    html! {
        <label class="field connect">
            <span class="field-label">{ format!("Connect {} to…", stage.id) }</span>
            <select data-testid="connect-to" {onchange}>
                <option value="" selected=true disabled=true>{ "choose a stage" }</option>
                { for targets.into_iter().map(|id| html! { <option value={id.to_string()}>{ id }</option> }) }
            </select>
        </label>
    }
}

fn view_id(store: &Store, stage: &Stage) -> Html {
    let id = stage.id.clone();
    let onchange = store.callback(move |e: Event| Action::RenameStage {
        id: id.clone(),
        new_id: input_text(&e),
    });
    html! {
        <label class="field">
            <span class="field-label">{ "Id" }</span>
            <input type="text" value={stage.id.clone()} data-testid="stage-id" {onchange} />
        </label>
    }
}

fn view_kind(store: &Store, stage: &Stage) -> Html {
    let id = stage.id.clone();
    let onchange = store.callback(move |e: Event| {
        let single = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            .is_some_and(|s| s.value() == "single");
        let kind = if single {
            StageKind::Single
        } else {
            StageKind::Parallel
        };
        Action::EditStage {
            id: id.clone(),
            edit: StageEdit::Kind(kind),
        }
    });
    let single = stage.kind == StageKind::Single;
    html! {
        <label class="field">
            <span class="field-label">{ "Instances" }</span>
            <select data-testid="stage-kind" {onchange}>
                <option value="parallel" selected={!single}>{ "parallel (d is chosen)" }</option>
                <option value="single" selected={single}>{ "single" }</option>
            </select>
        </label>
    }
}

fn view_allowed_d(store: &Store, stage: &Stage) -> Html {
    let id = stage.id.clone();
    let store2 = store.clone();
    let onchange = Callback::from(move |e: Event| match parse_d_list(&input_text(&e)) {
        Ok(d) => store2.dispatch(Action::EditStage {
            id: id.clone(),
            edit: StageEdit::AllowedD(d),
        }),
        Err(msg) => store2.report(Level::Warning, msg),
    });
    let text = stage
        .allowed_d
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        <label class="field">
            <span class="field-label">{ "Allowed d" }</span>
            <input type="text" value={text} disabled={stage.kind == StageKind::Single}
                   data-testid="allowed-d" {onchange} />
        </label>
    }
}

fn view_fixed(
    store: &Store,
    stage: &Stage,
    edit: impl Fn(fn(&Stage, f64) -> StageEdit) -> Callback<f64>,
    invalid: Callback<String>,
) -> Html {
    let (id, default) = (stage.id.clone(), default_fixed(stage));
    let fixed = stage.fixed;
    let onchange = store.callback(move |e: Event| {
        let on = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            .is_some_and(|i| i.checked());
        Action::EditStage {
            id: id.clone(),
            edit: StageEdit::Fixed(on.then_some(default)),
        }
    });
    html! {
        <div class="inspector-row">
            <label class="check">
                <input type="checkbox" checked={fixed.is_some()} data-testid="fixed-toggle" {onchange} />
                { "Fix the configuration" }
            </label>
            if let Some(c) = fixed {
                <NumberField label="Memory" unit="MB" value={f64::from(c.memory_mb)} min=128.0 max=10240.0
                    testid="fixed-memory" on_change={edit(|s, v| StageEdit::Fixed(s.fixed.map(|c| Config { memory_mb: v as u32, ..c })))} on_invalid={invalid.clone()} />
                <NumberField label="d" value={f64::from(c.d)} min=1.0 max=1000.0
                    testid="fixed-d" on_change={edit(|s, v| StageEdit::Fixed(s.fixed.map(|c| Config { d: v as u32, ..c })))} on_invalid={invalid} />
            }
        </div>
    }
}

/// The listed memory sizes (profiled sizes the steps miss), if any.
fn view_listed(m: &MemoryGrid) -> Html {
    if m.listed_mb.is_empty() {
        return Html::default();
    }
    let sizes: Vec<String> = m.listed_mb.iter().map(u32::to_string).collect();
    html! {
        <span class="hint" data-testid="memory-listed">{ format!("also {} MB", sizes.join(", ")) }</span>
    }
}

fn default_fixed(stage: &Stage) -> Config {
    let d = match stage.kind {
        StageKind::Single => 1,
        StageKind::Parallel => stage.allowed_d.first().copied().unwrap_or(1),
    };
    Config {
        memory_mb: stage.memory.min_mb,
        d,
    }
}

fn input_text(e: &Event) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        .map(|i| i.value())
        .unwrap_or_default()
}

/// The configuration the stage runs with today: a toggle, then memory and d.
fn view_current(store: &Store, stage: &Stage) -> Html {
    let invalid = {
        let store = store.clone();
        Callback::from(move |msg: String| store.report(Level::Warning, msg))
    };
    let current = store.state().current_config.get(&stage.id).copied();
    let set = |f: fn(Config, f64) -> Config| {
        let (id, c) = (stage.id.clone(), current.unwrap_or(default_fixed(stage)));
        store.callback(move |v: f64| Action::SetCurrentConfig {
            stage: id.clone(),
            config: Some(f(c, v)),
        })
    };
    let (id, default) = (
        stage.id.clone(),
        stage.fixed.unwrap_or(default_fixed(stage)),
    );
    let onchange = store.callback(move |e: Event| {
        let on = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            .is_some_and(|i| i.checked());
        Action::SetCurrentConfig {
            stage: id.clone(),
            config: on.then_some(default),
        }
    });
    html! {
        <div class="inspector-row">
            <label class="check" title="The memory and d this stage runs with today: shown on the frontier chart, with what the planner would save">
                <input type="checkbox" checked={current.is_some()} data-testid="current-toggle" {onchange} />
                { "Runs today at" }
            </label>
            if let Some(c) = current {
                <NumberField label="Memory" unit="MB" value={f64::from(c.memory_mb)} min=128.0 max=10240.0
                    testid="current-memory" on_change={set(|c, v| Config { memory_mb: v as u32, ..c })} on_invalid={invalid.clone()} />
                <NumberField label="d" value={f64::from(c.d)} min=1.0 max=1000.0
                    testid="current-d" on_change={set(|c, v| Config { d: v as u32, ..c })} on_invalid={invalid} />
            }
        </div>
    }
}
