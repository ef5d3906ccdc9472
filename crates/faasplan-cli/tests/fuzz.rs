//! Seeded fuzz of the command line end to end: the bundled ML pipeline's four
//! input kinds (Jolteon workflow JSON, Jolteon profile JSON, profile CSV,
//! project JSON), mutated by byte edits and by replacing numbers with absurd
//! values, go through `faasplan validate`, and those it accepts through `plan`
//! and `frontier`. No run may panic or abort (exit status 101, 134 or a
//! signal); every refusal exits 1 with `error: ` and the mutated file's name
//! followed by the place (line, column, JSON path or field).
//!
//! `FAASPLAN_FUZZ_CASES` sets the inputs per kind (default 60; the longer run
//! uses 3,000: `FAASPLAN_FUZZ_CASES=3000 cargo test -p faasplan-cli --test fuzz`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faasplan_core::formats::csv::write_profiles_csv;
use faasplan_core::formats::jolteon::{self, JolteonProfileOptions};
use faasplan_core::formats::project::Project;
use faasplan_core::rng::{stream, uniform};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static/examples");

fn cases() -> usize {
    std::env::var("FAASPLAN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

fn example(name: &str) -> String {
    format!("{EXAMPLES}/{name}")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(example(name)).expect("example reads")
}

/// The core's seeded stream as uniforms (boxed, so this file needs no RNG crate).
struct Rng(Box<dyn FnMut() -> f64>);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut s = stream(seed, 11);
        Rng(Box::new(move || uniform(&mut s)))
    }

    /// A uniform index below `n`.
    fn below(&mut self, n: usize) -> usize {
        ((self.0)() * n as f64).min(n.saturating_sub(1) as f64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TOKENS: [&str; 14] = [
    ",",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ":",
    "-",
    "\n",
    "null",
    "1e999",
    "\u{feff}",
    "é",
    "\"stage0\":1,",
];

const ABSURD: [&str; 10] = [
    "-5",
    "0",
    "1e308",
    "-1e308",
    "4294967296",
    "1e-300",
    "18446744073709551615",
    "0.05",
    "1e9",
    "2000",
];

/// One to three edits: byte edits, or a number replaced by an absurd one.
fn mutate(rng: &mut Rng, base: &str) -> Vec<u8> {
    let mut bytes = base.as_bytes().to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 => bytes.truncate(at.max(bytes.len() / 2)),
            2 => {
                let tok = rng.pick(&TOKENS);
                bytes.splice(at..at, tok.bytes());
            }
            3 => {
                let end = (at + rng.below(20)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                // The next number at or after `at` becomes an absurd value.
                let is_num = |b: u8| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'e';
                let Some(start) = (at..bytes.len()).find(|&i| bytes[i].is_ascii_digit()) else {
                    continue;
                };
                let start = (0..start)
                    .rev()
                    .take_while(|&i| is_num(bytes[i]))
                    .last()
                    .unwrap_or(start);
                let end = (start..bytes.len())
                    .find(|&i| !is_num(bytes[i]))
                    .unwrap_or(bytes.len());
                let value = rng.pick(&ABSURD);
                bytes.splice(start..end, value.bytes());
            }
        }
    }
    bytes
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faasplan"))
        .args(args)
        .output()
        .expect("the faasplan binary runs")
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("faasplan-fuzz-{}-{name}", std::process::id()))
}

/// Asserts the run ended in a defined way; refusals name `file` and a place in it
/// (or the input it names when the mutated file is not the culprit).
fn judge(what: &str, o: &Output, file: &Path, input: &[u8]) {
    let err = String::from_utf8_lossy(&o.stderr);
    let shown = || {
        String::from_utf8_lossy(input)
            .chars()
            .take(300)
            .collect::<String>()
    };
    let code = o.status.code();
    assert!(
        matches!(code, Some(0 | 1 | 3 | 4)),
        "{what}: exit {code:?} (a panic or abort)\n{err}\ninput starts: {}",
        shown()
    );
    if code == Some(1) {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let last = err.lines().last().unwrap_or_default();
        assert!(last.starts_with("error: "), "{what}: {err}");
        assert!(
            last.contains(name) || last.contains(".json") || last.contains(".csv"),
            "{what}: the error names no file: {last}"
        );
        assert!(
            last.matches(": ").count() >= 2,
            "{what}: the error names no place: {last}"
        );
    }
}

#[test]
fn mutated_inputs_never_crash_the_cli_and_refusals_name_file_and_place() {
    let wf = read("ML-pipeline.json");
    let pf = read("ML-Pipeline_profile.json");
    let (workflow, profiles) =
        jolteon::import(&wf, &pf, None, &JolteonProfileOptions::default()).expect("imports");
    let csv = write_profiles_csv(&profiles);
    let project = Project {
        workflow,
        profiles,
        platform: Default::default(),
        settings: Default::default(),
    }
    .to_json();
    let kinds: [(&str, &str); 4] = [
        ("workflow.json", &wf),
        ("profile.json", &pf),
        ("profile.csv", &csv),
        ("project.json", &project),
    ];
    let mut rng = Rng::new(2026);
    let (mut accepted, mut refused) = (0, 0);
    for (name, base) in kinds {
        let file = temp(name);
        let path = file.display().to_string();
        let ml_wf = example("ML-pipeline.json");
        let ml_pf = example("ML-Pipeline_profile.json");
        let input: Vec<&str> = match name {
            "workflow.json" => vec!["--workflow", &path, "--profiles", &ml_pf],
            "profile.json" => vec!["--workflow", &ml_wf, "--profiles", &path],
            "profile.csv" => vec![
                "--workflow",
                &ml_wf,
                "--profiles",
                &path,
                "--measured-mb-per-vcpu",
                "1792",
            ],
            _ => vec!["--project", &path],
        };
        for case in 0..cases() {
            let bytes = mutate(&mut rng, base);
            std::fs::write(&file, &bytes).expect("temp file writes");
            let what = format!("{name} case {case}");
            let o = run(&[&["validate"][..], &input].concat());
            judge(&what, &o, &file, &bytes);
            if o.status.code() != Some(0) {
                refused += 1;
                continue;
            }
            accepted += 1;
            // What validate accepts, plan takes: no late refusal of bad input.
            let o = run(&[
                &["plan", "-q", "--samples", "64", "--latency-bound", "60"][..],
                &input,
            ]
            .concat());
            judge(&format!("{what} plan"), &o, &file, &bytes);
            if case % 10 == 0 {
                let o = run(&[
                    &["frontier", "-q", "--samples", "32", "--format", "csv"][..],
                    &input,
                ]
                .concat());
                judge(&format!("{what} frontier"), &o, &file, &bytes);
            }
        }
    }
    eprintln!("fuzz: {accepted} inputs accepted and planned, {refused} refused");
    assert!(
        accepted > 0 && refused > 0,
        "accepted {accepted}, refused {refused}"
    );
}
