//! # qubit-experiences
//!
//! A blocking client of Qubit's Server Experiences API. A server asks which
//! experiences a visitor (a context id, usually the `_qubitTracker` cookie)
//! is bucketed into, renders the page with each experience's payload, sets
//! the cookie when the service generated the id, and reports each
//! experience it shows through its callback URL.
//!
//! ```no_run
//! use qubit_experiences::{Client, Query};
//!
//! let client = Client::new("retail_shop")?;
//! let answer = client.get_experiences(&Query::new().context_id("q8eltsc1e34-0k72y37kj-jaaa50x"))?;
//! for experience in &answer {
//!     println!("{} -> variation {}: {}", experience.id, experience.variation_master_id,
//!              experience.payload.as_json());
//!     client.shown_later(experience, answer.context_id())?;
//! }
//! # Ok::<(), qubit_experiences::Error>(())
//! ```
//!
//! Every call is bounded by the client's timeout, failures are one typed
//! [`Error`] with stable [`ErrorCode`]s shared by every language binding,
//! and the library never prints: it logs through the `log` facade.

mod answer;
mod cache;
pub mod callback_data;
mod callback_policy;
mod client;
pub mod context_id;
pub mod cookie;
mod deliveries;
mod error;
mod process_local;
mod query;
mod retry;
mod stats;
mod transport;

pub use answer::{Answer, AnswerSource, Experience, MAX_PAYLOAD_DEPTH, Payload};
pub use cache::CacheOptions;
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_DEDUP_MAX_ENTRIES, MAX_CACHE_ENTRIES,
    MAX_CALLBACK_WORKERS, MAX_DEDUP_ENTRIES, MAX_QUEUE_CAPACITY, VERSION,
};
pub use error::{BODY_EXCERPT_LIMIT, Error, ErrorCode};
pub use query::{ExperienceFilter, Query};
pub use stats::Stats;

/// The README's Rust example, compiled as a doctest so it cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExample;
