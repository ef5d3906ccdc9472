//! Profiles on the worker wire in a packed form: per stage, its runs as
//! little-endian binary records in one base64 string, instead of a JSON
//! object per run. Encoding and decoding are a copy per run, with no number
//! formatting or parsing and no field names, so a 100,000-run profile crosses
//! the wire in tens of milliseconds on each side (its JSON took seconds on the
//! page's thread to write or read). Every value comes back bit for bit.
//!
//! A record: `memory_mb`, `d`, `rep` (u32 each), a flags byte (cold, write,
//! timestamp, architecture given, arm64), then `start`, `read` and `compute`
//! (mean and P95, f64 each), then `write` and `timestamp` when present.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use faasplan_core::arch::Arch;
use faasplan_core::formats::project::{Project as CoreProject, check_profiles};
use faasplan_core::profile::{ProfileRun, Profiles, StageProfile, StepStat};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const COLD: u8 = 1;
const WRITE: u8 = 2;
const TIMESTAMP: u8 = 4;
const ARCH: u8 = 8;
const ARM64: u8 = 16;

/// Bytes of a record without its optional parts.
const BASE: usize = 3 * 4 + 1 + 6 * 8;

/// The packed profiles as they cross the wire.
#[derive(Serialize, Deserialize)]
struct Packed {
    mb_per_vcpu: f64,
    stages: Vec<PackedStage>,
}

#[derive(Serialize, Deserialize)]
struct PackedStage {
    stage: String,
    runs: usize,
    packed: String,
}

fn push_f64(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn push_stat(out: &mut Vec<u8>, s: &StepStat) {
    push_f64(out, s.mean_s);
    push_f64(out, s.p95_s);
}

/// Appends `run`'s record to `out`.
fn pack_run(out: &mut Vec<u8>, run: &ProfileRun) {
    // Every field by name: a new field of `ProfileRun` fails to compile here
    // until it is packed too.
    let ProfileRun {
        memory_mb,
        d,
        rep,
        cold,
        start,
        read,
        compute,
        write,
        timestamp,
        architecture,
    } = run;
    out.extend_from_slice(&memory_mb.to_le_bytes());
    out.extend_from_slice(&d.to_le_bytes());
    out.extend_from_slice(&rep.to_le_bytes());
    let mut flags = 0;
    if *cold {
        flags |= COLD;
    }
    if write.is_some() {
        flags |= WRITE;
    }
    if timestamp.is_some() {
        flags |= TIMESTAMP;
    }
    match architecture {
        None => {}
        Some(Arch::X86_64) => flags |= ARCH,
        Some(Arch::Arm64) => flags |= ARCH | ARM64,
    }
    out.push(flags);
    push_stat(out, start);
    push_stat(out, read);
    push_stat(out, compute);
    if let Some(w) = write {
        push_stat(out, w);
    }
    if let Some(t) = timestamp {
        push_f64(out, *t);
    }
}

/// A cursor over a stage's records.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.at + N;
        let chunk = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| format!("packed runs end early at byte {}", self.at))?;
        self.at = end;
        let mut out = [0; N];
        out.copy_from_slice(chunk);
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, String> {
        self.take::<4>().map(u32::from_le_bytes)
    }

    fn f64(&mut self) -> Result<f64, String> {
        self.take::<8>().map(f64::from_le_bytes)
    }

    fn stat(&mut self) -> Result<StepStat, String> {
        Ok(StepStat {
            mean_s: self.f64()?,
            p95_s: self.f64()?,
        })
    }

    fn run(&mut self) -> Result<ProfileRun, String> {
        let memory_mb = self.u32()?;
        let d = self.u32()?;
        let rep = self.u32()?;
        let [flags] = self.take::<1>()?;
        if flags & !(COLD | WRITE | TIMESTAMP | ARCH | ARM64) != 0 {
            return Err(format!("unknown run flags {flags:#04x}"));
        }
        let (start, read, compute) = (self.stat()?, self.stat()?, self.stat()?);
        let write = if flags & WRITE != 0 {
            Some(self.stat()?)
        } else {
            None
        };
        let timestamp = if flags & TIMESTAMP != 0 {
            Some(self.f64()?)
        } else {
            None
        };
        let arch = if flags & ARM64 != 0 {
            Arch::Arm64
        } else {
            Arch::X86_64
        };
        let architecture = (flags & ARCH != 0).then_some(arch);
        Ok(ProfileRun {
            memory_mb,
            d,
            rep,
            cold: flags & COLD != 0,
            start,
            read,
            compute,
            write,
            timestamp,
            architecture,
        })
    }
}

fn pack(p: &Profiles) -> Packed {
    let stages = p
        .stages
        .iter()
        .map(|s| {
            let mut bytes = Vec::with_capacity(s.runs.len() * (BASE + 24));
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
    Packed {
        mb_per_vcpu: p.mb_per_vcpu,
        stages,
    }
}

fn unpack(p: Packed) -> Result<Profiles, String> {
    let stages = p
        .stages
        .into_iter()
        .map(|s| {
            let bytes = STANDARD
                .decode(&s.packed)
                .map_err(|e| format!("stage {}: packed runs: {e}", s.stage))?;
            // Each record is at least BASE bytes: a count beyond that is not this encoding.
            if s.runs > bytes.len() / BASE {
                return Err(format!(
                    "stage {}: {} runs cannot fit in {} bytes",
                    s.stage,
                    s.runs,
                    bytes.len()
                ));
            }
            let mut reader = Reader {
                bytes: &bytes,
                at: 0,
            };
            let runs = (0..s.runs)
                .map(|_| reader.run())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("stage {}: {e}", s.stage))?;
            if reader.at != bytes.len() {
                return Err(format!(
                    "stage {}: {} bytes after the last run",
                    s.stage,
                    bytes.len() - reader.at
                ));
            }
            Ok(StageProfile {
                stage: s.stage,
                runs,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Profiles {
        mb_per_vcpu: p.mb_per_vcpu,
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
        unpack(Packed::deserialize(d)?).map_err(serde::de::Error::custom)
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
        Option::<Packed>::deserialize(d)?
            .map(unpack)
            .transpose()
            .map_err(serde::de::Error::custom)
    }
}

/// A core project on the wire: its project file without the runs (workflow,
/// platform, settings: small), and its profiles packed.
#[derive(Serialize, Deserialize)]
struct WireProject {
    file: String,
    profiles: Packed,
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
fn project_in(w: WireProject) -> Result<CoreProject, String> {
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
        project_in(WireProject::deserialize(d)?).map_err(serde::de::Error::custom)
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
        Option::<WireProject>::deserialize(d)?
            .map(project_in)
            .transpose()
            .map_err(serde::de::Error::custom)
    }
}

/// Profiles as the autosave keeps them: packed ([`profiles`]) when written;
/// read back from packed text or from the plain JSON of earlier saves.
pub fn profiles_to_text(p: &Profiles) -> String {
    // Plain data with string keys: serialising cannot fail.
    serde_json::to_string(&pack(p)).unwrap_or_default()
}

/// Profiles from [`profiles_to_text`]'s text, or from their plain JSON.
pub fn profiles_from_text(text: &str) -> Result<Profiles, String> {
    match serde_json::from_str::<Packed>(text) {
        Ok(packed) => unpack(packed),
        Err(_) => serde_json::from_str::<Profiles>(text).map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn packed_profiles_come_back_bit_for_bit_with_every_optional_part() {
        let h = Holder {
            p: profiles(),
            q: Some(profiles()),
            r: None,
        };
        let text = serde_json::to_string(&h).unwrap();
        let back: Holder = serde_json::from_str(&text).unwrap();
        assert_eq!(back, h);
        for (a, b) in back.p.stages[0].runs.iter().zip(&h.p.stages[0].runs) {
            assert_eq!(a.start.p95_s.to_bits(), b.start.p95_s.to_bits());
            assert_eq!(a.compute.mean_s.to_bits(), b.compute.mean_s.to_bits());
        }
        // Much shorter than a JSON object per run.
        let plain = serde_json::to_string(&h.p).unwrap();
        assert!(
            serde_json::to_string(&pack(&h.p)).unwrap().len() < plain.len(),
            "packed is shorter"
        );
    }

    #[test]
    fn damaged_packed_runs_are_an_error_naming_the_stage_not_a_panic() {
        let mut packed = pack(&profiles());
        let good = packed.stages[0].packed.clone();
        packed.stages[0].runs += 1;
        let err = unpack(packed).unwrap_err();
        assert!(err.starts_with("stage a: packed runs end early"), "{err}");
        let mut packed = pack(&profiles());
        packed.stages[0].runs = usize::MAX;
        assert!(unpack(packed).unwrap_err().contains("cannot fit"));
        let mut packed = pack(&profiles());
        packed.stages[0].runs -= 1;
        assert!(
            unpack(packed)
                .unwrap_err()
                .contains("bytes after the last run")
        );
        let mut packed = pack(&profiles());
        packed.stages[0].packed = format!("!{good}");
        assert!(
            unpack(packed)
                .unwrap_err()
                .starts_with("stage a: packed runs:")
        );
        // A flags byte this encoding never writes.
        let mut bytes = STANDARD.decode(&good).unwrap();
        bytes[12] = 0x80;
        let mut packed = pack(&profiles());
        packed.stages[0].packed = STANDARD.encode(bytes);
        assert!(
            unpack(packed)
                .unwrap_err()
                .contains("unknown run flags 0x80")
        );
    }

    #[test]
    fn autosave_text_reads_packed_and_earlier_plain_json() {
        let p = profiles();
        assert_eq!(profiles_from_text(&profiles_to_text(&p)).unwrap(), p);
        assert_eq!(
            profiles_from_text(&serde_json::to_string(&p).unwrap()).unwrap(),
            p
        );
        assert!(profiles_from_text("{\"stages\": 3}").is_err());
    }
}
