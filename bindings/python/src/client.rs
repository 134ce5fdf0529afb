//! `Client`: the core client, with the GIL released around every network
//! call and wait.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use qubit_experiences::{self as core, CacheOptions, ExperienceFilter, Query};

use crate::answer::{Answer, Experience};
use crate::args;
use crate::errors::check;
use crate::guard::guarded;
use crate::json;

/// How long `flush`, `close` and leaving a `with` block wait by default.
const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// Every client alive in this process, so that `close_all` can deliver
/// their queued callbacks when the interpreter exits.
static LIVE: Mutex<Vec<Weak<core::Client>>> = Mutex::new(Vec::new());

fn register(client: &Arc<core::Client>) {
    let mut live = LIVE.lock().unwrap_or_else(|poison| poison.into_inner());
    live.retain(|client| client.strong_count() > 0);
    live.push(Arc::downgrade(client));
}

/// Closes every live client, delivering their queued callbacks, all within
/// one `timeout`: the clients close concurrently, so a few stuck ones do
/// not add up. Run at interpreter exit.
#[pyfunction]
#[pyo3(signature = (timeout = None))]
pub fn close_all(py: Python<'_>, timeout: Option<Bound<'_, PyAny>>) -> PyResult<()> {
    guarded(|| {
        let timeout = wait_time(timeout.as_ref())?;
        let clients: Vec<Arc<core::Client>> = LIVE
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect();

        py.detach(|| close_within(&clients, timeout));
        Ok(())
    })
}

/// Closes `clients` concurrently, one thread each, every close given the
/// time left until the one deadline. A client that cannot deliver in time
/// has logged why.
fn close_within(clients: &[Arc<core::Client>], timeout: Duration) {
    let deadline = Instant::now().checked_add(timeout);
    let time_left = || deadline.map_or(timeout, |d| d.saturating_duration_since(Instant::now()));

    std::thread::scope(|scope| {
        for client in clients {
            let close = move || {
                let _ = client.close(time_left());
            };
            let spawned = std::thread::Builder::new()
                .name("qubit-experiences-exit".into())
                .spawn_scoped(scope, close);
            if spawned.is_err() {
                // No thread to spare: close it here, within the time left.
                let _ = client.close(time_left());
            }
        }
    });
}

/// A client of the Server Experiences API for one tracking id.
///
/// Thread-safe: share one per process. Every method that touches the
/// network or waits releases the GIL.
#[pyclass(frozen, module = "qubit_experiences")]
pub struct Client {
    inner: Arc<core::Client>,
}

/// The pieces of a query, as Python passed them.
struct QueryArgs<'a, 'py> {
    context_id: Option<String>,
    experience_ids: Option<&'a Bound<'py, PyAny>>,
    preview: bool,
    variation: Option<&'a Bound<'py, PyAny>>,
    ignore_segments: bool,
    strict: bool,
    timeout: Option<&'a Bound<'py, PyAny>>,
}

impl QueryArgs<'_, '_> {
    fn to_query(&self) -> PyResult<Query> {
        let mut query = Query::new()
            .preview(self.preview)
            .ignore_segments(self.ignore_segments)
            .filter(match self.strict {
                true => ExperienceFilter::Strict,
                false => ExperienceFilter::Tolerant,
            });
        if let Some(context_id) = &self.context_id {
            query = query.context_id(context_id.as_str());
        }
        if let Some(ids) = self.experience_ids.filter(|ids| !ids.is_none()) {
            query = query.experience_ids(args::ids("experience_ids", ids)?);
        }
        if let Some(variation) = self.variation.filter(|v| !v.is_none()) {
            query = query.variation(args::unsigned("variation", variation)?);
        }
        if let Some(timeout) = self.timeout.filter(|t| !t.is_none()) {
            query = query.timeout(args::seconds("timeout", timeout)?);
        }
        Ok(query)
    }
}

fn optional<'a, 'py>(value: &'a Option<Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    value.as_ref().filter(|value| !value.is_none())
}

fn wait_time(timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Duration> {
    match timeout.filter(|timeout| !timeout.is_none()) {
        Some(timeout) => args::seconds("timeout", timeout),
        None => Ok(DEFAULT_WAIT),
    }
}

impl Client {
    /// Builds the query, runs `call` with the GIL released and wraps its
    /// answer.
    fn fetch(
        &self,
        py: Python<'_>,
        query: QueryArgs<'_, '_>,
        call: impl FnOnce(&core::Client, &Query) -> Result<core::Answer, core::Error> + Send,
    ) -> PyResult<Answer> {
        guarded(|| {
            let query = query.to_query()?;
            let answer = check(py, py.detach(|| call(&self.inner, &query)))?;
            Answer::new(py, answer)
        })
    }
}

#[pymethods]
impl Client {
    /// Builds a client. No network. Every setting left out keeps the
    /// core's production default.
    #[new]
    #[pyo3(signature = (
        tracking_id, *, base_url = None, timeout = None, connect_timeout = None,
        retries = None, backoff = None, max_response_bytes = None, cache_ttl = None,
        cache_max_entries = None, serve_stale_for = None, allowed_callback_hosts = None,
        callback_timeout = None, queue_capacity = None, callback_workers = None,
        dedupe_window = None, dedupe_max_entries = None, proxy = None,
        extra_ca_file = None, max_idle_connections = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        tracking_id: String,
        base_url: Option<String>,
        timeout: Option<Bound<'_, PyAny>>,
        connect_timeout: Option<Bound<'_, PyAny>>,
        retries: Option<Bound<'_, PyAny>>,
        backoff: Option<(Bound<'_, PyAny>, Bound<'_, PyAny>)>,
        max_response_bytes: Option<Bound<'_, PyAny>>,
        cache_ttl: Option<Bound<'_, PyAny>>,
        cache_max_entries: Option<Bound<'_, PyAny>>,
        serve_stale_for: Option<Bound<'_, PyAny>>,
        allowed_callback_hosts: Option<Bound<'_, PyAny>>,
        callback_timeout: Option<Bound<'_, PyAny>>,
        queue_capacity: Option<Bound<'_, PyAny>>,
        callback_workers: Option<Bound<'_, PyAny>>,
        dedupe_window: Option<Bound<'_, PyAny>>,
        dedupe_max_entries: Option<Bound<'_, PyAny>>,
        proxy: Option<String>,
        extra_ca_file: Option<std::path::PathBuf>,
        max_idle_connections: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Client> {
        guarded(|| {
            let mut builder = core::Client::builder(tracking_id).binding(binding_name(py)?);

            if let Some(url) = base_url {
                builder = builder.base_url(url);
            }
            if let Some(value) = optional(&timeout) {
                builder = builder.timeout(args::seconds("timeout", value)?);
            }
            if let Some(value) = optional(&connect_timeout) {
                builder = builder.connect_timeout(args::seconds("connect_timeout", value)?);
            }
            if let Some(value) = optional(&retries) {
                let retries = u32::try_from(args::unsigned("retries", value)?)
                    .map_err(|_| crate::errors::invalid_argument(py, "retries is too large"))?;
                builder = builder.retries(retries);
            }
            if let Some((first, max)) = &backoff {
                builder = builder.backoff(
                    args::seconds("backoff[0]", first)?,
                    args::seconds("backoff[1]", max)?,
                );
            }
            if let Some(value) = optional(&max_response_bytes) {
                builder = builder.max_response_bytes(args::unsigned("max_response_bytes", value)?);
            }
            if let Some(value) = optional(&cache_ttl) {
                let mut cache = CacheOptions {
                    ttl: args::seconds("cache_ttl", value)?,
                    ..CacheOptions::default()
                };
                if let Some(value) = optional(&cache_max_entries) {
                    cache.max_entries = args::count("cache_max_entries", value)?;
                }
                if let Some(value) = optional(&serve_stale_for) {
                    cache.serve_stale_for = Some(args::seconds("serve_stale_for", value)?);
                }
                builder = builder.cache(cache);
            } else if optional(&cache_max_entries)
                .or(optional(&serve_stale_for))
                .is_some()
            {
                return Err(crate::errors::invalid_argument(
                    py,
                    "cache_max_entries and serve_stale_for need cache_ttl",
                ));
            }
            if let Some(hosts) = optional(&allowed_callback_hosts) {
                for host in args::texts("allowed_callback_hosts", hosts)? {
                    builder = builder.allow_callback_host(host);
                }
            }
            if let Some(value) = optional(&callback_timeout) {
                builder = builder.callback_timeout(args::seconds("callback_timeout", value)?);
            }
            if let Some(value) = optional(&queue_capacity) {
                builder = builder.queue_capacity(args::count("queue_capacity", value)?);
            }
            if let Some(value) = optional(&callback_workers) {
                builder = builder.callback_workers(args::count("callback_workers", value)?);
            }
            if let Some(value) = optional(&dedupe_window) {
                let max_entries = match optional(&dedupe_max_entries) {
                    Some(value) => args::count("dedupe_max_entries", value)?,
                    None => core::DEFAULT_DEDUP_MAX_ENTRIES,
                };
                builder = builder
                    .deduplicate_callbacks(args::seconds("dedupe_window", value)?, max_entries);
            }
            if let Some(url) = proxy {
                builder = builder.proxy(url);
            }
            if let Some(path) = extra_ca_file {
                builder = builder.extra_ca_file(path);
            }
            if let Some(value) = optional(&max_idle_connections) {
                builder = builder.max_idle_connections(args::count("max_idle_connections", value)?);
            }

            // Building reads the system's certificate store once: no GIL.
            let client = Arc::new(check(py, py.detach(|| builder.build()))?);
            register(&client);
            Ok(Client { inner: client })
        })
    }

    /// The tracking id the client was built for.
    #[getter]
    fn tracking_id(&self) -> &str {
        self.inner.tracking_id()
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Fetches the visitor's experiences. Blocking (GIL released), bounded
    /// by the client's timeout. Raises a `QubitError` subclass on failure.
    #[pyo3(signature = (
        context_id = None, experience_ids = None, *, preview = false, variation = None,
        ignore_segments = false, strict = false, timeout = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn get_experiences(
        &self,
        py: Python<'_>,
        context_id: Option<String>,
        experience_ids: Option<Bound<'_, PyAny>>,
        preview: bool,
        variation: Option<Bound<'_, PyAny>>,
        ignore_segments: bool,
        strict: bool,
        timeout: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Answer> {
        let query = QueryArgs {
            context_id,
            experience_ids: experience_ids.as_ref(),
            preview,
            variation: variation.as_ref(),
            ignore_segments,
            strict,
            timeout: timeout.as_ref(),
        };
        self.fetch(py, query, |client, query| client.get_experiences(query))
    }

    /// Fetches like `get_experiences` but never raises for a service or
    /// network failure: the answer is then empty, with `error` set and a
    /// locally generated context id when none was given. Bad arguments
    /// still raise.
    #[pyo3(signature = (
        context_id = None, experience_ids = None, *, preview = false, variation = None,
        ignore_segments = false, strict = false, timeout = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn get_experiences_fail_open(
        &self,
        py: Python<'_>,
        context_id: Option<String>,
        experience_ids: Option<Bound<'_, PyAny>>,
        preview: bool,
        variation: Option<Bound<'_, PyAny>>,
        ignore_segments: bool,
        strict: bool,
        timeout: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Answer> {
        let query = QueryArgs {
            context_id,
            experience_ids: experience_ids.as_ref(),
            preview,
            variation: variation.as_ref(),
            ignore_segments,
            strict,
            timeout: timeout.as_ref(),
        };
        self.fetch(py, query, |client, query| {
            Ok(client.get_experiences_fail_open(query))
        })
    }

    /// Reports that `experience` was shown to the visitor and waits for the
    /// service's answer. Blocking (GIL released).
    fn shown(
        &self,
        py: Python<'_>,
        experience: &Bound<'_, Experience>,
        context_id: String,
    ) -> PyResult<()> {
        guarded(|| {
            let experience = &experience.get().inner;
            check(py, py.detach(|| self.inner.shown(experience, &context_id)))
        })
    }

    /// Queues the exposure callback for background delivery; returns at
    /// once. `False` when de-duplication skipped it.
    fn shown_later(
        &self,
        py: Python<'_>,
        experience: &Bound<'_, Experience>,
        context_id: String,
    ) -> PyResult<bool> {
        guarded(|| {
            let experience = &experience.get().inner;
            check(
                py,
                py.detach(|| self.inner.shown_later(experience, &context_id)),
            )
        })
    }

    /// Waits (GIL released) until every queued callback is delivered or
    /// failed for good; `QubitTimeoutError` past `timeout` seconds.
    #[pyo3(signature = (timeout = None))]
    fn flush(&self, py: Python<'_>, timeout: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        guarded(|| {
            let timeout = wait_time(timeout.as_ref())?;
            check(py, py.detach(|| self.inner.flush(timeout)))
        })
    }

    /// Closes the client: later calls raise `ClosedError`; queued callbacks
    /// are delivered, waiting at most `timeout` seconds (GIL released).
    /// Idempotent.
    #[pyo3(signature = (timeout = None))]
    fn close(&self, py: Python<'_>, timeout: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        guarded(|| {
            let timeout = wait_time(timeout.as_ref())?;
            check(py, py.detach(|| self.inner.close(timeout)))
        })
    }

    /// A snapshot of the counters, as a `dict`. No network.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guarded(|| {
            let stats = py.detach(|| self.inner.stats().to_json());
            Ok(json::to_python(py, &stats)?.cast_into::<PyDict>()?)
        })
    }

    fn __enter__(slf: Py<Client>) -> Py<Client> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_info: &Bound<'_, pyo3::types::PyTuple>,
    ) -> PyResult<bool> {
        self.close(py, None)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("Client(tracking_id={:?})", self.inner.tracking_id())
    }
}

/// `python/<version>` for the User-Agent.
fn binding_name(py: Python<'_>) -> PyResult<String> {
    let version = py.version_info();
    Ok(format!(
        "python/{}.{}.{}",
        version.major, version.minor, version.patch
    ))
}
