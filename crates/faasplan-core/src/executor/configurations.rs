//! Whole-workflow configurations as text, one per line: `stage=MEMORYxD, stage=MEMORYxD`.
//!
//! The form in which a user lists the configurations an executor should
//! profile (the app's editable list, `faasplan run --configurations FILE`).
//!
//! ```
//! use faasplan_core::executor::configurations::{format_configurations, parse_configurations};
//!
//! let configs = parse_configurations("# the plan\nsort=1024x4, merge=512x1\n").unwrap();
//! assert_eq!(configs[0][0].memory_mb, 1024);
//! assert_eq!(format_configurations(&configs), "sort=1024x4, merge=512x1\n");
//! ```

use std::fmt::Write as _;

use super::StageConfig;

/// The configurations as text, one per line: `stage=MEMORYxD, stage=MEMORYxD`.
pub fn format_configurations(configurations: &[Vec<StageConfig>]) -> String {
    let mut text = String::new();
    for c in configurations {
        let line: Vec<String> = c
            .iter()
            .map(|s| format!("{}={}x{}", s.stage, s.memory_mb, s.d))
            .collect();
        let _ = writeln!(text, "{}", line.join(", "));
    }
    text
}

/// Reads configurations written by [`format_configurations`] (blank lines and
/// lines starting with `#` are skipped); errors name the line and the entry.
pub fn parse_configurations(text: &str) -> Result<Vec<Vec<StageConfig>>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut config = Vec::new();
        for entry in line.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = |why: &str| format!("configurations, line {}: {entry:?}: {why}", n + 1);
            let (stage, value) = entry
                .split_once('=')
                .ok_or_else(|| bad("expected stage=MEMORYxD, e.g. sort=1024x4"))?;
            let (memory, d) = value
                .trim()
                .split_once(['x', 'X', '×'])
                .ok_or_else(|| bad("expected MEMORYxD after '=', e.g. 1024x4"))?;
            let memory_mb = memory
                .trim()
                .parse::<u32>()
                .map_err(|_| bad("memory is not a whole number of MB"))?;
            let d = d
                .trim()
                .parse::<u32>()
                .map_err(|_| bad("d is not a whole number"))?;
            config.push(StageConfig {
                stage: stage.trim().to_string(),
                memory_mb,
                d,
            });
        }
        out.push(config);
    }
    if out.is_empty() {
        return Err(
            "configurations: none listed (one per line, e.g. sort=1024x4, merge=512x1)".to_string(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line_and_the_entry() {
        let e = parse_configurations("sort=512x2\nsort=lots x2").unwrap_err();
        assert!(e.contains("line 2") && e.contains("memory"), "{e}");
        let e = parse_configurations("sort 512").unwrap_err();
        assert!(e.contains("line 1") && e.contains("stage=MEMORYxD"), "{e}");
        let e = parse_configurations("sort=512x").unwrap_err();
        assert!(e.contains("d is not"), "{e}");
        assert!(parse_configurations("\n# nothing\n").is_err());
    }

    #[test]
    fn text_round_trips() {
        let text = "a=128x1, b=3008x16\nb=256×2\n";
        let configs = parse_configurations(text).unwrap();
        assert_eq!(configs[1][0].memory_mb, 256);
        assert_eq!(configs[1][0].d, 2);
        assert_eq!(
            parse_configurations(&format_configurations(&configs)).unwrap(),
            configs
        );
    }
}
