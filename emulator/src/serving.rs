//! The serving model: which experiences, iterations and variations a
//! request gets. Pure functions of the fixture and the query; the HTTP
//! layer turns their result into an answer.

use crate::bucket::{bucket, choose};
use crate::fixture::{Experience, Fixture, Iteration, Status, Variation};
use crate::query::ExperiencesQuery;

/// One experience served to a visitor, with the decision behind it.
#[derive(Debug)]
pub(crate) struct Served<'a> {
    pub(crate) experience: &'a Experience,
    pub(crate) iteration: &'a Iteration,
    pub(crate) variation: &'a Variation,
    /// The bucket value, also reported when the variation was forced.
    pub(crate) probability: f64,
}

/// Selects what `query` serves to `context_id`, in fixture order.
///
/// Fails with a message for a 404 answer when `experienceIds` names an
/// experience that is unknown or archived.
pub(crate) fn serve<'a>(
    fixture: &'a Fixture,
    query: &ExperiencesQuery,
    context_id: &str,
) -> Result<Vec<Served<'a>>, String> {
    if let Some(ids) = &query.experience_ids {
        check_requested_ids(fixture, ids)?;
    }

    let requested = |experience: &Experience| {
        query
            .experience_ids
            .as_ref()
            .is_none_or(|ids| ids.contains(&experience.id))
    };

    let served = fixture
        .experiences
        .iter()
        .filter(|experience| requested(experience))
        .filter_map(|experience| {
            let iteration = current_iteration(experience, query.preview)?;
            if !query.ignore_segments && !qualifies(fixture, iteration, context_id) {
                return None;
            }

            let probability = bucket(&fixture.tracking_id, experience.id, context_id);
            let variation = match query.variation {
                Some(master_id) => iteration
                    .variations
                    .iter()
                    .find(|v| v.master_id == master_id)?,
                None => choose(&iteration.variations, probability),
            };
            Some(Served {
                experience,
                iteration,
                variation,
                probability,
            })
        })
        .collect();
    Ok(served)
}

fn check_requested_ids(fixture: &Fixture, ids: &[u64]) -> Result<(), String> {
    for id in ids {
        match fixture.experiences.iter().find(|e| e.id == *id) {
            None => return Err(format!("experience {id} does not exist")),
            Some(e) if e.status == Status::Archived => {
                return Err(format!("experience {id} is archived"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The iteration an experience is served from, if it is served at all:
/// normally the latest published iteration of a live experience; in preview
/// the latest unpublished one, else the latest published one, of a live or
/// paused experience.
fn current_iteration(experience: &Experience, preview: bool) -> Option<&Iteration> {
    let latest = |published: bool| {
        experience
            .iterations
            .iter()
            .rev()
            .find(|iteration| iteration.published == published)
    };

    match (experience.status, preview) {
        (Status::Live, false) => latest(true),
        (Status::Live | Status::Paused, true) => latest(false).or_else(|| latest(true)),
        _ => None,
    }
}

/// An iteration that targets no segment is for everyone; otherwise the
/// visitor must be in at least one of its segments.
fn qualifies(fixture: &Fixture, iteration: &Iteration, context_id: &str) -> bool {
    iteration.segments.is_empty()
        || fixture
            .segments
            .iter()
            .filter(|segment| iteration.segments.contains(&segment.id))
            .any(|segment| segment.context_ids.contains(context_id))
}
