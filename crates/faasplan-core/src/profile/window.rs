//! Sliding-window retraining: the runs a fit sees under a [`Window`].
//!
//! Measurements drift (a new runtime, a noisy neighbour, a changed input).
//! With a window, the stage models and the advisor's surrogates are fitted on
//! the most recent runs of each configuration only, so they follow the new
//! level once the window has moved past the old one.
//!
//! Recency comes from [`ProfileRun::timestamp`]. Runs without a timestamp
//! count as older than every dated run, in file order (a later row is newer).
//! `max_age_s` keeps, per stage, the runs dated at most that long before the
//! stage's newest dated run (a stage without any dated run keeps every run,
//! as nothing says how old they are); `max_runs` keeps the newest that many
//! runs of each configuration (memory, d). The age is measured from the
//! newest measurement, not from the clock, so the same file always gives the
//! same fit.
//!
//! ```
//! use faasplan_core::profile::{Profiles, ProfileRun, StageProfile, StepStat};
//! use faasplan_core::profile::window::apply;
//! use faasplan_core::settings::Window;
//!
//! let run = |t: f64, compute: f64| ProfileRun {
//!     memory_mb: 1024, d: 1, rep: 0, cold: false,
//!     start: StepStat { mean_s: 0.1, p95_s: 0.1 },
//!     read: StepStat { mean_s: 0.0, p95_s: 0.0 },
//!     compute: StepStat { mean_s: compute, p95_s: compute },
//!     write: None, timestamp: Some(t), architecture: None,
//! };
//! let profiles = Profiles { mb_per_vcpu: 1769.0, stages: vec![StageProfile {
//!     stage: "s".into(), runs: vec![run(0.0, 1.0), run(86_400.0, 2.0), run(90_000.0, 2.1)] }] };
//! let last_day = Window { max_age_s: Some(86_400.0), max_runs: None };
//! assert_eq!(apply(&profiles, &last_day).stages[0].runs.len(), 2);
//! let newest = Window { max_age_s: None, max_runs: Some(1) };
//! assert_eq!(apply(&profiles, &newest).stages[0].runs[0].compute.mean_s, 2.1);
//! ```

use std::collections::HashMap;

use super::{ProfileRun, Profiles, StageProfile};
use crate::settings::Window;

/// The runs of `profiles` inside `window`, each stage's kept runs in their
/// original order. With no limit set, a copy of `profiles`.
pub fn apply(profiles: &Profiles, window: &Window) -> Profiles {
    Profiles {
        mb_per_vcpu: profiles.mb_per_vcpu,
        stages: profiles
            .stages
            .iter()
            .map(|s| StageProfile {
                stage: s.stage.clone(),
                runs: keep(&s.runs, window)
                    .into_iter()
                    .zip(&s.runs)
                    .filter(|(k, _)| *k)
                    .map(|(_, r)| r.clone())
                    .collect(),
            })
            .collect(),
    }
}

/// How many runs `window` leaves out of `profiles`.
pub fn dropped(profiles: &Profiles, window: &Window) -> usize {
    profiles
        .stages
        .iter()
        .map(|s| keep(&s.runs, window).iter().filter(|k| !**k).count())
        .sum()
}

/// Recency order key: dated runs by time, undated ones before them; ties by position.
fn key(runs: &[ProfileRun], i: usize) -> (bool, f64, usize) {
    match runs[i].timestamp {
        Some(t) => (true, t, i),
        None => (false, 0.0, i),
    }
}

fn newer(a: (bool, f64, usize), b: (bool, f64, usize)) -> std::cmp::Ordering {
    // Descending: newest first.
    b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(b.2.cmp(&a.2))
}

/// Whether each run of one stage is inside the window.
fn keep(runs: &[ProfileRun], window: &Window) -> Vec<bool> {
    let mut kept = vec![true; runs.len()];
    if let Some(age) = window.max_age_s {
        let newest = runs
            .iter()
            .filter_map(|r| r.timestamp)
            .max_by(f64::total_cmp);
        if let Some(newest) = newest {
            for (k, r) in kept.iter_mut().zip(runs) {
                *k = r.timestamp.is_some_and(|t| t >= newest - age);
            }
        }
    }
    if let Some(n) = window.max_runs {
        let mut by_config: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
        for (i, r) in runs.iter().enumerate() {
            by_config.entry((r.memory_mb, r.d)).or_default().push(i);
        }
        for mut indices in by_config.into_values() {
            indices.sort_by(|&a, &b| newer(key(runs, a), key(runs, b)));
            for &i in indices.iter().skip(n as usize) {
                kept[i] = false;
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::StepStat;

    fn run(memory_mb: u32, t: Option<f64>, compute: f64) -> ProfileRun {
        let stat = |v: f64| StepStat {
            mean_s: v,
            p95_s: v,
        };
        ProfileRun {
            memory_mb,
            d: 1,
            rep: 0,
            cold: false,
            start: stat(0.1),
            read: stat(0.0),
            compute: stat(compute),
            write: None,
            timestamp: t,
            architecture: None,
        }
    }

    fn one_stage(runs: Vec<ProfileRun>) -> Profiles {
        Profiles {
            mb_per_vcpu: 1769.0,
            stages: vec![StageProfile {
                stage: "s".into(),
                runs,
            }],
        }
    }

    fn computes(p: &Profiles) -> Vec<f64> {
        p.stages[0].runs.iter().map(|r| r.compute.mean_s).collect()
    }

    #[test]
    fn no_limit_keeps_everything() {
        let p = one_stage(vec![run(128, None, 1.0), run(128, Some(5.0), 2.0)]);
        assert_eq!(apply(&p, &Window::default()), p);
        assert_eq!(dropped(&p, &Window::default()), 0);
    }

    #[test]
    fn age_counts_from_the_newest_dated_run_and_drops_undated_ones() {
        let p = one_stage(vec![
            run(128, None, 1.0),
            run(128, Some(100.0), 2.0),
            run(256, Some(150.0), 3.0),
            run(128, Some(200.0), 4.0),
        ]);
        let w = Window {
            max_age_s: Some(50.0),
            max_runs: None,
        };
        assert_eq!(computes(&apply(&p, &w)), vec![3.0, 4.0]);
        assert_eq!(dropped(&p, &w), 2);
        // Boundary: exactly max_age before the newest is inside.
        let w = Window {
            max_age_s: Some(100.0),
            max_runs: None,
        };
        assert_eq!(computes(&apply(&p, &w)), vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn age_leaves_a_stage_without_dates_alone() {
        let p = one_stage(vec![run(128, None, 1.0), run(128, None, 2.0)]);
        let w = Window {
            max_age_s: Some(1.0),
            max_runs: None,
        };
        assert_eq!(apply(&p, &w), p);
    }

    #[test]
    fn max_runs_keeps_the_newest_per_configuration_in_file_order() {
        let p = one_stage(vec![
            run(128, Some(300.0), 1.0),
            run(128, None, 2.0),
            run(256, Some(10.0), 3.0),
            run(128, Some(100.0), 4.0),
            run(128, None, 5.0),
            run(256, Some(20.0), 6.0),
        ]);
        let w = Window {
            max_age_s: None,
            max_runs: Some(2),
        };
        // 128 MB: dated 300 and 100 are the newest two; 256 MB keeps both.
        assert_eq!(computes(&apply(&p, &w)), vec![1.0, 3.0, 4.0, 6.0]);
        let w = Window {
            max_age_s: None,
            max_runs: Some(3),
        };
        // The third newest 128 MB run is the later undated row (5.0).
        assert_eq!(computes(&apply(&p, &w)), vec![1.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn both_limits_must_hold() {
        let p = one_stage(vec![
            run(128, Some(0.0), 1.0),
            run(128, Some(90.0), 2.0),
            run(128, Some(95.0), 3.0),
            run(128, Some(100.0), 4.0),
        ]);
        let w = Window {
            max_age_s: Some(50.0),
            max_runs: Some(2),
        };
        assert_eq!(computes(&apply(&p, &w)), vec![3.0, 4.0]);
    }
}
