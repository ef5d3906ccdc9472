//! The bundled real workflows as projects: imported as a user imports them, planned for
//! AWS Lambda x86_64 with the default settings.

use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};
use faasplan_core::formats::project::Project;
use faasplan_core::platform::Preset;
use faasplan_core::settings::PlanSettings;

/// `"ml"` for the ML pipeline, anything else for video analytics.
pub fn project(which: &str) -> Project {
    let (wf, pf) = match which {
        "ml" => (
            include_str!("../../../../static/examples/ML-pipeline.json"),
            include_str!("../../../../static/examples/ML-Pipeline_profile.json"),
        ),
        _ => (
            include_str!("../../../../static/examples/Video-analytics.json"),
            include_str!("../../../../static/examples/Video-Analytics_profile.json"),
        ),
    };
    let (workflow, profiles) = import(wf, pf, None, &JolteonProfileOptions::default()).unwrap();
    Project {
        workflow,
        profiles,
        platform: Preset::AwsX86_64.platform(),
        settings: PlanSettings::default(),
    }
}
