//! `qubit-experiences demo`: the SDK's main job, end to end, with no
//! network. An emulator serves the shipped retail sample on loopback; a
//! client fetches for a handful of visitors, reports every experience it
//! would show, and the emulator's record proves each callback arrived.

use std::collections::BTreeSet;
use std::time::Duration;

use qubit_experiences::{Answer, Client, Query, cookie};
use qubit_experiences_emulator::{Emulator, Fixture};

use crate::table;

/// The visitors of the demo: who they are, and their cookie (none for the
/// new visitor).
const VISITORS: [(&str, Option<&str>); 5] = [
    ("returning visitor", Some("q8eltsc1e34-0k72y37kj-jaaa50x")),
    ("VIP customer", Some("vip-1")),
    ("mobile shopper, custom id", Some("手机用户-7")),
    ("visitor with a legacy cookie", Some("1470847628500.818360")),
    ("new visitor, no cookie yet", None),
];

/// The host the demo's page is served on, for choosing the cookie domain.
const PAGE_HOST: &str = "www.shop.example";

pub fn run() -> Result<(), String> {
    let emulator = Emulator::start(Fixture::sample())
        .map_err(|err| format!("could not start the emulator: {err}"))?;
    let client = Client::builder(emulator.fixture().tracking_id())
        .base_url(emulator.url())
        .build()
        .map_err(|err| err.to_string())?;
    println!(
        "Emulator of property {} serving on {}\n",
        emulator.fixture().tracking_id(),
        emulator.url()
    );

    let mut expected = BTreeSet::new();
    let mut new_visitor = None;
    for (who, cookie) in VISITORS {
        let answer = render_page_for(&client, who, cookie)?;
        expected.extend(
            answer
                .iter()
                .map(|e| (answer.context_id().to_owned(), e.id, e.variation_master_id)),
        );
        if answer.context_id_generated() {
            new_visitor = Some(answer);
        }
    }

    client
        .close(Duration::from_secs(5))
        .map_err(|err| format!("callbacks were not all delivered: {err}"))?;
    check_callbacks(&emulator, &expected)?;

    if let Some(answer) = new_visitor {
        print_cookie(&answer);
    }
    let stats = client.stats();
    println!(
        "\nStats: {} fetches, {} callbacks sent, {} failed, fetch p50 {} µs",
        stats.fetches, stats.callbacks_sent, stats.callbacks_failed, stats.latency_p50_us
    );
    Ok(())
}

/// What a server does for one page view: fetch, render, report exposures.
fn render_page_for(client: &Client, who: &str, cookie: Option<&str>) -> Result<Answer, String> {
    let query = Query {
        context_id: cookie.map(str::to_owned),
        ..Query::new()
    };
    let answer = client
        .get_experiences(&query)
        .map_err(|err| err.to_string())?;

    println!("{who}: {}", table::answer(&answer));
    for experience in &answer {
        client
            .shown_later(experience, answer.context_id())
            .map_err(|err| err.to_string())?;
    }
    Ok(answer)
}

/// Compares the callbacks the emulator recorded with the exposures sent.
fn check_callbacks(
    emulator: &Emulator,
    expected: &BTreeSet<(String, u64, u64)>,
) -> Result<(), String> {
    let mut arrived = BTreeSet::new();
    for callback in emulator.callbacks() {
        let decision = callback.decision.unwrap_or_default();
        let context_id = decision
            .get("ContextId")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let body: serde_json::Value = serde_json::from_str(&callback.body).unwrap_or_default();
        if body["id"] != context_id {
            return Err(format!(
                "callback body {} does not name {context_id}",
                callback.body
            ));
        }
        arrived.insert((
            context_id.to_owned(),
            decision
                .get("ExperienceId")
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
            decision
                .get("VariationMasterId")
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
        ));
    }

    if &arrived != expected {
        return Err(format!(
            "the emulator recorded {} callbacks, {} expected",
            arrived.len(),
            expected.len()
        ));
    }
    println!(
        "Callbacks: all {} exposures were recorded by the emulator, each with body {{\"id\": <context id>}}",
        arrived.len()
    );
    Ok(())
}

fn print_cookie(answer: &Answer) {
    let domain = cookie::cookie_domain_for_host(PAGE_HOST, answer.cookie_domains());
    println!(
        "\nThe new visitor's id {} was generated: the page response for {PAGE_HOST} sets\n  Set-Cookie: {}",
        answer.context_id(),
        cookie::set_cookie_header(answer.context_id(), domain.as_deref(), true)
    );
}
