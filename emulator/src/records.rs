//! What the emulator records of the API requests it serves.

use serde::{Deserialize, Serialize};

/// One exposure callback as received, in `GET /_emulator/callbacks` form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedCallback {
    /// The request target: path and query, exactly as received.
    pub path: String,
    /// The `Content-Type` header, if any (lossily decoded as UTF-8).
    pub content_type: Option<String>,
    /// The request body, lossily decoded as UTF-8.
    pub body: String,
    /// The decision record decoded from the `data` parameter; `None` when
    /// there is none or it does not decode.
    pub decision: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One API request (experiences, callback or unknown path; control requests
/// are not recorded), in `GET /_emulator/requests` form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    /// The method, such as `GET`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string exactly as received, without `?`; `""` if none.
    pub query: String,
    /// The `User-Agent` header, if any (lossily decoded as UTF-8).
    pub user_agent: Option<String>,
}
