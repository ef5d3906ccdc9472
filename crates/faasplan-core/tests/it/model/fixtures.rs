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

/// `base` with about `total` runs over all stages: its runs repeated with
/// deterministic ±1% perturbations of the compute and start-up times, so the
/// configurations stay the same and only the runs per configuration grow.
pub fn scaled(base: &Profiles, total: usize) -> Profiles {
    let n0: usize = base.stages.iter().map(|s| s.runs.len()).sum();
    let reps = total.div_ceil(n0);
    let mut p = base.clone();
    for sp in &mut p.stages {
        let orig = std::mem::take(&mut sp.runs);
        for r in 0..reps {
            for (j, run) in orig.iter().enumerate() {
                let mut x = run.clone();
                let f = 1.0 + 0.02 * (((r * 31 + j * 7) % 13) as f64 / 13.0 - 0.5);
                x.compute.mean_s *= f;
                x.compute.p95_s *= f;
                x.start.p95_s *= 2.0 - f;
                x.rep += (r * 10) as u32;
                sp.runs.push(x);
            }
        }
    }
    p
}
