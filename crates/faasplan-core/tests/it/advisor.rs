//! The advisor: the GP, the Sobol points and the normal quantile against
//! SciPy/NumPy, the anomaly detector on the bundled profiles, the surrogate's
//! exact solve against brute force, and the advice itself.
//!
//! Reference values come from NumPy 2.4.6 / SciPy 1.17.1:
//! ```text
//! X=np.array([[0,0],[.5,.2],[1,.4],[.25,1],[.8,.9]]); y=np.array([1,.6,.3,.2,-.5])
//! noise=np.array([.01,.02,.01,.03,.01]); l=np.array([.6,.3]); sf=.4; nu=1e-3
//! H=np.c_[np.ones(5),X]; beta=np.linalg.solve(H.T@H+1e-6*np.eye(3),H.T@y); r=y-H@beta
//! k=lambda A,B: sf**2*np.exp(-.5*(((A[:,None,:]-B[None,:,:])/l)**2).sum(-1))
//! K=k(X,X)+np.diag(noise+nu); a=np.linalg.solve(K,r)
//! ll=-.5*r@a-.5*np.linalg.slogdet(K)[1]-2.5*np.log(2*np.pi)
//! U=np.array([[.4,.5],[.9,.1]]); ks=k(X,U)
//! mu=np.c_[np.ones(2),U]@beta+ks.T@a; cov=k(U,U)-ks.T@np.linalg.solve(K,ks)
//! scipy.stats.qmc.Sobol(d=16,scramble=False).random(1024)[i]; scipy.special.ndtri(p)
//! ```

use approx::assert_relative_eq;
use faasplan_core::advisor::anomaly::{AnomalySettings, detect, exclude_flagged};
use faasplan_core::advisor::gp::{Gp, GpData, Hyper};
use faasplan_core::advisor::propose::{AdvisorSettings, advise, stage_inputs};
use faasplan_core::advisor::sobol::{normal_quantile, sobol_points};
use faasplan_core::advisor::surrogate::{Choice, Surrogate};
use faasplan_core::dag::Config;
use faasplan_core::profile::Profiles;
use rand_core::Rng;

use crate::bundled::project;

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn gp_matches_numpy_reference() {
    let data = GpData {
        x: vec![[0.0, 0.0], [0.5, 0.2], [1.0, 0.4], [0.25, 1.0], [0.8, 0.9]],
        y: vec![1.0, 0.6, 0.3, 0.2, -0.5],
        noise: vec![0.01, 0.02, 0.01, 0.03, 0.01],
    };
    let hyper = Hyper {
        length: [0.6, 0.3],
        signal_sd: 0.4,
        nugget: 1e-3,
    };
    let gp = Gp::fit(&data, hyper).unwrap();
    assert_relative_eq!(
        gp.log_likelihood(),
        -0.697_888_042_536_645_2,
        max_relative = 1e-9
    );
    let (mu, cov) = gp.predict_joint(&[[0.4, 0.5], [0.9, 0.1]]);
    assert_relative_eq!(mu[0], 0.409_578_084_028_403_23, max_relative = 1e-9);
    assert_relative_eq!(mu[1], 0.533_713_605_173_270_7, max_relative = 1e-9);
    let expected = [
        0.084_504_981_706_514_81,
        -0.027_817_582_677_355_67,
        -0.027_817_582_677_355_68,
        0.068_185_192_822_657_88,
    ];
    for (c, e) in cov.iter().zip(expected) {
        assert_relative_eq!(*c, e, max_relative = 1e-8);
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn gp_interpolates_noise_free_points_and_is_uncertain_far_away() {
    let data = GpData {
        x: vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]],
        y: vec![0.0, 1.0, 2.0, 0.5, 3.0],
        noise: vec![0.0; 5],
    };
    let gp = Gp::fit(
        &data,
        Hyper {
            length: [0.3, 0.3],
            signal_sd: 1.0,
            nugget: 1e-9,
        },
    )
    .unwrap();
    let (mu, var) = gp.predict(&[0.5, 0.5]);
    assert_relative_eq!(mu, 3.0, epsilon = 1e-4);
    assert!(var < 1e-6);
    let (_, far) = gp.predict(&[0.5, 0.0]);
    assert!(far > 0.1, "variance between points: {far}");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn sobol_points_match_scipy() {
    let pts = sobol_points(1024, 16).unwrap();
    let row = |i: usize| &pts[i * 16..(i + 1) * 16];
    let check = |i: usize, expected: [f64; 16]| {
        for (a, e) in row(i).iter().zip(expected) {
            assert_relative_eq!(*a, e, epsilon = 1e-12);
        }
    };
    check(
        5,
        [
            0.875, 0.875, 0.125, 0.375, 0.875, 0.625, 0.875, 0.375, 0.375, 0.125, 0.375, 0.875,
            0.875, 0.125, 0.875, 0.375,
        ],
    );
    check(
        100,
        [
            0.414_062_5,
            0.257_812_5,
            0.773_437_5,
            0.726_562_5,
            0.882_812_5,
            0.742_187_5,
            0.023_437_5,
            0.476_562_5,
            0.632_812_5,
            0.695_312_5,
            0.460_937_5,
            0.679_687_5,
            0.476_562_5,
            0.851_562_5,
            0.320_312_5,
            0.492_187_5,
        ],
    );
    check(
        777,
        [
            0.692_382_812_5,
            0.936_523_437_5,
            0.163_085_937_5,
            0.274_414_062_5,
            0.635_742_187_5,
            0.356_445_312_5,
            0.190_429_687_5,
            0.762_695_312_5,
            0.348_632_812_5,
            0.323_242_187_5,
            0.745_117_187_5,
            0.696_289_062_5,
            0.383_789_062_5,
            0.473_632_812_5,
            0.569_335_937_5,
            0.514_648_437_5,
        ],
    );
    check(
        1023,
        [
            0.000_976_562_5,
            0.752_929_687_5,
            0.612_304_687_5,
            0.145_507_812_5,
            0.186_523_437_5,
            0.438_476_562_5,
            0.139_648_437_5,
            0.618_164_062_5,
            0.344_726_562_5,
            0.850_585_937_5,
            0.678_710_937_5,
            0.036_132_812_5,
            0.129_882_812_5,
            0.665_039_062_5,
            0.362_304_687_5,
            0.463_867_187_5,
        ],
    );
    assert!(sobol_points(4, 17).is_none());
    assert!(sobol_points(4, 0).is_none());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn normal_quantile_matches_scipy_ndtri() {
    let cases = [
        (1e-6, -4.753_424_308_822_899),
        (0.01, -2.326_347_874_040_840_8),
        (0.3, -0.524_400_512_708_040_9),
        (0.5, 0.0),
        (0.77, 0.738_846_849_185_213_7),
        (0.999, 3.090_232_306_167_813),
    ];
    for (p, e) in cases {
        assert_relative_eq!(normal_quantile(p), e, max_relative = 1e-8, epsilon = 1e-12);
    }
    assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
}

fn flagged(profiles: &Profiles) -> Vec<(String, u32, u32)> {
    let report = detect(profiles, &AnomalySettings::default());
    report
        .stages
        .iter()
        .flat_map(|s| {
            s.flagged
                .iter()
                .map(|f| (s.stage.clone(), f.memory_mb, f.d))
        })
        .collect()
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn anomaly_detector_finds_the_two_slow_ml_stage1_configs_and_nothing_else() {
    let p = project("ml");
    let found = flagged(&p.profiles);
    assert_eq!(
        found,
        vec![
            ("stage1".to_string(), 5120, 4),
            ("stage1".to_string(), 5120, 8)
        ]
    );
    let report = detect(&p.profiles, &AnomalySettings::default());
    let s1 = &report.stages[1];
    assert!(s1.tested);
    for f in &s1.flagged {
        assert!(
            f.ratio > 1.5 && f.ratio < 2.5,
            "about twice as slow: {}",
            f.ratio
        );
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn anomaly_detector_flags_at_most_two_video_configs() {
    let p = project("video");
    let found = flagged(&p.profiles);
    assert!(found.len() <= 2, "{found:?}");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn anomaly_detector_finds_an_injected_slow_config() {
    let mut p = project("video");
    let stage = &mut p.profiles.stages[2];
    let target = (stage.runs[10].memory_mb, stage.runs[10].d);
    for r in &mut stage.runs {
        if (r.memory_mb, r.d) == target {
            r.start.mean_s *= 2.0;
            r.read.mean_s *= 2.0;
            r.compute.mean_s *= 2.0;
            if let Some(w) = &mut r.write {
                w.mean_s *= 2.0;
            }
        }
    }
    let id = p.profiles.stages[2].stage.clone();
    let found = flagged(&p.profiles);
    assert!(found.contains(&(id, target.0, target.1)), "{found:?}");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn excluding_flagged_runs_removes_only_their_runs() {
    let p = project("ml");
    let report = detect(&p.profiles, &AnomalySettings::default());
    let clean = exclude_flagged(&p.profiles, &report);
    let before: usize = p.profiles.stages.iter().map(|s| s.runs.len()).sum();
    let after: usize = clean.stages.iter().map(|s| s.runs.len()).sum();
    assert_eq!(before - after, 2 * 3);
    assert!(
        clean.stages[1]
            .runs
            .iter()
            .all(|r| !(r.memory_mb == 5120 && r.d <= 8))
    );
    assert!(flagged(&clean).is_empty());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn anomaly_settings_out_of_range_are_refused() {
    let bad = AnomalySettings {
        min_ratio: 0.5,
        ..AnomalySettings::default()
    };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "anomaly settings: min_ratio 0.5 is not a number ≥ 1"
    );
    assert!(AnomalySettings::default().validate().is_ok());
}

/// The cheapest plan within the bound by trying every combination.
fn brute_force(s: &Surrogate, options: &[Vec<Choice>]) -> Option<f64> {
    let n = options.len();
    let mut idx = vec![0usize; n];
    let mut best: Option<f64> = None;
    loop {
        let lat: Vec<f64> = (0..n).map(|k| options[k][idx[k]].latency_s).collect();
        let cost: f64 = (0..n).map(|k| options[k][idx[k]].cost_usd).sum();
        let linked = (0..n).all(|k| {
            s.input_parent(k).is_none_or(|p| {
                Surrogate::linked_ok(options[k][idx[k]].config.d, options[p][idx[p]].config.d)
            })
        });
        if linked && s.latency_s(&lat) <= s.bound_s() && best.is_none_or(|b| cost < b) {
            best = Some(cost);
        }
        let mut k = 0;
        loop {
            if k == n {
                return best;
            }
            idx[k] += 1;
            if idx[k] < options[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn surrogate_solve_equals_brute_force() {
    let p = project("ml");
    let dag = p.workflow.validate().unwrap();
    assert!(
        dag.input_parent.iter().any(Option::is_some),
        "the test covers a linked stage"
    );
    let mut rng = faasplan_core::rng::stream(7, 0);
    for case in 0..200 {
        let options: Vec<Vec<Choice>> = (0..4)
            .map(|_| {
                (0..1 + (rng.next_u64() as u32) % 5)
                    .map(|m| Choice {
                        config: Config {
                            memory_mb: 128 * (m + 1),
                            d: 1 + (rng.next_u64() % 2) as u32,
                        },
                        latency_s: 1.0 + f64::from((rng.next_u64() as u32) % 1000) / 100.0,
                        cost_usd: f64::from((rng.next_u64() as u32) % 1000) / 1e4,
                    })
                    .collect()
            })
            .collect();
        let bound = 8.0 + f64::from(case % 25);
        let s = Surrogate::new(&dag, bound);
        let solved = s.solve(&options).map(|p| p.cost_usd);
        match (solved, brute_force(&s, &options)) {
            (Some(a), Some(b)) => assert_relative_eq!(a, b, epsilon = 1e-12),
            (a, b) => assert_eq!(a, b, "case {case}"),
        }
    }
}

/// The ML pipeline's profiles with only the first `keep` configurations of every stage.
fn first_configs(profiles: &Profiles, keep: &[usize]) -> Profiles {
    let mut out = profiles.clone();
    for sp in &mut out.stages {
        let mut seen: Vec<(u32, u32)> = Vec::new();
        for r in &sp.runs {
            if !seen.contains(&(r.memory_mb, r.d)) {
                seen.push((r.memory_mb, r.d));
            }
        }
        let kept: Vec<(u32, u32)> = keep.iter().filter_map(|&i| seen.get(i).copied()).collect();
        sp.runs.retain(|r| kept.contains(&(r.memory_mb, r.d)));
    }
    out
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn advisor_proposes_distinct_unmeasured_configs_with_gains() {
    let p = project("ml");
    let dag = p.workflow.validate().unwrap();
    let partial = first_configs(&p.profiles, &[0, 9, 22]);
    let inputs = stage_inputs(&p.workflow, &dag, &partial, &p.platform).unwrap();
    let settings = AdvisorSettings {
        batch: 4,
        draws: 63,
        ..AdvisorSettings::default()
    };
    let advice = advise(&dag, &inputs, &p.platform, 60.0, &settings).unwrap();
    assert_eq!(advice.proposals.len(), 4);
    for (k, a) in advice.proposals.iter().enumerate() {
        assert!(a.expected_gain_usd >= 0.0);
        let s = inputs.iter().find(|i| i.stage == a.stage).unwrap();
        let c = Config {
            memory_mb: a.memory_mb,
            d: a.d,
        };
        assert!(s.candidates.contains(&c) && !s.measured.iter().any(|o| o.config == c));
        for b in &advice.proposals[..k] {
            assert!(!(a.stage == b.stage && a.memory_mb == b.memory_mb && a.d == b.d));
        }
    }
    let sum: f64 = advice.proposals.iter().map(|a| a.expected_gain_usd).sum();
    assert_relative_eq!(sum, advice.batch_gain_usd, max_relative = 1e-9);
    assert!(
        advice.batch_gain_usd > 0.0,
        "three configs per stage leave something to gain"
    );
    let plan = advice.plan.unwrap();
    assert!(plan.latency_s <= 60.0);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn advisor_stops_when_everything_is_measured() {
    let p = project("ml");
    let dag = p.workflow.validate().unwrap();
    let mut inputs = stage_inputs(&p.workflow, &dag, &p.profiles, &p.platform).unwrap();
    for i in &mut inputs {
        i.candidates = i.measured.iter().map(|o| o.config).collect();
    }
    let advice = advise(
        &dag,
        &inputs,
        &p.platform,
        60.0,
        &AdvisorSettings::default(),
    )
    .unwrap();
    assert!(advice.proposals.is_empty());
    assert!(advice.stop);
    assert_eq!(advice.batch_gain_usd, 0.0);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn advisor_refuses_bad_settings_and_unmeasured_stages() {
    let p = project("ml");
    let dag = p.workflow.validate().unwrap();
    let inputs = stage_inputs(&p.workflow, &dag, &p.profiles, &p.platform).unwrap();
    let bad = AdvisorSettings {
        batch: 9,
        ..AdvisorSettings::default()
    };
    let err = advise(&dag, &inputs, &p.platform, 60.0, &bad).unwrap_err();
    assert_eq!(err.to_string(), "advisor settings: batch 9 is not in 1..=8");
    let err = advise(
        &dag,
        &inputs,
        &p.platform,
        -1.0,
        &AdvisorSettings::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("latency bound -1"));
    let mut none = p.profiles.clone();
    none.stages[2].runs.clear();
    let err = stage_inputs(&p.workflow, &dag, &none, &p.platform).unwrap_err();
    assert!(
        err.to_string().starts_with("stage stage2: no measured run"),
        "{err}"
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_project_setting_leaves_flagged_runs_out_of_the_models() {
    use faasplan_core::formats::project::Project;
    use faasplan_core::pipeline::prepare;
    let mut p = project("ml");
    let plain = prepare(&p).unwrap().model;
    p.settings.exclude_flagged = true;
    let excluded = prepare(&p).unwrap().model;
    let mut by_hand = project("ml");
    by_hand.profiles = exclude_flagged(
        &by_hand.profiles,
        &detect(&by_hand.profiles, &AnomalySettings::default()),
    );
    assert_eq!(excluded, prepare(&by_hand).unwrap().model);
    // Only ML stage 1 has flagged runs.
    assert_ne!(excluded.stages[1], plain.stages[1]);
    assert_eq!(excluded.stages[0], plain.stages[0]);
    // The setting is stored in the project file, and absent when off.
    assert!(
        Project::from_json(&p.to_json())
            .unwrap()
            .settings
            .exclude_flagged
    );
    assert!(!project("ml").to_json().contains("exclude_flagged"));
}

mod forecasts {
    use approx::assert_relative_eq;
    use faasplan_core::advisor::forecast::{
        Forecaster, TraceKind, concurrency, generate, read_trace_csv, smape,
    };

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn smape_matches_hand_values() {
        // 2·|2−1|/3, 2·|0−2|/2, 0 (both 0), 2·|4−4|/8 → (0.6667 + 2 + 0 + 0) / 4.
        let s = smape(&[1.0, 2.0, 0.0, 4.0], &[2.0, 0.0, 0.0, 4.0], 0);
        assert_relative_eq!(s, 100.0 * (2.0 / 3.0 + 2.0) / 4.0, epsilon = 1e-12);
        assert_relative_eq!(smape(&[1.0, 2.0], &[5.0, 2.0], 1), 0.0);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn forecasters_use_only_the_past() {
        let y = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let keep = Forecaster::KeepAlive { minutes: 2 }.forecast(&y);
        assert_eq!(keep, vec![0.0, 3.0, 3.0, 4.0, 4.0, 5.0, 9.0, 9.0]);
        let naive = Forecaster::SeasonalNaive { season: 3 }.forecast(&y);
        assert_eq!(naive, vec![0.0, 3.0, 1.0, 3.0, 1.0, 4.0, 1.0, 5.0]);
        // Changing the future leaves every earlier forecast unchanged.
        let mut z = y;
        z[7] = 100.0;
        for f in [
            Forecaster::HoltWinters {
                season: 3,
                alpha: 0.3,
                gamma: 0.2,
            },
            Forecaster::Quantile {
                season: 3,
                q: 0.9,
                window: 4,
            },
        ] {
            assert_eq!(f.forecast(&y)[..8], f.forecast(&z)[..8]);
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn holt_winters_learns_a_repeating_season_exactly() {
        let y: Vec<f64> = (0..40)
            .map(|t| [2.0, 8.0, 5.0, 1.0][t % 4] + 10.0)
            .collect();
        let f = Forecaster::HoltWinters {
            season: 4,
            alpha: 0.2,
            gamma: 0.1,
        }
        .forecast(&y);
        for t in 8..40 {
            assert_relative_eq!(f[t], y[t], epsilon = 1e-9);
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn generated_traces_are_reproducible_and_have_their_rates() {
        let a = generate(TraceKind::Diurnal, 2880, 5);
        assert_eq!(a, generate(TraceKind::Diurnal, 2880, 5));
        let mean = |k| {
            let t = generate(k, 14_400, 3);
            t.counts.iter().sum::<f64>() / t.counts.len() as f64
        };
        assert_relative_eq!(mean(TraceKind::Diurnal), 20.0, max_relative = 0.05);
        assert_relative_eq!(mean(TraceKind::Sparse), 0.05, max_relative = 0.15);
        let bursty = mean(TraceKind::Bursty);
        assert!(bursty > 6.0 && bursty < 12.0, "{bursty}");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn forecasts_beat_keep_alive_on_a_diurnal_trace() {
        let trace = generate(TraceKind::Diurnal, 4 * 1440, 11);
        let y = concurrency(&trace, 4, 30.0);
        let score = |f: Forecaster| smape(&y, &f.forecast(&y), 1440);
        let keep = score(Forecaster::KeepAlive { minutes: 10 });
        let hw = score(Forecaster::HoltWinters {
            season: 1440,
            alpha: 0.2,
            gamma: 0.1,
        });
        assert!(hw < keep, "Holt–Winters {hw}% vs keep-alive {keep}%");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn trace_csv_reads_counts_and_timestamps_and_names_bad_lines() {
        assert_eq!(
            read_trace_csv("count\n3\n0\n2.5\n").unwrap().counts,
            vec![3.0, 0.0, 2.5]
        );
        let t = read_trace_csv("timestamp_s\n65\n70\n130\n250\n").unwrap();
        assert_eq!(t.counts, vec![2.0, 1.0, 0.0, 1.0]);
        let e = read_trace_csv("count\n3\nx\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "trace csv: line 3: count: \"x\" is not a number"
        );
        let e = read_trace_csv("count\n-1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "trace csv: line 2: count: -1 is not a finite number ≥ 0"
        );
        let e = read_trace_csv("when\n1\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("expected \"count\" or \"timestamp_s\""),
            "{e}"
        );
        assert!(read_trace_csv("").is_err());
        assert!(read_trace_csv("count\n").is_err());
    }
}

mod prewarm_planning {
    use approx::assert_relative_eq;
    use faasplan_core::advisor::forecast::{Forecaster, Trace, TraceKind, generate};
    use faasplan_core::advisor::prewarm::{
        PrewarmSettings, ProvisionedPrices, StageLoad, cold_start_settings, instances_needed,
        plan_prewarm,
    };
    use faasplan_core::platform::Platform;
    use faasplan_core::settings::ColdStarts;

    fn load(d: u32, duration_s: f64) -> StageLoad {
        StageLoad {
            stage: "s".into(),
            memory_mb: 2048,
            d,
            duration_s,
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn forecasts_ahead_use_only_minutes_lead_before() {
        let y: Vec<f64> = (0..30).map(|t| ((t * 7) % 11) as f64).collect();
        let forecasters = [
            Forecaster::KeepAlive { minutes: 3 },
            Forecaster::SeasonalNaive { season: 4 },
            Forecaster::HoltWinters {
                season: 4,
                alpha: 0.3,
                gamma: 0.2,
            },
            Forecaster::Quantile {
                season: 4,
                q: 0.8,
                window: 5,
            },
        ];
        for f in forecasters {
            assert_eq!(f.forecast_ahead(&y, 1), f.forecast(&y), "{f:?}");
            for lead in [2, 3, 6] {
                let base = f.forecast_ahead(&y, lead);
                // Changing minute k changes no forecast before minute k + lead.
                for k in [9, 17] {
                    let mut z = y.clone();
                    z[k] += 50.0;
                    let changed = f.forecast_ahead(&z, lead);
                    assert_eq!(base[..k + lead], changed[..k + lead], "{f:?} lead {lead}");
                }
            }
        }
        // Hand values: keep-alive 2 minutes, 2 ahead; seasonal naive season 3, 4 ahead (2 seasons back).
        let s = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        assert_eq!(
            Forecaster::KeepAlive { minutes: 2 }.forecast_ahead(&s, 2),
            vec![0.0, 0.0, 3.0, 3.0, 4.0, 4.0, 5.0, 9.0]
        );
        assert_eq!(
            Forecaster::SeasonalNaive { season: 3 }.forecast_ahead(&s, 4),
            vec![0.0, 0.0, 0.0, 0.0, 3.0, 1.0, 3.0, 1.0]
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn holt_winters_ahead_learns_a_repeating_season() {
        let y: Vec<f64> = (0..60)
            .map(|t| [2.0, 8.0, 5.0, 1.0][t % 4] + 10.0)
            .collect();
        let hw = Forecaster::HoltWinters {
            season: 4,
            alpha: 0.2,
            gamma: 0.1,
        };
        for lead in [1, 3, 5] {
            let f = hw.forecast_ahead(&y, lead);
            for t in 16..60 {
                assert_relative_eq!(f[t], y[t], epsilon = 1e-9);
            }
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn instances_needed_follow_littles_law_with_d_at_least() {
        let trace = Trace {
            counts: vec![0.0, 1.0, 10.0, 3.0],
        };
        // d = 4, 30 s: 10 runs → 20 busy; 3 runs → 6; 1 run → 2, but a run needs its 4.
        assert_eq!(instances_needed(&trace, 4, 30.0), vec![0.0, 4.0, 20.0, 6.0]);
        assert_eq!(instances_needed(&trace, 1, 90.0), vec![0.0, 2.0, 15.0, 5.0]);
    }

    fn short_settings() -> PrewarmSettings {
        PrewarmSettings {
            keep_alive_minutes: 10,
            forecaster: Forecaster::KeepAlive { minutes: 10 },
            calibrate_from: 10,
            evaluate_from: 20,
            ..PrewarmSettings::default()
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn costs_and_cold_starts_match_hand_values() {
        // One run at minute 25 (d = 2, 30 s), nothing before: both instances start
        // cold with nothing provisioned, and the keep-alive forecast sees nothing coming.
        let mut counts = vec![0.0; 30];
        counts[25] = 1.0;
        let platform = Platform::default();
        let plan = plan_prewarm(
            &Trace { counts },
            &[load(2, 30.0)],
            &platform,
            &short_settings(),
        )
        .unwrap();
        let s = &plan.stages[0];
        assert_eq!(s.schedule, vec![0, 0]);
        assert_eq!(s.none.cold, 2.0);
        assert_eq!(s.none.cold_pct, 100.0);
        let gb = 2.0;
        let on_demand =
            2.0 * 30.0 * gb * platform.price_per_gb_s + 2.0 * platform.price_per_request;
        assert_relative_eq!(s.none.cost_usd, on_demand, max_relative = 1e-12);
        assert_relative_eq!(s.planned.cost_usd, on_demand, max_relative = 1e-12);
        assert_relative_eq!(
            s.none.monthly_usd,
            on_demand * 43_200.0 / 10.0,
            max_relative = 1e-12
        );
        // Always on at the plan's 100%: nothing needs provisioning.
        assert_eq!(s.always_on_p, 0);
        // Steady load: 6 runs a minute, d = 2, 30 s → 6 instances needed every
        // minute, warm after the first minute; the history fills the warm pool, so
        // no cold start and the cheapest plan provisions all 6 (provisioned GB-s
        // plus its duration price is below the on-demand price at full use).
        let counts = vec![6.0; 30];
        let plan = plan_prewarm(
            &Trace { counts },
            &[load(2, 30.0)],
            &platform,
            &short_settings(),
        )
        .unwrap();
        let s = &plan.stages[0];
        assert_eq!(s.none.cold, 0.0);
        assert_eq!(s.schedule, vec![6, 6]);
        let pc = ProvisionedPrices::aws_x86_64();
        let per_minute = 6.0 * gb * 60.0 * pc.usd_per_gb_s
            + 12.0 * 30.0 * gb * pc.duration_usd_per_gb_s
            + 12.0 * platform.price_per_request;
        assert_relative_eq!(s.planned.cost_usd, 10.0 * per_minute, max_relative = 1e-12);
        assert_relative_eq!(
            s.planned.provisioned_usd,
            10.0 * 6.0 * gb * 60.0 * pc.usd_per_gb_s,
            max_relative = 1e-12
        );
        assert!(s.planned.cost_usd < s.none.cost_usd);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_strict_target_buys_fewer_cold_starts_on_a_bursty_trace() {
        let trace = generate(TraceKind::Bursty, 3 * 1440, 4);
        let platform = Platform::default();
        let run = |target_cold_pct: f64| {
            let settings = PrewarmSettings {
                target_cold_pct,
                forecaster: Forecaster::KeepAlive { minutes: 10 },
                ..PrewarmSettings::default()
            };
            plan_prewarm(&trace, &[load(4, 30.0)], &platform, &settings)
                .unwrap()
                .stages
                .remove(0)
        };
        let loose = run(100.0);
        let strict = run(0.2);
        assert!(loose.none.cold_pct > 0.5, "{}", loose.none.cold_pct);
        assert!(
            strict.planned.cold_pct < loose.planned.cold_pct,
            "{} vs {}",
            strict.planned.cold_pct,
            loose.planned.cold_pct
        );
        assert!(strict.planned.cost_usd > loose.planned.cost_usd);
        // Always on is matched to the plan's rate.
        assert!(strict.always_on.cold_pct <= strict.planned.cold_pct);
        // The setting the plan feeds to the cold-start mixture: its rate rounded up.
        let plan = plan_prewarm(
            &trace,
            &[load(4, 30.0)],
            &platform,
            &PrewarmSettings {
                target_cold_pct: 0.2,
                forecaster: Forecaster::KeepAlive { minutes: 10 },
                ..PrewarmSettings::default()
            },
        )
        .unwrap();
        let settings = cold_start_settings(&plan);
        let ColdStarts::Rate(pct) = settings["s"] else {
            panic!("{settings:?}")
        };
        assert!(
            pct >= plan.stages[0].planned.cold_pct && pct <= plan.stages[0].planned.cold_pct + 0.01
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn provisioning_stays_within_the_concurrency_limit() {
        // 10 million runs a minute need 10⁸ instances: the choice stops at the limit.
        let trace = Trace {
            counts: (0..40).map(|t| 1e7 * (1.0 + (t % 3) as f64)).collect(),
        };
        let platform = Platform::default();
        let plan = plan_prewarm(&trace, &[load(10, 60.0)], &platform, &short_settings()).unwrap();
        let s = &plan.stages[0];
        assert!(s.schedule.iter().all(|&p| p <= platform.concurrency_limit));
        assert!(
            s.schedule.contains(&platform.concurrency_limit),
            "{:?}",
            s.schedule
        );
        assert!(s.always_on_p <= platform.concurrency_limit);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn bad_settings_and_loads_name_the_field() {
        let trace = Trace {
            counts: vec![1.0; 40],
        };
        let platform = Platform::default();
        let err = |settings: PrewarmSettings, l: StageLoad| {
            plan_prewarm(&trace, &[l], &platform, &settings)
                .unwrap_err()
                .to_string()
        };
        let s = short_settings();
        assert_eq!(
            err(
                PrewarmSettings {
                    interval_minutes: 3,
                    ..s.clone()
                },
                load(1, 1.0)
            ),
            "prewarm.interval_minutes: 3 is not a positive multiple of the 5-minute billing increment up to 1440"
        );
        assert!(
            err(
                PrewarmSettings {
                    target_cold_pct: 101.0,
                    ..s.clone()
                },
                load(1, 1.0)
            )
            .starts_with("prewarm.target_cold_pct")
        );
        assert!(
            err(
                PrewarmSettings {
                    evaluate_from: 40,
                    ..s.clone()
                },
                load(1, 1.0)
            )
            .starts_with("prewarm.evaluate_from: minute 40 is not inside the 40-minute trace")
        );
        assert!(
            err(
                PrewarmSettings {
                    calibrate_from: 20,
                    ..s.clone()
                },
                load(1, 1.0)
            )
            .starts_with("prewarm.calibrate_from")
        );
        assert_eq!(
            err(
                PrewarmSettings {
                    keep_alive_minutes: 100_000,
                    ..s.clone()
                },
                load(1, 1.0)
            ),
            "prewarm.keep_alive_minutes: 100000 is not in 1..=1440"
        );
        assert_eq!(
            err(s, load(1, f64::NAN)),
            "prewarm stage s: duration NaN s is not a finite value above 0"
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_forecast_band_spans_the_error_scenarios_and_covers_most_minutes() {
        let trace = generate(TraceKind::Diurnal, 3 * 1440, 2);
        let settings = PrewarmSettings {
            forecaster: Forecaster::SeasonalNaive { season: 1440 },
            ..PrewarmSettings::default()
        };
        let plan = plan_prewarm(&trace, &[load(4, 30.0)], &Platform::default(), &settings).unwrap();
        let s = &plan.stages[0];
        assert_eq!(s.band.len(), s.forecast.len());
        assert_eq!(s.band.len(), s.needed.len());
        assert!(s.band.iter().all(|&(lo, hi)| 0.0 <= lo && lo <= hi));
        // The 5%–95% band of the recent errors holds most minutes' actual need,
        // and is not the whole axis.
        let inside = s
            .needed
            .iter()
            .zip(&s.band)
            .filter(|&(n, &(lo, hi))| lo <= *n && *n <= hi)
            .count() as f64
            / s.needed.len() as f64;
        assert!((0.6..0.99).contains(&inside), "{inside}");
        let wide = s.band.iter().map(|(lo, hi)| hi - lo).sum::<f64>() / s.band.len() as f64;
        let mean = s.needed.iter().sum::<f64>() / s.needed.len() as f64;
        assert!(wide < mean, "{wide} vs {mean}");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn stage_loads_take_the_plans_configurations_and_their_median_billed_time() {
        use faasplan_core::advisor::prewarm::stage_loads;
        use faasplan_core::advisor::propose::{current_plan, stage_inputs};
        let p = crate::bundled::project("ml");
        let dag = p.workflow.validate().unwrap();
        let inputs = stage_inputs(&p.workflow, &dag, &p.profiles, &p.platform).unwrap();
        let plan = current_plan(&dag, &inputs, &p.platform, 60.0)
            .unwrap()
            .expect("a plan at 60 s");
        let loads = stage_loads(&p.profiles, &plan).unwrap();
        assert_eq!(loads.len(), plan.configs.len());
        for (load, (stage, c)) in loads.iter().zip(&plan.configs) {
            assert_eq!(
                (&load.stage, load.memory_mb, load.d),
                (stage, c.memory_mb, c.d)
            );
            let runs: Vec<_> = p
                .profiles
                .stage(stage)
                .unwrap()
                .runs
                .iter()
                .filter(|r| r.memory_mb == c.memory_mb && r.d == c.d)
                .collect();
            assert!(!runs.is_empty());
            assert!(load.duration_s > 0.0 && load.duration_s.is_finite());
        }
        // A plan naming a configuration without runs is refused, naming the stage.
        let mut missing = plan.clone();
        missing.configs[0].1.memory_mb += 1;
        let e = stage_loads(&p.profiles, &missing).unwrap_err().to_string();
        assert!(e.contains(&plan.configs[0].0), "{e}");
    }
}
