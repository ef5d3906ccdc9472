//! The built `faasplan` binary on the bundled examples: outputs, exit codes, help.

use std::path::PathBuf;

mod common;
use common::*;

use expect_test::{Expect, expect};
use faasplan_core::plan::{PlanStatus, from_json};

/// A file under the temp dir, unique to this process and `name`.
fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("faasplan-cli-{}-{name}", std::process::id()))
}

#[test]
fn validate_accepts_the_bundled_example() {
    let o = run(&["validate"], &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    expect![[r#"
        ok: workflow "ML-Pipeline": 4 stages, 5 edges, 3 source-to-sink paths; 276 profiled runs, measured at 1792 MB per vCPU; platform AWS Lambda x86_64; 5170 samples, sample tables 25.9 MiB
    "#]]
    .assert_eq(&stdout(&o));
}

#[test]
fn validate_names_a_malformed_file_and_exits_1() {
    let bad = temp("bad-profile.json");
    std::fs::write(&bad, "{\"stage0\": [1, 2,").expect("temp file writes");
    let input = vec![
        "--workflow".into(),
        example("ML-pipeline.json"),
        "--profiles".into(),
        bad.display().to_string(),
    ];
    let o = run(&["validate"], &input);
    std::fs::remove_file(&bad).ok();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(&bad.display().to_string()), "{err}");
}

#[test]
fn fit_prints_the_error_table() {
    let o = run(&["fit"], &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    expect![[r#"
        stage    configs     fit     fit      CV      CV          CV  CV worst  plain CV  plain CV
                          mean %   P95 %  mean %   P95 %  P95-of-3 %    mean %    mean %     P95 %
        stage0        23     5.6    12.5     6.0    13.0         9.7      15.5      16.5      19.4
        stage1        23    10.8    12.8    12.9    13.9        12.6      52.4      20.0      21.4
        stage2        23     4.4    10.4     4.4    10.3        11.7      17.9       6.1       7.7
        stage3        23     8.9    32.8     9.4    33.8        18.2      20.2      26.7      29.6
        average              7.4    17.1     8.2    17.7        13.1      26.5      17.3      19.5

        Mean absolute % error of the stage wall time over the profiled configurations.
        fit: the model fitted on every run; CV: leave one configuration out, refit, predict it;
        P95-of-3: the 3-run P95 statistic of the model's distribution; plain: a + b/(k·d) + c/d.

        Flagged runs (a diagnostic GP without the configuration: |z| > 3.5 and off by ≥ 1.2×):
          stage1   5120 MB  d = 4    3 runs  measured 49.00 s, expected 25.01 s (×1.96, z = 9.1)
          stage1   5120 MB  d = 8    3 runs  measured 25.32 s, expected 14.54 s (×1.74, z = 7.5)
        Their runs are in the fit above; --exclude-flagged leaves them out.
    "#]]
    .assert_eq(&stdout(&o));
}

#[test]
fn fit_json_has_one_entry_per_stage() {
    let o = run(&["fit", "--json"], &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("fit --json is JSON");
    let stages = v["stages"].as_array().expect("stages is a list");
    assert_eq!(stages.len(), 4);
    assert_eq!(stages[1]["cv_rows"].as_array().map(Vec::len), Some(23));
}

#[test]
fn plan_prints_plan_json_identical_across_runs() {
    let args = ["plan", "--latency-bound", "100", "--seed", "7"];
    let a = run(&args, &ml());
    let b = run(&args, &ml());
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&b));
    let report = from_json(&stdout(&a)).expect("plan output is a plan file");
    assert_eq!(report.status, PlanStatus::Optimal);
    assert_eq!(report.stages.len(), 4);
    assert_eq!(report.settings.seed, 7);
    let totals = report.totals.expect("an optimal plan has totals");
    assert!(totals.guaranteed_latency_s <= 100.0);
    let err = stderr(&a);
    assert!(err.contains("per million runs"), "{err}");
    assert!(err.contains("meet the bound"), "{err}");
}

#[test]
fn plan_accepts_percentile_as_fraction_or_percent() {
    let a = run(
        &["plan", "--latency-bound", "100", "--percentile", "0.9"],
        &ml(),
    );
    let b = run(
        &["plan", "--latency-bound", "100", "--percentile", "90"],
        &ml(),
    );
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn plan_infeasible_bound_exits_3_with_the_nearest_bound() {
    let o = run(&["plan", "--latency-bound", "5"], &ml());
    assert_eq!(o.status.code(), Some(3));
    let report = from_json(&stdout(&o)).expect("the plan JSON is still printed");
    assert!(matches!(
        report.status,
        PlanStatus::Infeasible {
            nearest_bound: Some(_)
        }
    ));
    let err = stderr(&o);
    // Progress lines ("… (0.3 s)") appear when a slow machine takes over 250 ms; the
    // outcome itself is one line.
    let outcome: Vec<&str> = err.lines().filter(|l| !l.ends_with(" s)")).collect();
    assert_eq!(outcome.len(), 1, "{err}");
    assert!(outcome[0].contains("nearest achievable bound"), "{err}");
}

#[test]
fn plan_without_a_bound_exits_1() {
    let o = run(&["plan"], &ml());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--latency-bound"), "{}", stderr(&o));
}

#[test]
fn bad_settings_name_the_flag() {
    for (flag, value) in [
        ("--percentile", "0"),
        ("--confidence", "100"),
        ("--alpha", "0.5"),
        ("--samples", "0"),
    ] {
        let o = run(&["plan", "--latency-bound", "100", flag, value], &ml());
        assert_eq!(o.status.code(), Some(1), "{flag} {value}");
        assert!(stderr(&o).contains(flag), "{flag}: {}", stderr(&o));
    }
    let o = run(&["plan", "--latency-bound", "0"], &ml());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--latency-bound"), "{}", stderr(&o));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let o = run(&["plan", "--no-such-flag"], &ml());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn frontier_csv_has_a_header_and_one_row_per_point() {
    let o = run(&["frontier", "--format", "csv", "--samples", "300"], &ml());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    expect![[r#"guaranteed_latency_s,expected_cost_usd,cost_per_million_usd,stage0_memory_mb,stage0_d,stage1_memory_mb,stage1_d,stage2_memory_mb,stage2_d,stage3_memory_mb,stage3_d"#]]
        .assert_eq(lines.next().expect("a header"));
    let rows: Vec<&str> = lines.collect();
    let json = run(&["frontier", "--samples", "300"], &ml());
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("frontier JSON");
    assert_eq!(v["settings"]["samples"], 300);
    assert_eq!(v["points"].as_array().map(Vec::len), Some(rows.len()));
    assert!(rows.len() > 10);
    assert!(rows.iter().all(|r| r.split(',').count() == 11));
}

#[test]
fn frontier_at_positions_is_labelled_and_lies_on_the_exact_frontier() {
    let o = run(
        &["frontier", "--samples", "300", "--positions", "40"],
        &ml(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("frontier JSON");
    assert_eq!(v["exact_at_positions"], 40);
    let exact = run(&["frontier", "--samples", "300"], &ml());
    let e: serde_json::Value = serde_json::from_str(&stdout(&exact)).expect("frontier JSON");
    assert!(e.get("exact_at_positions").is_none());
    let key = |p: &serde_json::Value| {
        (
            p["guaranteed_latency_s"]
                .as_f64()
                .unwrap_or(f64::NAN)
                .to_bits(),
            p["expected_cost_usd"]
                .as_f64()
                .unwrap_or(f64::NAN)
                .to_bits(),
        )
    };
    let all: Vec<_> = e["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(key)
        .collect();
    let some = v["points"].as_array().expect("points");
    assert!(some.len() > 5 && some.len() <= 40, "{} points", some.len());
    // Every point is the cheapest at its latency: without cost ties it is on the exact frontier.
    assert!(some.iter().all(|p| all.contains(&key(p))));
    let bad = run(&["frontier", "--samples", "300", "--positions", "1"], &ml());
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("at least 2"), "{}", stderr(&bad));
}

#[test]
fn frontier_svg_writes_a_chart() {
    let svg = temp("frontier.svg");
    let args = [
        "frontier",
        "--samples",
        "300",
        "--latency-bound",
        "60",
        "--svg",
        svg.to_str().expect("temp path is UTF-8"),
    ];
    let o = run(&args, &ml());
    let text = std::fs::read_to_string(&svg).expect("the SVG was written");
    std::fs::remove_file(&svg).ok();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(text.starts_with("<svg"), "{}", &text[..80.min(text.len())]);
    assert!(text.contains("latency bound 60 s"));
    assert!(text.contains("$ per run") && text.contains("$ per million runs"));
    // The app's chart (faasplan-charts): titled, with the exact plan for the bound.
    assert!(text.contains(": P95 latency–cost frontier"), "title");
    assert!(text.contains("chosen plan"));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("frontier JSON");
    let points = v["points"].as_array().expect("points").len();
    assert!(
        text.matches("<circle").count() > points,
        "a dot per point and the chosen plan"
    );
}

fn check_help(command: &str, expect: Expect) {
    let o = run(&[command, "--help"], &[]);
    assert_eq!(o.status.code(), Some(0));
    // Snapshots keep no trailing spaces; clap pads some blank lines.
    let text: String = stdout(&o)
        .lines()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect();
    expect.assert_eq(&text);
}

#[test]
fn validate_help() {
    check_help(
        "validate",
        expect![[r#"
            Check a workflow with its profiles, or a project file, and say what is in it

            Usage: faasplan validate [OPTIONS]

            Options:
                  --project <FILE>
                      A faasplan project file (workflow, profiles, platform and settings)

                  --workflow <FILE>
                      A Jolteon workflow JSON file

                  --profiles <FILE>
                      Profiles of the workflow's stages: Jolteon profile JSON, or the native CSV (by the `.csv` extension)

                  --grid <FILE>
                      The profiling grid of a Jolteon profile, JSON `[[memory_mb, d], ...]` (not needed for the two bundled workflows)

                  --measured-mb-per-vcpu <MB>
                      MB per vCPU of the platform the profiles were measured on [default: 1792 for Jolteon JSON (the published profiles' platform; `validate` shows the value used), required for CSV]

                  --platform <PLATFORM>
                      Platform to plan for [default: the project's, else aws-x86-64, also for Jolteon profiles, which were measured at 1,792 MB per vCPU: jolteon-profiled plans for that platform; the summary names the platform used]

                      Possible values:
                      - aws-x86-64:       AWS Lambda x86_64, us-east-1, 1,769 MB per vCPU
                      - aws-arm64:        AWS Lambda arm64, us-east-1, 1,769 MB per vCPU
                      - jolteon-profiled: AWS x86_64 prices with 1,792 MB per vCPU, as the bundled profiles were measured

                  --choice <NAME=P1,P2,..>
                      Probabilities of a Choice's alternatives, in their order (`Pick=0.9,0.1`), or `NAME=slowest` to plan for the slowest; repeat per Choice [default: the project's]

                  --window <DURATION>
                      Fit on the runs of this last stretch of time only, counted back from each stage's newest timestamped run (`7d`, `12h`, `30m`, `90s`) [default: the project's `settings.window`]

                  --window-runs <N>
                      Fit on the newest N runs of each configuration only [default: the project's `settings.window`]

                  --max-memory-mb <MIB>
                      Most memory the sample tables may take, MiB, as for `plan` [default: 2048]

              -h, --help
                      Print help (see a summary with '-h')
        "#]],
    );
}

#[test]
fn fit_help() {
    check_help(
        "fit",
        expect![[r#"
            Fit the stage models and report their fit and cross-validation errors

            Usage: faasplan fit [OPTIONS]

            Options:
                  --project <FILE>
                      A faasplan project file (workflow, profiles, platform and settings)

                  --workflow <FILE>
                      A Jolteon workflow JSON file

                  --profiles <FILE>
                      Profiles of the workflow's stages: Jolteon profile JSON, or the native CSV (by the `.csv` extension)

                  --grid <FILE>
                      The profiling grid of a Jolteon profile, JSON `[[memory_mb, d], ...]` (not needed for the two bundled workflows)

                  --measured-mb-per-vcpu <MB>
                      MB per vCPU of the platform the profiles were measured on [default: 1792 for Jolteon JSON (the published profiles' platform; `validate` shows the value used), required for CSV]

                  --platform <PLATFORM>
                      Platform to plan for [default: the project's, else aws-x86-64, also for Jolteon profiles, which were measured at 1,792 MB per vCPU: jolteon-profiled plans for that platform; the summary names the platform used]

                      Possible values:
                      - aws-x86-64:       AWS Lambda x86_64, us-east-1, 1,769 MB per vCPU
                      - aws-arm64:        AWS Lambda arm64, us-east-1, 1,769 MB per vCPU
                      - jolteon-profiled: AWS x86_64 prices with 1,792 MB per vCPU, as the bundled profiles were measured

                  --choice <NAME=P1,P2,..>
                      Probabilities of a Choice's alternatives, in their order (`Pick=0.9,0.1`), or `NAME=slowest` to plan for the slowest; repeat per Choice [default: the project's]

                  --window <DURATION>
                      Fit on the runs of this last stretch of time only, counted back from each stage's newest timestamped run (`7d`, `12h`, `30m`, `90s`) [default: the project's `settings.window`]

                  --window-runs <N>
                      Fit on the newest N runs of each configuration only [default: the project's `settings.window`]

                  --json
                      Print JSON (one object per stage, with the per-configuration predictions) instead of a table

                  --exclude-flagged
                      Leave the runs of every flagged configuration out of the fit

              -h, --help
                      Print help (see a summary with '-h')
        "#]],
    );
}

#[test]
fn plan_help() {
    check_help(
        "plan",
        expect![[r#"
            Plan one bound exactly: the plan JSON on stdout, a summary on stderr

            Usage: faasplan plan [OPTIONS]

            Options:
                  --project <FILE>
                      A faasplan project file (workflow, profiles, platform and settings)

                  --workflow <FILE>
                      A Jolteon workflow JSON file

                  --profiles <FILE>
                      Profiles of the workflow's stages: Jolteon profile JSON, or the native CSV (by the `.csv` extension)

                  --grid <FILE>
                      The profiling grid of a Jolteon profile, JSON `[[memory_mb, d], ...]` (not needed for the two bundled workflows)

                  --measured-mb-per-vcpu <MB>
                      MB per vCPU of the platform the profiles were measured on [default: 1792 for Jolteon JSON (the published profiles' platform; `validate` shows the value used), required for CSV]

                  --platform <PLATFORM>
                      Platform to plan for [default: the project's, else aws-x86-64, also for Jolteon profiles, which were measured at 1,792 MB per vCPU: jolteon-profiled plans for that platform; the summary names the platform used]

                      Possible values:
                      - aws-x86-64:       AWS Lambda x86_64, us-east-1, 1,769 MB per vCPU
                      - aws-arm64:        AWS Lambda arm64, us-east-1, 1,769 MB per vCPU
                      - jolteon-profiled: AWS x86_64 prices with 1,792 MB per vCPU, as the bundled profiles were measured

                  --choice <NAME=P1,P2,..>
                      Probabilities of a Choice's alternatives, in their order (`Pick=0.9,0.1`), or `NAME=slowest` to plan for the slowest; repeat per Choice [default: the project's]

                  --window <DURATION>
                      Fit on the runs of this last stretch of time only, counted back from each stage's newest timestamped run (`7d`, `12h`, `30m`, `90s`) [default: the project's `settings.window`]

                  --window-runs <N>
                      Fit on the newest N runs of each configuration only [default: the project's `settings.window`]

                  --latency-bound <S>
                      Latency bound B, seconds: minimise expected cost subject to P(latency ≤ B) ≥ percentile

                  --cost-bound <USD>
                      Cost bound C, USD per run: minimise the latency percentile subject to cost ≤ C

                  --cost-kind <COST_KIND>
                      How the cost bound is read: the mean cost, or the cost at the percentile [default: mean]

                      Possible values:
                      - mean:     Expected (mean) cost per run ≤ C
                      - quantile: P(cost per run ≤ C) ≥ percentile

                  --percentile <Q>
                      Percentile q of the guarantee, as a fraction (0.95) or a percentage (95) [default: 0.95]

                  --confidence <C>
                      Confidence 1 − δ that the guarantee holds, as a fraction (0.999) or a percentage (99.9) [default: 0.999]

                  --alpha <A>
                      Target share a/N of planning samples allowed over the bound, in [0, 1 − percentile]; 0 = automatic, 0.6·(1 − percentile) [default: 0]

                  --seed <N>
                      Seed of every random draw [default: 1]

                  --samples <N>
                      Number of planning samples N [default: the KL-Chernoff size at which the binomial allowance reaches α·N, within the memory limit]

                  --fresh-samples <M>
                      Number of fresh samples the chosen plan is certified on [default: enough for a certified quantile within 10% of 1 − percentile]

                  --cold-starts <SETTING>
                      Cold starts of every stage: `profile` (the profile's share of cold runs), `warm` (all warm), `first` (first invocation: every instance cold) or a per-instance rate in percent such as `5%` [default: profile]

                  --cold-start <STAGE=SETTING>
                      Cold starts of one stage, `STAGE=SETTING` (same settings as --cold-starts); repeatable

                  --max-nodes <N>
                      Most search nodes per solve; the best plan found so far is reported with its gap [default: no limit]

                  --max-memory-mb <MIB>
                      Most memory the sample tables may take, MiB; a larger problem is refused before it is sampled [default: 2048]

                  --orchestration <ORCHESTRATION>
                      The orchestration service the workflow runs under, priced per run [default: the project's, else none]

                      Possible values:
                      - none:         No orchestration charge
                      - sfn-standard: AWS Step Functions Standard: $0.000025 per state transition
                      - sfn-express:  AWS Step Functions Express: $1.00 per million executions + $0.00001667 per GB-s at 64 MB

                  --edge-data <FROM:TO:MB>
                      Data that flows along an edge per run, through object storage (S3 prices): FROM:TO:MB; repeatable

                  --billed-init
                      Bill the INIT phase of cold starts like duration, as AWS does for every on-demand function since 2025-08-01 [default: the project's, else off]

                  --fusion
                      Let the planner fuse single-instance stages into one function where that is cheaper (or faster)

                  --edge-device <KEY=VALUE,...>
                      An edge device the planner may place single-instance stages on: comma-separated KEY=VALUE with speed (time factor against the cloud), cores, memory (MB), uplink (Mbit/s), and optionally fee (USD per month), runs (per month, default 1000000), usd-per-s (running cost), latency (s per object moved) and reverse (true: cloud → edge data allowed)

                  --forbid-fusion <FROM:TO>
                      Never fuse the edge FROM -> TO; repeatable

                  --allow-arm64 [<STAGES>]
                      Let the planner run these stages (comma-separated ids; no value: every function stage) on arm64 or x86_64, whichever is cheaper within the bound; arm64 is priced at its own GB-s rate. Its speed comes from the stage's arm64 runs in the profiles, else --arm64-speed

                  --arm64-speed <STAGE=F>
                      In-function time on arm64 relative to x86_64 for a stage allowed arm64, STAGE=F (0.8: 20% less time), used when its profiles have no arm64 run; repeatable

              -q, --quiet
                      Print no summary on stderr

              -h, --help
                      Print help (see a summary with '-h')

            Exit status: 0 a plan meets the bound (optimal, or feasible with a gap under --max-nodes); 1 bad input; 2 usage error; 3 no plan meets the bound (the JSON names the nearest achievable bound); 4 --max-nodes ran out before any plan was found.
        "#]],
    );
}

#[test]
fn frontier_help() {
    check_help(
        "frontier",
        expect![[r#"
            The whole latency–cost frontier as JSON or CSV, optionally drawn as SVG

            Usage: faasplan frontier [OPTIONS]

            Options:
                  --project <FILE>
                      A faasplan project file (workflow, profiles, platform and settings)

                  --workflow <FILE>
                      A Jolteon workflow JSON file

                  --profiles <FILE>
                      Profiles of the workflow's stages: Jolteon profile JSON, or the native CSV (by the `.csv` extension)

                  --grid <FILE>
                      The profiling grid of a Jolteon profile, JSON `[[memory_mb, d], ...]` (not needed for the two bundled workflows)

                  --measured-mb-per-vcpu <MB>
                      MB per vCPU of the platform the profiles were measured on [default: 1792 for Jolteon JSON (the published profiles' platform; `validate` shows the value used), required for CSV]

                  --platform <PLATFORM>
                      Platform to plan for [default: the project's, else aws-x86-64, also for Jolteon profiles, which were measured at 1,792 MB per vCPU: jolteon-profiled plans for that platform; the summary names the platform used]

                      Possible values:
                      - aws-x86-64:       AWS Lambda x86_64, us-east-1, 1,769 MB per vCPU
                      - aws-arm64:        AWS Lambda arm64, us-east-1, 1,769 MB per vCPU
                      - jolteon-profiled: AWS x86_64 prices with 1,792 MB per vCPU, as the bundled profiles were measured

                  --choice <NAME=P1,P2,..>
                      Probabilities of a Choice's alternatives, in their order (`Pick=0.9,0.1`), or `NAME=slowest` to plan for the slowest; repeat per Choice [default: the project's]

                  --window <DURATION>
                      Fit on the runs of this last stretch of time only, counted back from each stage's newest timestamped run (`7d`, `12h`, `30m`, `90s`) [default: the project's `settings.window`]

                  --window-runs <N>
                      Fit on the newest N runs of each configuration only [default: the project's `settings.window`]

                  --latency-bound <S>
                      Latency bound B, seconds: minimise expected cost subject to P(latency ≤ B) ≥ percentile

                  --cost-bound <USD>
                      Cost bound C, USD per run: minimise the latency percentile subject to cost ≤ C

                  --cost-kind <COST_KIND>
                      How the cost bound is read: the mean cost, or the cost at the percentile [default: mean]

                      Possible values:
                      - mean:     Expected (mean) cost per run ≤ C
                      - quantile: P(cost per run ≤ C) ≥ percentile

                  --percentile <Q>
                      Percentile q of the guarantee, as a fraction (0.95) or a percentage (95) [default: 0.95]

                  --confidence <C>
                      Confidence 1 − δ that the guarantee holds, as a fraction (0.999) or a percentage (99.9) [default: 0.999]

                  --alpha <A>
                      Target share a/N of planning samples allowed over the bound, in [0, 1 − percentile]; 0 = automatic, 0.6·(1 − percentile) [default: 0]

                  --seed <N>
                      Seed of every random draw [default: 1]

                  --samples <N>
                      Number of planning samples N [default: the KL-Chernoff size at which the binomial allowance reaches α·N, within the memory limit]

                  --fresh-samples <M>
                      Number of fresh samples the chosen plan is certified on [default: enough for a certified quantile within 10% of 1 − percentile]

                  --cold-starts <SETTING>
                      Cold starts of every stage: `profile` (the profile's share of cold runs), `warm` (all warm), `first` (first invocation: every instance cold) or a per-instance rate in percent such as `5%` [default: profile]

                  --cold-start <STAGE=SETTING>
                      Cold starts of one stage, `STAGE=SETTING` (same settings as --cold-starts); repeatable

                  --max-nodes <N>
                      Most search nodes per solve; the best plan found so far is reported with its gap [default: no limit]

                  --max-memory-mb <MIB>
                      Most memory the sample tables may take, MiB; a larger problem is refused before it is sampled [default: 2048]

                  --orchestration <ORCHESTRATION>
                      The orchestration service the workflow runs under, priced per run [default: the project's, else none]

                      Possible values:
                      - none:         No orchestration charge
                      - sfn-standard: AWS Step Functions Standard: $0.000025 per state transition
                      - sfn-express:  AWS Step Functions Express: $1.00 per million executions + $0.00001667 per GB-s at 64 MB

                  --edge-data <FROM:TO:MB>
                      Data that flows along an edge per run, through object storage (S3 prices): FROM:TO:MB; repeatable

                  --billed-init
                      Bill the INIT phase of cold starts like duration, as AWS does for every on-demand function since 2025-08-01 [default: the project's, else off]

                  --fusion
                      Let the planner fuse single-instance stages into one function where that is cheaper (or faster)

                  --edge-device <KEY=VALUE,...>
                      An edge device the planner may place single-instance stages on: comma-separated KEY=VALUE with speed (time factor against the cloud), cores, memory (MB), uplink (Mbit/s), and optionally fee (USD per month), runs (per month, default 1000000), usd-per-s (running cost), latency (s per object moved) and reverse (true: cloud → edge data allowed)

                  --forbid-fusion <FROM:TO>
                      Never fuse the edge FROM -> TO; repeatable

                  --allow-arm64 [<STAGES>]
                      Let the planner run these stages (comma-separated ids; no value: every function stage) on arm64 or x86_64, whichever is cheaper within the bound; arm64 is priced at its own GB-s rate. Its speed comes from the stage's arm64 runs in the profiles, else --arm64-speed

                  --arm64-speed <STAGE=F>
                      In-function time on arm64 relative to x86_64 for a stage allowed arm64, STAGE=F (0.8: 20% less time), used when its profiles have no arm64 run; repeatable

                  --format <FORMAT>
                      Output format on stdout

                      Possible values:
                      - json: JSON: the settings echo and the points with each stage's configuration
                      - csv:  CSV: one row per point, one memory_mb and d column pair per stage

                      [default: json]

                  --svg <FILE>
                      Also draw the frontier as an SVG chart into FILE

                  --positions <N>
                      Instead of the exact frontier, a proven-optimal plan at each of N evenly spaced latency bounds (slider positions, N ≥ 2), solved on every core: exact at that resolution, for workflows whose exact frontier is too big to sweep

              -q, --quiet
                      Print no progress and no summary on stderr

              -h, --help
                      Print help (see a summary with '-h')
        "#]],
    );
}

/// The ML pipeline as a project file with a 90 s bound at P90 and seed 5.
fn ml_project() -> PathBuf {
    use faasplan_core::formats::jolteon::{self, JolteonProfileOptions};
    use faasplan_core::formats::project::Project;
    use faasplan_core::platform::Preset;
    use faasplan_core::settings::{Bound, PlanSettings};
    let read = |n: &str| std::fs::read_to_string(example(n)).expect("example reads");
    let (workflow, profiles) = jolteon::import(
        &read("ML-pipeline.json"),
        &read("ML-Pipeline_profile.json"),
        None,
        &JolteonProfileOptions::default(),
    )
    .expect("bundled example imports");
    let project = Project {
        workflow,
        profiles,
        platform: Preset::JolteonProfiled.platform(),
        settings: PlanSettings {
            bound: Bound::Latency { max_s: 90.0 },
            percentile: 0.9,
            seed: 5,
            ..PlanSettings::default()
        },
    };
    let path = temp("project.json");
    std::fs::write(&path, project.to_json()).expect("temp file writes");
    path
}

#[test]
fn plan_takes_the_project_settings_and_flags_override_them() {
    let path = ml_project();
    let input = vec!["--project".to_string(), path.display().to_string()];
    let a = run(&["plan"], &input);
    let b = run(&["plan", "--seed", "6"], &input);
    std::fs::remove_file(&path).ok();
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    let ra = from_json(&stdout(&a)).expect("plan JSON");
    let rb = from_json(&stdout(&b)).expect("plan JSON");
    assert_eq!(ra.settings.seed, 5);
    assert_eq!(ra.settings.percentile, 0.9);
    assert!(stderr(&a).contains("at P90 "), "{}", stderr(&a));
    assert_eq!(rb.settings.seed, 6);
    assert_eq!(rb.settings.platform, ra.settings.platform);
}

#[test]
fn plan_with_a_cost_bound_minimises_latency_within_it() {
    let o = run(
        &["plan", "--cost-bound", "0.008", "--cost-kind", "quantile"],
        &ml(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = from_json(&stdout(&o)).expect("plan JSON");
    let totals = report.totals.expect("a plan");
    assert!(totals.cost_q_usd <= 0.008, "{}", totals.cost_q_usd);
}

#[test]
fn edge_settings_plan_or_refuse_without_panicking() {
    // α = 1 − q exactly (1 − 0.95 > 0.05 in floating point) plans.
    let o = run(
        &[
            "plan",
            "--latency-bound",
            "60",
            "--alpha",
            "0.05",
            "--samples",
            "3000",
        ],
        &ml(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // P99.9 plans natively with the default sample design.
    let o = run(
        &["plan", "--latency-bound", "60", "--percentile", "99.9"],
        &ml(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = from_json(&stdout(&o)).unwrap();
    let c = r.guarantee.unwrap().certificate.unwrap();
    assert_eq!(c.meets_bound, Some(true));
    assert!(stderr(&o).contains("P99.9 ≤"), "{}", stderr(&o));
    // Requests over the memory limit are refused, naming the setting.
    for (flag, name) in [
        ("--samples", "`samples`"),
        ("--fresh-samples", "`fresh_samples`"),
    ] {
        let o = run(
            &[
                "plan",
                "--latency-bound",
                "60",
                flag,
                "18446744073709551615",
            ],
            &ml(),
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains(name), "{}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn executor_without_its_binary_says_how_to_build_it() {
    // A copy of faasplan alone in a directory, with an empty PATH: no faasplan-executor anywhere.
    let dir = temp("executor-alone");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let alone = dir.join("faasplan");
    std::fs::copy(env!("CARGO_BIN_EXE_faasplan"), &alone).expect("copy of the binary");
    let o = std::process::Command::new(&alone)
        .args(["executor", "--bind", "127.0.0.1:0"])
        .env("PATH", "")
        .output()
        .expect("faasplan runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("faasplan executor runs the faasplan-executor binary, which is neither next to faasplan nor on PATH: build it with `cargo build --release -p faasplan-executor`"),
        "{}",
        stderr(&o)
    );
}

/// `compare` plans its bounds and planners on every core: the rows (all but the
/// solve times) are the same as on one thread, in the same order.
#[test]
fn compare_on_every_core_gives_the_rows_of_one_thread() {
    let rows = |threads: &str| -> Vec<serde_json::Value> {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_faasplan"))
            .args(["compare", "--latency-bounds", "45,60", "--format", "json"])
            .args(ml())
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("the faasplan binary runs");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON rows");
        let mut rows = v.as_array().expect("an array of rows").clone();
        for r in &mut rows {
            r.as_object_mut().expect("a row").remove("solve_ms");
        }
        rows
    };
    let one = rows("1");
    assert!(one.len() >= 4, "{one:?}");
    assert_eq!(one, rows("3"));
}

/// A one-stage project whose runs come from a timestamped profile CSV: 4 sizes × 6 days, one
/// run a day each.
fn dated_input() -> Vec<String> {
    let dir = temp("window");
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from(
        "stage,memory_mb,d,rep,cold,start_mean_s,start_p95_s,read_mean_s,read_p95_s,compute_mean_s,compute_p95_s,timestamp\n",
    );
    for day in 0..6u32 {
        for m in [512u32, 1024, 1769, 3008] {
            let level = if day < 4 { 1.0 } else { 1.5 };
            let c = 0.2 + level * 1769.0 / f64::from(m.min(1769)) * (1.0 + 0.01 * f64::from(day));
            let t = 1_700_000_000 + day * 86_400;
            csv.push_str(&format!(
                "s,{m},1,{day},false,0.05,0.05,0.1,0.1,{c},{c},{t}\n"
            ));
        }
    }
    let project = faasplan_core::formats::project::Project {
        workflow: serde_json::from_str(
            r#"{"name": "dated", "edges": [], "stages": [{"id": "s", "kind": "single", "allowed_d": [],
                "memory": {"min_mb": 512, "max_mb": 3008, "step_mb": 1}}]}"#,
        )
        .unwrap(),
        profiles: faasplan_core::formats::csv::read_profiles_csv(&csv, 1769.0).unwrap(),
        platform: faasplan_core::platform::Preset::AwsX86_64.platform(),
        settings: faasplan_core::settings::PlanSettings::default(),
    };
    let path = dir.join("dated.json");
    std::fs::write(&path, project.to_json()).unwrap();
    vec!["--project".into(), path.display().to_string()]
}

#[test]
fn fit_follows_the_window_flags() {
    let input = dated_input();
    let o = run(&["fit", "--window", "1d"], &input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Days 4 and 5 are inside: 8 of 24 runs kept.
    assert!(
        stdout(&o).starts_with("window: fitted on the last 1 d; 16 of 24 runs left out\n"),
        "{}",
        stdout(&o)
    );
    let o = run(&["fit", "--window-runs", "3"], &input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with(
            "window: fitted on the newest 3 runs per configuration; 12 of 24 runs left out\n"
        ),
        "{}",
        stdout(&o)
    );
    let o = run(&["fit"], &input);
    assert!(!stdout(&o).contains("window:"), "{}", stdout(&o));
    let o = run(&["fit", "--window", "soon"], &input);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("--window: window `soon`"),
        "{}",
        stderr(&o)
    );
    let o = run(&["fit", "--window-runs", "0"], &input);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("--window-runs: must be at least 1"),
        "{}",
        stderr(&o)
    );
}
