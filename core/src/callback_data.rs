//! The bucketing decision carried inside a callback URL.
//!
//! Callback URLs look like `https://sse.qubit.com/v1/callback?data=<blob>`,
//! where the blob is URL-safe base64 (padded or not) of a raw Snappy block of
//! a JSON record: `ExperienceId`, `IterationId`, `VariationId`,
//! `VariationMasterId`, `IsControl`, `TrafficAllocation`, `Probability`,
//! `TrackingId`, `ContextId`, and whatever else the service adds.
//!
//! Clients must use callback URLs as given; decoding them is for debugging
//! tools (the CLI's `decode-callback`) and for the emulator, which encodes
//! its own decisions the same way.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::Error;

/// URL-safe base64 that writes no padding and reads it either way, as the
/// hosted service's blobs come both ways.
const BLOB_BASE64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Largest decoded record accepted; real records are a few hundred bytes.
const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Encodes a JSON record as a callback `data` blob. No network.
pub fn encode(record_json: &str) -> String {
    // Compressing into a buffer sized by max_compress_len cannot fail.
    let compressed = snap::raw::Encoder::new()
        .compress_vec(record_json.as_bytes())
        .unwrap_or_default();
    BLOB_BASE64.encode(compressed)
}

/// Decodes a callback `data` blob into its JSON record. No network.
///
/// Fails with [`Error::Decode`] when the blob is not URL-safe base64 of a
/// raw Snappy block holding a JSON object.
pub fn decode(blob: &str) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let compressed = BLOB_BASE64
        .decode(blob)
        .map_err(|err| Error::Decode(format!("callback data is not URL-safe base64: {err}")))?;

    let length = snap::raw::decompress_len(&compressed)
        .map_err(|err| Error::Decode(format!("callback data is not a Snappy block: {err}")))?;
    if length > MAX_RECORD_BYTES {
        return Err(Error::Decode(format!(
            "callback data claims {length} bytes, more than the {MAX_RECORD_BYTES} a record may hold"
        )));
    }
    let record = snap::raw::Decoder::new()
        .decompress_vec(&compressed)
        .map_err(|err| Error::Decode(format!("callback data is not a Snappy block: {err}")))?;

    serde_json::from_slice(&record)
        .map_err(|err| Error::Decode(format!("callback data does not hold a JSON object: {err}")))
}

/// Decodes the `data` parameter of a whole callback URL. No network.
///
/// Fails with [`Error::InvalidArgument`] when the URL has no `data`
/// parameter, and as [`decode`] does otherwise.
pub fn decode_url(callback_url: &str) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    // The fragment goes first: a `?` inside it does not start a query.
    let without_fragment = callback_url.split('#').next().unwrap_or(callback_url);
    let query = without_fragment
        .split_once('?')
        .map_or("", |(_, query)| query);

    let blob = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("data="))
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "callback URL has no `data` parameter: {callback_url}"
            ))
        })?;

    let blob = percent_encoding::percent_decode_str(blob)
        .decode_utf8()
        .map_err(|_| {
            Error::Decode("callback data is not valid UTF-8 once percent-decoded".into())
        })?;
    decode(&blob)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encoded_record_decodes_to_the_same_json() {
        let record = r#"{"ExperienceId":1,"ContextId":"a/b ü","Probability":0.25}"#;

        let blob = encode(record);

        assert!(!blob.contains('=') && !blob.contains('+') && !blob.contains('/'));
        assert_eq!(
            serde_json::Value::Object(decode(&blob).unwrap()),
            json!({"ExperienceId": 1, "ContextId": "a/b ü", "Probability": 0.25})
        );
    }

    #[test]
    fn padded_blobs_decode_too() {
        let blob = encode(r#"{"a":1}"#);
        let padded = format!("{blob}{}", "=".repeat((4 - blob.len() % 4) % 4));

        assert_eq!(decode(&padded).unwrap(), decode(&blob).unwrap());
    }

    #[test]
    fn url_without_data_is_an_invalid_argument() {
        let err = decode_url("https://sse.qubit.com/v1/callback?x=1").unwrap_err();

        assert_eq!(err.code(), crate::ErrorCode::InvalidArgument);
    }

    #[test]
    fn garbage_blob_is_a_decode_error() {
        assert_eq!(decode("!!!").unwrap_err().code(), crate::ErrorCode::Decode);
        assert_eq!(decode("AAAA").unwrap_err().code(), crate::ErrorCode::Decode);
    }
}
