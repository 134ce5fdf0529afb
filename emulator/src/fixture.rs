//! Fixtures: the property an emulator serves, read from JSON and checked.
//!
//! The format is described in `docs/emulator.md` and by the JSON Schema in
//! `emulator/fixture.schema.json`. Reading is strict (unknown fields are
//! errors) and followed by semantic checks, so a fixture that loads is one
//! the serving model can use without further checks.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;

/// How far an iteration's allocations may stray from a sum of 1.
const ALLOCATION_TOLERANCE: f64 = 1e-9;

/// The shipped retail sample, see [`Fixture::sample`].
const SAMPLE_JSON: &str = include_str!("../fixtures/retail.json");

/// One property: its tracking id, cookie domains, segments and experiences.
///
/// Built by [`Fixture::from_json`], [`Fixture::load`] or [`Fixture::sample`],
/// which all check it; immutable afterwards.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fixture {
    pub(crate) tracking_id: String,
    #[serde(default)]
    pub(crate) cookie_domains: Vec<String>,
    #[serde(default)]
    pub(crate) segments: Vec<Segment>,
    pub(crate) experiences: Vec<Experience>,
}

/// A named set of context ids.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Segment {
    pub(crate) id: String,
    pub(crate) context_ids: HashSet<String>,
}

/// Whether an experience is served, served in preview only, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Live,
    Paused,
    Archived,
}

/// An experience and its iterations, oldest first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Experience {
    pub(crate) id: u64,
    #[allow(dead_code, reason = "kept for people reading fixtures and logs")]
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) iterations: Vec<Iteration>,
}

/// One version of an experience: its targeting and its variations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Iteration {
    pub(crate) id: u64,
    pub(crate) published: bool,
    #[serde(default)]
    pub(crate) segments: Vec<String>,
    pub(crate) variations: Vec<Variation>,
}

/// One arm of an iteration, with its share of traffic and its payload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Variation {
    pub(crate) id: u64,
    pub(crate) master_id: u64,
    pub(crate) is_control: bool,
    pub(crate) allocation: f64,
    /// Kept as the exact bytes of the fixture, so big integers and any
    /// escaping reach the wire unchanged.
    pub(crate) payload: Box<RawValue>,
}

/// Why a fixture could not be used: where (file and JSON path) and what.
///
/// Displays as `FILE: at JSON.PATH: WHAT IS WRONG`, with `fixture` for the
/// file when the JSON did not come from one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    file: Option<PathBuf>,
    json_path: String,
    message: String,
}

impl FixtureError {
    fn new(json_path: impl Into<String>, message: impl Into<String>) -> FixtureError {
        FixtureError {
            file: None,
            json_path: json_path.into(),
            message: message.into(),
        }
    }

    /// The file the fixture was read from, if it came from one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Where in the JSON the problem is, as `experiences[0].iterations[1].id`;
    /// `.` for the document as a whole.
    pub fn json_path(&self) -> &str {
        &self.json_path
    }

    /// What is wrong, in a short lowercase sentence.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}", file.display())?,
            None => write!(f, "fixture")?,
        }
        write!(f, ": at {}: {}", self.json_path, self.message)
    }
}

impl std::error::Error for FixtureError {}

impl Fixture {
    /// Reads and checks a fixture from JSON text. No I/O.
    ///
    /// Fails when the JSON does not match the format (unknown or missing
    /// fields, wrong types) or breaks a rule of the model: see
    /// `docs/emulator.md` for the list.
    pub fn from_json(text: &str) -> Result<Fixture, FixtureError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let fixture: Fixture = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|err| FixtureError::new(json_path_of(err.path()), err.inner().to_string()))?;
        deserializer
            .end()
            .map_err(|err| FixtureError::new(".", err.to_string()))?;

        fixture.check()?;
        Ok(fixture)
    }

    /// Reads and checks a fixture file. Blocks on reading the file.
    ///
    /// Fails as [`Fixture::from_json`] does, or when the file cannot be read;
    /// the error names the file either way.
    pub fn load(path: &Path) -> Result<Fixture, FixtureError> {
        let in_file = |mut err: FixtureError| {
            err.file = Some(path.to_path_buf());
            err
        };

        let text = std::fs::read_to_string(path)
            .map_err(|err| in_file(FixtureError::new(".", format!("cannot read: {err}"))))?;
        Fixture::from_json(&text).map_err(in_file)
    }

    /// The shipped retail sample (`emulator/fixtures/retail.json`, compiled
    /// in). No I/O; cannot fail, as the crate's tests check the sample.
    pub fn sample() -> Fixture {
        Fixture::from_json(SAMPLE_JSON).expect("the shipped sample fixture is valid")
    }

    /// The property's tracking id, the first path segment of the API.
    pub fn tracking_id(&self) -> &str {
        &self.tracking_id
    }

    /// The property's cookie domains, as answered to every request.
    pub fn cookie_domains(&self) -> &[String] {
        &self.cookie_domains
    }

    /// Checks the rules that the JSON shape cannot express.
    fn check(&self) -> Result<(), FixtureError> {
        check_tracking_id(&self.tracking_id)?;

        let mut segment_ids = HashSet::new();
        for (index, segment) in self.segments.iter().enumerate() {
            if !segment_ids.insert(segment.id.as_str()) {
                return Err(FixtureError::new(
                    format!("segments[{index}].id"),
                    format!("duplicate segment id {:?}", segment.id),
                ));
            }
        }

        let mut experience_ids = HashMap::new();
        let mut iteration_ids = HashMap::new();
        let mut variation_ids = HashMap::new();
        for (e, experience) in self.experiences.iter().enumerate() {
            let at = format!("experiences[{e}]");
            first_use(&mut experience_ids, experience.id, &at, "experience")?;

            for (i, iteration) in experience.iterations.iter().enumerate() {
                let at = format!("{at}.iterations[{i}]");
                first_use(&mut iteration_ids, iteration.id, &at, "iteration")?;
                check_iteration(iteration, &at, &segment_ids, &mut variation_ids)?;
            }
        }
        Ok(())
    }
}

/// Tracking ids go into URL paths unescaped, so they are held to the
/// characters that never need escaping.
fn check_tracking_id(tracking_id: &str) -> Result<(), FixtureError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._~-".contains(c);
    if tracking_id.is_empty() || !tracking_id.chars().all(allowed) {
        return Err(FixtureError::new(
            "trackingId",
            format!(
                "tracking id {tracking_id:?} must be non-empty and use only A-Z a-z 0-9 . _ ~ -"
            ),
        ));
    }
    Ok(())
}

fn check_iteration(
    iteration: &Iteration,
    at: &str,
    segment_ids: &HashSet<&str>,
    variation_ids: &mut HashMap<u64, String>,
) -> Result<(), FixtureError> {
    for (s, segment) in iteration.segments.iter().enumerate() {
        if !segment_ids.contains(segment.as_str()) {
            return Err(FixtureError::new(
                format!("{at}.segments[{s}]"),
                format!("unknown segment {segment:?}"),
            ));
        }
    }

    if iteration.variations.is_empty() {
        return Err(FixtureError::new(
            format!("{at}.variations"),
            "an iteration needs at least one variation",
        ));
    }

    let mut master_ids = HashMap::new();
    let mut total = 0.0;
    for (v, variation) in iteration.variations.iter().enumerate() {
        let at = format!("{at}.variations[{v}]");
        first_use(variation_ids, variation.id, &at, "variation")?;
        if let Some(first) = master_ids.insert(variation.master_id, at.clone()) {
            return Err(FixtureError::new(
                format!("{at}.masterId"),
                format!(
                    "duplicate master id {} in one iteration (first at {first})",
                    variation.master_id
                ),
            ));
        }
        if !(0.0..=1.0).contains(&variation.allocation) {
            return Err(FixtureError::new(
                format!("{at}.allocation"),
                format!("allocation {} is outside [0, 1]", variation.allocation),
            ));
        }
        if !variation.payload.get().starts_with('{') {
            return Err(FixtureError::new(
                format!("{at}.payload"),
                "payload must be a JSON object",
            ));
        }
        total += variation.allocation;
    }

    if (total - 1.0).abs() > ALLOCATION_TOLERANCE {
        return Err(FixtureError::new(
            format!("{at}.variations"),
            format!("allocations add up to {total}, not 1"),
        ));
    }
    Ok(())
}

/// Records where an id was first used; an id seen before is an error.
fn first_use(
    seen: &mut HashMap<u64, String>,
    id: u64,
    at: &str,
    what: &str,
) -> Result<(), FixtureError> {
    match seen.insert(id, at.to_string()) {
        Some(first) => Err(FixtureError::new(
            format!("{at}.id"),
            format!("duplicate {what} id {id} (first at {first})"),
        )),
        None => Ok(()),
    }
}

/// Formats a serde path as `a.b[0].c`, `.` when empty.
fn json_path_of(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key }
            | serde_path_to_error::Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            // Where serde cannot tell (say, a syntax error), say nothing.
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    if out.is_empty() { ".".to_string() } else { out }
}
