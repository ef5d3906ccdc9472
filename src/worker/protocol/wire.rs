//! Profiles on the worker wire in a packed form: all their runs as
//! little-endian binary records in one byte buffer ([`profiles_to_bytes`]),
//! instead of a JSON object per run. Encoding and decoding are a copy per
//! run, with no number formatting or parsing and no field names; every value
//! comes back bit for bit.
//!
//! Inside a worker message the buffer does not go through the JSON text at
//! all: while [`collect_blobs`] runs (the codec's encode), packing puts the
//! bytes aside and writes `{"blob": i}`; the codec posts them beside the text
//! as `Uint8Array`s (a structured-clone copy, no base64, no JSON scan of
//! megabytes) and hands them back with [`with_blobs`] while decoding. Outside
//! a message (a test, a text) the same bytes are written as base64
//! (`{"bytes": …}`). The form of earlier builds (base64 per stage) still reads.
//!
//! The buffer and its records are `faasplan_core::profile::packed`'s (built
//! for speed: a loop over every run).

use std::cell::RefCell;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use faasplan_core::formats::project::{Project as CoreProject, check_profiles};
use faasplan_core::profile::packed::{self, unpack_runs};
use faasplan_core::profile::{Profiles, StageProfile};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes of a packed run with every optional part.
pub const MAX_RECORD: usize = packed::MAX_RECORD;

/// Packs every run of `p` into one buffer (`faasplan_core::profile::packed::to_bytes`).
pub fn profiles_to_bytes(p: &Profiles) -> Vec<u8> {
    packed::to_bytes(p)
}

/// The profiles of a [`profiles_to_bytes`] buffer, or where it is damaged.
pub fn profiles_from_bytes(bytes: &[u8]) -> Result<Profiles, String> {
    packed::from_bytes(bytes)
}

thread_local! {
    /// Buffers put aside while a message is encoded ([`collect_blobs`]).
    static OUTGOING: RefCell<Option<Vec<Vec<u8>>>> = const { RefCell::new(None) };
    /// The buffers of the message being decoded ([`with_blobs`]).
    static INCOMING: RefCell<Vec<Option<Vec<u8>>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` (a message's serialisation) with profiles put aside as byte
/// buffers instead of written into the text; returns them in `{"blob": i}` order.
pub fn collect_blobs<T>(f: impl FnOnce() -> T) -> (T, Vec<Vec<u8>>) {
    let outer = OUTGOING.with(|o| o.borrow_mut().replace(Vec::new()));
    let out = f();
    let blobs = OUTGOING.with(|o| std::mem::replace(&mut *o.borrow_mut(), outer));
    (out, blobs.unwrap_or_default())
}

/// Runs `f` (a message's deserialisation) with `blobs` as the buffers its
/// `{"blob": i}` refer to.
pub fn with_blobs<T>(blobs: Vec<Vec<u8>>, f: impl FnOnce() -> T) -> T {
    let outer = INCOMING
        .with(|i| std::mem::replace(&mut *i.borrow_mut(), blobs.into_iter().map(Some).collect()));
    let out = f();
    INCOMING.with(|i| *i.borrow_mut() = outer);
    out
}

/// Packed profiles as they are written: a buffer aside, or base64 text.
#[derive(Serialize)]
#[serde(untagged)]
enum PackedOut {
    Blob { blob: usize },
    Bytes { bytes: String },
}

/// Packed profiles as they are read: a buffer aside, base64 text, or the
/// per-stage form of earlier builds.
#[derive(Deserialize)]
struct PackedIn {
    #[serde(default)]
    blob: Option<usize>,
    #[serde(default)]
    bytes: Option<String>,
    #[serde(default)]
    mb_per_vcpu: Option<f64>,
    #[serde(default)]
    stages: Option<Vec<PackedStage>>,
}

/// A stage in the per-stage form of earlier builds.
#[derive(Serialize, Deserialize)]
struct PackedStage {
    stage: String,
    runs: usize,
    packed: String,
}

fn pack(p: &Profiles) -> PackedOut {
    let bytes = profiles_to_bytes(p);
    OUTGOING.with(|o| match o.borrow_mut().as_mut() {
        Some(blobs) => {
            blobs.push(bytes);
            PackedOut::Blob {
                blob: blobs.len() - 1,
            }
        }
        None => PackedOut::Bytes {
            bytes: STANDARD.encode(bytes),
        },
    })
}

fn unpack(p: PackedIn) -> Result<Profiles, String> {
    if let Some(i) = p.blob {
        let bytes = INCOMING
            .with(|b| b.borrow_mut().get_mut(i).and_then(Option::take))
            .ok_or_else(|| format!("packed profiles: no buffer {i} beside the message"))?;
        return profiles_from_bytes(&bytes).map_err(|e| format!("packed profiles: {e}"));
    }
    if let Some(text) = p.bytes {
        let bytes = STANDARD
            .decode(text)
            .map_err(|e| format!("packed profiles: {e}"))?;
        return profiles_from_bytes(&bytes).map_err(|e| format!("packed profiles: {e}"));
    }
    let (Some(mb_per_vcpu), Some(stages)) = (p.mb_per_vcpu, p.stages) else {
        return Err("packed profiles: neither a buffer, bytes nor stages".into());
    };
    let stages = stages
        .into_iter()
        .map(|s| {
            let bytes = STANDARD
                .decode(&s.packed)
                .map_err(|e| format!("stage {}: packed runs: {e}", s.stage))?;
            let runs =
                unpack_runs(&bytes, s.runs).map_err(|e| format!("stage {}: {e}", s.stage))?;
            Ok(StageProfile {
                stage: s.stage,
                runs,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Profiles {
        mb_per_vcpu,
        stages,
    })
}

/// `Profiles` packed (use as `#[serde(with = "wire::profiles")]`).
pub mod profiles {
    use super::*;

    /// Writes the packed profiles.
    pub fn serialize<S: Serializer>(p: &Profiles, s: S) -> Result<S::Ok, S::Error> {
        pack(p).serialize(s)
    }

    /// Reads packed profiles back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Profiles, D::Error> {
        unpack(PackedIn::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// `Option<Profiles>` packed, or null.
pub mod opt_profiles {
    use super::*;

    /// Writes the packed profiles, or null.
    pub fn serialize<S: Serializer>(p: &Option<Profiles>, s: S) -> Result<S::Ok, S::Error> {
        p.as_ref().map(pack).serialize(s)
    }

    /// Reads packed profiles back, or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Profiles>, D::Error> {
        Option::<PackedIn>::deserialize(d)?
            .map(unpack)
            .transpose()
            .map_err(serde::de::Error::custom)
    }
}

/// A core project on the wire: its project file without the runs (workflow,
/// platform, settings: small), and its profiles packed.
#[derive(Serialize)]
struct WireProject {
    file: String,
    profiles: PackedOut,
}

/// [`WireProject`] as it is read.
#[derive(Deserialize)]
struct WireProjectIn {
    file: String,
    profiles: PackedIn,
}

fn project_out(p: &CoreProject) -> WireProject {
    let slim = CoreProject {
        workflow: p.workflow.clone(),
        profiles: Profiles {
            mb_per_vcpu: p.profiles.mb_per_vcpu,
            stages: Vec::new(),
        },
        platform: p.platform.clone(),
        settings: p.settings.clone(),
    };
    WireProject {
        file: slim.to_json(),
        profiles: pack(&p.profiles),
    }
}

/// The project back, its profiles checked as reading the project file checks
/// them (stages of the workflow, each once, every run's values).
fn project_in(w: WireProjectIn) -> Result<CoreProject, String> {
    let mut project = CoreProject::from_json(&w.file).map_err(|e| e.to_string())?;
    let profiles = unpack(w.profiles)?;
    check_profiles(&profiles, &project.workflow).map_err(|e| e.to_string())?;
    project.profiles = profiles;
    Ok(project)
}

/// A core project on the wire (use as `#[serde(with = "wire::project")]`).
pub mod project {
    use super::*;

    /// Writes the project: its file without runs, and its profiles packed.
    pub fn serialize<S: Serializer>(p: &CoreProject, s: S) -> Result<S::Ok, S::Error> {
        project_out(p).serialize(s)
    }

    /// Reads the project back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CoreProject, D::Error> {
        project_in(WireProjectIn::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// An optional core project on the wire, as [`project`] writes it, or null.
pub mod opt_project {
    use super::*;

    /// Writes the project, or null.
    pub fn serialize<S: Serializer>(p: &Option<CoreProject>, s: S) -> Result<S::Ok, S::Error> {
        p.as_ref().map(project_out).serialize(s)
    }

    /// Reads the project back, or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CoreProject>, D::Error> {
        Option::<WireProjectIn>::deserialize(d)?
            .map(project_in)
            .transpose()
            .map_err(serde::de::Error::custom)
    }
}

/// Profiles from an autosave text of earlier builds: packed per stage, or
/// their plain JSON (the autosave now keeps [`profiles_to_bytes`]'s buffer).
pub fn profiles_from_text(text: &str) -> Result<Profiles, String> {
    match serde_json::from_str::<PackedIn>(text) {
        Ok(packed) => unpack(packed),
        Err(_) => serde_json::from_str::<Profiles>(text).map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faasplan_core::arch::Arch;
    use faasplan_core::profile::packed::pack_run;
    use faasplan_core::profile::{ProfileRun, StepStat};

    fn run(i: u32) -> ProfileRun {
        let f = f64::from(i);
        ProfileRun {
            memory_mb: 128 + 64 * i,
            d: 1 + i % 4,
            rep: i,
            cold: i.is_multiple_of(3),
            start: StepStat {
                mean_s: 0.1 + f * 1e-3,
                p95_s: -0.2 + f / 7.0,
            },
            read: StepStat {
                mean_s: 1.0 / 3.0 + f,
                p95_s: 0.5,
            },
            compute: StepStat {
                mean_s: f * std::f64::consts::PI,
                p95_s: 1e-300,
            },
            write: i.is_multiple_of(2).then_some(StepStat {
                mean_s: 0.25,
                p95_s: f64::MAX,
            }),
            timestamp: i.is_multiple_of(5).then_some(1.7e9 + f / 3.0),
            architecture: match i % 3 {
                0 => None,
                1 => Some(Arch::X86_64),
                _ => Some(Arch::Arm64),
            },
        }
    }

    fn profiles() -> Profiles {
        Profiles {
            mb_per_vcpu: 1769.0,
            stages: vec![
                StageProfile {
                    stage: "a".into(),
                    runs: (0..40).map(run).collect(),
                },
                StageProfile {
                    stage: "b".into(),
                    runs: Vec::new(),
                },
            ],
        }
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Holder {
        #[serde(with = "profiles")]
        p: Profiles,
        #[serde(with = "opt_profiles")]
        q: Option<Profiles>,
        #[serde(with = "opt_profiles")]
        r: Option<Profiles>,
    }

    /// The per-stage form earlier builds wrote (the autosave text).
    fn old_text(p: &Profiles) -> String {
        let stages: Vec<PackedStage> = p
            .stages
            .iter()
            .map(|s| {
                let mut bytes = Vec::new();
                for run in &s.runs {
                    pack_run(&mut bytes, run);
                }
                PackedStage {
                    stage: s.stage.clone(),
                    runs: s.runs.len(),
                    packed: STANDARD.encode(bytes),
                }
            })
            .collect();
        serde_json::json!({"mb_per_vcpu": p.mb_per_vcpu, "stages": stages}).to_string()
    }

    #[test]
    fn packed_profiles_come_back_bit_for_bit_with_every_optional_part() {
        let h = Holder {
            p: profiles(),
            q: Some(profiles()),
            r: None,
        };
        let text = serde_json::to_string(&h).unwrap();
        assert!(
            text.contains("\"bytes\""),
            "base64 outside a message: {text:.80}"
        );
        let back: Holder = serde_json::from_str(&text).unwrap();
        assert_eq!(back, h);
        for (a, b) in back.p.stages[0].runs.iter().zip(&h.p.stages[0].runs) {
            assert_eq!(a.start.p95_s.to_bits(), b.start.p95_s.to_bits());
            assert_eq!(a.compute.mean_s.to_bits(), b.compute.mean_s.to_bits());
        }
        // Much shorter than a JSON object per run.
        let plain = serde_json::to_string(&h.p).unwrap();
        assert!(
            3 * profiles_to_bytes(&h.p).len() < plain.len(),
            "packed is shorter"
        );
    }

    #[test]
    fn in_a_message_profiles_travel_as_buffers_beside_a_small_text() {
        let h = Holder {
            p: profiles(),
            q: Some(profiles()),
            r: None,
        };
        let (text, blobs) = collect_blobs(|| serde_json::to_string(&h).unwrap());
        assert_eq!(blobs.len(), 2);
        assert!(text.len() < 100, "no runs in the text: {text}");
        assert_eq!(blobs[0], profiles_to_bytes(&h.p));
        // Outside collect_blobs, base64 again.
        assert!(serde_json::to_string(&h).unwrap().contains("\"bytes\""));
        let back: Holder = with_blobs(blobs, || serde_json::from_str(&text).unwrap());
        assert_eq!(back, h);
        // A message referring to a buffer it does not carry is an error.
        let err = with_blobs(Vec::new(), || serde_json::from_str::<Holder>(&text)).unwrap_err();
        assert!(err.to_string().contains("no buffer 0"), "{err}");
    }

    #[test]
    fn damaged_buffers_are_an_error_naming_the_place_not_a_panic() {
        let good = profiles_to_bytes(&profiles());
        assert_eq!(profiles_from_bytes(&good).unwrap(), profiles());
        // Every truncation is an error.
        for end in 0..good.len() {
            assert!(profiles_from_bytes(&good[..end]).is_err(), "cut at {end}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(
            profiles_from_bytes(&longer)
                .unwrap_err()
                .contains("1 bytes after the last stage")
        );
        assert!(profiles_from_bytes(b"{}").unwrap_err().contains("FPPB"));
        let mut v2 = good.clone();
        v2[4] = 2;
        assert!(profiles_from_bytes(&v2).unwrap_err().contains("version 2"));
        // Stage count, run count and record length beyond the buffer.
        let mut many = good.clone();
        many[13..17].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            profiles_from_bytes(&many)
                .unwrap_err()
                .contains("cannot fit")
        );
        // Stage "a": name length at 17, name at 21, runs at 22, length at 26.
        let mut runs = good.clone();
        runs[22..26].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = profiles_from_bytes(&runs).unwrap_err();
        assert!(
            err.starts_with("stage a:") && err.contains("cannot fit"),
            "{err}"
        );
        let mut fewer = good.clone();
        let n = u32::from_le_bytes(fewer[22..26].try_into().unwrap());
        fewer[22..26].copy_from_slice(&(n - 1).to_le_bytes());
        assert!(
            profiles_from_bytes(&fewer)
                .unwrap_err()
                .contains("bytes after the last run")
        );
        let mut long = good.clone();
        long[26..34].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(
            profiles_from_bytes(&long)
                .unwrap_err()
                .starts_with("stage a:")
        );
        // A flags byte this encoding never writes (the first record starts at 34).
        let mut flags = good.clone();
        flags[34 + 12] = 0x80;
        assert!(
            profiles_from_bytes(&flags)
                .unwrap_err()
                .contains("unknown run flags 0x80")
        );
    }

    #[test]
    fn damaged_old_packed_runs_are_an_error_naming_the_stage_not_a_panic() {
        let text = old_text(&profiles());
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["stages"][0]["runs"] = 41.into();
        let err = profiles_from_text(&v.to_string()).unwrap_err();
        assert!(err.starts_with("stage a: packed runs end early"), "{err}");
        v["stages"][0]["runs"] = 39.into();
        assert!(
            profiles_from_text(&v.to_string())
                .unwrap_err()
                .contains("bytes after the last run")
        );
        v["stages"][0]["runs"] = 40.into();
        v["stages"][0]["packed"] = "!".into();
        assert!(
            profiles_from_text(&v.to_string())
                .unwrap_err()
                .starts_with("stage a: packed runs:")
        );
    }

    #[test]
    fn autosave_text_of_earlier_builds_still_reads_packed_and_plain_json() {
        let p = profiles();
        assert_eq!(profiles_from_text(&old_text(&p)).unwrap(), p);
        assert_eq!(
            profiles_from_text(&serde_json::to_string(&p).unwrap()).unwrap(),
            p
        );
        assert!(profiles_from_text("{\"stages\": 3}").is_err());
    }
}
