//! The `_qubitTracker` cookie: reading the context id from a request and
//! writing it on the response (PROTOCOL.md A.3). No network.

use std::time::Duration;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// The cookie that holds the visitor's context id.
pub const COOKIE_NAME: &str = "_qubitTracker";

/// The cookie's rolling lifetime: one year.
pub const COOKIE_MAX_AGE: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Bytes a cookie value cannot hold as they are (RFC 6265 `cookie-octet`
/// excludes controls, space, `"` `,` `;` `\`), plus `%` so that decoding is
/// exact. Encoding these keeps a custom id from adding cookie attributes.
const COOKIE_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// Reads the context id from a `Cookie` request header.
///
/// Tolerates other cookies, odd spacing, a quoted value and percent-encoding
/// (as written by [`set_cookie_header`]). The first non-empty
/// `_qubitTracker` wins, as browsers send the most specific cookie first.
pub fn context_id_from_cookie_header(header: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| name.trim() == COOKIE_NAME)
        .map(|(_, value)| decode_value(value))
        .find(|value| !value.is_empty())
}

/// Chooses the cookie's `Domain` for a request host: the first of the
/// property's `cookie_domains` that the host equals or is a subdomain of (a
/// leading dot on an entry ignored, case ignored, a port on the host
/// ignored). `None` means a host-only cookie.
pub fn cookie_domain_for_host(host: &str, cookie_domains: &[String]) -> Option<String> {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();

    cookie_domains
        .iter()
        .map(|domain| domain.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|domain| is_plain_domain(domain))
        .find(|domain| {
            host == *domain
                || host
                    .strip_suffix(domain.as_str())
                    .is_some_and(|prefix| prefix.ends_with('.'))
        })
}

/// Builds the `Set-Cookie` header value that stores `context_id` for a
/// year: `_qubitTracker=<id>; Domain=<domain>; Path=/; Max-Age=31536000;
/// SameSite=Lax`, plus `; Secure` when asked. The id is percent-encoded
/// where a cookie value could not hold it, and a domain that is not a plain
/// host name is left out rather than trusted.
pub fn set_cookie_header(context_id: &str, domain: Option<&str>, secure: bool) -> String {
    let mut header = format!(
        "{COOKIE_NAME}={}",
        utf8_percent_encode(context_id, COOKIE_VALUE)
    );

    if let Some(domain) = domain
        .map(|d| d.trim_start_matches('.'))
        .filter(|d| is_plain_domain(d))
    {
        header.push_str("; Domain=");
        header.push_str(domain);
    }
    header.push_str(&format!(
        "; Path=/; Max-Age={}; SameSite=Lax",
        COOKIE_MAX_AGE.as_secs()
    ));
    if secure {
        header.push_str("; Secure");
    }
    header
}

/// Unquotes and percent-decodes a cookie value; a value that does not
/// decode to UTF-8 is kept as it came.
fn decode_value(raw: &str) -> String {
    let trimmed = raw.trim();
    let unquoted = trimmed
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(trimmed);

    match percent_decode_str(unquoted).decode_utf8() {
        Ok(decoded) => decoded.into_owned(),
        Err(_) => unquoted.to_owned(),
    }
}

/// Removes a `:port` (and IPv6 brackets' port) from a `Host` header value.
fn strip_port(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Whether a domain is only letters, digits, dots and dashes.
fn is_plain_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(list: &[&str]) -> Vec<String> {
        list.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn reads_the_tracker_among_other_cookies() {
        let header = "session=abc; _qubitTracker=q8eltsc1e34-0k72y37kj-jaaa50x; theme=dark";

        assert_eq!(
            context_id_from_cookie_header(header).as_deref(),
            Some("q8eltsc1e34-0k72y37kj-jaaa50x")
        );
    }

    #[test]
    fn tolerates_spacing_quotes_and_encoding() {
        assert_eq!(
            context_id_from_cookie_header("a=1;   _qubitTracker  =  \"1470847628500.818360\" ;b=2")
                .as_deref(),
            Some("1470847628500.818360")
        );
        assert_eq!(
            context_id_from_cookie_header("_qubitTracker=user%3B%2042%C3%BC").as_deref(),
            Some("user; 42ü")
        );
        assert_eq!(
            context_id_from_cookie_header("_qubitTracker=100%").as_deref(),
            Some("100%")
        );
    }

    #[test]
    fn missing_or_empty_tracker_is_none() {
        assert_eq!(context_id_from_cookie_header(""), None);
        assert_eq!(
            context_id_from_cookie_header("other=1; _qubitTrackerX=2"),
            None
        );
        assert_eq!(
            context_id_from_cookie_header("_qubitTracker=; _qubitTracker=\"\""),
            None
        );
        assert_eq!(
            context_id_from_cookie_header("_qubitTracker=; _qubitTracker=v2").as_deref(),
            Some("v2")
        );
    }

    #[test]
    fn domain_is_the_first_entry_the_host_belongs_to() {
        let list = domains(&[".shop.example.co.uk", "example.com", "shop.example.com"]);

        assert_eq!(
            cookie_domain_for_host("www.Example.com:8443", &list).as_deref(),
            Some("example.com")
        );
        assert_eq!(
            cookie_domain_for_host("shop.example.co.uk", &list).as_deref(),
            Some("shop.example.co.uk")
        );
        assert_eq!(cookie_domain_for_host("badexample.com", &list), None);
        assert_eq!(cookie_domain_for_host("example.org", &list), None);
        assert_eq!(cookie_domain_for_host("[::1]:80", &list), None);
    }

    #[test]
    fn set_cookie_has_every_attribute() {
        assert_eq!(
            set_cookie_header("q8eltsc1e34-0k72y37kj-jaaa50x", Some("example.com"), true),
            "_qubitTracker=q8eltsc1e34-0k72y37kj-jaaa50x; Domain=example.com; Path=/; \
             Max-Age=31536000; SameSite=Lax; Secure"
        );
        assert_eq!(
            set_cookie_header("v", None, false),
            "_qubitTracker=v; Path=/; Max-Age=31536000; SameSite=Lax"
        );
    }

    #[test]
    fn custom_ids_cannot_inject_attributes() {
        let header = set_cookie_header("x; Domain=evil.example; Secure\r\nX: y", None, false);

        assert_eq!(
            header,
            "_qubitTracker=x%3B%20Domain=evil.example%3B%20Secure%0D%0AX:%20y; Path=/; \
             Max-Age=31536000; SameSite=Lax"
        );
        assert_eq!(
            context_id_from_cookie_header(header.split("; Path").next().unwrap()).as_deref(),
            Some("x; Domain=evil.example; Secure\r\nX: y")
        );
    }

    #[test]
    fn hostile_domains_are_left_out() {
        assert_eq!(
            set_cookie_header("v", Some("example.com; Secure=no"), false),
            "_qubitTracker=v; Path=/; Max-Age=31536000; SameSite=Lax"
        );
    }
}
