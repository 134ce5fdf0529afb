//! The HTTP side: routing, the API endpoints, faults and control endpoints.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::sync::watch;

use crate::body::{AnswerBody, ClosedByFault};
use crate::faults::{self, Fault, FaultKind, FaultTarget};
use crate::fixture::Fixture;
use crate::query::{self, ExperiencesQuery};
use crate::records::{RecordedCallback, RecordedRequest};
use crate::serving::{Served, serve};

/// Largest request body read (callbacks, fault lists); larger gets 413.
const MAX_REQUEST_BODY: usize = 1024 * 1024;

/// Body of a `malformed` fault: what a misbehaving proxy might send.
const MALFORMED_BODY: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>\n";

/// How long `POST /_emulator/shutdown` waits before stopping, so that its
/// own answer gets out first.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(100);

/// State shared by every connection of one emulator.
pub(crate) struct Shared {
    pub(crate) fixture: Fixture,
    /// `http://127.0.0.1:PORT`, the base of callback URLs.
    pub(crate) url: String,
    pub(crate) log: Mutex<Log>,
    pub(crate) stop: watch::Sender<bool>,
}

/// What tests read and change through the control endpoints.
#[derive(Default)]
pub(crate) struct Log {
    pub(crate) callbacks: Vec<RecordedCallback>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) faults: Vec<Fault>,
}

impl Shared {
    /// The log; a panic elsewhere while it was held does not poison it for
    /// good, as every change to it is a single push or assignment.
    pub(crate) fn log(&self) -> MutexGuard<'_, Log> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The API endpoints, told apart before faults are chosen.
enum Route {
    Experiences { tracking_id: String },
    Callback,
    Unknown,
}

/// Answers one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<AnswerBody>, ClosedByFault> {
    let path = request.uri().path().to_string();
    if let Some(endpoint) = path.strip_prefix("/_emulator/") {
        return Ok(control(&shared, endpoint.to_string(), request).await);
    }

    record_request(&shared, &request);
    let route = route(&path);
    let target = match route {
        Route::Experiences { .. } => Some(FaultTarget::Experiences),
        Route::Callback => Some(FaultTarget::Callback),
        Route::Unknown => None,
    };
    let fault = target.and_then(|target| faults::take(&mut shared.log().faults, target));
    if let Some(fault) = &fault {
        log::debug!("fault {fault:?} on {} {path}", request.method());
    }

    match fault {
        Some(FaultKind::Drop) => return Err(ClosedByFault),
        Some(FaultKind::Latency { ms }) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(FaultKind::Status {
            status,
            retry_after,
            body,
        }) => return Ok(status_fault(status, retry_after, body)),
        Some(FaultKind::Malformed) => {
            return Ok(answer(StatusCode::OK, "application/json", MALFORMED_BODY));
        }
        Some(FaultKind::Oversize { bytes }) => {
            // Faults set through the Rust API skip the wire form's checks.
            let bytes = bytes.max(faults::MIN_OVERSIZE_BYTES);
            return Ok(with_length(
                answer_with(StatusCode::OK, AnswerBody::oversize(bytes)),
                bytes,
            ));
        }
        Some(FaultKind::Truncated | FaultKind::Trickle { .. }) | None => {}
    }

    let normal = match route {
        Route::Experiences { tracking_id } => experiences(&shared, &request, &tracking_id),
        Route::Callback => callback(&shared, request).await,
        Route::Unknown => error(StatusCode::NOT_FOUND, format!("no endpoint at {path}")),
    };
    Ok(match fault {
        Some(FaultKind::Truncated) => reshape(normal, |bytes| {
            let length = bytes.len() as u64;
            (
                AnswerBody::truncated(bytes.slice(..bytes.len() / 2)),
                length,
            )
        }),
        Some(FaultKind::Trickle {
            interval_ms,
            bytes: chunk,
        }) => reshape(normal, |bytes| {
            let length = bytes.len() as u64;
            let interval = Duration::from_millis(interval_ms);
            (AnswerBody::trickle(bytes, chunk, interval), length)
        }),
        _ => normal,
    })
}

fn route(path: &str) -> Route {
    if path == "/v1/callback" {
        return Route::Callback;
    }
    let tracking_id = path
        .strip_prefix("/v1/")
        .and_then(|rest| rest.strip_suffix("/experiences"))
        .filter(|segment| !segment.contains('/'));
    match tracking_id.map(query::decode) {
        Some(Ok(tracking_id)) => Route::Experiences { tracking_id },
        _ => Route::Unknown,
    }
}

fn record_request(shared: &Shared, request: &Request<Incoming>) {
    let recorded = RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        query: request.uri().query().unwrap_or("").to_string(),
        user_agent: header_text(request, header::USER_AGENT),
    };
    shared.log().requests.push(recorded);
}

/// `GET /v1/{trackingId}/experiences`.
fn experiences(
    shared: &Shared,
    request: &Request<Incoming>,
    tracking_id: &str,
) -> Response<AnswerBody> {
    if request.method() != Method::GET {
        return method_not_allowed("GET");
    }
    if tracking_id != shared.fixture.tracking_id() {
        return error(
            StatusCode::NOT_FOUND,
            format!("unknown tracking id {tracking_id:?}"),
        );
    }
    let query = match ExperiencesQuery::parse(request.uri().query().unwrap_or("")) {
        Ok(query) => query,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };

    let context_id = match &query.context_id {
        Some(context_id) => context_id.clone(),
        None => match qubit_experiences::context_id::generate() {
            Ok(generated) => generated,
            Err(err) => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("no context id: {err}"),
                );
            }
        },
    };

    match serve(&shared.fixture, &query, &context_id) {
        Ok(served) => answer(
            StatusCode::OK,
            "application/json",
            experiences_json(shared, &served, &context_id),
        ),
        Err(message) => error(StatusCode::NOT_FOUND, message),
    }
}

/// One entry of `experiencePayloads`, fields in the hosted service's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExperiencePayload<'a> {
    id: u64,
    variation: u64,
    is_control: bool,
    callback: String,
    payload: &'a RawValue,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExperiencesAnswer<'a> {
    experience_payloads: Vec<ExperiencePayload<'a>>,
    context_id: &'a str,
    cookie_domains: &'a [String],
}

/// The decision record carried in a callback URL.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Decision<'a> {
    experience_id: u64,
    iteration_id: u64,
    variation_id: u64,
    variation_master_id: u64,
    is_control: bool,
    traffic_allocation: f64,
    probability: f64,
    tracking_id: &'a str,
    context_id: &'a str,
}

fn experiences_json(shared: &Shared, served: &[Served<'_>], context_id: &str) -> String {
    let tracking_id = shared.fixture.tracking_id();
    let experience_payloads = served
        .iter()
        .map(|served| {
            let decision = Decision {
                experience_id: served.experience.id,
                iteration_id: served.iteration.id,
                variation_id: served.variation.id,
                variation_master_id: served.variation.master_id,
                is_control: served.variation.is_control,
                traffic_allocation: served.variation.allocation,
                probability: served.probability,
                tracking_id,
                context_id,
            };
            let record = serde_json::to_string(&decision).unwrap_or_default();
            ExperiencePayload {
                id: served.experience.id,
                variation: served.variation.master_id,
                is_control: served.variation.is_control,
                callback: format!(
                    "{}/v1/callback?data={}",
                    shared.url,
                    qubit_experiences::callback_data::encode(&record)
                ),
                payload: &served.variation.payload,
            }
        })
        .collect();

    let answer = ExperiencesAnswer {
        experience_payloads,
        context_id,
        cookie_domains: shared.fixture.cookie_domains(),
    };
    // Serializing plain structs, strings and raw JSON cannot fail.
    serde_json::to_string(&answer).unwrap_or_default()
}

/// `POST /v1/callback`: answered 200 whatever it holds, and recorded.
async fn callback(shared: &Shared, request: Request<Incoming>) -> Response<AnswerBody> {
    if request.method() != Method::POST {
        return method_not_allowed("POST");
    }
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/v1/callback".to_string(), |p| p.as_str().to_string());
    let content_type = header_text(&request, header::CONTENT_TYPE);
    let decision = request
        .uri()
        .query()
        .and_then(data_parameter)
        .and_then(|blob| qubit_experiences::callback_data::decode(&blob).ok());

    let body = match read_body(request.into_body()).await {
        Ok(body) => body,
        Err(response) => return response,
    };

    shared.log().callbacks.push(RecordedCallback {
        path,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
        decision,
    });
    answer(StatusCode::OK, "application/json", "{}")
}

/// The decoded value of the first `data` parameter of a query.
fn data_parameter(query: &str) -> Option<String> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("data="))
        .and_then(|blob| query::decode(blob).ok())
}

/// The control endpoints under `/_emulator/`, never affected by faults.
async fn control(
    shared: &Shared,
    endpoint: String,
    request: Request<Incoming>,
) -> Response<AnswerBody> {
    let method = request.method().clone();
    match (endpoint.as_str(), method) {
        ("callbacks", Method::GET) => json(StatusCode::OK, &shared.log().callbacks),
        ("callbacks", Method::DELETE) => {
            shared.log().callbacks.clear();
            no_content()
        }
        ("callbacks", _) => method_not_allowed("GET, DELETE"),

        ("requests", Method::GET) => json(StatusCode::OK, &shared.log().requests),
        ("requests", Method::DELETE) => {
            shared.log().requests.clear();
            no_content()
        }
        ("requests", _) => method_not_allowed("GET, DELETE"),

        ("faults", Method::GET) => json(
            StatusCode::OK,
            &FaultList {
                faults: shared.log().faults.clone(),
            },
        ),
        ("faults", Method::PUT) => put_faults(shared, request).await,
        ("faults", Method::DELETE) => {
            shared.log().faults.clear();
            no_content()
        }
        ("faults", _) => method_not_allowed("GET, PUT, DELETE"),

        ("reset", Method::POST) => {
            *shared.log() = Log::default();
            no_content()
        }
        ("reset", _) => method_not_allowed("POST"),

        ("health", Method::GET) => json(
            StatusCode::OK,
            &serde_json::json!({"status": "ok", "trackingId": shared.fixture.tracking_id()}),
        ),
        ("health", _) => method_not_allowed("GET"),

        ("shutdown", Method::POST) => {
            let stop = shared.stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(SHUTDOWN_GRACE).await;
                stop.send_replace(true);
            });
            no_content()
        }
        ("shutdown", _) => method_not_allowed("POST"),

        _ => error(
            StatusCode::NOT_FOUND,
            format!("no control endpoint {endpoint:?}"),
        ),
    }
}

/// The body of `PUT` and `GET /_emulator/faults`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultList {
    faults: Vec<Fault>,
}

async fn put_faults(shared: &Shared, request: Request<Incoming>) -> Response<AnswerBody> {
    let body = match read_body(request.into_body()).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    match serde_json::from_slice::<FaultList>(&body) {
        Ok(list) => {
            shared.log().faults = list.faults;
            no_content()
        }
        Err(err) => error(StatusCode::BAD_REQUEST, format!("bad fault list: {err}")),
    }
}

/// Reads a request body of at most [`MAX_REQUEST_BODY`] bytes.
async fn read_body(mut body: Incoming) -> Result<Vec<u8>, Response<AnswerBody>> {
    let mut bytes = Vec::new();
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame
            .map_err(|err| error(StatusCode::BAD_REQUEST, format!("unreadable body: {err}")))?;
        if let Some(data) = frame.data_ref() {
            if bytes.len() + data.len() > MAX_REQUEST_BODY {
                return Err(error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body over {MAX_REQUEST_BODY} bytes"),
                ));
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok(bytes)
}

fn status_fault(
    status: u16,
    retry_after: Option<u64>,
    body: Option<String>,
) -> Response<AnswerBody> {
    // Faults set through the Rust API skip the wire form's 200..=599 check.
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|status| status.as_u16() >= 200)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match body {
        Some(text) => answer(status, "text/plain; charset=utf-8", text),
        None => answer_with(status, AnswerBody::empty()),
    };
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Re-sends a whole answer's body another way, with `Content-Length` set to
/// the length the new body announces.
fn reshape(
    response: Response<AnswerBody>,
    make: impl FnOnce(Bytes) -> (AnswerBody, u64),
) -> Response<AnswerBody> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        AnswerBody::Whole(bytes) => bytes.unwrap_or_default(),
        other => return Response::from_parts(parts, other),
    };
    let (body, length) = make(bytes);
    with_length(Response::from_parts(parts, body), length)
}

fn with_length(mut response: Response<AnswerBody>, length: u64) -> Response<AnswerBody> {
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

fn answer_with(status: StatusCode, body: AnswerBody) -> Response<AnswerBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

fn answer(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<AnswerBody> {
    let mut response = answer_with(status, AnswerBody::whole(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json(status: StatusCode, value: &impl Serialize) -> Response<AnswerBody> {
    answer(
        status,
        "application/json",
        serde_json::to_string(value).unwrap_or_default(),
    )
}

/// An error answer: `{"error": "<message>"}`.
fn error(status: StatusCode, message: String) -> Response<AnswerBody> {
    log::debug!("answering {status}: {message}");
    json(status, &serde_json::json!({ "error": message }))
}

fn no_content() -> Response<AnswerBody> {
    answer_with(StatusCode::NO_CONTENT, AnswerBody::empty())
}

fn method_not_allowed(allow: &'static str) -> Response<AnswerBody> {
    let mut response = error(StatusCode::METHOD_NOT_ALLOWED, format!("allowed: {allow}"));
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn header_text(request: &Request<Incoming>, name: header::HeaderName) -> Option<String> {
    request
        .headers()
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}
