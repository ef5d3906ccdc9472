//! Fusion, placement and orchestration controls (in the controls panel): the
//! orchestration pricing (Step Functions Standard, Express or none), "Allow
//! fusion", and "Edge devices…", a dialog that declares the edge device stages
//! may run on (the core's `EdgeDevice`). Each change is one undo step and a
//! new planning run (see `state::fusion`).

use faasplan_core::pricing::{EdgeDevice, Orchestration};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::widgets::number_field::NumberField;
use crate::state::fusion::{default_edge_device, orchestration_choices, orchestration_key};
use crate::state::{Action, Level};
use crate::store::use_store;

/// The orchestration select, the fusion toggle and the edge device button.
#[component]
pub fn FusionControls() -> Html {
    let store = use_store();
    let open = use_state(|| false);
    let project = &store.state().project;
    let pricing = &project.platform.pricing;
    let device = pricing.edge_device.clone();
    let on_orchestration = {
        let current = pricing.orchestration.clone();
        store.callback(move |e: Event| {
            let key = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
                .map(|s| s.value())
                .unwrap_or_default();
            let o = orchestration_choices()
                .into_iter()
                .find(|(k, _, _)| *k == key)
                .map_or(current.clone(), |(_, _, o)| o);
            Action::SetOrchestration(o)
        })
    };
    let key = orchestration_key(&pricing.orchestration);
    let on_fusion = store.callback(|e: Event| {
        let on = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            .is_some_and(|i| i.checked());
        Action::SetFusionAllowed(on)
    });
    let show = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(true))
    };
    let close = {
        let open = open.clone();
        Callback::from(move |()| open.set(false))
    };
    html! {
        <div class="control fusion-controls" data-testid="fusion-controls">
            <label class="field">
                <span class="field-label">{ "Orchestration" }</span>
                <select data-testid="orchestration" onchange={on_orchestration}>
                    { for orchestration_choices().into_iter().map(|(k, label, _)| html! {
                        <option value={k} selected={key == k}>{ label }</option>
                    }) }
                    if key == "custom" { <option value="custom" selected=true disabled=true>{ "custom prices" }</option> }
                </select>
            </label>
            <p class="hint">{ orchestration_hint(&pricing.orchestration) }</p>
            <label class="check">
                <input type="checkbox" data-testid="allow-fusion" checked={project.fusion.enabled} onchange={on_fusion} />
                <span>{ "Allow fusion" }</span>
            </label>
            <p class="hint">{ "Adjacent single-instance stages may run as one function: no transition or intermediate object between them, one start-up, the larger memory for the summed time. Mark edges \"never fuse\" in the stage inspector." }</p>
            <div class="edge-device-row">
                <button class="btn" data-testid="edge-devices" aria-haspopup="dialog" onclick={show}>{ "Edge devices…" }</button>
                <span class="hint" data-testid="edge-device-summary">{ device_summary(device.as_ref()) }</span>
            </div>
            if *open {
                <EdgeDeviceDialog device={device.clone()} on_close={close} />
            }
        </div>
    }
}

fn orchestration_hint(o: &Orchestration) -> String {
    match o {
        Orchestration::None => "No orchestration charge.".into(),
        Orchestration::StepFunctionsStandard { usd_per_transition } => format!(
            "${:.2} per million state transitions, counted from the workflow.",
            usd_per_transition * 1e6
        ),
        Orchestration::StepFunctionsExpress {
            usd_per_request,
            usd_per_gb_s,
            memory_mb,
        } => format!(
            "${:.2} per million executions and ${usd_per_gb_s} per GB-second at {memory_mb} MB.",
            usd_per_request * 1e6
        ),
    }
}

/// One line on the declared device, or that there is none.
pub fn device_summary(device: Option<&EdgeDevice>) -> String {
    match device {
        None => "No edge device: every stage runs in the cloud.".into(),
        Some(d) => format!(
            "One edge device: {}× the cloud's compute time, {} cores, {} MB, ${} a month over {} runs, {} Mbit/s uplink.",
            d.speed_factor,
            d.cores,
            d.memory_mb,
            d.monthly_fee_usd,
            d.runs_per_month,
            d.uplink_mbps
        ),
    }
}

/// Props of [`EdgeDeviceDialog`].
#[derive(Properties, PartialEq)]
pub struct EdgeDeviceDialogProps {
    /// The declared device, if any (the form starts from it or from a default).
    pub device: Option<EdgeDevice>,
    /// Called when the dialog closes.
    pub on_close: Callback<()>,
}

/// The "Edge devices" dialog: the device's fields; "Save" declares it,
/// "Remove device" plans all in the cloud again, Escape or "Cancel" closes.
#[component]
pub fn EdgeDeviceDialog(props: &EdgeDeviceDialogProps) -> Html {
    let store = use_store();
    let draft = use_state(|| props.device.clone().unwrap_or_else(default_edge_device));
    let root = use_node_ref();
    {
        // Focus moves into the dialog when it opens.
        let root = root.clone();
        use_effect_with((), move |()| {
            if let Some(first) = root
                .cast::<HtmlElement>()
                .and_then(|r| r.query_selector("input").ok().flatten())
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            {
                let _ = first.focus();
            }
        });
    }
    let invalid = {
        let store = store.clone();
        Callback::from(move |msg: String| store.report(Level::Warning, msg))
    };
    let set = |f: fn(&mut EdgeDevice, f64)| {
        let draft = draft.clone();
        Callback::from(move |v: f64| {
            let mut d = (*draft).clone();
            f(&mut d, v);
            draft.set(d);
        })
    };
    let on_reverse = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let on = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .is_some_and(|i| i.checked());
            let mut d = (*draft).clone();
            d.allow_reverse = on;
            draft.set(d);
        })
    };
    let save = {
        let (store, draft, close) = (store.clone(), draft.clone(), props.on_close.clone());
        Callback::from(move |_: MouseEvent| {
            store.dispatch(Action::SetEdgeDevice(Some((*draft).clone())));
            close.emit(());
        })
    };
    let remove = {
        let (store, close) = (store.clone(), props.on_close.clone());
        Callback::from(move |_: MouseEvent| {
            store.dispatch(Action::SetEdgeDevice(None));
            close.emit(());
        })
    };
    let cancel = {
        let close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| close.emit(()))
    };
    let onkeydown = {
        let close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                close.emit(());
            }
        })
    };
    let d = &*draft;
    html! {
        <div class="dialog-backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="edge-device-title"
                 data-testid="edge-device-dialog" ref={root} {onkeydown}>
                <h3 id="edge-device-title">{ "Edge device" }</h3>
                <p class="hint">{ "A machine near the data that runs stages without Lambda fees: slower, limited memory, a monthly fee, and an uplink to the cloud for the data that crosses it. The planner decides which stages run there." }</p>
                <div class="dialog-grid">
                    <NumberField label="Relative compute time" unit="× cloud" value={d.speed_factor} min=0.01 max=1000.0 step=0.1
                        testid="edge-speed" on_change={set(|d, v| d.speed_factor = v)} on_invalid={invalid.clone()} />
                    <NumberField label="Cores" value={d.cores} min=0.1 max=1024.0 step=1.0
                        testid="edge-cores" on_change={set(|d, v| d.cores = v)} on_invalid={invalid.clone()} />
                    <NumberField label="Memory" unit="MB" value={f64::from(d.memory_mb)} min=1.0 max=4_194_304.0 step=512.0
                        testid="edge-memory" on_change={set(|d, v| d.memory_mb = v.round() as u32)} on_invalid={invalid.clone()} />
                    <NumberField label="Monthly fee" unit="USD" value={d.monthly_fee_usd} min=0.0 max=1_000_000.0 step=1.0
                        testid="edge-fee" on_change={set(|d, v| d.monthly_fee_usd = v)} on_invalid={invalid.clone()} />
                    <NumberField label="Runs per month" value={d.runs_per_month} min=1.0 max=1e12 step=1000.0
                        testid="edge-runs" on_change={set(|d, v| d.runs_per_month = v)} on_invalid={invalid.clone()} />
                    <NumberField label="Uplink" unit="Mbit/s" value={d.uplink_mbps} min=0.001 max=1_000_000.0 step=10.0
                        testid="edge-uplink" on_change={set(|d, v| d.uplink_mbps = v)} on_invalid={invalid.clone()} />
                    <NumberField label="Link latency per object" unit="s" value={d.link_latency_s} min=0.0 max=60.0 step=0.01
                        testid="edge-latency" on_change={set(|d, v| d.link_latency_s = v)} on_invalid={invalid.clone()} />
                    <NumberField label="Running cost" unit="USD/s" value={d.usd_per_s} min=0.0 max=1.0 step=0.000001
                        testid="edge-usd-per-s" on_change={set(|d, v| d.usd_per_s = v)} on_invalid={invalid.clone()} />
                </div>
                <label class="check">
                    <input type="checkbox" data-testid="edge-reverse" checked={d.allow_reverse} onchange={on_reverse} />
                    <span>{ "Data may also flow from the cloud to the device" }</span>
                </label>
                <div class="dialog-actions">
                    <button class="btn primary" data-testid="edge-save" onclick={save}>{ "Save device" }</button>
                    if props.device.is_some() {
                        <button class="btn" data-testid="edge-remove" onclick={remove}>{ "Remove device" }</button>
                    }
                    <button class="btn" data-testid="edge-cancel" onclick={cancel}>{ "Cancel" }</button>
                </div>
            </div>
        </div>
    }
}
