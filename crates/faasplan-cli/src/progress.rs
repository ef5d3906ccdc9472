//! Progress lines on stderr, at most a few per second, and stdout that tolerates a closed pipe.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Shortest time between two progress lines.
const EVERY: Duration = Duration::from_millis(250);

/// A throttled progress reporter: on a terminal it rewrites one line, otherwise
/// it writes a line at most every [`EVERY`].
pub struct Ticker {
    start: Instant,
    last: Option<Instant>,
    terminal: bool,
    shown: bool,
}

impl Ticker {
    /// A reporter whose clock starts now.
    pub fn new() -> Self {
        Ticker {
            start: Instant::now(),
            last: None,
            terminal: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    /// Shows `text` unless a line was shown less than [`EVERY`] ago (and the
    /// first line only after [`EVERY`], so quick runs stay silent).
    pub fn tick(&mut self, text: impl FnOnce() -> String) {
        let now = Instant::now();
        let due = match self.last {
            Some(t) => now - t >= EVERY,
            None => now - self.start >= EVERY,
        };
        if !due {
            return;
        }
        self.last = Some(now);
        self.shown = true;
        let line = format!("{} ({:.1} s)", text(), (now - self.start).as_secs_f64());
        let mut err = std::io::stderr().lock();
        // Progress is advisory: a closed stderr must not stop the run.
        let _ = if self.terminal {
            write!(err, "\r\x1b[2K{line}")
        } else {
            writeln!(err, "{line}")
        };
    }

    /// Ends the progress line (on a terminal) if one was shown.
    pub fn finish(&mut self) {
        if self.terminal && self.shown {
            let _ = writeln!(std::io::stderr());
        }
    }

    /// Seconds since the reporter was created.
    pub fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// Writes `text` to stdout. A closed pipe (`faasplan frontier | head`) is not an
/// error: the reader has all it wanted.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("cannot write to stdout"))
        }
        _ => Ok(()),
    }
}

/// The text of a run's progress line.
pub fn describe(p: &faasplan_core::pipeline::RunProgress) -> String {
    use faasplan_core::pipeline::RunProgress;
    match *p {
        RunProgress::Fitting { done, total } => format!("fitting: {done}/{total} stages"),
        RunProgress::Sampling { done, total } => format!("sampling: {done}/{total} rows"),
        RunProgress::Frontier { points, nodes } => {
            format!("frontier: {points} points, {nodes} nodes")
        }
        RunProgress::Finished => "done".to_string(),
    }
}
