//! Properties of the encoders and decoders that face hostile input, checked
//! over generated inputs.

use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use qubit_experiences::{Answer, ErrorCode, Query, callback_data, cookie};

/// A fixed seed and many cases: the same inputs on every run, so a result
/// never depends on the day's luck, and a failure is reproduced by running
/// the test again.
fn config() -> Config {
    Config {
        cases: 2048,
        rng_seed: RngSeed::Fixed(0x5155_4249_5400_0001),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_context_id_is_encoded_safely_and_exactly(context_id in "\\PC{1,40}|[ -~]{1,40}") {
        let query = Query::new().context_id(context_id.clone()).to_query_string();

        let encoded = query.strip_prefix("contextId=").unwrap();
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        prop_assert_eq!(percent_decode_str(encoded).decode_utf8().unwrap(), context_id.as_str());
    }

    #[test]
    fn any_context_id_survives_the_cookie_round_trip(context_id in "\\PC{1,40}|[\\x00-\\x7f]{1,40}") {
        let set_cookie = cookie::set_cookie_header(&context_id, None, false);
        let value = set_cookie.split("; Path=/").next().unwrap();

        prop_assert!(!value.bytes().any(|b| b <= b' ' || b";,\"\\".contains(&b) || b >= 0x7f));
        prop_assert_eq!(cookie::context_id_from_cookie_header(value), Some(context_id));
    }

    #[test]
    fn the_cookie_domain_is_always_one_of_the_entries(
        host in "[a-z.]{0,20}(:[0-9]{1,5})?",
        domains in proptest::collection::vec("\\.?[a-z]{1,6}(\\.[a-z]{1,4})?", 0..4),
    ) {
        if let Some(domain) = cookie::cookie_domain_for_host(&host, &domains) {
            prop_assert!(domains.iter().any(|d| d.trim_start_matches('.') == domain));
            // A trailing dot (a fully qualified name) names the same host.
            let bare_host = host.split(':').next().unwrap().trim_end_matches('.');
            let subdomain = bare_host.ends_with(&format!(".{}", domain));
            prop_assert!(bare_host == domain || subdomain);
        }
    }

    #[test]
    fn any_body_decodes_or_fails_with_decode(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Err(err) = Answer::from_service_json(&body, Some("v")) {
            prop_assert_eq!(err.code(), ErrorCode::Decode);
        }
    }

    #[test]
    fn any_blob_decodes_or_fails_with_decode(blob in "[A-Za-z0-9_=-]{0,200}|\\PC{0,50}") {
        if let Err(err) = callback_data::decode(&blob) {
            prop_assert_eq!(err.code(), ErrorCode::Decode);
        }
    }

    #[test]
    fn callback_records_round_trip(context_id in "\\PC{0,30}", experience_id in any::<u64>()) {
        let record = serde_json::json!({"ExperienceId": experience_id, "ContextId": context_id});

        let decoded = callback_data::decode(&callback_data::encode(&record.to_string())).unwrap();

        prop_assert_eq!(serde_json::Value::Object(decoded), record);
    }
}
