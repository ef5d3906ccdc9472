//! Seeded mutation fuzz of the AWS importers: every sample and a SAM template,
//! mutated by byte flips, truncations, token insertions, deletions and
//! duplications, goes through detection, its importer and the batch import.
//! Nothing panics; every error names the file (batch) and a place in it.

use faasplan_core::formats::asl::{AslOptions, import_state_machine};
use faasplan_core::formats::batch::{BatchOptions, import_batch};
use faasplan_core::formats::detect::detect;
use faasplan_core::formats::lambda_logs::import_logs;
use faasplan_core::formats::power_tuning::import_tuning;
use faasplan_core::rng::{stream, uniform};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::ALL;

const TOKENS: [&str; 26] = [
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
    "\n",
    "\t",
    "${X}",
    "!Sub ",
    "  ",
    "#",
    "```",
    ";",
    "=",
    "REPORT RequestId: ",
    "Duration: ",
    " ms",
    "é",
    "\\t",
];

fn below(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    ((uniform(rng) * n as f64) as usize).min(n.saturating_sub(1))
}

fn mutate(rng: &mut Xoshiro256PlusPlus, base: &str) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for _ in 0..1 + below(rng, 3) {
        let at = below(rng, bytes.len() + 1);
        match below(rng, 5) {
            0 if at < bytes.len() => bytes[at] ^= 1 << below(rng, 8),
            1 => bytes.truncate(at),
            2 => {
                let tok = TOKENS[below(rng, TOKENS.len())];
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

const TEMPLATE: &str = "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Definition:\n        StartAt: A\n        States:\n          A:\n            Type: Task\n            Resource: !GetAtt F.Arn\n            Next: B\n          B:\n            Type: Map\n            MaxConcurrency: 4\n            ItemProcessor:\n              StartAt: C\n              States:\n                C: {Type: Task, Resource: !Sub 'arn:aws:lambda:${AWS::Region}:1:function:c', End: true}\n            End: true\n";

fn places_are_named(place: &str, what: &str) {
    assert!(!place.trim().is_empty(), "an error without a place: {what}");
}

#[test]
fn mutated_files_never_panic_and_errors_say_where() {
    let mut rng = stream(0x001f_0a75, 0);
    let mut bases: Vec<(&str, &str)> = ALL.to_vec();
    bases.push(("template.yaml", TEMPLATE));
    let options = AslOptions {
        loop_iterations: 4,
        ..AslOptions::default()
    };
    let mut errors = 0usize;
    for round in 0..120 {
        for (path, base) in &bases {
            let text = mutate(&mut rng, base);
            let name = path.rsplit('/').next().unwrap_or(path);
            let _ = detect(name, &text);
            if let Err(e) = import_state_machine(&text, &options) {
                places_are_named(&e.place, &e.to_string());
                errors += 1;
            }
            if let Err(e) = import_logs(&text) {
                places_are_named(&e.place, &e.to_string());
            }
            if let Err(e) = import_tuning(&text) {
                places_are_named(&e.place, &e.to_string());
            }
            if round % 4 == 0 {
                let files = vec![
                    (ALL[0].0.to_string(), ALL[0].1.to_string()),
                    (name.to_string(), text.clone()),
                ];
                if let Err(e) = import_batch(&files, None, &BatchOptions::default()) {
                    assert!(e.file == name || e.file == ALL[0].0, "{e}");
                    assert!(!e.message.is_empty());
                }
            }
        }
    }
    assert!(
        errors > 100,
        "the mutations reach the error paths ({errors})"
    );
}
