//! What to ask the service for one visitor.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// Bytes left as they are in query values: RFC 3986's unreserved set.
/// Everything else, `,` `&` `=` `+` `%` and all non-ASCII included, is
/// percent-encoded, because a context id can be any string a customer picked.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How a query's experience ids are applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ExperienceFilter {
    /// The ids are filtered client side, after a fetch of all the visitor's
    /// experiences: ids that were not served are reported on
    /// [`Answer::missing_experience_ids`](crate::Answer::missing_experience_ids),
    /// so one archived experience cannot blank a page. The default, as in the
    /// official mobile SDKs.
    #[default]
    Tolerant,
    /// The ids are sent to the service as `experienceIds`: an unknown or
    /// archived id fails the whole call with [`Error::NotFound`].
    Strict,
}

/// One fetch's parameters. Build it with [`Query::new`] and the chained
/// setters, or fill the public fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Query {
    /// The visitor's context id, usually the `_qubitTracker` cookie. `None`
    /// asks the service to generate one.
    pub context_id: Option<String>,
    /// Restrict the answer to these experiences; empty means all.
    pub experience_ids: Vec<u64>,
    /// How `experience_ids` is applied.
    pub filter: ExperienceFilter,
    /// Serve each experience's latest unpublished iteration.
    pub preview: bool,
    /// Force the variation with this master id.
    pub variation: Option<u64>,
    /// Serve experiences whatever their segment targeting says.
    pub ignore_segments: bool,
    /// This call's deadline, instead of the client's timeout: for callers
    /// that carry their own (a Go `context.Context`, a request budget).
    pub timeout: Option<Duration>,
}

impl Query {
    /// An empty query: a new visitor, every experience, nothing forced.
    pub fn new() -> Query {
        Query::default()
    }

    /// Sets the visitor's context id.
    pub fn context_id(mut self, context_id: impl Into<String>) -> Query {
        self.context_id = Some(context_id.into());
        self
    }

    /// Restricts the answer to these experience ids.
    pub fn experience_ids(mut self, ids: impl IntoIterator<Item = u64>) -> Query {
        self.experience_ids = ids.into_iter().collect();
        self
    }

    /// Chooses how experience ids are applied.
    pub fn filter(mut self, filter: ExperienceFilter) -> Query {
        self.filter = filter;
        self
    }

    /// Turns preview on or off.
    pub fn preview(mut self, on: bool) -> Query {
        self.preview = on;
        self
    }

    /// Forces the variation with this master id.
    pub fn variation(mut self, master_id: u64) -> Query {
        self.variation = Some(master_id);
        self
    }

    /// Turns segment checks off or on.
    pub fn ignore_segments(mut self, on: bool) -> Query {
        self.ignore_segments = on;
        self
    }

    /// Sets this call's deadline, instead of the client's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Query {
        self.timeout = Some(timeout);
        self
    }

    /// Whether answers to this query may come from, or go into, the cache:
    /// previews, forced variations and segment-blind answers are for QA
    /// tools and must always be fresh, and a query without a context id gets
    /// a newly generated visitor every time.
    pub(crate) fn is_cacheable(&self) -> bool {
        self.context_id.is_some()
            && !self.preview
            && self.variation.is_none()
            && !self.ignore_segments
    }

    /// Whether the experience ids go to the service or are applied locally.
    pub(crate) fn sends_experience_ids(&self) -> bool {
        self.filter == ExperienceFilter::Strict && !self.experience_ids.is_empty()
    }

    /// Rejects what the service could not be asked for.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.context_id.as_deref() == Some("") {
            return Err(Error::InvalidArgument(
                "context id is empty: pass none to have the service generate one".into(),
            ));
        }
        if self.timeout.is_some_and(|timeout| timeout.is_zero()) {
            return Err(Error::InvalidArgument("timeout must be above zero".into()));
        }
        Ok(())
    }

    /// The query string sent to the service (PROTOCOL.md A.1): parameters in
    /// a fixed order, values percent-encoded, ids joined with a literal comma,
    /// flags only when on and always as `=true`.
    pub fn to_query_string(&self) -> String {
        let mut params: Vec<(&str, String)> = Vec::with_capacity(5);

        if let Some(context_id) = &self.context_id {
            params.push(("contextId", encode_value(context_id)));
        }
        if self.sends_experience_ids() {
            let ids: Vec<String> = self.experience_ids.iter().map(u64::to_string).collect();
            params.push(("experienceIds", ids.join(",")));
        }
        if self.preview {
            params.push(("preview", "true".into()));
        }
        if let Some(master_id) = self.variation {
            params.push(("variation", master_id.to_string()));
        }
        if self.ignore_segments {
            params.push(("ignoreSegments", "true".into()));
        }

        let pairs: Vec<String> = params
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        pairs.join("&")
    }
}

/// Percent-encodes one query value.
fn encode_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_query_sends_nothing() {
        assert_eq!(Query::new().to_query_string(), "");
    }

    #[test]
    fn every_parameter_in_fixed_order() {
        let query = Query::new()
            .ignore_segments(true)
            .variation(826987)
            .preview(true)
            .experience_ids([144119, 139731])
            .filter(ExperienceFilter::Strict)
            .context_id("q8eltsc1e34-0k72y37kj-jaaa50x");

        assert_eq!(
            query.to_query_string(),
            "contextId=q8eltsc1e34-0k72y37kj-jaaa50x&experienceIds=144119,139731\
             &preview=true&variation=826987&ignoreSegments=true"
        );
    }

    #[test]
    fn flags_that_are_off_are_never_sent() {
        let query = Query::new()
            .context_id("a")
            .preview(false)
            .ignore_segments(false);

        assert_eq!(query.to_query_string(), "contextId=a");
    }

    #[test]
    fn reserved_and_non_ascii_characters_are_encoded() {
        let query = Query::new().context_id("a b&c=d?e/f#g+h%i,j~k.l_m-n ü😀");

        assert_eq!(
            query.to_query_string(),
            "contextId=a%20b%26c%3Dd%3Fe%2Ff%23g%2Bh%25i%2Cj~k.l_m-n%20%C3%BC%F0%9F%98%80"
        );
    }

    #[test]
    fn tolerant_filter_keeps_ids_local() {
        let query = Query::new().context_id("v").experience_ids([1, 2]);

        assert_eq!(query.to_query_string(), "contextId=v");
    }

    #[test]
    fn only_plain_visitor_queries_are_cacheable() {
        let visitor = Query::new().context_id("v");

        assert!(visitor.is_cacheable());
        assert!(!Query::new().is_cacheable());
        assert!(!visitor.clone().preview(true).is_cacheable());
        assert!(!visitor.clone().variation(1).is_cacheable());
        assert!(!visitor.ignore_segments(true).is_cacheable());
    }

    #[test]
    fn empty_context_id_is_rejected() {
        let err = Query::new().context_id("").validate().unwrap_err();

        assert_eq!(err.code(), crate::ErrorCode::InvalidArgument);
    }
}
