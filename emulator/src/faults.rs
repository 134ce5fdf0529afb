//! Faults that tests switch on to see how a client copes with a bad server.
//!
//! On the wire (`PUT /_emulator/faults`) a fault is a flat JSON object:
//! `{"on": "experiences", "times": 2, "kind": "status", "status": 503,
//! "retryAfter": 1}`. The fields a kind takes are listed on [`FaultKind`].

use serde::{Deserialize, Serialize};

/// The longest latency or trickle interval accepted: ten minutes.
const MAX_WAIT_MS: u64 = 600_000;

/// The largest oversize body accepted: 1 GiB (it is streamed, not held).
const MAX_OVERSIZE_BYTES: u64 = 1 << 30;

/// The smallest oversize body: the JSON skeleton with an empty padding.
pub(crate) const MIN_OVERSIZE_BYTES: u64 = OVERSIZE_HEAD.len() as u64 + OVERSIZE_TAIL.len() as u64;

/// An oversize body is `OVERSIZE_HEAD`, spaces, then `OVERSIZE_TAIL`.
pub(crate) const OVERSIZE_HEAD: &str = r#"{"experiencePayloads":[],"padding":""#;
/// See [`OVERSIZE_HEAD`].
pub(crate) const OVERSIZE_TAIL: &str = r#""}"#;

/// A fault: which requests it affects, how many times, and what it does.
///
/// Serialized as the flat JSON object of the control API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FaultSpec", into = "FaultSpec")]
pub struct Fault {
    /// Which API requests it affects.
    pub on: FaultTarget,
    /// How many matching requests it affects before it is used up; `None`
    /// affects them all until the faults are cleared. `Some(0)` is used up.
    pub times: Option<u32>,
    /// What it does to a request.
    pub kind: FaultKind,
}

/// Which API requests a fault affects. Control endpoints never are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultTarget {
    /// `GET /v1/{trackingId}/experiences`.
    Experiences,
    /// `POST /v1/callback`.
    Callback,
    /// Every request that is not a control request (the default).
    #[default]
    Any,
}

/// What a fault does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// `"latency"`, `"ms"`: waits that long, then answers normally.
    Latency {
        /// Milliseconds to wait before answering, at most 600000.
        ms: u64,
    },
    /// `"status"`, `"status"`, `"retryAfter"`?, `"body"`?: answers that status.
    Status {
        /// The status, 200 to 599.
        status: u16,
        /// Seconds, sent as a `Retry-After` header.
        retry_after: Option<u64>,
        /// A `text/plain` body; no body when `None`.
        body: Option<String>,
    },
    /// `"malformed"`: answers 200 with a body that is not JSON.
    Malformed,
    /// `"truncated"`: answers 200 with the first half of the normal body and
    /// a `Content-Length` of the whole, then closes the connection.
    Truncated,
    /// `"drop"`: closes the connection without answering.
    Drop,
    /// `"trickle"`, `"intervalMs"`, `"bytes"`?: the normal answer, its body
    /// sent `bytes` (default 1) at a time with a pause before each write but
    /// the first.
    Trickle {
        /// Milliseconds between writes, at most 600000.
        interval_ms: u64,
        /// Bytes per write, at least 1.
        bytes: u64,
    },
    /// `"oversize"`, `"bytes"`: answers 200 with a valid JSON body of exactly
    /// that many bytes (an empty `experiencePayloads` and a `padding` string).
    Oversize {
        /// Body size, from the 38-byte skeleton up to 1 GiB.
        bytes: u64,
    },
}

impl Fault {
    /// Whether this fault affects a request of `kind`. A fault built in Rust
    /// with `times: Some(0)` is taken as used up.
    pub(crate) fn applies_to(&self, kind: FaultTarget) -> bool {
        (self.on == FaultTarget::Any || self.on == kind) && self.times != Some(0)
    }
}

/// Takes the fault for a request of `kind`: the first in `faults` that
/// applies, using up one of its `times` (a used-up fault is removed).
pub(crate) fn take(faults: &mut Vec<Fault>, kind: FaultTarget) -> Option<FaultKind> {
    let index = faults.iter().position(|fault| fault.applies_to(kind))?;
    let fault = &mut faults[index];
    let taken = fault.kind.clone();

    if let Some(times) = &mut fault.times {
        *times = times.saturating_sub(1);
        if *times == 0 {
            faults.remove(index);
        }
    }
    Some(taken)
}

/// The kinds' names on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum KindName {
    Latency,
    Status,
    Malformed,
    Truncated,
    Drop,
    Trickle,
    Oversize,
}

impl KindName {
    fn as_str(self) -> &'static str {
        match self {
            KindName::Latency => "latency",
            KindName::Status => "status",
            KindName::Malformed => "malformed",
            KindName::Truncated => "truncated",
            KindName::Drop => "drop",
            KindName::Trickle => "trickle",
            KindName::Oversize => "oversize",
        }
    }
}

/// The flat wire form of a [`Fault`].
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FaultSpec {
    #[serde(default)]
    on: FaultTarget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u32>,
    kind: Option<KindName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    fn try_from(spec: FaultSpec) -> Result<Fault, String> {
        if spec.times == Some(0) {
            return Err("`times` must be at least 1 (leave it out for no limit)".into());
        }
        let name = spec.kind.ok_or("a fault needs a `kind`")?;
        let kind = kind_from_spec(name, &spec)?;

        let allowed: &[&str] = match name {
            KindName::Latency => &["ms"],
            KindName::Status => &["status", "retryAfter", "body"],
            KindName::Trickle => &["intervalMs", "bytes"],
            KindName::Oversize => &["bytes"],
            KindName::Malformed | KindName::Truncated | KindName::Drop => &[],
        };
        let given = [
            ("ms", spec.ms.is_some()),
            ("status", spec.status.is_some()),
            ("retryAfter", spec.retry_after.is_some()),
            ("body", spec.body.is_some()),
            ("intervalMs", spec.interval_ms.is_some()),
            ("bytes", spec.bytes.is_some()),
        ];
        if let Some((field, _)) = given.iter().find(|(f, set)| *set && !allowed.contains(f)) {
            return Err(format!("a {} fault takes no `{field}`", name.as_str()));
        }

        Ok(Fault {
            on: spec.on,
            times: spec.times,
            kind,
        })
    }
}

fn kind_from_spec(name: KindName, spec: &FaultSpec) -> Result<FaultKind, String> {
    let needs = |value: Option<u64>, field: &str| {
        value.ok_or_else(|| format!("a {} fault needs `{field}`", name.as_str()))
    };
    let at_most = |value: u64, max: u64, field: &str| {
        if value <= max {
            Ok(value)
        } else {
            Err(format!("`{field}` is {value}, more than the {max} allowed"))
        }
    };

    Ok(match name {
        KindName::Latency => FaultKind::Latency {
            ms: at_most(needs(spec.ms, "ms")?, MAX_WAIT_MS, "ms")?,
        },
        KindName::Status => {
            let status = needs(spec.status.map(u64::from), "status")?;
            if !(200..=599).contains(&status) {
                return Err(format!("`status` {status} is not between 200 and 599"));
            }
            FaultKind::Status {
                status: status as u16,
                retry_after: spec.retry_after,
                body: spec.body.clone(),
            }
        }
        KindName::Malformed => FaultKind::Malformed,
        KindName::Truncated => FaultKind::Truncated,
        KindName::Drop => FaultKind::Drop,
        KindName::Trickle => {
            let bytes = spec.bytes.unwrap_or(1);
            if bytes == 0 {
                return Err("`bytes` of a trickle fault must be at least 1".into());
            }
            FaultKind::Trickle {
                interval_ms: at_most(
                    needs(spec.interval_ms, "intervalMs")?,
                    MAX_WAIT_MS,
                    "intervalMs",
                )?,
                bytes,
            }
        }
        KindName::Oversize => {
            let bytes = at_most(needs(spec.bytes, "bytes")?, MAX_OVERSIZE_BYTES, "bytes")?;
            if bytes < MIN_OVERSIZE_BYTES {
                return Err(format!(
                    "`bytes` of an oversize fault must be at least {MIN_OVERSIZE_BYTES}"
                ));
            }
            FaultKind::Oversize { bytes }
        }
    })
}

impl From<Fault> for FaultSpec {
    fn from(fault: Fault) -> FaultSpec {
        let base = FaultSpec {
            on: fault.on,
            times: fault.times,
            ..FaultSpec::default()
        };
        match fault.kind {
            FaultKind::Latency { ms } => FaultSpec {
                kind: Some(KindName::Latency),
                ms: Some(ms),
                ..base
            },
            FaultKind::Status {
                status,
                retry_after,
                body,
            } => FaultSpec {
                kind: Some(KindName::Status),
                status: Some(status),
                retry_after,
                body,
                ..base
            },
            FaultKind::Malformed => FaultSpec {
                kind: Some(KindName::Malformed),
                ..base
            },
            FaultKind::Truncated => FaultSpec {
                kind: Some(KindName::Truncated),
                ..base
            },
            FaultKind::Drop => FaultSpec {
                kind: Some(KindName::Drop),
                ..base
            },
            FaultKind::Trickle { interval_ms, bytes } => FaultSpec {
                kind: Some(KindName::Trickle),
                interval_ms: Some(interval_ms),
                bytes: Some(bytes),
                ..base
            },
            FaultKind::Oversize { bytes } => FaultSpec {
                kind: Some(KindName::Oversize),
                bytes: Some(bytes),
                ..base
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Fault, String> {
        serde_json::from_str(json).map_err(|err| err.to_string())
    }

    #[test]
    fn wire_form_round_trips() {
        let json = r#"{"on":"experiences","times":2,"kind":"status","status":503,"retryAfter":1}"#;

        let fault = parse(json).unwrap();

        assert_eq!(
            fault,
            Fault {
                on: FaultTarget::Experiences,
                times: Some(2),
                kind: FaultKind::Status {
                    status: 503,
                    retry_after: Some(1),
                    body: None
                }
            }
        );
        assert_eq!(serde_json::to_string(&fault).unwrap(), json);
    }

    #[test]
    fn defaults_are_any_and_one_byte_writes() {
        let fault = parse(r#"{"kind":"trickle","intervalMs":5}"#).unwrap();

        assert_eq!(fault.on, FaultTarget::Any);
        assert_eq!(fault.times, None);
        assert_eq!(
            fault.kind,
            FaultKind::Trickle {
                interval_ms: 5,
                bytes: 1
            }
        );
    }

    #[test]
    fn bad_faults_say_what_is_wrong() {
        let cases = [
            (r#"{"kind":"latency"}"#, "a latency fault needs `ms`"),
            (r#"{"kind":"drop","ms":3}"#, "a drop fault takes no `ms`"),
            (
                r#"{"kind":"status","status":99}"#,
                "`status` 99 is not between 200 and 599",
            ),
            (r#"{"kind":"oversize","bytes":3}"#, "must be at least 38"),
            (r#"{"kind":"drop","times":0}"#, "`times` must be at least 1"),
            (r#"{"kind":"explode"}"#, "unknown variant `explode`"),
            (r#"{"kind":"drop","when":1}"#, "unknown field `when`"),
            (r#"{"on":"callback"}"#, "a fault needs a `kind`"),
        ];
        for (json, expected) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }

    #[test]
    fn first_matching_fault_is_used_up() {
        let mut faults = vec![
            Fault {
                on: FaultTarget::Callback,
                times: None,
                kind: FaultKind::Drop,
            },
            Fault {
                on: FaultTarget::Any,
                times: Some(2),
                kind: FaultKind::Malformed,
            },
        ];

        assert_eq!(
            take(&mut faults, FaultTarget::Experiences),
            Some(FaultKind::Malformed)
        );
        assert_eq!(faults[1].times, Some(1));
        assert_eq!(
            take(&mut faults, FaultTarget::Callback),
            Some(FaultKind::Drop)
        );
        assert_eq!(
            take(&mut faults, FaultTarget::Experiences),
            Some(FaultKind::Malformed)
        );
        assert_eq!(faults.len(), 1);
        assert_eq!(take(&mut faults, FaultTarget::Experiences), None);
    }
}
