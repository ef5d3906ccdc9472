//! Browser tests: mount the app into a fresh `<div>`, act through the DOM,
//! await Yew's scheduler, and check the result. Elements are found by
//! `data-testid`. Run with `cargo test -p faasplan-web --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use faasplan_web::App;
use faasplan_web::app::AppProps;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts a fresh app (autosave off) and returns its root element.
async fn mount() -> Element {
    let document = gloo_document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<App>::with_root_and_props(
        root.clone(),
        AppProps {
            storage_key: None,
            worker_path: None,
        },
    )
    .render();
    yew::scheduler::flush().await;
    root
}

fn gloo_document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn by_testid(root: &Element, id: &str) -> Option<Element> {
    root.query_selector(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
}

fn count(root: &Element, id: &str) -> u32 {
    root.query_selector_all(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
        .length()
}

async fn click(root: &Element, id: &str) {
    let el = by_testid(root, id).unwrap_or_else(|| panic!("no element {id}"));
    el.dyn_into::<HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
}

async fn press_key(root: &Element, id: &str, key: &str, ctrl: bool, shift: bool) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_ctrl_key(ctrl);
    init.set_shift_key(shift);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    by_testid(root, id).unwrap().dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn every_panel_is_present_with_its_empty_state() {
    let root = mount().await;
    for panel in [
        "panel-editor",
        "panel-profiles",
        "panel-frontier",
        "panel-plan",
        "panel-controls",
    ] {
        assert!(by_testid(&root, panel).is_some(), "missing {panel}");
    }
    for empty in [
        "editor-empty",
        "profiles-empty",
        "frontier-empty",
        "plan-empty",
    ] {
        assert!(by_testid(&root, empty).is_some(), "missing {empty}");
    }
}

#[wasm_bindgen_test]
async fn add_stage_button_draws_a_selected_stage() {
    let root = mount().await;
    click(&root, "add-stage").await;
    assert_eq!(count(&root, "stage"), 1);
    assert!(by_testid(&root, "editor-empty").is_none());
    let stage = by_testid(&root, "stage").unwrap();
    assert_eq!(stage.get_attribute("data-id").as_deref(), Some("stage1"));
    assert!(stage.class_list().contains("selected"));
    assert!(
        by_testid(&root, "stage-id").is_some(),
        "inspector shows the stage"
    );
}

#[wasm_bindgen_test]
async fn delete_key_removes_the_selected_stage_and_undo_restores_it() {
    let root = mount().await;
    click(&root, "add-stage").await;
    click(&root, "add-stage").await;
    assert_eq!(count(&root, "stage"), 2);
    press_key(&root, "editor-canvas", "Delete", false, false).await;
    assert_eq!(count(&root, "stage"), 1);
    click(&root, "undo").await;
    assert_eq!(count(&root, "stage"), 2);
    press_key(&root, "editor-canvas", "z", true, true).await;
    assert_eq!(count(&root, "stage"), 1, "ctrl+shift+z redoes the delete");
    press_key(&root, "editor-canvas", "z", true, false).await;
    assert_eq!(count(&root, "stage"), 2, "ctrl+z undoes it again");
}

#[wasm_bindgen_test]
async fn delete_button_removes_the_selected_stage() {
    let root = mount().await;
    click(&root, "add-stage").await;
    click(&root, "delete-selection").await;
    assert_eq!(count(&root, "stage"), 0);
    assert!(by_testid(&root, "editor-empty").is_some());
}

#[wasm_bindgen_test]
async fn switching_to_cost_mode_shows_the_cost_kind() {
    let root = mount().await;
    assert!(by_testid(&root, "cost-kind").is_none());
    click(&root, "mode-cost").await;
    assert!(by_testid(&root, "cost-kind").is_some());
}

mod files {
    //! Opening files and drawing charts: the import path is called directly
    //! with the bundled examples (no fetch), through a store grabbed from a
    //! harness that mounts the panels the import changes.

    use std::cell::RefCell;
    use std::rc::Rc;

    use faasplan_charts::pareto::{BoundLine, Marker, ParetoView};
    use faasplan_web::components::editor::EditorPanel;
    use faasplan_web::components::frontier_panel::pareto_chart::{ParetoChart, ParetoChartProps};
    use faasplan_web::components::notices::Notices;
    use faasplan_web::components::profiles_panel::ProfilesPanel;
    use faasplan_web::state::{Action, Level};
    use faasplan_web::store::{Store, StoreProvider, use_store};
    use faasplan_web::worker::opening::import_bytes;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement};
    use yew::prelude::*;

    use super::{by_testid, count, gloo_document};

    const ML_WORKFLOW: &str = include_str!("../static/examples/ML-pipeline.json");
    const ML_PROFILE: &str = include_str!("../static/examples/ML-Pipeline_profile.json");

    thread_local! {
        static STORE: RefCell<Option<Store>> = const { RefCell::new(None) };
    }

    /// The latest store handle (updated on every render of the harness).
    fn store() -> Store {
        STORE
            .with(|s| s.borrow().clone())
            .expect("harness is mounted")
    }

    #[component]
    fn Grab() -> Html {
        let store = use_store();
        STORE.with(|s| *s.borrow_mut() = Some(store));
        Html::default()
    }

    #[component]
    fn Harness() -> Html {
        html! { <StoreProvider><Grab /><Notices /><EditorPanel /><ProfilesPanel /></StoreProvider> }
    }

    async fn mount_harness() -> Element {
        let root = gloo_document().create_element("div").unwrap();
        gloo_document().body().unwrap().append_child(&root).unwrap();
        yew::Renderer::<Harness>::with_root(root.clone()).render();
        yew::scheduler::flush().await;
        root
    }

    /// Opens files as the file-reading worker does (`import_bytes` on their
    /// bytes), in this thread: these tests mount no worker.
    async fn open(files: &[(&str, &str)]) {
        let store = store();
        let state = store.state();
        let bytes = files
            .iter()
            .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
            .collect();
        let grid = state.jolteon_grid.as_ref().map(|g| g.to_json());
        match import_bytes(
            bytes,
            &state.project.workflow,
            grid.as_deref(),
            state.csv_mb_per_vcpu,
            &[],
            &mut |_| {},
        ) {
            Ok(imported) => store.dispatch(Action::FilesImported(Rc::new(imported))),
            Err(e) => store.report(Level::Warning, e.to_string()),
        }
        yew::scheduler::flush().await;
    }

    fn inked_pixels(canvas: &Element) -> usize {
        let canvas: HtmlCanvasElement = canvas.clone().dyn_into().unwrap();
        let ctx: CanvasRenderingContext2d = canvas
            .get_context("2d")
            .unwrap()
            .unwrap()
            .dyn_into()
            .unwrap();
        let (w, h) = (canvas.width(), canvas.height());
        let data = ctx
            .get_image_data(0.0, 0.0, f64::from(w), f64::from(h))
            .unwrap()
            .data();
        data.chunks(4)
            .filter(|p| p[3] > 0 && (p[0] < 200 || p[1] < 200 || p[2] < 200))
            .count()
    }

    #[wasm_bindgen_test]
    async fn opening_the_bundled_ml_example_draws_its_stages_runs_and_chart() {
        let root = mount_harness().await;
        open(&[
            ("ML-pipeline.json", ML_WORKFLOW),
            ("ML-Pipeline_profile.json", ML_PROFILE),
        ])
        .await;
        assert_eq!(count(&root, "stage"), 4);
        assert!(by_testid(&root, "profiles-empty").is_none());
        let rows = by_testid(&root, "profile-runs")
            .unwrap()
            .query_selector_all("tbody tr")
            .unwrap();
        assert!(rows.length() > 10, "runs of the shown stage are listed");
        assert!(by_testid(&root, "fit-pending").is_some());
        // The chart is drawn in a task of its own after the render.
        gloo_timers::future::TimeoutFuture::new(10).await;
        assert!(inked_pixels(&by_testid(&root, "profile-chart").unwrap()) > 500);
        let notice = by_testid(&root, "notice").unwrap().text_content().unwrap();
        assert!(notice.contains("ML-pipeline.json"), "{notice}");
    }

    #[wasm_bindgen_test]
    async fn a_malformed_file_gives_a_notice_naming_it_and_changes_nothing() {
        let root = mount_harness().await;
        open(&[
            ("ML-pipeline.json", ML_WORKFLOW),
            ("ML-Pipeline_profile.json", ML_PROFILE),
        ])
        .await;
        let before = store().state().clone();
        open(&[("broken.json", &ML_PROFILE[..300])]).await;
        let after = store().state().clone();
        assert_eq!(after.project, before.project);
        assert_eq!(after.inputs_rev, before.inputs_rev);
        assert_eq!(after.doc_rev, before.doc_rev);
        assert_eq!(count(&root, "stage"), 4);
        let last = after.notices.last().unwrap().text.clone();
        assert!(
            last.contains("broken.json") && last.contains("line"),
            "{last}"
        );
    }

    #[wasm_bindgen_test]
    async fn the_frontier_canvas_draws_pixels() {
        #[component]
        fn ChartHarness() -> Html {
            let view = ParetoView {
                points: Rc::from(vec![
                    (10.0, 0.004),
                    (12.0, 0.003),
                    (15.0, 0.0025),
                    (20.0, 0.0022),
                ]),
                bound: Some(BoundLine::Latency(14.0)),
                chosen: Some(1),
                chosen_off_frontier: None,
                markers: vec![Marker {
                    label: "max memory".into(),
                    latency_s: 9.0,
                    cost_usd: 0.006,
                    visible: true,
                    note: "a 3008MB×1".into(),
                }],
                ..ParetoView::default()
            };
            let props = ParetoChartProps { view, view_rev: 1 };
            html! { <StoreProvider><ParetoChart ..props /></StoreProvider> }
        }
        let root = gloo_document().create_element("div").unwrap();
        gloo_document().body().unwrap().append_child(&root).unwrap();
        yew::Renderer::<ChartHarness>::with_root(root.clone()).render();
        yew::scheduler::flush().await;
        let canvas = by_testid(&root, "pareto-canvas").expect("canvas");
        assert!(inked_pixels(&canvas) > 1000);
    }
}

/// Packed profiles between threads and in the autosave (`worker::codec`, `browser::idb`).
mod packed_profiles {
    use faasplan_core::profile::{ProfileRun, Profiles, StageProfile, StepStat};
    use faasplan_web::browser::idb::{self, ProfilesText, StoredProfiles};
    use faasplan_web::import::Imported;
    use faasplan_web::worker::codec::Json;
    use faasplan_web::worker::protocol::WorkerOutput;
    use faasplan_web::worker::protocol::wire::{profiles_from_bytes, profiles_to_bytes};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::wasm_bindgen_test;
    use yew_agent::Codec;

    fn profiles(n: u32) -> Profiles {
        let stat = |v: f64| StepStat {
            mean_s: v,
            p95_s: v * 1.5,
        };
        Profiles {
            mb_per_vcpu: 1769.0,
            stages: vec![StageProfile {
                stage: "s".into(),
                runs: (0..n)
                    .map(|i| ProfileRun {
                        memory_mb: 128 + i % 8 * 64,
                        d: 1,
                        rep: i,
                        cold: i % 5 == 0,
                        start: stat(0.1),
                        read: stat(0.2 + f64::from(i) * 1e-6),
                        compute: stat(1.0 / 3.0),
                        write: None,
                        timestamp: None,
                        architecture: None,
                    })
                    .collect(),
            }],
        }
    }

    #[wasm_bindgen_test]
    fn a_message_with_profiles_is_its_text_and_a_uint8array_and_decodes_whole() {
        let msg = WorkerOutput::Imported {
            key: 7,
            result: Ok(Imported {
                profiles: Some(profiles(1000)),
                ..Imported::default()
            }),
        };
        let value = Json::encode(&msg);
        let parts: js_sys::Array = value.clone().dyn_into().expect("an array");
        assert_eq!(parts.length(), 2);
        let text = parts.get(0).as_string().unwrap();
        assert!(text.len() < 400, "no runs in the text: {text}");
        let bytes = js_sys::Uint8Array::new(&parts.get(1)).to_vec();
        assert_eq!(bytes, profiles_to_bytes(&profiles(1000)));
        // As a structured clone delivers it: a copy of the array and its buffer.
        let copy = js_sys::Array::of2(
            &JsValue::from_str(&text),
            &js_sys::Uint8Array::from(bytes.as_slice()),
        );
        let back: WorkerOutput = Json::decode(copy.into());
        assert_eq!(back, msg);
        // A message without profiles is the text alone, as the crash report writes it.
        let small = Json::encode(&WorkerOutput::Crashed {
            message: "x".into(),
        });
        assert!(small.is_string());
        let crashed: WorkerOutput = Json::decode(small);
        assert_eq!(
            crashed,
            WorkerOutput::Crashed {
                message: "x".into()
            }
        );
    }

    #[wasm_bindgen_test]
    async fn the_autosave_keeps_profiles_as_bytes_and_still_reads_earlier_text() {
        let key = "faasplan-test-packed";
        let p = profiles(300);
        idb::save(key, "{}", &ProfilesText::Put(profiles_to_bytes(&p)))
            .await
            .unwrap();
        let (record, stored) = idb::load(key).await.unwrap();
        assert_eq!(record.as_deref(), Some("{}"));
        match stored {
            Some(StoredProfiles::Bytes(b)) => assert_eq!(profiles_from_bytes(&b).unwrap(), p),
            other => panic!("bytes expected, got {other:?}"),
        }
        // An earlier save: the profiles as plain JSON text under the same key.
        let db = idb_text(key, &serde_json::to_string(&p).unwrap()).await;
        assert!(db.is_ok(), "{db:?}");
        match idb::load(key).await.unwrap().1 {
            Some(StoredProfiles::Text(t)) => assert_eq!(
                faasplan_web::worker::protocol::wire::profiles_from_text(&t).unwrap(),
                p
            ),
            other => panic!("text expected, got {other:?}"),
        }
        idb::remove(key).await.unwrap();
        assert_eq!(idb::load(key).await.unwrap(), (None, None));
    }

    /// Stores `text` as the profiles of `key` the way earlier builds did (a string value).
    async fn idb_text(key: &str, text: &str) -> Result<(), String> {
        use ::idb::{Factory, TransactionMode};
        let db = Factory::new()
            .map_err(|e| e.to_string())?
            .open(idb::DATABASE, Some(1))
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())?;
        let tx = db
            .transaction(&["autosave"], TransactionMode::ReadWrite)
            .map_err(|e| e.to_string())?;
        let store = tx.object_store("autosave").map_err(|e| e.to_string())?;
        store
            .put(
                &JsValue::from_str(text),
                Some(&JsValue::from_str(&idb::profiles_key(key))),
            )
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())?;
        tx.await.map_err(|e| e.to_string())?;
        db.close();
        Ok(())
    }
}
