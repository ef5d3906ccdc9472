//! Starting moto's server on a free port, and seeding it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;

/// A running moto server, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_server() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let exe = root.join(".tools/moto/bin/moto_server");
    assert!(
        exe.exists(),
        "moto's server is not installed ({} is missing): run scripts/setup",
        exe.display()
    );
    exe
}

/// One raw HTTP/1.1 request to the server; returns (status, body).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to moto");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
    (status, body)
}

impl Moto {
    /// Starts a server on a free port with Lambda's Docker-free backend and
    /// Step Functions' interpreter on (`execute`), and an IAM role for the
    /// functions.
    pub fn start(execute: bool) -> Moto {
        let exe = moto_server();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server did not listen on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let config = format!(
            r#"{{"lambda": {{"use_docker": false}}, "stepfunctions": {{"execute_state_machine": {execute}}}}}"#
        );
        let (status, body) = http(
            port,
            "POST",
            "/moto-api/config",
            &[("Content-Type", "application/json")],
            &config,
        );
        assert!((200..300).contains(&status), "moto config: {status} {body}");
        let form = "Action=CreateRole&Version=2010-05-08&RoleName=faasplan-test&AssumeRolePolicyDocument=%7B%7D";
        let (status, body) = http(
            port,
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=emulator/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
                ),
            ],
            form,
        );
        assert_eq!(status, 200, "IAM CreateRole: {body}");
        moto
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(self.url())
            .credentials_provider(aws_credential_types::Credentials::new(
                "seed", "seed", None, None, "test",
            ))
            .load()
            .await
    }
}

pub const ROLE: &str = "arn:aws:iam::123456789012:role/faasplan-test";

/// A zip file holding a one-line handler (moto keeps it; it does not run it).
fn zip() -> Vec<u8> {
    // A stored (uncompressed) zip with one file `h.py`.
    let name = b"h.py";
    let data = b"def h(e, c):\n    return e\n";
    let crc = crc32(data);
    let mut out = Vec::new();
    let local = |out: &mut Vec<u8>| {
        out.extend_from_slice(&0x04034b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(data);
    };
    local(&mut out);
    let cd_start = out.len();
    out.extend_from_slice(&0x02014b50u32.to_le_bytes());
    out.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(name);
    let cd_len = out.len() - cd_start;
    out.extend_from_slice(&0x06054b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    out.extend_from_slice(&(cd_len as u32).to_le_bytes());
    out.extend_from_slice(&(cd_start as u32).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Creates a function with `memory_mb`, its log group and a log stream.
pub async fn create_function(sdk: &aws_config::SdkConfig, name: &str, memory_mb: i32) -> String {
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let out = lambda
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(ROLE)
        .handler("h.h")
        .memory_size(memory_mb)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip()))
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let group = format!("/aws/lambda/{name}");
    logs.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("CreateLogGroup");
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name("2026/12/01/[$LATEST]0")
        .send()
        .await
        .expect("CreateLogStream");
    out.function_arn().unwrap().to_string()
}

/// The memory a function has now, MB.
pub async fn memory_of(sdk: &aws_config::SdkConfig, name: &str) -> i32 {
    aws_sdk_lambda::Client::new(sdk)
        .get_function_configuration()
        .function_name(name)
        .send()
        .await
        .expect("GetFunctionConfiguration")
        .memory_size()
        .unwrap()
}

/// Writes the `REPORT` lines Lambda would write for `request_ids`, at
/// `timestamp_ms`, for a function with `memory` MB; the first instance of
/// the batch starts cold when `cold`.
pub async fn write_reports(
    sdk: &aws_config::SdkConfig,
    name: &str,
    request_ids: &[String],
    (timestamp_ms, memory): (i64, i32),
    duration_ms: f64,
    cold: bool,
) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let mut events = Vec::new();
    for (i, id) in request_ids.iter().enumerate() {
        let ms = duration_ms * (1.0 + i as f64 * 0.1);
        let init = if cold && i == 0 {
            "\tInit Duration: 250.00 ms"
        } else {
            ""
        };
        for message in [
            format!("START RequestId: {id} Version: $LATEST"),
            format!("END RequestId: {id}"),
            format!(
                "REPORT RequestId: {id}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {memory} MB\tMax Memory Used: 70 MB{init}\t",
                ms.ceil()
            ),
        ] {
            events.push(
                InputLogEvent::builder()
                    .timestamp(timestamp_ms)
                    .message(message)
                    .build()
                    .unwrap(),
            );
        }
    }
    logs.put_log_events()
        .log_group_name(format!("/aws/lambda/{name}"))
        .log_stream_name("2026/12/01/[$LATEST]0")
        .set_log_events(Some(events))
        .send()
        .await
        .expect("PutLogEvents");
}
