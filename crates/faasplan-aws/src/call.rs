//! The AWS API calls a run makes, as data: printed by the dry run and kept in
//! the journal of a real run.

use std::fmt;
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// One AWS API call (or a wait made of repeated calls).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "call")]
pub enum Call {
    /// `lambda:GetFunctionConfiguration`: read (and remember) a function's memory.
    GetFunctionConfiguration {
        /// Function name or ARN.
        function: String,
    },
    /// `lambda:UpdateFunctionConfiguration` with a new `MemorySize`.
    UpdateFunctionConfiguration {
        /// Function name or ARN.
        function: String,
        /// Memory to set, MB.
        memory_mb: u32,
        /// Why: `"apply"` or `"restore"`.
        purpose: &'static str,
    },
    /// `lambda:GetFunctionConfiguration` until `LastUpdateStatus` is `Successful`.
    WaitFunctionUpdated {
        /// Function name or ARN.
        function: String,
    },
    /// `states:DescribeStateMachine`: read (and remember) the definition.
    DescribeStateMachine {
        /// State machine ARN.
        arn: String,
    },
    /// `states:UpdateStateMachine` with a new definition.
    UpdateStateMachine {
        /// State machine ARN.
        arn: String,
        /// What the definition sets: `MaxConcurrency` per Map, or `"the remembered definition"`.
        change: String,
        /// Why: `"apply"` or `"restore"`.
        purpose: &'static str,
    },
    /// `states:StartExecution`.
    StartExecution {
        /// State machine ARN.
        arn: String,
        /// Size of the execution input, bytes.
        input_bytes: usize,
    },
    /// `states:DescribeExecution` until the execution ends.
    WaitExecution {
        /// Execution ARN (empty in a dry run).
        execution: String,
    },
    /// `states:GetExecutionHistory` while the execution runs (progress).
    GetExecutionHistory {
        /// Execution ARN.
        execution: String,
    },
    /// `states:StopExecution` (after a cancel).
    StopExecution {
        /// Execution ARN.
        execution: String,
    },
    /// `lambda:Invoke` with `LogType=Tail`.
    Invoke {
        /// Function name or ARN.
        function: String,
        /// Instance number within the run, 0-based.
        instance: u32,
        /// Size of the payload, bytes.
        payload_bytes: usize,
    },
    /// `logs:FilterLogEvents` for `REPORT` lines.
    FilterLogEvents {
        /// Log group.
        group: String,
        /// Window start, ms since the epoch (0 in a dry run: the first execution's start).
        start_ms: i64,
        /// Window end, ms since the epoch (0 in a dry run: the last execution's end).
        end_ms: i64,
    },
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::GetFunctionConfiguration { function } => {
                write!(f, "lambda:GetFunctionConfiguration FunctionName={function}")
            }
            Call::UpdateFunctionConfiguration {
                function,
                memory_mb,
                purpose,
            } => write!(
                f,
                "lambda:UpdateFunctionConfiguration FunctionName={function} MemorySize={memory_mb} ({purpose})"
            ),
            Call::WaitFunctionUpdated { function } => write!(
                f,
                "lambda:GetFunctionConfiguration FunctionName={function} until LastUpdateStatus=Successful"
            ),
            Call::DescribeStateMachine { arn } => {
                write!(f, "states:DescribeStateMachine stateMachineArn={arn}")
            }
            Call::UpdateStateMachine {
                arn,
                change,
                purpose,
            } => write!(
                f,
                "states:UpdateStateMachine stateMachineArn={arn} definition: {change} ({purpose})"
            ),
            Call::StartExecution { arn, input_bytes } => write!(
                f,
                "states:StartExecution stateMachineArn={arn} input={input_bytes} bytes"
            ),
            Call::WaitExecution { execution } => {
                let e = if execution.is_empty() {
                    "<the execution>"
                } else {
                    execution
                };
                write!(
                    f,
                    "states:DescribeExecution executionArn={e} until it is no longer RUNNING"
                )
            }
            Call::StopExecution { execution } => {
                write!(f, "states:StopExecution executionArn={execution}")
            }
            Call::GetExecutionHistory { execution } => {
                write!(f, "states:GetExecutionHistory executionArn={execution}")
            }
            Call::Invoke {
                function,
                instance,
                payload_bytes,
            } => write!(
                f,
                "lambda:Invoke FunctionName={function} LogType=Tail payload={payload_bytes} bytes (instance {instance})"
            ),
            Call::FilterLogEvents {
                group,
                start_ms,
                end_ms,
            } => {
                if *start_ms == 0 && *end_ms == 0 {
                    write!(
                        f,
                        "logs:FilterLogEvents logGroupName={group} filterPattern=REPORT over the executions' time window"
                    )
                } else {
                    write!(
                        f,
                        "logs:FilterLogEvents logGroupName={group} filterPattern=REPORT startTime={start_ms} endTime={end_ms}"
                    )
                }
            }
        }
    }
}

impl Call {
    /// Whether the call changes anything on AWS.
    pub fn mutates(&self) -> bool {
        matches!(
            self,
            Call::UpdateFunctionConfiguration { .. }
                | Call::UpdateStateMachine { .. }
                | Call::StartExecution { .. }
                | Call::StopExecution { .. }
                | Call::Invoke { .. }
        )
    }
}

/// One execution of the workflow (or one round of direct invokes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExecutionRecord {
    /// Index of the configuration it ran.
    pub configuration: usize,
    /// Repetition within that configuration, 0-based.
    pub rep: u32,
    /// Execution ARN, or `invoke` for direct invokes.
    pub id: String,
    /// Final status (`SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`; for invokes
    /// `SUCCEEDED` or the first `FunctionError`).
    pub status: String,
    /// Start, ms since the epoch.
    pub start_ms: i64,
    /// End, ms since the epoch.
    pub stop_ms: i64,
    /// Request ids of the direct invokes (empty for executions).
    pub request_ids: Vec<String>,
}

/// What a run did, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "entry")]
pub enum Entry {
    /// A call is about to be made.
    Call(Call),
    /// An execution ended.
    Execution(ExecutionRecord),
    /// Anything else worth saying (a phase, a missing log line).
    Note {
        /// The text (already redacted).
        text: String,
    },
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Call(c) => write!(f, "{c}"),
            Entry::Execution(e) => write!(
                f,
                "execution {} (configuration {}, repetition {}): {} in {} ms",
                e.id,
                e.configuration,
                e.rep,
                e.status,
                e.stop_ms - e.start_ms
            ),
            Entry::Note { text } => write!(f, "{text}"),
        }
    }
}

/// Something that sees each journal entry as it is added (an operator's log).
pub type Echo = Arc<dyn Fn(&Entry) + Send + Sync>;

/// The journal of a run: shared, so a server can read the progress while the run goes on.
#[derive(Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<Vec<Entry>>>,
    echo: Option<Echo>,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("entries", &self.entries().len())
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty journal that also hands every entry to `echo` as it is added.
    pub fn with_echo(echo: Echo) -> Self {
        Journal {
            entries: Arc::default(),
            echo: Some(echo),
        }
    }

    /// Appends an entry.
    pub fn push(&self, entry: Entry) {
        if let Some(echo) = &self.echo {
            echo(&entry);
        }
        if let Ok(mut v) = self.entries.lock() {
            v.push(entry);
        }
    }

    /// Appends a note (redacted).
    pub fn note(&self, text: impl AsRef<str>) {
        self.push(Entry::Note {
            text: crate::error::redact(text.as_ref()),
        });
    }

    /// A copy of every entry so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// The calls so far.
    pub fn calls(&self) -> Vec<Call> {
        self.entries()
            .into_iter()
            .filter_map(|e| match e {
                Entry::Call(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The executions so far.
    pub fn executions(&self) -> Vec<ExecutionRecord> {
        self.entries()
            .into_iter()
            .filter_map(|e| match e {
                Entry::Execution(x) => Some(x),
                _ => None,
            })
            .collect()
    }

    /// Every entry as a line.
    pub fn lines(&self) -> Vec<String> {
        self.entries().iter().map(ToString::to_string).collect()
    }
}
