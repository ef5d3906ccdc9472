//! Starting the server binary and talking HTTP/1.1 to it without a client library.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `faasplan-executor` and everything it printed.
pub struct Server {
    child: Child,
    pub addr: String,
    log: Arc<Mutex<Vec<String>>>,
    pub work_dir: PathBuf,
}

/// A fresh, empty directory under the target directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("executor-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Server {
    /// Starts the server on a free port with `args` (and `--work-dir` in a fresh directory).
    pub fn start(name: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        let work_dir = temp_dir(name);
        let mut child = Command::new(env!("CARGO_BIN_EXE_faasplan-executor"))
            .args(["--bind", "127.0.0.1:0", "--work-dir"])
            .arg(&work_dir)
            .args(args)
            .env_remove("FAASPLAN_EXECUTOR_TOKEN")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let (log, tx) = (log.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(addr) = line.split("listening on http://").nth(1) {
                        let _ = tx.send(addr.trim().to_string());
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server did not start: {:?}", log.lock().unwrap()));
        Server {
            child,
            addr,
            log,
            work_dir,
        }
    }

    /// Every line the server printed so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        request(&self.addr, method, path, headers, body)
    }

    /// Polls `GET /runs/{id}` until the run has ended.
    pub fn wait(&self, id: &str, headers: &[(&str, &str)], timeout: Duration) -> serde_json::Value {
        let t0 = Instant::now();
        loop {
            let status = self
                .request("GET", &format!("/runs/{id}"), headers, None)
                .json();
            if ["succeeded", "failed", "cancelled"].contains(&status["state"].as_str().unwrap()) {
                return status;
            }
            assert!(
                t0.elapsed() < timeout,
                "run {id} still {status} after {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.work_dir);
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// Status line, headers and body, as the client saw them.
    pub fn text(&self) -> String {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        format!("{}\n{}\n{}", self.status, headers.join("\n"), self.body)
    }
}

/// Sends one request on a fresh connection and reads the whole answer.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body.unwrap_or("");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    // The server may answer (413) and close before it has read all of a large body.
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()));
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// The example workflow of the local backend.
pub fn example_workflow() -> serde_json::Value {
    serde_json::from_str(include_str!("../../example/sort-compress.json")).unwrap()
}

/// A `POST /runs` body.
pub fn run_body(
    workflow: &serde_json::Value,
    target: serde_json::Value,
    bytes: u64,
    repetitions: u32,
) -> String {
    serde_json::json!({
        "workflow": workflow,
        "target": target,
        "workload": {"kind": "size", "bytes": bytes, "seed": 1},
        "repetitions": repetitions,
    })
    .to_string()
}

/// One configuration of every stage of the example: memory for all, d for the parallel ones.
pub fn example_config(memory_mb: u32, d: u32) -> serde_json::Value {
    let stage = |id: &str, d: u32| serde_json::json!({"stage": id, "memory_mb": memory_mb, "d": d});
    serde_json::json!([
        stage("split", 1),
        stage("sort", d),
        stage("compress", d),
        stage("merge", 1)
    ])
}
