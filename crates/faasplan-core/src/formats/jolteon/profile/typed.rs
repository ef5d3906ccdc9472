//! A well-formed Jolteon profile read straight into typed tables.
//!
//! The JSON tree of a profile takes about 110 bytes a value pair
//! (`serde_json::Value` arrays of numbers); a profile of 1,000,000
//! configurations (16 million pairs) took 3.3 GB that way. Read into
//! [`StepStat`] tables it takes 16 bytes a pair. [`parse`] reads that way and
//! gives `None` for anything that is not a well-formed profile (wrong shape,
//! repeated key, syntax error): the caller then reads the file as a JSON tree,
//! whose errors name the place.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use crate::profile::StepStat;

/// One step's values, `[rep][cfg]`.
pub(super) type Table = Vec<Vec<StepStat>>;

/// The steps of a stage, `(step, table)` in file order, names distinct.
pub(super) type Steps = Vec<(String, Table)>;

/// The stages of a profile, `(stage id, steps)` in file order, ids distinct.
pub(super) type File = Vec<(String, Steps)>;

/// Reads a well-formed profile, or `None`.
pub(super) fn parse(text: &str) -> Option<File> {
    let file: Entries<Entries<Vec<Vec<Pair>>>> = serde_json::from_str(text).ok()?;
    Some(
        file.0
            .into_iter()
            .map(|(stage, steps)| {
                let steps = steps
                    .0
                    .into_iter()
                    .map(|(step, t)| (step, table(t)))
                    .collect();
                (stage, steps)
            })
            .collect(),
    )
}

/// `[rep][cfg]` pairs as step statistics (the conversion reuses the allocations).
fn table(pairs: Vec<Vec<Pair>>) -> Table {
    pairs
        .into_iter()
        .map(|rep| rep.into_iter().map(|p| p.0).collect())
        .collect()
}

/// `[mean_s, p95_s]`.
struct Pair(StepStat);

impl<'de> Deserialize<'de> for Pair {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let [mean_s, p95_s] = <[f64; 2]>::deserialize(d)?;
        Ok(Pair(StepStat { mean_s, p95_s }))
    }
}

/// A JSON object as its entries in file order; a repeated key is an error.
struct Entries<V>(Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EntriesVisitor(PhantomData))
    }
}

struct EntriesVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
    type Value = Entries<V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<V>, A::Error> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            out.push((key, map.next_value()?));
        }
        Ok(Entries(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_well_formed_profile_and_nothing_else() {
        let file = parse(r#"{"s": {"cold": [[[1, 2.5], [-0.5, 3]]], "read": []}}"#).unwrap();
        assert_eq!(file.len(), 1);
        let (stage, steps) = &file[0];
        assert_eq!(stage, "s");
        assert_eq!(steps[0].0, "cold");
        assert_eq!(
            steps[0].1,
            [[
                StepStat {
                    mean_s: 1.0,
                    p95_s: 2.5
                },
                StepStat {
                    mean_s: -0.5,
                    p95_s: 3.0
                }
            ]]
        );
        assert!(steps[1].1.is_empty());
        for bad in [
            r#"{"s": {"cold": [[[1, 2, 3]]]}}"#,
            r#"{"s": {"cold": [[[1, "2"]]]}}"#,
            r#"{"s": {"cold": []}, "s": {}}"#,
            r#"{"s": {"cold": [], "cold": []}}"#,
            r#"{"s": {"cold": [[[1, 1e400]]]}}"#,
            r#"[]"#,
            r#"{"s": {"cold": [[[1, 2]]]}"#,
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
