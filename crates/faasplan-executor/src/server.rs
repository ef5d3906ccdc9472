//! The HTTP server: the five endpoints of `docs/executor-openapi.yaml` over one
//! [`Backend`], with the operator's security settings.
//!
//! Every answer is JSON; every error is an `ErrorBody`. Requests pass, from the
//! outside in: CORS (only the listed origins; a preflight is answered here),
//! the access log (method, path, status and duration — never a header, so never
//! the token), the rate limit (429), the bearer token (401) and, for
//! `POST /runs`, the body limit (413). Runs live in memory; each runs as one
//! spawned task of the backend's future.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use faasplan_core::executor::{
    ErrorBody, ExecutorInfo, Limits, PROTOCOL_VERSION, RunCreated, RunRequest, RunState,
};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::{Backend, Job, RunHandle};

/// How the server is set up (see `faasplan-executor --help`).
#[derive(Clone, Debug, Default)]
pub struct ServerSettings {
    /// Origins a browser may call from (exact `scheme://host:port`); none: no CORS.
    pub allow_origins: Vec<String>,
    /// The bearer token every request must carry, if any.
    pub token: Option<String>,
    /// Size, rate and run limits.
    pub limits: Limits,
}

/// Runs kept in memory at most; the oldest finished runs are forgotten first.
const MAX_RUNS: usize = 1000;

struct AppState {
    backend: Arc<dyn Backend>,
    settings: ServerSettings,
    runs: Mutex<Vec<RunHandle>>,
    rate: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    ids: RandomState,
    started: Instant,
}

type Shared = Arc<AppState>;

/// An error answer: a status and an `ErrorBody`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        error: message.into(),
    };
    (status, Json(body)).into_response()
}

/// The router of every endpoint, wrapped in the security layers.
pub fn router(backend: Arc<dyn Backend>, settings: ServerSettings) -> Result<Router, String> {
    let cors = cors_layer(&settings.allow_origins)?;
    let state: Shared = Arc::new(AppState {
        backend,
        settings,
        runs: Mutex::new(Vec::new()),
        rate: Mutex::new(HashMap::new()),
        ids: RandomState::new(),
        started: Instant::now(),
    });
    Ok(Router::new()
        .route("/health", get(health))
        .route("/runs", axum::routing::post(start_run))
        .route("/runs/{id}", get(get_run).delete(cancel_run))
        .route("/runs/{id}/profiles", get(get_profiles))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(middleware::from_fn(access_log))
        .layer(cors)
        .with_state(state))
}

fn cors_layer(origins: &[String]) -> Result<CorsLayer, String> {
    let origins = origins
        .iter()
        .map(|o| {
            let trimmed = o.trim_end_matches('/');
            HeaderValue::from_str(trimmed)
                .map_err(|_| format!("--allow-origin {o:?} is not a valid origin"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600)))
}

/// One line per request on stderr: never headers or bodies.
async fn access_log(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let t0 = Instant::now();
    let response = next.run(request).await;
    eprintln!(
        "{method} {path} -> {} in {:.1} ms",
        response.status().as_u16(),
        t0.elapsed().as_secs_f64() * 1e3
    );
    response
}

async fn rate_limit(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let allowed = state.settings.limits.requests_per_minute;
    let over = {
        let mut rate = state.rate.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let entry = rate.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 > allowed
    };
    if over {
        let mut response = error(
            StatusCode::TOO_MANY_REQUESTS,
            format!("more than {allowed} requests a minute; try again later"),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    next.run(request).await
}

async fn authorize(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if let Some(token) = &state.settings.token {
        let given = bearer(request.headers());
        if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
            let mut response = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    next.run(request).await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares in time independent of where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn health(State(state): State<Shared>) -> Json<ExecutorInfo> {
    Json(ExecutorInfo {
        service: "faasplan-executor".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        protocol: PROTOCOL_VERSION,
        backend: state.backend.name().to_string(),
        mb_per_vcpu: state.backend.mb_per_vcpu(),
        functions: state.backend.functions(),
        auth_required: state.settings.token.is_some(),
        limits: state.settings.limits.clone(),
    })
}

async fn start_run(State(state): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let limit = usize::try_from(state.settings.limits.max_body_bytes).unwrap_or(usize::MAX);
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let Ok(bytes) = to_bytes(body, limit).await else {
        return too_large();
    };
    let request: RunRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("request body: {e}")),
    };
    let configurations = match request.check(&state.settings.limits) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let id = format!(
        "r{:016x}",
        state
            .ids
            .hash_one((state.started.elapsed(), &bytes[..bytes.len().min(64)]))
    );
    let job = Job {
        id,
        request,
        configurations,
    };
    if let Err(e) = state.backend.accepts(&job) {
        return error(StatusCode::BAD_REQUEST, e.0);
    }
    let handle = RunHandle::new(&job, state.backend.name(), state.backend.mb_per_vcpu());
    remember(&state, handle.clone());
    let future = state.backend.run(Arc::new(job), handle.clone());
    let created = RunCreated {
        id: handle.id().to_string(),
        state: handle.state(),
    };
    tokio::spawn(async move {
        handle.set_state(RunState::Running);
        let result = future.await;
        handle.finish(result);
    });
    (StatusCode::ACCEPTED, Json(created)).into_response()
}

fn remember(state: &AppState, handle: RunHandle) {
    let mut runs = state.runs.lock().unwrap_or_else(PoisonError::into_inner);
    if runs.len() >= MAX_RUNS
        && let Some(oldest) = runs.iter().position(|r| r.state().is_final())
    {
        runs.remove(oldest);
    }
    runs.push(handle);
}

fn find(state: &AppState, id: &str) -> Result<RunHandle, Response> {
    let runs = state.runs.lock().unwrap_or_else(PoisonError::into_inner);
    runs.iter()
        .find(|r| r.id() == id)
        .cloned()
        .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("no run {id:?}")))
}

async fn get_run(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    match find(&state, &id) {
        Ok(run) => Json(run.status()).into_response(),
        Err(response) => response,
    }
}

async fn get_profiles(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    match find(&state, &id) {
        Ok(run) => Json(run.profiles()).into_response(),
        Err(response) => response,
    }
}

async fn cancel_run(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    match find(&state, &id) {
        Ok(run) if run.cancel() => (StatusCode::ACCEPTED, Json(run.status())).into_response(),
        Ok(run) => error(
            StatusCode::CONFLICT,
            format!("run {id:?} has already ended ({:?})", run.state()),
        ),
        Err(response) => response,
    }
}
