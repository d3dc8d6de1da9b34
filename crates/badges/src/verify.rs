//! Verification of an Open Badges 3.0 credential, check by check, so that a failure says
//! which check failed: its form, its signature, its issuer, its validity period, and
//! whether it was revoked.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::keys::ResolvedMethod;
use crate::{jwt, proof};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed,
    /// Not checked, with the reason in the detail (e.g. the credential carries no status).
    Skipped,
}

impl Outcome {
    /// `passed`, `failed` or `skipped`, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `format`, `signature`, `issuer`, `validity` or `revocation`.
    pub check: &'static str,
    pub outcome: Outcome,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// True when no check failed.
    pub valid: bool,
    /// `data-integrity` (a JSON credential with an `eddsa-rdfc-2022` proof) or `vc-jwt`.
    pub format: &'static str,
    pub credential_id: Option<String>,
    pub issuer: Option<String>,
    pub issuer_name: Option<String>,
    pub achievement: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub checks: Vec<Check>,
}

impl Report {
    /// The first failed check, if any.
    pub fn failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.outcome == Outcome::Failed)
    }
}

/// What the issuer's own records say of a credential's status. Flywheel answers for its
/// own status lists from its database; it never fetches another issuer's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusAnswer {
    /// The status list is not one this Flywheel publishes.
    Unknown,
    Active,
    Revoked {
        at: DateTime<Utc>,
        reason: String,
    },
}

/// A credential's revocation entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRef {
    pub list: String,
    pub index: usize,
}

/// Flywheel's record of one of its own credentials that ended early (its campaign was
/// ended with "expire"): the signed `validUntil` cannot change, the record can.
pub type EndedEarly = Option<DateTime<Utc>>;

/// The context a verification runs in.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    /// This Flywheel's issuer id, to say "issued here".
    pub own_issuer: Option<&'a str>,
    pub status: &'a dyn Fn(&StatusRef) -> StatusAnswer,
    pub ended_early: &'a dyn Fn(&str) -> EndedEarly,
}

fn check(check: &'static str, outcome: Outcome, detail: impl Into<String>) -> Check {
    Check {
        check,
        outcome,
        detail: detail.into(),
    }
}

fn text<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    map.get(key).and_then(Value::as_str)
}

fn issuer_id(credential: &Map<String, Value>) -> Option<&str> {
    match credential.get("issuer")? {
        Value::String(id) => Some(id),
        Value::Object(profile) => text(profile, "id"),
        _ => None,
    }
}

fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Verifies `input`: a credential as JSON (Data Integrity proof) or as a VC-JWT.
pub fn verify(input: &str, ctx: &Context<'_>) -> Report {
    let trimmed = input.trim();
    let (format, parsed): (&'static str, Result<Signed, Check>) = if trimmed.starts_with('{') {
        ("data-integrity", verify_json(trimmed))
    } else {
        ("vc-jwt", verify_jwt(trimmed))
    };
    let mut report = Report {
        valid: false,
        format,
        credential_id: None,
        issuer: None,
        issuer_name: None,
        achievement: None,
        valid_from: None,
        valid_until: None,
        checks: Vec::new(),
    };
    let Signed {
        credential,
        signature,
        signer,
    } = match parsed {
        Ok(ok) => ok,
        Err(failed) => {
            // The document (or token) could not even be read as a credential.
            report.checks.push(failed);
            return report;
        }
    };
    report.credential_id = text(&credential, "id").map(str::to_owned);
    report.issuer = issuer_id(&credential).map(str::to_owned);
    report.issuer_name = credential
        .get("issuer")
        .and_then(Value::as_object)
        .and_then(|p| text(p, "name"))
        .map(str::to_owned);
    report.achievement = credential
        .get("credentialSubject")
        .and_then(|s| s.get("achievement"))
        .and_then(|a| a.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    report.valid_from = text(&credential, "validFrom").map(str::to_owned);
    report.valid_until = text(&credential, "validUntil").map(str::to_owned);
    report.checks.push(check(
        "format",
        Outcome::Passed,
        "an OpenBadgeCredential (VC data model 2.0)",
    ));
    report.checks.push(signature);
    report.checks.push(issuer_check(&credential, ctx, signer));
    report.checks.push(validity_check(&credential, ctx));
    report.checks.push(revocation_check(&credential, ctx));
    report.valid = report.failure().is_none();
    report
}

/// A credential read from its input, with the outcome of its signature check and, when
/// that passed, the key that signed it.
struct Signed {
    credential: Map<String, Value>,
    signature: Check,
    signer: Option<ResolvedMethod>,
}

fn form_check(credential: &Map<String, Value>) -> Result<(), Check> {
    let types: Vec<&str> = match credential.get("type") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(one)) => vec![one],
        _ => Vec::new(),
    };
    let fail = |detail: String| Err(check("format", Outcome::Failed, detail));
    if !types.contains(&"VerifiableCredential") {
        return fail("`type` does not include VerifiableCredential".into());
    }
    if !types.contains(&"OpenBadgeCredential") && !types.contains(&"AchievementCredential") {
        return fail("`type` does not include OpenBadgeCredential".into());
    }
    if issuer_id(credential).is_none() {
        return fail("`issuer` has no id".into());
    }
    if !credential
        .get("credentialSubject")
        .is_some_and(Value::is_object)
    {
        return fail("`credentialSubject` is missing".into());
    }
    Ok(())
}

fn verify_json(input: &str) -> Result<Signed, Check> {
    let value: Value = serde_json::from_str(input).map_err(|e| {
        check(
            "format",
            Outcome::Failed,
            format!("not JSON: {e} (line {}, column {})", e.line(), e.column()),
        )
    })?;
    let Value::Object(credential) = value.clone() else {
        return Err(check("format", Outcome::Failed, "not a JSON object"));
    };
    form_check(&credential)?;
    let (signature, signer) = match proof::verify(&value) {
        Ok(method) => {
            let detail = format!(
                "Data Integrity proof (eddsa-rdfc-2022) by {} verified over the RDF-canonicalized credential",
                key_name(&method)
            );
            (check("signature", Outcome::Passed, detail), Some(method))
        }
        Err(e) => (check("signature", Outcome::Failed, e.to_string()), None),
    };
    Ok(Signed {
        credential,
        signature,
        signer,
    })
}

fn verify_jwt(input: &str) -> Result<Signed, Check> {
    match jwt::verify(input) {
        Ok(verified) => {
            form_check(&verified.credential)?;
            let detail = format!(
                "VC-JWT (EdDSA) signature by {} verified",
                key_name(&verified.method)
            );
            Ok(Signed {
                credential: verified.credential,
                signature: check("signature", Outcome::Passed, detail),
                signer: Some(verified.method),
            })
        }
        Err(e @ (jwt::JwtError::Shape | jwt::JwtError::Encoding(_))) => Err(check(
            "format",
            Outcome::Failed,
            format!("neither a JSON credential nor a VC-JWT: {e}"),
        )),
        Err(e) => {
            // The signature failed, but the payload may still be readable for the report.
            let credential = jwt::peek(input).unwrap_or_default();
            form_check(&credential)?;
            Ok(Signed {
                credential,
                signature: check("signature", Outcome::Failed, e.to_string()),
                signer: None,
            })
        }
    }
}

fn key_name(method: &ResolvedMethod) -> String {
    let mk = method.key.multikey();
    format!("key {}…{}", &mk[..8], &mk[mk.len() - 4..])
}

fn issuer_check(
    credential: &Map<String, Value>,
    ctx: &Context<'_>,
    signer: Option<ResolvedMethod>,
) -> Check {
    let Some(issuer) = issuer_id(credential) else {
        return check("issuer", Outcome::Failed, "the credential names no issuer");
    };
    let Some(method) = signer else {
        return check(
            "issuer",
            Outcome::Skipped,
            "not checked: without a valid signature there is no signer to compare",
        );
    };
    if method.controller != issuer {
        return check(
            "issuer",
            Outcome::Failed,
            format!(
                "signed by a key of {}, but the credential says its issuer is {issuer}",
                method.controller
            ),
        );
    }
    let how = if ctx.own_issuer == Some(issuer) {
        "this Flywheel's own issuer (did:key)"
    } else if method.self_certifying {
        "a did:key, so the key is the identifier"
    } else {
        "the key is named under the issuer's id (its fragment is the key); Flywheel does not fetch remote key documents"
    };
    check(
        "issuer",
        Outcome::Passed,
        format!("signed by {issuer}: {how}"),
    )
}

fn validity_check(credential: &Map<String, Value>, ctx: &Context<'_>) -> Check {
    let fmt = |t: DateTime<Utc>| crate::xsd_datetime(t);
    let time = |key: &str| -> Result<Option<DateTime<Utc>>, Check> {
        match text(credential, key) {
            None => Ok(None),
            Some(raw) => parse_time(raw).map(Some).ok_or_else(|| {
                check(
                    "validity",
                    Outcome::Failed,
                    format!("`{key}` is `{raw}`, not an XML Schema dateTime"),
                )
            }),
        }
    };
    let (from, until) = match (time("validFrom"), time("validUntil")) {
        (Ok(f), Ok(u)) => (f, u),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    if let Some(from) = from.filter(|f| *f > ctx.now) {
        return check(
            "validity",
            Outcome::Failed,
            format!("not valid until {}", fmt(from)),
        );
    }
    if let Some(until) = until.filter(|u| *u <= ctx.now) {
        return check(
            "validity",
            Outcome::Failed,
            format!("expired on {}", fmt(until)),
        );
    }
    if let Some(ended) = text(credential, "id").and_then(|id| (ctx.ended_early)(id)) {
        if ended <= ctx.now {
            return check(
                "validity",
                Outcome::Failed,
                format!("expired on {}: its campaign ended", fmt(ended)),
            );
        }
    }
    let detail = match until {
        Some(u) => format!("valid until {}", fmt(u)),
        None => "no expiry date".to_owned(),
    };
    check("validity", Outcome::Passed, detail)
}

fn revocation_check(credential: &Map<String, Value>, ctx: &Context<'_>) -> Check {
    let entries: Vec<&Value> = match credential.get("credentialStatus") {
        None => {
            return check(
                "revocation",
                Outcome::Skipped,
                "the credential carries no status, so it cannot be revoked",
            )
        }
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    for entry in entries {
        let field = |k: &str| entry.get(k).and_then(Value::as_str);
        if field("type") != Some("BitstringStatusListEntry")
            || field("statusPurpose") != Some("revocation")
        {
            continue;
        }
        let (Some(list), Some(index)) = (
            field("statusListCredential"),
            field("statusListIndex").and_then(|i| i.parse::<usize>().ok()),
        ) else {
            return check(
                "revocation",
                Outcome::Failed,
                "`credentialStatus` lacks statusListCredential or a numeric statusListIndex",
            );
        };
        let answer = (ctx.status)(&StatusRef {
            list: list.to_owned(),
            index,
        });
        return match answer {
            StatusAnswer::Active => check(
                "revocation",
                Outcome::Passed,
                format!("not revoked (entry {index} of {list})"),
            ),
            StatusAnswer::Revoked { at, reason } => check(
                "revocation",
                Outcome::Failed,
                format!("revoked on {}: {reason}", crate::xsd_datetime(at)),
            ),
            StatusAnswer::Unknown => check(
                "revocation",
                Outcome::Skipped,
                format!("the status list {list} is another issuer's; Flywheel does not fetch it"),
            ),
        };
    }
    check(
        "revocation",
        Outcome::Skipped,
        "no revocation entry Flywheel understands (BitstringStatusListEntry)",
    )
}
