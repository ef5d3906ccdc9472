//! Seeded mutation fuzz: bad input never panics, and every error names a line or field.
//!
//! Inputs: the bundled files, their CSV, project and plan forms, mutated by
//! byte flips, truncations, insertions of JSON/CSV tokens, deletions and
//! duplications; plus random CSV and random JSON. Each input goes through the
//! parser(s) of its kind and one other parser picked at random.

use faasplan_core::formats::csv::{COLUMNS, read_profiles_csv, write_profiles_csv};
use faasplan_core::formats::jolteon::{self, JolteonGrid, JolteonProfileOptions};
use faasplan_core::formats::project::Project;
use faasplan_core::plan;
use faasplan_core::platform::Platform;
use faasplan_core::rng::{stream, uniform};
use faasplan_core::settings::PlanSettings;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{ML_PROFILE, ML_WORKFLOW, VIDEO_PROFILE, VIDEO_WORKFLOW, bundled};

const TOKENS: [&str; 24] = [
    ",",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ":",
    "-",
    "0",
    "1e999",
    "-1",
    "null",
    "true",
    "\n",
    "\r\n",
    "#",
    "NaN",
    "inf",
    "\"false\"",
    "4294967296",
    "0.5",
    " ",
    "\u{feff}",
    "é",
];

fn below(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    ((uniform(rng) * n as f64) as usize).min(n.saturating_sub(1))
}

fn pick<'a>(rng: &mut Xoshiro256PlusPlus, items: &[&'a str]) -> &'a str {
    items[below(rng, items.len())]
}

/// One to three random edits of `base`.
fn mutate(rng: &mut Xoshiro256PlusPlus, base: &str) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for _ in 0..1 + below(rng, 3) {
        let at = below(rng, bytes.len() + 1);
        match below(rng, 5) {
            0 if at < bytes.len() => bytes[at] ^= 1 << below(rng, 8),
            1 => bytes.truncate(at),
            2 => {
                let tok = pick(rng, &TOKENS);
                bytes.splice(at..at, tok.bytes());
            }
            3 => {
                let end = (at + below(rng, 40)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                let end = (at + below(rng, 40)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn random_csv(rng: &mut Xoshiro256PlusPlus) -> String {
    let mut cols: Vec<&str> = COLUMNS.to_vec();
    for i in (1..cols.len()).rev() {
        cols.swap(i, below(rng, i + 1));
    }
    cols.truncate(cols.len() - below(rng, 3));
    if below(rng, 4) == 0 {
        cols.push(pick(rng, &["extra", "d", "", "\"stage\""]));
    }
    let cells = [
        "s",
        "\"q,x\"",
        "1",
        "0",
        "-1",
        "1.5",
        "true",
        "false",
        "",
        "abc",
        "1e308",
        "NaN",
        "\"",
        "9999999999",
    ];
    let mut text = cols.join(",");
    for _ in 0..below(rng, 6) {
        text.push_str(pick(rng, &["\n", "\r\n", "\n# c\n", "\n\n"]));
        let n = cols.len() + below(rng, 3) - 1;
        let row: Vec<&str> = (0..n).map(|_| pick(rng, &cells)).collect();
        text.push_str(&row.join(","));
    }
    text
}

fn random_json(rng: &mut Xoshiro256PlusPlus, depth: usize) -> String {
    let keys = [
        "format",
        "version",
        "workflow",
        "stage0",
        "cold",
        "num_stages",
        "0",
        "grid",
        "x",
    ];
    match below(rng, if depth > 3 { 4 } else { 7 }) {
        0 => "null".into(),
        1 => format!(
            "{}",
            (uniform(rng) - 0.3) * 10f64.powi(below(rng, 12) as i32)
        ),
        2 => format!(
            "\"{}\"",
            pick(
                rng,
                &[
                    "faasplan-project",
                    "faasplan-plan",
                    "ML-Pipeline",
                    "",
                    "false"
                ]
            )
        ),
        3 => below(rng, 40).to_string(),
        4 | 5 => {
            let items: Vec<String> = (0..below(rng, 4))
                .map(|_| random_json(rng, depth + 1))
                .collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let items: Vec<String> = (0..below(rng, 5))
                .map(|_| format!("\"{}\":{}", pick(rng, &keys), random_json(rng, depth + 1)))
                .collect();
            format!("{{{}}}", items.join(","))
        }
    }
}

/// Every parser, by index: returns the error message, if any.
fn parse(which: usize, input: &str) -> Option<String> {
    let opts = JolteonProfileOptions::default();
    let ml_grid = JolteonGrid::bundled("ML-Pipeline").unwrap();
    let err = |r: Result<(), String>| r.err();
    match which {
        0 => err(jolteon::import_workflow(input, &ml_grid)
            .map(drop)
            .map_err(|e| e.to_string())),
        1 => err(jolteon::import(input, ML_PROFILE, None, &opts)
            .map(drop)
            .map_err(|e| e.to_string())),
        2 => {
            let (wf, _) = bundled(ML_WORKFLOW, ML_PROFILE);
            err(jolteon::import_profiles(input, &wf, &ml_grid, &opts)
                .map(drop)
                .map_err(|e| e.to_string()))
        }
        3 => err(JolteonGrid::from_json(input)
            .map(drop)
            .map_err(|e| e.to_string())),
        4 => match read_profiles_csv(input, 1792.0) {
            Ok(p) => {
                assert_eq!(
                    read_profiles_csv(&write_profiles_csv(&p), 1792.0).unwrap(),
                    p
                );
                None
            }
            Err(e) => Some(e.to_string()),
        },
        5 => match Project::from_json(input) {
            Ok(p) => {
                assert_eq!(Project::from_json(&p.to_json()).unwrap(), p);
                None
            }
            Err(e) => Some(e.to_string()),
        },
        _ => match plan::from_json(input) {
            Ok(p) => {
                assert_eq!(plan::from_json(&plan::to_json(&p)).unwrap(), p);
                None
            }
            Err(e) => Some(e.to_string()),
        },
    }
}

const N_PARSERS: usize = 7;

#[test]
fn ten_thousand_mutated_and_random_inputs_never_panic_and_errors_name_a_place() {
    let (workflow, profiles) = bundled(ML_WORKFLOW, ML_PROFILE);
    let (_, video_profiles) = bundled(VIDEO_WORKFLOW, VIDEO_PROFILE);
    let project = Project {
        workflow,
        profiles: profiles.clone(),
        platform: Platform::default(),
        settings: PlanSettings::default(),
    };
    let plan_text = include_str!("plan_example.json");
    let grid_text = JolteonGrid::bundled("Video-Analytics").unwrap().to_json();
    // (base text, its parsers, how many inputs).
    let small_csv: String = write_profiles_csv(&video_profiles)
        .lines()
        .take(20)
        .collect::<Vec<_>>()
        .join("\n");
    let bases: [(&str, &[usize], usize); 8] = [
        (ML_WORKFLOW, &[0, 1], 2000),
        (VIDEO_WORKFLOW, &[0, 1], 1000),
        (ML_PROFILE, &[2], 600),
        (&grid_text, &[3], 1000),
        (&small_csv, &[4], 2000),
        (&write_profiles_csv(&profiles), &[4], 200),
        (&project.to_json(), &[5], 200),
        (plan_text, &[6], 1500),
    ];
    let mut rng = stream(2024, 7);
    let mut count = 0;
    let mut run = |rng: &mut Xoshiro256PlusPlus, input: &str, parsers: &[usize]| {
        let other = below(rng, N_PARSERS);
        for &p in parsers.iter().chain([&other]) {
            if let Some(msg) = parse(p, input) {
                assert!(
                    msg.contains("line ") || msg.contains(": "),
                    "parser {p}: {msg:?} names no place"
                );
            }
        }
        count += 1;
    };
    for (base, parsers, n) in bases {
        for _ in 0..n {
            let input = mutate(&mut rng, base);
            run(&mut rng, &input, parsers);
        }
    }
    for _ in 0..1500 {
        let input = random_csv(&mut rng);
        run(&mut rng, &input, &[4]);
    }
    for _ in 0..1500 {
        let input = random_json(&mut rng, 0);
        run(&mut rng, &input, &[0, 3, 5, 6]);
    }
    assert!(count >= 10_000, "{count}");
}
