//! Runs every language-neutral scenario of `tests/conformance/` through the
//! Rust client against the in-process emulator. Every binding has a runner
//! over the same files; see `tests/conformance/README.md` for the format.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use qubit_experiences::{Answer, Client, Error, ExperienceFilter, Query};
use qubit_experiences_emulator::{Emulator, Fault, Fixture};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Scenario {
    name: String,
    #[allow(dead_code)]
    description: String,
    fixture: Option<String>,
    tracking_id: Option<String>,
    #[serde(default)]
    fail_open: bool,
    cookies: Option<Vec<CookieCheck>>,
    #[serde(default)]
    faults: Vec<Fault>,
    query: Option<ScenarioQuery>,
    http: Option<RawRequest>,
    expect: Option<Expectation>,
    #[serde(default)]
    shown: Vec<u64>,
    #[serde(default)]
    expect_callbacks: Vec<ExpectedCallback>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScenarioQuery {
    context_id: Option<String>,
    #[serde(default)]
    experience_ids: Vec<u64>,
    #[serde(default)]
    preview: bool,
    variation: Option<u64>,
    #[serde(default)]
    ignore_segments: bool,
    filter: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    method: String,
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expectation {
    experiences: Option<Vec<ExpectedExperience>>,
    context_id: Option<String>,
    context_id_generated: Option<bool>,
    cookie_domains: Option<Vec<String>>,
    missing_experience_ids: Option<Vec<u64>>,
    request_query: Option<String>,
    error: Option<String>,
    status: Option<u16>,
    source: Option<String>,
}

/// One call of a cookie helper and its exact result.
#[derive(Deserialize)]
#[serde(tag = "function", rename_all = "camelCase", deny_unknown_fields)]
enum CookieCheck {
    #[serde(rename_all = "camelCase")]
    ContextIdFromCookieHeader {
        header: String,
        expect: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    CookieDomainForHost {
        host: String,
        cookie_domains: Vec<String>,
        expect: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    SetCookieHeader {
        context_id: String,
        domain: Option<String>,
        secure: bool,
        expect: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ExpectedExperience {
    id: u64,
    variation: u64,
    is_control: bool,
    payload: Value,
    payload_json: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ExpectedCallback {
    body: String,
    content_type: Option<String>,
    decision: Value,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/conformance"))
        .expect("tests/conformance exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_conformance_scenario_passes() {
    let files = scenario_files();
    assert!(files.len() >= 25, "only {} scenarios", files.len());
    let mut emulators: HashMap<String, Emulator> = HashMap::new();
    let mut failures = Vec::new();

    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let scenario: Scenario = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{}: not a scenario: {err}", file.display()));
        let outcome = match (&scenario.cookies, &scenario.fixture) {
            (Some(checks), _) => check_cookies(checks),
            (None, Some(fixture)) => {
                let emulator = emulators.entry(fixture.clone()).or_insert_with(|| {
                    let path = repo_root().join("emulator/fixtures").join(fixture);
                    Emulator::start(Fixture::load(&path).expect("fixture loads"))
                        .expect("emulator starts")
                });
                emulator.reset();
                run(&scenario, emulator)
            }
            (None, None) => Err("neither a fixture nor cookie checks".into()),
        };

        if let Err(why) = outcome {
            failures.push(format!("{} ({}): {why}", file.display(), scenario.name));
        }
    }

    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn run(scenario: &Scenario, emulator: &Emulator) -> Result<(), String> {
    emulator.set_faults(scenario.faults.clone());
    let expect = scenario.expect.as_ref().ok_or("no expect")?;

    if let Some(raw) = &scenario.http {
        return check_raw(raw, expect, emulator);
    }

    let tracking_id = scenario
        .tracking_id
        .clone()
        .unwrap_or_else(|| emulator.fixture().tracking_id().to_owned());
    let client = Client::builder(tracking_id)
        .base_url(emulator.url())
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .map_err(|err| err.to_string())?;
    let query = query_of(scenario.query.as_ref().unwrap_or(&ScenarioQuery::default()))?;

    let result = match scenario.fail_open {
        true => Ok(client.get_experiences_fail_open(&query)),
        false => client.get_experiences(&query),
    };
    check_request_query(expect, emulator)?;
    let answer = match (result, &expect.error) {
        (Err(err), Some(code)) => return check_error(&err, code, expect.status),
        (Ok(answer), Some(code)) if scenario.fail_open => {
            let carried = answer
                .error()
                .ok_or("the fail-open answer carries no error")?;
            check_error(carried, code, expect.status)?;
            answer
        }
        (Ok(_), Some(code)) => return Err(format!("expected {code}, got an answer")),
        (Err(err), None) => return Err(format!("unexpected error: {err}")),
        (Ok(answer), None) => answer,
    };

    check_answer(&answer, expect)?;
    send_callbacks(&client, &answer, &scenario.shown)?;
    check_callbacks(emulator, &scenario.expect_callbacks)
}

fn query_of(spec: &ScenarioQuery) -> Result<Query, String> {
    let filter = match spec.filter.as_deref() {
        None | Some("tolerant") => ExperienceFilter::Tolerant,
        Some("strict") => ExperienceFilter::Strict,
        Some(other) => return Err(format!("unknown filter {other}")),
    };
    Ok(Query {
        context_id: spec.context_id.clone(),
        experience_ids: spec.experience_ids.clone(),
        filter,
        preview: spec.preview,
        variation: spec.variation,
        ignore_segments: spec.ignore_segments,
        timeout: None,
    })
}

fn check_raw(raw: &RawRequest, expect: &Expectation, emulator: &Emulator) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}{}", emulator.url(), raw.path);
    let response = match raw.method.as_str() {
        "GET" => agent.get(&url).call(),
        "POST" => agent.post(&url).send(""),
        other => return Err(format!("unsupported method {other}")),
    }
    .map_err(|err| err.to_string())?;

    let status = response.status().as_u16();
    expect_eq("status", status, expect.status.ok_or("no status")?)?;
    if status == 200 {
        let body = response
            .into_body()
            .read_to_vec()
            .map_err(|err| err.to_string())?;
        let answer = Answer::from_service_json(&body, None).map_err(|err| err.to_string())?;
        check_answer(&answer, expect)?;
    }
    Ok(())
}

fn check_cookies(checks: &[CookieCheck]) -> Result<(), String> {
    use qubit_experiences::cookie;

    for check in checks {
        match check {
            CookieCheck::ContextIdFromCookieHeader { header, expect } => expect_eq(
                "context id from cookie",
                cookie::context_id_from_cookie_header(header),
                expect.clone(),
            )?,
            CookieCheck::CookieDomainForHost {
                host,
                cookie_domains,
                expect,
            } => expect_eq(
                "cookie domain",
                cookie::cookie_domain_for_host(host, cookie_domains),
                expect.clone(),
            )?,
            CookieCheck::SetCookieHeader {
                context_id,
                domain,
                secure,
                expect,
            } => expect_eq(
                "Set-Cookie",
                cookie::set_cookie_header(context_id, domain.as_deref(), *secure),
                expect.clone(),
            )?,
        }
    }
    Ok(())
}

fn check_request_query(expect: &Expectation, emulator: &Emulator) -> Result<(), String> {
    let Some(expected) = &expect.request_query else {
        return Ok(());
    };
    let requests = emulator.requests();
    let last = requests
        .iter()
        .rev()
        .find(|r| r.path.ends_with("/experiences"))
        .ok_or("no request recorded")?;
    expect_eq("request query", &last.query, expected)
}

fn check_error(err: &Error, code: &str, status: Option<u16>) -> Result<(), String> {
    expect_eq("error code", err.code().name(), code)?;
    expect_eq("error status", err.status(), status)
}

fn check_answer(answer: &Answer, expect: &Expectation) -> Result<(), String> {
    if let Some(experiences) = &expect.experiences {
        expect_eq("experience count", answer.len(), experiences.len())?;
        for (actual, expected) in answer.iter().zip(experiences) {
            let got = (actual.id, actual.variation_master_id, actual.is_control);
            expect_eq(
                "experience",
                got,
                (expected.id, expected.variation, expected.is_control),
            )?;
            expect_eq(
                "payload",
                actual.payload.to_value().map_err(|err| err.to_string())?,
                expected.payload.clone(),
            )?;
            if let Some(text) = &expected.payload_json {
                expect_eq("payload JSON text", actual.payload.as_json(), text.as_str())?;
            }
        }
    }
    if let Some(context_id) = &expect.context_id {
        expect_eq("context id", answer.context_id(), context_id.as_str())?;
    }
    if let Some(generated) = expect.context_id_generated {
        expect_eq(
            "context id generated",
            answer.context_id_generated(),
            generated,
        )?;
        if generated && !qubit_experiences::context_id::is_generated_format(answer.context_id()) {
            return Err(format!(
                "generated id {} has the wrong format",
                answer.context_id()
            ));
        }
    }
    if let Some(domains) = &expect.cookie_domains {
        expect_eq(
            "cookie domains",
            answer.cookie_domains(),
            domains.as_slice(),
        )?;
    }
    if let Some(missing) = &expect.missing_experience_ids {
        expect_eq(
            "missing ids",
            answer.missing_experience_ids(),
            missing.as_slice(),
        )?;
    }
    if let Some(source) = &expect.source {
        expect_eq("source", answer.source().name(), source.as_str())?;
    }
    Ok(())
}

fn send_callbacks(client: &Client, answer: &Answer, shown: &[u64]) -> Result<(), String> {
    for id in shown {
        let experience = answer
            .experience(*id)
            .ok_or(format!("{id} was not served"))?;
        client
            .shown(experience, answer.context_id())
            .map_err(|err| err.to_string())?;
    }
    Ok(())
}

fn check_callbacks(emulator: &Emulator, expected: &[ExpectedCallback]) -> Result<(), String> {
    let recorded = emulator.callbacks();
    expect_eq("callback count", recorded.len(), expected.len())?;

    for (actual, expected) in recorded.iter().zip(expected) {
        expect_eq(
            "callback body",
            actual.body.as_str(),
            expected.body.as_str(),
        )?;
        expect_eq(
            "callback content type",
            &actual.content_type,
            &expected.content_type,
        )?;
        let decision = actual
            .decision
            .clone()
            .map(Value::Object)
            .unwrap_or_default();
        expect_eq("callback decision", decision, expected.decision.clone())?;
    }
    Ok(())
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(
    what: &str,
    actual: T,
    expected: T,
) -> Result<(), String> {
    match actual == expected {
        true => Ok(()),
        false => Err(format!("{what}: got {actual:?}, expected {expected:?}")),
    }
}
