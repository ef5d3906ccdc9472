//! Options of the selected stage: id, parallel/single, allowed d, memory grid
//! and an optional fixed configuration. Every field commits on change.

use faasplan_core::dag::{Config, MemoryGrid, Stage, StageKind};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::widgets::number_field::NumberField;
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
            { view_fixed(&store, stage, edit, invalid) }
            { view_connect(&store, stage) }
        </div>
    }
}

/// Edges without a mouse: connect the selected stage to another one.
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
