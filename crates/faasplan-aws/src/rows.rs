//! `REPORT` lines of the runs as profile rows, through the core's Lambda log importer.

use faasplan_core::dag::Config;
use faasplan_core::formats::lambda_logs::{self, LogRun, RunStatus};
use faasplan_core::profile::{ProfileRun, StepStat};
use faasplan_core::stats::empirical::quantile;

use crate::error::{AwsError, ErrorKind};

/// The `REPORT` lines of one stage in one execution.
#[derive(Clone, Debug, PartialEq)]
pub struct StageReports {
    /// Stage id.
    pub stage: String,
    /// The configuration the execution ran.
    pub config: Config,
    /// Repetition number of this configuration.
    pub rep: u32,
    /// Log text holding the lines: a `filter-log-events` JSON document, an
    /// Invoke `LogResult` tail, or plain lines.
    pub logs: Vec<String>,
}

/// What the lines of one stage in one execution add up to, besides the rows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dropped {
    /// Instances that timed out (counted, not profiled).
    pub timeouts: usize,
    /// Instances that ended with an error (counted, not profiled).
    pub errors: usize,
    /// Every instance with a `REPORT` line, failed ones included.
    pub instances: usize,
    /// Billed GB-seconds of those instances (`Billed Duration`, else `Duration`).
    pub billed_gb_s: f64,
}

/// One profile row per stage and execution: each instance's run as the log
/// importer reads it (`lambda_logs::profile_runs`: the duration is the
/// compute step, a cold start's init the start-up), then the row's d is the
/// configuration's d and each step is the mean and nearest-rank P95 over the
/// instances; the row is cold if any instance started cold. Memory is the
/// `Memory Size` the lines report, so a run that missed the update shows as
/// what it really ran. Timeouts and errors are counted, not profiled.
pub fn rows_of_reports(reports: &StageReports) -> Result<(Vec<ProfileRun>, Dropped), AwsError> {
    let mut runs: Vec<LogRun> = Vec::new();
    for (i, text) in reports.logs.iter().enumerate() {
        if !lambda_logs::looks_like_log(text) {
            continue;
        }
        let import = lambda_logs::import_logs(text).map_err(|e| {
            AwsError::new(
                ErrorKind::Api,
                format!(
                    "stage {}, repetition {}, log {i}: {e}",
                    reports.stage, reports.rep
                ),
            )
        })?;
        runs.extend(import.runs);
    }
    let dropped = Dropped {
        timeouts: runs
            .iter()
            .filter(|r| r.status == RunStatus::Timeout)
            .count(),
        errors: runs.iter().filter(|r| r.status == RunStatus::Error).count(),
        instances: runs.len(),
        billed_gb_s: runs
            .iter()
            .map(|r| {
                f64::from(r.memory_mb) / 1024.0 * r.billed_ms.unwrap_or(r.duration_ms) / 1000.0
            })
            .sum(),
    };
    let singles = lambda_logs::profile_runs(runs.iter());
    let mut memories: Vec<u32> = singles.iter().map(|r| r.memory_mb).collect();
    memories.sort_unstable();
    memories.dedup();
    let rows = memories
        .into_iter()
        .map(|memory_mb| {
            let of: Vec<&ProfileRun> = singles
                .iter()
                .filter(|r| r.memory_mb == memory_mb)
                .collect();
            let stat = |f: &dyn Fn(&ProfileRun) -> f64| {
                let v: Vec<f64> = of.iter().map(|r| f(r)).collect();
                StepStat {
                    mean_s: v.iter().sum::<f64>() / v.len() as f64,
                    p95_s: quantile(&v, 0.95),
                }
            };
            ProfileRun {
                memory_mb,
                d: reports.config.d,
                rep: reports.rep,
                cold: of.iter().any(|r| r.cold),
                start: stat(&|r| r.start.mean_s),
                read: stat(&|r| r.read.mean_s),
                compute: stat(&|r| r.compute.mean_s),
                write: None,
                // The stage run started when its first instance did.
                timestamp: of.iter().filter_map(|r| r.timestamp).min_by(f64::total_cmp),
                architecture: None,
            }
        })
        .collect();
    Ok((rows, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, ms: f64, init: Option<f64>) -> String {
        let init = init.map_or(String::new(), |i| format!("\tInit Duration: {i} ms"));
        format!(
            "REPORT RequestId: {id}\tDuration: {ms} ms\tBilled Duration: {} ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB{init}\n",
            ms.ceil()
        )
    }

    #[test]
    fn instances_of_one_execution_become_one_row_with_mean_and_p95() {
        let events: Vec<serde_json::Value> = [
            report("a", 100.0, Some(300.0)),
            report("b", 200.0, None),
            report("c", 300.0, None),
            report("d", 400.0, None),
        ]
        .iter()
        .map(|m| serde_json::json!({"timestamp": 1, "message": m}))
        .collect();
        let doc = serde_json::json!({"logGroupName": "/aws/lambda/f", "events": events});
        let (rows, dropped) = rows_of_reports(&StageReports {
            stage: "map".into(),
            config: Config {
                memory_mb: 1024,
                d: 4,
            },
            rep: 2,
            logs: vec![doc.to_string()],
        })
        .unwrap();
        assert_eq!(
            (dropped.timeouts, dropped.errors, dropped.instances),
            (0, 0, 4)
        );
        // Billed 100 + 200 + 300 + 400 ms at 1 GB.
        assert!((dropped.billed_gb_s - 1.0).abs() < 1e-12);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.memory_mb, r.d, r.rep, r.cold), (1024, 4, 2, true));
        assert!((r.compute.mean_s - 0.25).abs() < 1e-12);
        assert!((r.compute.p95_s - 0.4).abs() < 1e-12);
        assert!((r.start.mean_s - 0.075).abs() < 1e-12);
    }

    #[test]
    fn timeouts_are_counted_not_profiled() {
        let text = format!(
            "{}REPORT RequestId: t\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB\tStatus: timeout\n",
            report("a", 10.0, None)
        );
        let (rows, dropped) = rows_of_reports(&StageReports {
            stage: "s".into(),
            config: Config {
                memory_mb: 1024,
                d: 1,
            },
            rep: 0,
            logs: vec![text],
        })
        .unwrap();
        assert_eq!(dropped.timeouts, 1);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].memory_mb, 1024);
    }
}
