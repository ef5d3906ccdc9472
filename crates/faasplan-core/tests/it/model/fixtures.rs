//! The bundled Jolteon workflows, imported as a user imports them.

use faasplan_core::dag::{Dag, Workflow};
use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};
use faasplan_core::profile::Profiles;

/// A bundled workflow with its DAG and profiles.
#[derive(Clone)]
pub struct Bundled {
    pub workflow: Workflow,
    pub dag: Dag,
    pub profiles: Profiles,
}

fn load(workflow: &str, profile: &str) -> Bundled {
    let (workflow, profiles) =
        import(workflow, profile, None, &JolteonProfileOptions::default()).unwrap();
    let dag = workflow.validate().unwrap();
    Bundled {
        workflow,
        dag,
        profiles,
    }
}

/// ML-Pipeline: 0 → {1, 2, 3}, 1 → 2, 2 → 3; stages 0 and 3 single-instance.
pub fn ml() -> Bundled {
    load(
        include_str!("../../../../../static/examples/ML-pipeline.json"),
        include_str!("../../../../../static/examples/ML-Pipeline_profile.json"),
    )
}

/// Video-Analytics: 0 → 1 → {2, 3}, 2 → 3; all parallel.
pub fn video() -> Bundled {
    load(
        include_str!("../../../../../static/examples/Video-analytics.json"),
        include_str!("../../../../../static/examples/Video-Analytics_profile.json"),
    )
}
