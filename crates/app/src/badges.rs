//! Awarding and verifying badges: the glue between the store's records and the credential
//! logic of `flywheel-badges`. Every front door issues through here, so that a badge
//! issued from the web, the CLI or chat is the same credential.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use flywheel_badges::credential::{self, Achievement, Evidence, Issuer};
use flywheel_badges::criteria::{self, Criteria, Facts, Unmet};
use flywheel_badges::keys::IssuerKey;
use flywheel_badges::status::{self, StatusList, MIN_BITS};
use flywheel_badges::verify::{self, Context, Report, StatusAnswer, StatusRef};
use flywheel_badges::{jwt, proof, xsd_datetime};
use flywheel_store::{
    random_token, AwardRow, BadgeClass, IssuerRow, NewAward, Store, StoreError, User,
};
use serde_json::Value;

use crate::{AppError, AppResult};

/// The issuer in force, with its signing key.
#[derive(Clone, Debug)]
pub struct Signer {
    pub key: IssuerKey,
    pub issuer: Issuer,
}

fn seed_of(hex: &str) -> Result<[u8; 32], StoreError> {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .filter_map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect();
    bytes
        .try_into()
        .map_err(|_| StoreError::Invalid("the stored issuer seed is not 32 bytes of hex".into()))
}

/// The issuer key of a seed given as 64 hex digits.
pub fn key_of_hex(seed_hex: &str) -> Result<IssuerKey, StoreError> {
    Ok(IssuerKey::from_seed(seed_of(seed_hex)?))
}

/// The issuer's name and address until `flywheel badges issuer` says otherwise.
pub const DEFAULT_ISSUER_NAME: &str = "Flywheel AI program";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The issuer in force, created with the defaults on first use.
pub async fn default_signer(store: &Store) -> Result<Signer, StoreError> {
    signer(store, DEFAULT_ISSUER_NAME, DEFAULT_PUBLIC_URL).await
}

/// The issuer, created on first use with a fresh key, the given name and public URL.
pub async fn signer(
    store: &Store,
    default_name: &str,
    default_url: &str,
) -> Result<Signer, StoreError> {
    let row = match store.issuer().await? {
        Some(row) => row,
        None => {
            let seed_hex = random_token();
            let key = IssuerKey::from_seed(seed_of(&seed_hex)?);
            store
                .create_issuer(&IssuerRow {
                    name: default_name.to_owned(),
                    url: default_url.trim_end_matches('/').to_owned(),
                    seed: seed_hex,
                    did: key.public().did(),
                })
                .await?
        }
    };
    let key = IssuerKey::from_seed(seed_of(&store.read_key(&row.did)?)?);
    if key.public().did() != row.did {
        return Err(StoreError::Config(format!(
            "the key file for {} in {} holds another key",
            row.did,
            store.key_dir().display()
        )));
    }
    Ok(Signer {
        issuer: Issuer {
            name: row.name,
            url: row.url,
            key: key.public(),
        },
        key,
    })
}

fn uuid_v4() -> String {
    let mut hex: Vec<char> = random_token().chars().take(32).collect();
    hex[12] = '4';
    // The variant: 10xx.
    hex[16] = ['8', '9', 'a', 'b'][hex[16].to_digit(16).unwrap_or(0) as usize % 4];
    let s: String = hex.into_iter().collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &s[0..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

/// The status list credential URL of list number `n` (lists hold [`MIN_BITS`] entries).
pub fn status_list_url(signer: &Signer, n: i64) -> String {
    format!("{}/api/v1/credentials/status/{n}", signer.issuer.url)
}

async fn facts(store: &Store, user: &User) -> Result<Facts, StoreError> {
    let now = xsd_datetime(Utc::now());
    Ok(Facts {
        completed_courses: store
            .completed_courses(user.id)
            .await?
            .into_iter()
            .collect(),
        verified_wins: {
            let mut ids: Vec<i64> = store
                .verified_wins(user)
                .await?
                .iter()
                .map(|v| v.win_id)
                .collect();
            ids.dedup();
            ids
        },
        held: store
            .awards_of(user.id)
            .await?
            .into_iter()
            .filter(|a| a.state(&now) == "active")
            .map(|a| a.badge)
            .collect(),
    })
}

fn criteria_of(badge: &BadgeClass) -> Criteria {
    Criteria {
        courses: badge.courses.clone(),
        wins: usize::try_from(badge.wins).unwrap_or_default(),
        requires: badge.requires.clone(),
    }
}

/// Whether the user has earned the badge: the evidence win, or what is missing.
pub async fn evaluate(
    store: &Store,
    badge: &BadgeClass,
    user: &User,
) -> Result<Result<Vec<i64>, Vec<Unmet>>, StoreError> {
    Ok(criteria::evaluate(
        &criteria_of(badge),
        &facts(store, user).await?,
    ))
}

fn end_of_day(date: &str) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| t.and_utc())
}

/// Issues the badge to the user if they have earned it (and do not hold it): builds the
/// Open Badges credential, signs it both ways, stores it. Audited.
pub async fn issue(
    store: &Store,
    signer: &Signer,
    badge: &BadgeClass,
    user: &User,
    by: Option<i64>,
) -> AppResult<AwardRow> {
    let wins = evaluate(store, badge, user)
        .await?
        .map_err(AppError::NotEarned)?;
    if let Some(c) = &badge.campaign {
        if c.ended_at.is_some() {
            return Err(AppError::Conflict(format!(
                "the campaign `{}` has ended",
                c.slug
            )));
        }
    }
    let now = Utc::now();
    let mut valid_until = badge.valid_days.map(|d| now + Duration::days(d));
    if let Some(end) = badge
        .campaign
        .as_ref()
        .and_then(|c| c.ends_on.as_deref())
        .and_then(end_of_day)
    {
        valid_until = Some(valid_until.map_or(end, |v| v.min(end)));
    }
    let mut evidence = Vec::new();
    for &win_id in &wins {
        let v = store.win_verifications(win_id).await?;
        let Some(first) = v.first() else { continue };
        evidence.push(Evidence {
            id: Some(format!("{}/wins/{win_id}", signer.issuer.url)),
            name: first.win_title.clone(),
            narrative: format!(
                "Verified by a {} on {}: {}",
                first.as_role,
                first.at.get(..10).unwrap_or(&first.at),
                first.evidence
            ),
        });
    }
    let uuid = uuid_v4();
    let issued_at = xsd_datetime(now);
    let until_text = valid_until.map(xsd_datetime);
    let criteria_text = if badge.criteria.trim().is_empty() {
        criteria::evaluate(&criteria_of(badge), &Facts::default())
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        badge.criteria.clone()
    };
    let award = credential::Award {
        id: uuid.clone(),
        achievement: Achievement {
            id: format!("{}/badges/{}", signer.issuer.url, badge.slug),
            name: badge.name.clone(),
            description: badge.description.clone(),
            criteria: criteria_text,
            tier: badge.tier.clone(),
        },
        email: user.email.clone(),
        salt: random_token()[..16].to_owned(),
        valid_from: now,
        valid_until,
        evidence,
        status: None,
    };
    let row = store
        .insert_award(
            &NewAward {
                uuid: &uuid,
                badge_id: badge.id,
                user_id: user.id,
                issued_at: &issued_at,
                valid_until: until_text.as_deref(),
                win_id: wins.first().copied(),
            },
            by,
            |index| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
                let mut award = award;
                let list = index / MIN_BITS as i64 + 1;
                award.status = Some((
                    status_list_url(signer, list),
                    (index % MIN_BITS as i64) as usize,
                ));
                let unsigned = credential::build(&signer.issuer, &award);
                let signed = proof::sign(&unsigned, &signer.key, now)?;
                let token = jwt::sign(&unsigned, &signer.key)?;
                let pretty = serde_json::to_string_pretty(&signed)?;
                Ok((pretty, token))
            },
        )
        .await?;
    Ok(row)
}

/// Issues every badge the user has newly earned, lower tiers first (so earning an Explorer
/// can complete a Practitioner in the same pass). Returns the new awards.
pub async fn award_earned(store: &Store, signer: &Signer, user: &User) -> AppResult<Vec<AwardRow>> {
    let badges = store.badge_classes().await?;
    let requires = badges
        .iter()
        .map(|b| (b.slug.clone(), b.requires.clone()))
        .collect();
    let order = criteria::tier_order(&requires).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut new = Vec::new();
    for slug in order {
        let Some(badge) = badges.iter().find(|b| b.slug == slug) else {
            continue;
        };
        let held = facts(store, user).await?.held.contains(&slug);
        if held
            || badge
                .campaign
                .as_ref()
                .is_some_and(|c| c.ended_at.is_some())
        {
            continue;
        }
        match issue(store, signer, badge, user, None).await {
            Ok(row) => new.push(row),
            // A concurrent request (the same course finished twice at once) awarded it
            // first: the user holds it, which is what this call wanted.
            Err(
                AppError::NotEarned(_)
                | AppError::Conflict(_)
                | AppError::Store(StoreError::Conflict(_)),
            ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(new)
}

/// Verifies a credential (JSON or VC-JWT), answering revocation and early ends of this
/// Flywheel's own credentials from the database.
pub async fn verify_credential(store: &Store, input: &str) -> Result<Report, StoreError> {
    let issuer = store.issuer().await?;
    // Gather what the verifier may ask about before running it (it is synchronous).
    let mut own: Option<(String, AwardRow)> = None;
    if let Some(issuer) = &issuer {
        let claimed = peek_status(input);
        if let Some((list_url, index)) = claimed {
            let prefix = format!("{}/api/v1/credentials/status/", issuer.url);
            if let Some(n) = list_url
                .strip_prefix(&prefix)
                .and_then(|n| n.parse::<i64>().ok())
            {
                let global = (n - 1) * MIN_BITS as i64 + index as i64;
                if let Some(row) = store.award_by_status_index(global).await? {
                    own = Some((list_url, row));
                }
            }
        }
    }
    // Any key this issuer ever signed with is its own (a rotation retires a key for new
    // credentials, not for the ones it signed).
    let ours = store.issuer_keys().await?;
    let claimed = peek_issuer(input);
    let own_did = match (&issuer, claimed) {
        (Some(_), Some(c)) if ours.iter().any(|(d, _)| *d == c) => Some(c),
        (Some(i), _) => Some(i.did.clone()),
        (None, _) => None,
    };
    let lookup = |r: &StatusRef| -> StatusAnswer {
        match &own {
            Some((list, row))
                if *list == r.list && row.status_index as usize % MIN_BITS == r.index =>
            {
                match (&row.revoked_at, &row.revoke_reason) {
                    (Some(at), reason) => StatusAnswer::Revoked {
                        at: DateTime::parse_from_rfc3339(at)
                            .map(|t| t.with_timezone(&Utc))
                            .unwrap_or_default(),
                        reason: reason
                            .clone()
                            .unwrap_or_else(|| "revoked by the issuer".into()),
                    },
                    (None, _) => StatusAnswer::Active,
                }
            }
            _ => StatusAnswer::Unknown,
        }
    };
    let ended = |id: &str| {
        own.as_ref()
            .filter(|(_, row)| row.uuid == id)
            .and_then(|(_, row)| row.expired_at.as_deref())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    Ok(verify::verify(
        input,
        &Context {
            now: Utc::now(),
            own_issuer: own_did.as_deref(),
            status: &lookup,
            ended_early: &ended,
        },
    ))
}

/// The issuer a credential claims (its id), read without checking.
fn peek_issuer(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let credential: serde_json::Map<String, Value> = if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).ok()?
    } else {
        jwt::peek(trimmed)?
    };
    match credential.get("issuer")? {
        Value::String(s) => Some(s.clone()),
        other => other.get("id")?.as_str().map(str::to_owned),
    }
}

/// The `(statusListCredential, statusListIndex)` a credential claims, read without checking.
fn peek_status(input: &str) -> Option<(String, usize)> {
    let trimmed = input.trim();
    let credential: serde_json::Map<String, Value> = if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).ok()?
    } else {
        jwt::peek(trimmed)?
    };
    let status = credential.get("credentialStatus")?;
    let entry = match status {
        Value::Array(items) => items.first()?,
        one => one,
    };
    Some((
        entry.get("statusListCredential")?.as_str()?.to_owned(),
        entry.get("statusListIndex")?.as_str()?.parse().ok()?,
    ))
}

/// The signed status list credential number `n`.
pub async fn status_list_credential(
    store: &Store,
    signer: &Signer,
    n: i64,
) -> Result<Value, StoreError> {
    let from = (n - 1) * MIN_BITS as i64;
    let mut list = StatusList::default();
    for i in store.revoked_indices(from, from + MIN_BITS as i64).await? {
        list.set((i - from) as usize, true)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
    }
    let url = status_list_url(signer, n);
    // A list is signed by the key that signed the credentials in it: after a rotation,
    // the lists of earlier credentials are still signed by the retired key, so that
    // verifiers that want the list's issuer to be the credential's keep accepting them.
    let key = match store.key_for_index(from).await? {
        Some(did) if did != signer.issuer.key.did() => {
            let key = IssuerKey::from_seed(seed_of(&store.read_key(&did)?)?);
            if key.public().did() != did {
                return Err(StoreError::Config(format!(
                    "the key file for {did} holds another key"
                )));
            }
            key
        }
        _ => signer.key.clone(),
    };
    let unsigned = status::list_credential(&url, &key.public().did(), &list, Utc::now());
    proof::sign(&unsigned, &key, Utc::now()).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// The public side of credentials, for anyone: a verifier, a recruiter, another company.
impl crate::App {
    /// Verifies a credential (JSON with a proof, or a VC-JWT): the check-by-check report.
    pub async fn verify_credential(&self, input: &str) -> AppResult<Report> {
        Ok(verify_credential(self.store(), input).await?)
    }

    /// This Flywheel's issuer profile (an Open Badges Profile with its `did:key`).
    pub async fn issuer_profile(&self) -> AppResult<Value> {
        Ok(default_signer(self.store()).await?.issuer.document())
    }

    /// Revocation status list number `n`, signed.
    pub async fn status_list(&self, n: i64) -> AppResult<Value> {
        let signer = default_signer(self.store()).await?;
        Ok(status_list_credential(self.store(), &signer, n).await?)
    }

    /// Award `uuid`, whoever holds it (admins).
    pub async fn award(&self, uuid: &str) -> AppResult<AwardRow> {
        self.require_admin("read another person's award")?;
        self.store()
            .award(uuid)
            .await?
            .ok_or_else(|| StoreError::not_found("award", format!("{uuid:?}")).into())
    }
}
