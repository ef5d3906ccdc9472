//! Profiles packed as one byte buffer: every run as a little-endian binary
//! record, no field names and no number formatting, so writing and reading
//! are a copy per run and every value comes back bit for bit. The web app
//! sends profiles between its threads and keeps them in its autosave in
//! this form (`src/worker/protocol/wire.rs`); it lives here, in the crate
//! built for speed, because it is a loop over every run.
//!
//! The buffer: the magic `FPPB`, a version byte, `mb_per_vcpu` (f64), the
//! stage count (u32), then per stage its name (u32 length, UTF-8), its run
//! count (u32), its records' length in bytes (u64) and the records.
//!
//! A record: `memory_mb`, `d`, `rep` (u32 each), a flags byte (cold, write,
//! timestamp, architecture given, arm64), then `start`, `read` and `compute`
//! (mean and P95, f64 each), then `write` and `timestamp` when present.

use crate::arch::Arch;
use crate::profile::{ProfileRun, Profiles, StageProfile, StepStat};

const COLD: u8 = 1;
const WRITE: u8 = 2;
const TIMESTAMP: u8 = 4;
const ARCH: u8 = 8;
const ARM64: u8 = 16;

/// Bytes of a record without its optional parts.
pub const BASE: usize = 3 * 4 + 1 + 6 * 8;
/// Bytes of a record with every optional part.
pub const MAX_RECORD: usize = BASE + 2 * 8 + 8;

/// The first bytes of a packed profiles buffer.
pub const MAGIC: &[u8; 4] = b"FPPB";
/// The buffer's version.
pub const VERSION: u8 = 1;

fn push_f64(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn push_stat(out: &mut Vec<u8>, s: &StepStat) {
    push_f64(out, s.mean_s);
    push_f64(out, s.p95_s);
}

/// Appends `run`'s record to `out`.
pub fn pack_run(out: &mut Vec<u8>, run: &ProfileRun) {
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

impl<'a> Reader<'a> {
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

    fn slice(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self.at.saturating_add(len);
        let chunk = self.bytes.get(self.at..end).ok_or_else(|| {
            format!(
                "{len} bytes wanted at byte {}, {} there",
                self.at,
                self.bytes.len() - self.at
            )
        })?;
        self.at = end;
        Ok(chunk)
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

/// Packs every run of `p` into one buffer (see the module docs).
pub fn to_bytes(p: &Profiles) -> Vec<u8> {
    let runs: usize = p.stages.iter().map(|s| s.runs.len()).sum();
    let names: usize = p.stages.iter().map(|s| s.stage.len() + 16).sum();
    let mut out = Vec::with_capacity(4 + 1 + 8 + 4 + names + runs * (BASE + 24));
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    push_f64(&mut out, p.mb_per_vcpu);
    push_len32(&mut out, p.stages.len());
    for s in &p.stages {
        push_len32(&mut out, s.stage.len());
        out.extend_from_slice(s.stage.as_bytes());
        push_len32(&mut out, s.runs.len());
        let at = out.len();
        out.extend_from_slice(&0u64.to_le_bytes());
        for run in &s.runs {
            pack_run(&mut out, run);
        }
        let len = (out.len() - at - 8) as u64;
        out[at..at + 8].copy_from_slice(&len.to_le_bytes());
    }
    out
}

/// A length as u32. Stage names, stage counts and run counts of profiles a
/// 32-bit address space holds are far below `u32::MAX` (a run takes 61 bytes
/// or more), so the saturation never happens in practice; the reader would
/// refuse such a buffer rather than misread it.
fn push_len32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

/// The profiles of a [`to_bytes`] buffer; an error says where it is
/// damaged (never a panic, nothing allocated beyond what the buffer holds).
pub fn from_bytes(bytes: &[u8]) -> Result<Profiles, String> {
    let mut r = Reader { bytes, at: 0 };
    if r.take::<4>().ok().as_ref() != Some(MAGIC) {
        return Err("not packed profiles (no FPPB header)".into());
    }
    let [version] = r.take::<1>()?;
    if version != VERSION {
        return Err(format!(
            "packed profiles of version {version}, this build reads {VERSION}"
        ));
    }
    let mb_per_vcpu = r.f64()?;
    let count = r.u32()? as usize;
    // Each stage takes at least 16 bytes: a larger count is not this encoding.
    if count > bytes.len().saturating_sub(r.at) / 16 {
        return Err(format!(
            "{count} stages cannot fit in {} bytes",
            bytes.len()
        ));
    }
    let mut stages = Vec::with_capacity(count);
    for i in 0..count {
        let len = r.u32()? as usize;
        let name = r
            .slice(len)
            .map_err(|e| format!("stage {}: name: {e}", i + 1))?;
        let stage = std::str::from_utf8(name)
            .map_err(|e| format!("stage {}: name: {e}", i + 1))?
            .to_string();
        let runs = r.u32()? as usize;
        let len = usize::try_from(u64::from_le_bytes(r.take::<8>()?))
            .map_err(|_| format!("stage {stage}: records too long"))?;
        let records = r
            .slice(len)
            .map_err(|e| format!("stage {stage}: packed runs: {e}"))?;
        let runs = unpack_runs(records, runs).map_err(|e| format!("stage {stage}: {e}"))?;
        stages.push(StageProfile { stage, runs });
    }
    if r.at != bytes.len() {
        return Err(format!("{} bytes after the last stage", bytes.len() - r.at));
    }
    Ok(Profiles {
        mb_per_vcpu,
        stages,
    })
}

/// `count` records filling `bytes` exactly.
pub fn unpack_runs(bytes: &[u8], count: usize) -> Result<Vec<ProfileRun>, String> {
    // Each record is at least BASE bytes: a count beyond that is not this encoding.
    if count > bytes.len() / BASE {
        return Err(format!("{count} runs cannot fit in {} bytes", bytes.len()));
    }
    let mut reader = Reader { bytes, at: 0 };
    let runs = (0..count)
        .map(|_| reader.run())
        .collect::<Result<Vec<_>, _>>()?;
    if reader.at != bytes.len() {
        return Err(format!(
            "{} bytes after the last run",
            bytes.len() - reader.at
        ));
    }
    Ok(runs)
}
