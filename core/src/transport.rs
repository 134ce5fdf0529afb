//! One HTTP exchange with the service: the shared `ureq` agent, how its
//! failures map onto [`Error`], and how bodies are bounded.

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ureq::tls::{Certificate, RootCerts, TlsConfig};

use crate::Error;
use crate::error::BODY_EXCERPT_LIMIT;

/// The longest timeout handed to `ureq`, which overflows on larger ones: a
/// day is "never" for a page render, and keeps `Duration::MAX` usable.
const LONGEST_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// What a [`Transport`] is built from.
pub(crate) struct TransportConfig<'a> {
    pub connect_timeout: Duration,
    pub max_response_bytes: u64,
    pub user_agent: String,
    pub proxy: Option<&'a str>,
    pub extra_ca_file: Option<&'a Path>,
    pub max_idle_connections: usize,
}

/// A failed attempt, with what a retry needs to know.
#[derive(Debug)]
pub(crate) struct AttemptError {
    pub error: Error,
    /// The `Retry-After` the service asked for, in whole seconds.
    pub retry_after: Option<Duration>,
}

impl From<Error> for AttemptError {
    fn from(error: Error) -> AttemptError {
        AttemptError {
            error,
            retry_after: None,
        }
    }
}

/// The connection pool and its settings, shared by every clone of a client.
pub(crate) struct Transport {
    agent: ureq::Agent,
    max_response_bytes: u64,
}

impl Transport {
    /// Builds the agent. Reads the system's certificate store once per
    /// process, and `extra_ca_file` when given.
    pub fn new(config: &TransportConfig<'_>) -> Result<Transport, Error> {
        let proxy = match config.proxy {
            Some(url) => Some(ureq::Proxy::new(url).map_err(|err| {
                Error::InvalidArgument(format!("proxy URL `{url}` is not usable: {err}"))
            })?),
            None => ureq::Proxy::try_from_env(),
        };

        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect could lead a callback past the host policy, and the
            // service never redirects: 3xx is an error like any other status.
            .max_redirects(0)
            .timeout_connect(Some(config.connect_timeout.min(LONGEST_TIMEOUT)))
            .user_agent(config.user_agent.as_str())
            .proxy(proxy)
            .max_idle_connections(config.max_idle_connections)
            .max_idle_connections_per_host(config.max_idle_connections)
            .tls_config(tls_config(config.extra_ca_file)?)
            .build();

        Ok(Transport {
            agent: agent_config.into(),
            max_response_bytes: config.max_response_bytes,
        })
    }

    /// GETs `url` within `budget` and returns the body of a 2xx answer.
    pub fn get(&self, url: &str, budget: Duration) -> Result<Vec<u8>, AttemptError> {
        let request = self
            .agent
            .get(url)
            .config()
            .timeout_global(Some(budget.min(LONGEST_TIMEOUT)))
            .build();
        let response = request.call().map_err(|err| map_ureq_error(err, budget))?;

        self.read_success_body(response, budget)
    }

    /// POSTs a JSON `body` to `url` within `budget`; any 2xx is success.
    pub fn post_json(&self, url: &str, body: &str, budget: Duration) -> Result<(), AttemptError> {
        let request = self
            .agent
            .post(url)
            .header("Content-Type", "application/json")
            .config()
            .timeout_global(Some(budget.min(LONGEST_TIMEOUT)))
            .build();
        let response = request
            .send(body)
            .map_err(|err| map_ureq_error(err, budget))?;

        self.read_success_body(response, budget).map(drop)
    }

    /// Reads a 2xx body up to the cap, or turns any other status into an
    /// error keeping a bounded excerpt of its body.
    fn read_success_body(
        &self,
        mut response: ureq::http::Response<ureq::Body>,
        budget: Duration,
    ) -> Result<Vec<u8>, AttemptError> {
        let status = response.status().as_u16();

        if (200..300).contains(&status) {
            return response
                .body_mut()
                .with_config()
                .limit(self.max_response_bytes)
                .read_to_vec()
                .map_err(|err| map_ureq_error(err, budget).into());
        }

        let retry_after = retry_after(&response);
        let mut excerpt = Vec::with_capacity(BODY_EXCERPT_LIMIT);
        // The excerpt is only a diagnostic: a body that fails to read leaves
        // it short rather than hiding the status.
        let _ = response
            .body_mut()
            .as_reader()
            .take(BODY_EXCERPT_LIMIT as u64)
            .read_to_end(&mut excerpt);

        Err(AttemptError {
            error: Error::from_status(status, &excerpt),
            retry_after,
        })
    }
}

/// Reads `Retry-After` in its delta-seconds form; the HTTP-date form is
/// ignored, as a date needs a clock agreement the SDK cannot assume.
fn retry_after(response: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    parse_delay_seconds(value.trim()).map(Duration::from_secs)
}

/// Delay-seconds: digits only; a value too large for 64 bits is still a
/// valid (enormous) delay, so it saturates instead of being ignored.
fn parse_delay_seconds(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(value.parse().unwrap_or(u64::MAX))
}

/// Maps a transport failure onto the SDK's codes.
fn map_ureq_error(err: ureq::Error, budget: Duration) -> Error {
    match err {
        ureq::Error::Timeout(_) => Error::Timeout { deadline: budget },
        ureq::Error::BodyExceedsLimit(limit) => Error::ResponseTooLarge { limit },
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            Error::Timeout { deadline: budget }
        }
        ureq::Error::Io(io) => Error::Connection(io.to_string()),
        ureq::Error::HostNotFound => Error::Connection("host not found".into()),
        ureq::Error::ConnectionFailed => Error::Connection("connection refused or failed".into()),
        ureq::Error::Protocol(proto) => {
            Error::Connection(format!("the server broke the HTTP protocol: {proto}"))
        }
        ureq::Error::BadUri(uri) => Error::InvalidArgument(format!("URL is not valid: {uri}")),
        // The request itself could not be built (a context id too long for
        // any URL, say): nothing was sent, and retrying cannot help.
        ureq::Error::Http(err) => {
            Error::InvalidArgument(format!("the request could not be built: {err}"))
        }
        other => Error::Connection(other.to_string()),
    }
}

/// Trusts the bundled Mozilla roots and the system's store, which is where
/// company proxies and private CAs are installed, plus an extra file.
fn tls_config(extra_ca_file: Option<&Path>) -> Result<TlsConfig, Error> {
    let mut roots: Vec<Certificate<'static>> = shared_roots().as_ref().clone();

    if let Some(path) = extra_ca_file {
        roots.extend(read_ca_file(path)?);
    }

    Ok(TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .build())
}

/// Bundled plus system roots, read once per process.
fn shared_roots() -> &'static Arc<Vec<Certificate<'static>>> {
    static ROOTS: OnceLock<Arc<Vec<Certificate<'static>>>> = OnceLock::new();

    ROOTS.get_or_init(|| {
        let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned());

        // A store that cannot be read (a minimal container) leaves the
        // bundled roots; the errors are only logged.
        let system = rustls_native_certs::load_native_certs();
        for err in &system.errors {
            log::debug!("skipping part of the system certificate store: {err}");
        }
        let system = system
            .certs
            .into_iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned());

        Arc::new(bundled.chain(system).collect())
    })
}

/// Reads every certificate of a PEM file.
fn read_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, Error> {
    let pem = std::fs::read(path).map_err(|err| {
        Error::InvalidArgument(format!("CA file {} cannot be read: {err}", path.display()))
    })?;

    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(err) => {
                return Err(Error::InvalidArgument(format!(
                    "CA file {} is not valid PEM: {err}",
                    path.display()
                )));
            }
        }
    }

    if certs.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "CA file {} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_seconds_are_digits_and_saturate() {
        assert_eq!(parse_delay_seconds("120"), Some(120));
        assert_eq!(parse_delay_seconds("0"), Some(0));
        assert_eq!(parse_delay_seconds("99999999999999999999"), Some(u64::MAX));
        for unreadable in [
            "",
            "-1",
            "1.5",
            "soon",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "+5",
        ] {
            assert_eq!(parse_delay_seconds(unreadable), None, "{unreadable:?}");
        }
    }
}
