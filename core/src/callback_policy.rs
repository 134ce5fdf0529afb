//! Which callback URLs the SDK will call.
//!
//! Callback URLs arrive in a network answer and are then fetched by the
//! server, which makes them a server-side request forgery vector: a forged
//! answer could point them at an internal admin port or a cloud metadata
//! address. Only `https` URLs on the API's own host, or on hosts the caller
//! adds, are called; plain `http` only when the base URL itself is `http` on
//! loopback, which is the local emulator.

use std::net::IpAddr;

use ureq::http::Uri;

use crate::Error;

/// The checked base URL of the service.
#[derive(Debug, Clone)]
pub(crate) struct BaseUrl {
    /// The URL without trailing slashes, ready for `/v1/...` to be appended.
    pub text: String,
    /// Lowercase host, without IPv6 brackets.
    pub host: String,
    /// The port, explicit or the scheme's default.
    pub port: u16,
    /// Whether the base URL is plain `http`.
    pub is_http: bool,
}

impl BaseUrl {
    /// Checks that `url` is an absolute `http` or `https` URL with a host
    /// and no query, fragment or credentials.
    pub fn parse(url: &str) -> Result<BaseUrl, Error> {
        let invalid =
            |why: &str| Error::InvalidArgument(format!("base URL `{url}` is not usable: {why}"));

        let uri: Uri = url.parse().map_err(|_| invalid("it is not a URL"))?;
        let is_http = match uri.scheme_str() {
            Some("https") => false,
            Some("http") => true,
            _ => return Err(invalid("the scheme must be http or https")),
        };
        let host = host_of(&uri).ok_or_else(|| invalid("it has no host"))?;
        let port =
            explicit_port(&uri).map_err(|()| invalid("the port is not a number up to 65535"))?;
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(invalid("credentials in the URL are not supported"));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(invalid("it must not have a query or fragment"));
        }

        Ok(BaseUrl {
            text: url.trim_end_matches('/').to_owned(),
            port: port.unwrap_or(if is_http { 80 } else { 443 }),
            host,
            is_http,
        })
    }
}

/// The rule callback URLs are checked against before any connection.
#[derive(Debug, Clone)]
pub(crate) struct CallbackPolicy {
    /// Host and port pairs; a port is part of the rule, so that a callback
    /// cannot reach another service on an allowed host.
    allowed: Vec<(String, u16)>,
    allow_http: bool,
}

impl CallbackPolicy {
    /// Allows the base URL's host and port, and `extra_hosts` (`host`, for
    /// port 443, or `host:port`); `http` only for a loopback `http` base URL.
    ///
    /// Fails with [`Error::InvalidArgument`] for an entry that is not a bare
    /// host with an optional port.
    pub fn new(base: &BaseUrl, extra_hosts: &[String]) -> Result<CallbackPolicy, Error> {
        let mut allowed = vec![(base.host.clone(), base.port)];
        for entry in extra_hosts {
            check_host_entry(entry)?;
            allowed.push(host_and_port(entry));
        }

        Ok(CallbackPolicy {
            allowed,
            allow_http: base.is_http && is_loopback(&base.host),
        })
    }

    /// Refuses a URL that the policy does not allow, saying why.
    pub fn check(&self, url: &str) -> Result<(), Error> {
        let refuse = |why: String| Error::CallbackRefused { reason: why };

        let uri: Uri = url
            .parse()
            .map_err(|_| refuse("the callback URL is not a valid URL".into()))?;
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(refuse("the callback URL carries credentials".into()));
        }
        let host = host_of(&uri).ok_or_else(|| refuse("the callback URL has no host".into()))?;

        let port = explicit_port(&uri)
            .map_err(|()| refuse("the callback URL's port is not a number up to 65535".into()))?;
        let port = match uri.scheme_str() {
            Some("https") => port.unwrap_or(443),
            Some("http") if self.allow_http && is_loopback(&host) => port.unwrap_or(80),
            Some("http") => {
                return Err(refuse(format!(
                    "plain http to {host} is only allowed when the base URL is http on loopback"
                )));
            }
            _ => return Err(refuse("the callback URL's scheme is not https".into())),
        };
        if !self.allowed.contains(&(host.clone(), port)) {
            return Err(refuse(format!(
                "{host}:{port} is not the API's host nor an allowed callback host"
            )));
        }
        Ok(())
    }
}

/// The lowercase host of a URI, IPv6 brackets removed.
fn host_of(uri: &Uri) -> Option<String> {
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The URL's explicit port, `None` when it has none, or an error when it
/// has one that is not a valid port (which `http` would quietly drop).
fn explicit_port(uri: &Uri) -> Result<Option<u16>, ()> {
    let authority = uri.authority().map_or("", |a| a.as_str());
    let after_host = authority.rsplit(']').next().unwrap_or(authority);

    match after_host.rsplit_once(':') {
        None | Some((_, "")) => Ok(None),
        Some((_, port)) => port.parse().map(Some).map_err(drop),
    }
}

/// Accepts `host` or `host:port` (IPv6 in brackets), nothing more: no
/// scheme, path, credentials or odd characters.
fn check_host_entry(entry: &str) -> Result<(), Error> {
    let invalid = || {
        Error::InvalidArgument(format!(
            "allowed callback host {entry:?} must be a host name or `host:port`"
        ))
    };
    let plain = entry
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b));
    if entry.is_empty() || !plain {
        return Err(invalid());
    }

    let uri: Uri = format!("https://{entry}/").parse().map_err(|_| invalid())?;
    match (host_of(&uri), explicit_port(&uri)) {
        (Some(_), Ok(None | Some(1..))) => Ok(()),
        _ => Err(invalid()),
    }
}

/// Reads an allowed-host entry: `host` (port 443) or `host:port`.
fn host_and_port(entry: &str) -> (String, u16) {
    let entry = entry.trim().to_ascii_lowercase();
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') => match port.parse() {
            Ok(port) => (host.trim_matches(['[', ']']).to_owned(), port),
            Err(_) => (entry, 443),
        },
        _ => (entry.trim_matches(['[', ']']).to_owned(), 443),
    }
}

/// Whether a host names this machine.
fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn policy(base: &str, extra: &[&str]) -> CallbackPolicy {
        let extra: Vec<String> = extra.iter().map(|h| h.to_string()).collect();
        CallbackPolicy::new(&BaseUrl::parse(base).unwrap(), &extra).unwrap()
    }

    #[test]
    fn base_url_keeps_path_and_drops_trailing_slashes() {
        let base = BaseUrl::parse("https://SSE.qubit.com/prefix//").unwrap();

        assert_eq!(base.text, "https://SSE.qubit.com/prefix");
        assert_eq!(base.host, "sse.qubit.com");
        assert!(!base.is_http);
    }

    #[test]
    fn unusable_base_urls_are_invalid_arguments() {
        for url in [
            "",
            "sse.qubit.com",
            "ftp://sse.qubit.com",
            "https://user:pw@sse.qubit.com",
            "https://sse.qubit.com/?x=1",
            "https://sse.qubit.com/#x",
            "http://127.0.0.1:99999",
            "http://127.0.0.1:65616",
        ] {
            let err = BaseUrl::parse(url).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidArgument, "{url}");
        }
    }

    #[test]
    fn https_on_the_api_host_is_allowed() {
        let policy = policy("https://sse.qubit.com", &[]);

        assert!(
            policy
                .check("https://sse.qubit.com/v1/callback?data=x")
                .is_ok()
        );
        assert!(
            policy
                .check("https://SSE.QUBIT.COM:443/v1/callback?data=x")
                .is_ok()
        );
    }

    #[test]
    fn other_hosts_schemes_and_credentials_are_refused() {
        let policy = policy("https://sse.qubit.com", &["cb.example.com"]);

        assert!(policy.check("https://cb.example.com/x").is_ok());
        assert!(policy.check("https://cb.example.com:8443/x").is_err());
        assert!(policy.check("https://sse.qubit.com:8443/x").is_err());
        for url in [
            "http://sse.qubit.com/v1/callback",
            "https://169.254.169.254/latest/meta-data",
            "https://sse.qubit.com.evil.example/x",
            "https://user@sse.qubit.com/x",
            "file:///etc/passwd",
            "/v1/callback?data=x",
            "not a url",
        ] {
            let err = policy.check(url).unwrap_err();
            assert_eq!(err.code(), ErrorCode::CallbackRefused, "{url}");
        }
    }

    #[test]
    fn allowed_hosts_must_be_bare_hosts_with_an_optional_port() {
        let base = BaseUrl::parse("https://sse.qubit.com").unwrap();
        let allows = |entry: &str| CallbackPolicy::new(&base, &[entry.to_owned()]).is_ok();

        for good in [
            "cb.example.com",
            "cb.example.com:8443",
            "[::1]:9",
            "10.0.0.1",
        ] {
            assert!(allows(good), "{good}");
        }
        for bad in [
            "",
            "a\0b",
            "cb.example.com:99999",
            "cb.example.com:0",
            "http://x/",
            "u@x",
            "x y",
        ] {
            assert!(!allows(bad), "{bad:?}");
        }
    }

    #[test]
    fn http_is_allowed_only_for_a_loopback_base() {
        let local = policy("http://127.0.0.1:8080", &[]);
        assert!(
            local
                .check("http://127.0.0.1:8080/v1/callback?data=x")
                .is_ok()
        );
        assert!(local.check("http://127.0.0.1:9/v1/callback").is_err());
        assert!(local.check("http://10.0.0.1/v1/callback").is_err());

        let remote = policy("http://api.example.com", &[]);
        assert!(remote.check("http://api.example.com/v1/callback").is_err());
    }
}
