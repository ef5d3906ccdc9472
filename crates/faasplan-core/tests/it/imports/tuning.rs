//! Power Tuning results: decoded values against the README's reference values.

use approx::assert_relative_eq;
use faasplan_core::arch::Arch;
use faasplan_core::formats::power_tuning::{
    TuningRun, decode_url, import_tuning, label_architecture, profile_runs,
};

use super::{ALL, sample};

fn check(run: &TuningRun, powers: &[u32], ms: &[f64], usd: &[f64]) {
    let got: Vec<u32> = run.points.iter().map(|p| p.memory_mb).collect();
    assert_eq!(got, powers);
    for (p, (m, c)) in run.points.iter().zip(ms.iter().zip(usd)) {
        assert_relative_eq!(p.duration_ms, *m, max_relative = 1e-6);
        // The README gives costs to 6 significant digits.
        assert_relative_eq!(
            significant(p.cost.expect("cost"), 6),
            *c,
            max_relative = 1e-6
        );
    }
}

fn significant(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

const DEMO_POWERS: [u32; 5] = [384, 512, 1024, 1536, 2048];
const DEMO_A_MS: [f64; 5] = [15011.775, 13682.906, 12966.236, 10443.375, 11448.624];
const DEMO_A_USD: [f64; 5] = [
    9.45756e-05,
    1.14937e-04,
    2.17846e-04,
    2.63189e-04,
    3.84686e-04,
];

#[test]
fn readme_example_url_matches_the_reference_values() {
    let t = import_tuning(sample!(
        "powertuning/powertuning__README__example-visualization-url.txt"
    ))
    .expect("reads");
    assert_eq!(t.runs.len(), 1);
    check(
        &t.runs[0],
        &[128, 256, 512, 1024, 1536, 3008],
        &[
            37002.398, 18647.773, 8489.4365, 3890.8916, 2512.2266, 2009.7933,
        ],
        &[
            7.7168e-05,
            7.7792e-05,
            7.072e-05,
            6.4896e-05,
            6.4896e-05,
            1.02648e-04,
        ],
    );
    assert!(t.notes.is_empty());
}

#[test]
fn ui_demo_urls_basic_with_trailing_semicolon_and_comparison() {
    let t = import_tuning(sample!(
        "powertuning/powertuning-ui__README__demo-visualization-urls.txt"
    ))
    .expect("reads");
    assert_eq!(t.runs.len(), 3);
    check(&t.runs[0], &DEMO_POWERS, &DEMO_A_MS, &DEMO_A_USD);
    assert!(
        t.notes[0].starts_with("line 1: the URL's data has 4 parts"),
        "{:?}",
        t.notes
    );
    assert_eq!(t.runs[1].label, "JS x86");
    check(&t.runs[1], &DEMO_POWERS, &DEMO_A_MS, &DEMO_A_USD);
    assert_eq!(t.runs[2].label, "JS ARM64");
    // The comparison's legends name the architectures; the plain URL's run has none.
    let archs: Vec<_> = t.runs.iter().map(|r| r.architecture).collect();
    assert_eq!(archs, [None, Some(Arch::X86_64), Some(Arch::Arm64)]);
    assert!(
        profile_runs(&t.runs[2])
            .iter()
            .all(|r| r.architecture == Some(Arch::Arm64))
    );
    assert_eq!(
        label_architecture("Node.js on Graviton2"),
        Some(Arch::Arm64)
    );
    assert_eq!(label_architecture("x86_64 vs arm64"), None);
    assert_eq!(label_architecture("Armadillo"), None);
    check(
        &t.runs[2],
        &DEMO_POWERS,
        &[15098.206, 12788.779, 9256.7529, 8345.248, 8841.3037],
        &[
            7.70049e-05,
            8.69652e-05,
            1.25895e-04,
            1.70258e-04,
            2.40502e-04,
        ],
    );
}

#[test]
fn documented_outputs_with_and_without_stats() {
    let t = import_tuning(sample!(
        "powertuning/powertuning__README-SAR__state-machine-output.L176-187.json"
    ))
    .expect("reads");
    assert_eq!(t.runs[0].chosen_mb, Some(128));
    assert_eq!(t.runs[0].points.len(), 1);
    assert_relative_eq!(t.runs[0].points[0].duration_ms, 2.9066666666666667);
    let t = import_tuning(sample!(
        "powertuning/powertuning__README__state-machine-output.L121-133.jsonc"
    ))
    .expect("reads");
    assert_eq!(
        t.runs[0].chosen_mb,
        Some(128),
        "power is the string \"128\""
    );
    assert_eq!(t.runs[0].points.len(), 1);
    assert_eq!(t.runs[0].points[0].cost, Some(0.0000002083));
}

#[test]
fn execution_input_is_refused_as_having_no_measurements() {
    let e = import_tuning(sample!(
        "powertuning/powertuning__scripts__sample-execution-input.json"
    ))
    .unwrap_err();
    assert!(e.to_string().contains("execution input"), "{e}");
}

#[test]
fn run_histories_give_every_run_with_its_point_count() {
    // From the samples' README: points per visualization URL, per file.
    let expected: [(&str, &[usize]); 11] = [
        ("sample_1__ImageProcessingFilter__", &[6, 7, 9, 10, 10, 10]),
        ("sample_1__ImageProcessingFlip__", &[6, 9, 9, 9, 9]),
        ("sample_1__ImageProcessingGetInput__", &[6, 17, 17, 13, 5]),
        (
            "sample_1__ImageProcessingGrayscale__",
            &[6, 13, 9, 9, 9, 9, 10],
        ),
        ("sample_1__ImageProcessingResize__", &[6, 9, 9, 8, 9, 10]),
        ("sample_1__ImageProcessingRotate__", &[6, 13, 9, 9, 9, 10]),
        ("sample_2__ImageProcessingFilter__", &[6, 17, 20, 21, 19]),
        ("sample_2__ImageProcessingFlip__", &[6, 17, 17, 12, 11]),
        ("sample_2__ImageProcessingGrayscale__", &[6, 17, 17, 17, 21]),
        ("sample_2__ImageProcessingResize__", &[6, 17, 17, 17, 17]),
        ("sample_2__ImageProcessingRotate__", &[6, 17, 17, 15, 12]),
    ];
    for (key, counts) in expected {
        let (path, text) = ALL.iter().find(|(p, _)| p.contains(key)).expect("sample");
        let t = import_tuning(text).expect("reads");
        let got: Vec<usize> = t.runs.iter().map(|r| r.points.len()).collect();
        assert_eq!(got, counts, "{path}");
        let function = key
            .trim_start_matches("sample_1__")
            .trim_start_matches("sample_2__")
            .trim_end_matches("__");
        for r in &t.runs {
            let f = r.function.as_deref().expect("lambdaARN");
            assert!(
                f.to_ascii_lowercase()
                    .ends_with(&function.to_ascii_lowercase()),
                "{path}: {f}"
            );
            assert!(r.chosen_mb.is_some());
            assert!(r.points.windows(2).all(|w| w[0].memory_mb < w[1].memory_mb));
        }
        assert_eq!(profile_runs(&t.runs[0]).len(), counts[0]);
    }
}

#[test]
fn summary_tables_are_not_results() {
    for (path, text) in ALL
        .iter()
        .filter(|(p, _)| p.ends_with("sample_1__README.md") || p.ends_with("sample_2__README.md"))
    {
        assert!(import_tuning(text).is_err(), "{path}");
    }
}

#[test]
fn broken_blocks_are_recovered() {
    let md = "## Run\n```\n{\n  \"lambdaARN\": \"arn:aws:lambda:us-east-2:1:function:F\"\n  \"powerValues\": [128, 256]\n}\n```\n```\n  \"power\": 256,\n  \"cost\": 1e-6,\n  \"duration\": 10.0,\n  \"stateMachine\": {\"visualization\": \"https://lambda-power-tuning.show/#gAAAAQ==;AAAgQQAAoEA=;vTeGNb03BjY=\"}\n}\n```\n";
    let t = import_tuning(md).expect("reads");
    assert_eq!(t.runs.len(), 1);
    assert_eq!(
        t.runs[0].function.as_deref(),
        Some("arn:aws:lambda:us-east-2:1:function:F")
    );
    assert_eq!(
        t.runs[0]
            .points
            .iter()
            .map(|p| p.memory_mb)
            .collect::<Vec<_>>(),
        [128, 256]
    );
    assert_eq!(t.runs[0].points[0].duration_ms, 10.0);
}

#[test]
fn bad_urls_name_the_part() {
    for (url, place) in [
        (
            "https://lambda-power-tuning.show/#gAAAAQ==;AAAgQQ==;vTeGNb03BjY=",
            "URL # parts 1-3",
        ),
        (
            "https://lambda-power-tuning.show/#gAAAAQA;AAAgQQ==;vTeGNb03BjY=",
            "URL # part 1",
        ),
        (
            "https://lambda-power-tuning.show/#gAAAAQ==;AAAgQQAAoEA=",
            "URL #",
        ),
        ("https://lambda-power-tuning.show/", "URL"),
    ] {
        let e = decode_url(url).unwrap_err();
        assert!(e.place.starts_with(place), "{url}: {e}");
    }
}
