//! The validity experiment's results file: seed ranges run in chunks append the
//! lines of one run, records round-trip, bad lines are named, and the report's
//! interval bounds (the experiment itself is the `validity` bench binary).

use std::collections::BTreeSet;
use std::fs;

use crate::validity_experiment::*;
use faasplan_core::stats::binomial::clopper_pearson_upper;

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("faasplan-validity-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    let _ = fs::remove_file(&p);
    p
}

/// Seeds run in chunks (and a chunk run twice) give exactly the file one run gives.
#[test]
fn chunks_append_the_lines_of_one_run() {
    let s = setup("video", VIDEO);
    let row = |truth| Row::new(&s, 0.95, truth);
    let whole = tmp("whole.csv");
    let chunked = tmp("chunked.csv");
    let mut quiet = |_: &str| {};
    assert_eq!(
        accumulate(&[row(20_000)], 1, 3, 2, &whole, &mut quiet),
        Ok(15)
    );
    // Fresh rows (empty truth caches) for every chunk, as separate runs have.
    assert_eq!(
        accumulate(&[row(20_000)], 2, 3, 10, &chunked, &mut quiet),
        Ok(10)
    );
    assert_eq!(
        accumulate(&[row(20_000)], 1, 3, 1, &chunked, &mut quiet),
        Ok(5),
        "seeds 2 and 3 are in the file already"
    );
    assert_eq!(
        accumulate(&[row(20_000)], 1, 3, 1, &chunked, &mut quiet),
        Ok(0)
    );
    let mut a: Vec<String> = fs::read_to_string(&whole)
        .expect("written")
        .lines()
        .map(String::from)
        .collect();
    let mut b: Vec<String> = fs::read_to_string(&chunked)
        .expect("written")
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(a.len(), 16);
    assert_eq!(a[0], CSV_HEADER);
    // The chunked file holds seeds 2–3 before seed 1: same lines, other order.
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let recs = read_records(&whole).expect("reads");
    assert_eq!(recs.len(), 15);
    assert_eq!(
        recs.iter().map(|r| r.seed).collect::<BTreeSet<_>>(),
        BTreeSet::from([1, 2, 3])
    );
    assert!(
        recs.iter()
            .all(|r| r.line() == Record::parse(&r.line()).unwrap().line())
    );
    // The report counts what the lines say.
    let rep = report(&recs);
    let runs = recs.iter().filter(|r| r.certified.is_some()).count();
    assert!(
        rep.contains("| video | 0.95 | ") && rep.contains(&format!(" | 3 (1–3) | {runs} | ")),
        "{rep}"
    );
    // A file made with other bounds is refused, not mixed.
    let doubled = row(20_000).bounds.iter().map(|b| b * 2.0).collect();
    let other = row(20_000).with_bounds(doubled);
    let err = accumulate(&[other], 4, 4, 1, &whole, &mut quiet).unwrap_err();
    assert!(err.contains("other code or another model"), "{err}");
}

#[test]
fn records_round_trip_and_bad_lines_are_named() {
    let r = Record {
        workflow: "ml".into(),
        q: 0.999,
        bound: 4,
        bound_s: 35.53123456789,
        seed: 17,
        planning_samples: 105_351,
        allowed_violations: 43,
        attempts: 1,
        certified: Some(Certified {
            true_violation: 0.000646,
            certified_latency_s: 25.66,
            true_quantile_s: 25.61,
            plan: "1769:1;3008:4".into(),
        }),
    };
    assert_eq!(Record::parse(&r.line()), Ok(r.clone()));
    let none = Record {
        certified: None,
        ..r
    };
    assert_eq!(Record::parse(&none.line()), Ok(none));
    let p = tmp("bad.csv");
    fs::write(&p, format!("{CSV_HEADER}\nml,0.95,0,1,x,0,1,1,1,,,,\n")).expect("writes");
    let e = read_records(&p).unwrap_err();
    assert!(
        e.ends_with(":2: field `seed` is not a number: \"x\""),
        "{e}"
    );
    fs::write(&p, "a,b\n").expect("writes");
    assert!(
        read_records(&p)
            .unwrap_err()
            .contains(":1: not a results file")
    );
}

#[test]
fn clopper_pearson_lower_mirrors_the_upper_bound() {
    // The lower bound after k of n is 1 − the upper bound after n − k of n.
    for (k, n) in [(1, 10), (3, 3000), (50, 100), (7, 7)] {
        let lo = clopper_pearson_lower(k, n, 0.025);
        let up = clopper_pearson_upper(n - k, n, 0.025);
        assert!(
            (lo - (1.0 - up)).abs() < 1e-9,
            "{k}/{n}: {lo} vs {}",
            1.0 - up
        );
    }
    assert_eq!(clopper_pearson_lower(0, 100, 0.025), 0.0);
    // 0 of 3000: the two-sided 95% upper bound is 1 − 0.025^(1/3000).
    let up = clopper_pearson_upper(0, 3000, 0.025);
    assert!((up - (1.0 - 0.025f64.powf(1.0 / 3000.0))).abs() < 1e-9);
    assert!(report(&[]).contains("Pooled over the 0 rows"));
}
