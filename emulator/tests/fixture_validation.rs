//! Fixture loading: the sample is valid (for the reader and the schema) and
//! each broken rule gives its own error, naming where it is.

use std::path::Path;

use qubit_experiences_emulator::{Fixture, FixtureError};
use serde_json::{Value, json};

const SCHEMA: &str = include_str!("../fixture.schema.json");
const SAMPLE: &str = include_str!("../fixtures/retail.json");

/// A small valid fixture, to break one rule at a time.
fn base() -> Value {
    json!({
        "trackingId": "shop",
        "cookieDomains": ["shop.example"],
        "segments": [{"id": "vip", "contextIds": ["a"]}],
        "experiences": [{
            "id": 1, "name": "One", "status": "live",
            "iterations": [{
                "id": 10, "published": true, "segments": ["vip"],
                "variations": [
                    {"id": 100, "masterId": 1000, "isControl": true, "allocation": 0.5, "payload": {}},
                    {"id": 101, "masterId": 1001, "isControl": false, "allocation": 0.5, "payload": {"a": 1}}
                ]
            }]
        }]
    })
}

fn error_of(fixture: &Value) -> FixtureError {
    Fixture::from_json(&fixture.to_string()).unwrap_err()
}

fn schema_accepts(instance: &Value) -> bool {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    jsonschema::draft202012::is_valid(&schema, instance)
}

#[test]
fn sample_fixture_loads() {
    let fixture = Fixture::sample();

    assert_eq!(fixture.tracking_id(), "retail_shop");
    assert_eq!(
        fixture.cookie_domains(),
        ["shop.example", "shop.example.co.uk"]
    );
}

#[test]
fn sample_fixture_matches_the_schema() {
    assert!(schema_accepts(&serde_json::from_str(SAMPLE).unwrap()));
    assert!(schema_accepts(&base()));
}

#[test]
fn schema_rejects_what_the_reader_rejects_by_shape() {
    let mut unknown_field = base();
    unknown_field["experiences"][0]["owner"] = json!("me");
    let mut bad_status = base();
    bad_status["experiences"][0]["status"] = json!("draft");
    let mut bad_tracking_id = base();
    bad_tracking_id["trackingId"] = json!("shop/1");
    let mut list_payload = base();
    list_payload["experiences"][0]["iterations"][0]["variations"][0]["payload"] = json!([1]);
    let mut no_variations = base();
    no_variations["experiences"][0]["iterations"][0]["variations"] = json!([]);

    for broken in [
        unknown_field,
        bad_status,
        bad_tracking_id,
        list_payload,
        no_variations,
    ] {
        assert!(!schema_accepts(&broken), "{broken}");
        assert!(Fixture::from_json(&broken.to_string()).is_err(), "{broken}");
    }
}

/// Breaks `base()` with `change` and checks the error's path and message.
fn assert_error(change: impl FnOnce(&mut Value), path: &str, message: &str) {
    let mut fixture = base();
    change(&mut fixture);

    let err = error_of(&fixture);

    assert_eq!((err.json_path(), err.message()), (path, message));
}

/// As [`assert_error`], for serde's messages, which end with a position.
fn assert_shape_error(change: impl FnOnce(&mut Value), path: &str, message: &str) {
    let mut fixture = base();
    change(&mut fixture);

    let err = error_of(&fixture);

    assert_eq!(err.json_path(), path);
    assert!(
        err.message()
            .starts_with(&format!("{message} at line 1 column ")),
        "{err}"
    );
}

const V0: &str = "experiences[0].iterations[0].variations[0]";

#[test]
fn allocation_outside_the_unit_interval_is_rejected() {
    assert_error(
        |f| f["experiences"][0]["iterations"][0]["variations"][0]["allocation"] = json!(-0.5),
        &format!("{V0}.allocation"),
        "allocation -0.5 is outside [0, 1]",
    );
}

#[test]
fn allocations_must_add_up_to_one() {
    assert_error(
        |f| f["experiences"][0]["iterations"][0]["variations"][1]["allocation"] = json!(0.4),
        "experiences[0].iterations[0].variations",
        "allocations add up to 0.9, not 1",
    );
}

#[test]
fn allocations_within_the_tolerance_are_accepted() {
    let mut fixture = base();
    let variations = &mut fixture["experiences"][0]["iterations"][0]["variations"];
    variations[0]["allocation"] = json!(0.1);
    variations[1]["allocation"] = json!(0.2);
    variations.as_array_mut().unwrap().push(
        json!({"id": 102, "masterId": 1002, "isControl": false, "allocation": 0.7, "payload": {}}),
    );

    assert!(Fixture::from_json(&fixture.to_string()).is_ok());
}

#[test]
fn duplicate_ids_are_rejected() {
    assert_error(
        |f| {
            let copy = f["experiences"][0].clone();
            f["experiences"].as_array_mut().unwrap().push(copy);
        },
        "experiences[1].id",
        "duplicate experience id 1 (first at experiences[0])",
    );
    assert_error(
        |f| {
            let mut copy = f["experiences"][0]["iterations"][0].clone();
            copy["variations"][0]["id"] = json!(200);
            copy["variations"][1]["id"] = json!(201);
            f["experiences"][0]["iterations"]
                .as_array_mut()
                .unwrap()
                .push(copy);
        },
        "experiences[0].iterations[1].id",
        "duplicate iteration id 10 (first at experiences[0].iterations[0])",
    );
    assert_error(
        |f| f["experiences"][0]["iterations"][0]["variations"][1]["id"] = json!(100),
        "experiences[0].iterations[0].variations[1].id",
        &format!("duplicate variation id 100 (first at {V0})"),
    );
    assert_error(
        |f| f["experiences"][0]["iterations"][0]["variations"][1]["masterId"] = json!(1000),
        "experiences[0].iterations[0].variations[1].masterId",
        &format!("duplicate master id 1000 in one iteration (first at {V0})"),
    );
    assert_error(
        |f| {
            f["segments"]
                .as_array_mut()
                .unwrap()
                .push(json!({"id": "vip", "contextIds": []}))
        },
        "segments[1].id",
        "duplicate segment id \"vip\"",
    );
}

#[test]
fn unknown_segment_reference_is_rejected() {
    assert_error(
        |f| f["experiences"][0]["iterations"][0]["segments"] = json!(["vip", "nobody"]),
        "experiences[0].iterations[0].segments[1]",
        "unknown segment \"nobody\"",
    );
}

#[test]
fn iteration_without_variations_is_rejected() {
    assert_error(
        |f| f["experiences"][0]["iterations"][0]["variations"] = json!([]),
        "experiences[0].iterations[0].variations",
        "an iteration needs at least one variation",
    );
}

#[test]
fn tracking_id_must_be_url_safe_and_non_empty() {
    for tracking_id in ["", "shop 1", "shop/1", "shöp"] {
        assert_error(
            |f| f["trackingId"] = json!(tracking_id),
            "trackingId",
            &format!(
                "tracking id {tracking_id:?} must be non-empty and use only A-Z a-z 0-9 . _ ~ -"
            ),
        );
    }
}

#[test]
fn payload_must_be_an_object() {
    assert_error(
        |f| f["experiences"][0]["iterations"][0]["variations"][0]["payload"] = json!("text"),
        &format!("{V0}.payload"),
        "payload must be a JSON object",
    );
}

#[test]
fn unknown_fields_and_wrong_types_name_their_path() {
    assert_shape_error(
        |f| f["experiences"][0]["iterations"][0]["weight"] = json!(1),
        "experiences[0].iterations[0].weight",
        "unknown field `weight`, expected one of `id`, `published`, `segments`, `variations`",
    );
    assert_shape_error(
        |f| f["experiences"][0]["status"] = json!("draft"),
        "experiences[0].status",
        "unknown variant `draft`, expected one of `live`, `paused`, `archived`",
    );
    assert_shape_error(
        |f| f["experiences"][0]["id"] = json!("1"),
        "experiences[0].id",
        "invalid type: string \"1\", expected u64",
    );
}

#[test]
fn errors_display_file_path_and_problem() {
    let file = std::env::temp_dir().join(format!("emulator-fixture-{}.json", std::process::id()));
    let mut fixture = base();
    fixture["trackingId"] = json!("");
    std::fs::write(&file, fixture.to_string()).unwrap();

    let err = Fixture::load(&file).unwrap_err();
    std::fs::remove_file(&file).unwrap();

    assert_eq!(err.file(), Some(file.as_path()));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: at trackingId: tracking id \"\" must be non-empty and use only A-Z a-z 0-9 . _ ~ -",
            file.display()
        )
    );
    assert_eq!(
        Fixture::from_json("{").unwrap_err().to_string(),
        "fixture: at .: EOF while parsing an object at line 1 column 1"
    );
}

#[test]
fn missing_file_names_the_file() {
    let err = Fixture::load(Path::new("/nonexistent/fixture.json")).unwrap_err();

    assert!(
        err.to_string()
            .starts_with("/nonexistent/fixture.json: at .: cannot read: "),
        "{err}"
    );
}
