//! Flywheel's awards as Open Badges 3.0 `OpenBadgeCredential`s (VC data model 2.0).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::keys::PublicKey;

/// Who issues: the program, as an Open Badges `Profile` whose id is its `did:key`.
#[derive(Clone, Debug)]
pub struct Issuer {
    pub name: String,
    /// The public address of this Flywheel (achievement ids and the status list live here).
    pub url: String,
    pub key: PublicKey,
}

impl Issuer {
    pub fn profile(&self) -> Value {
        json!({
            "id": self.key.did(),
            "type": ["Profile"],
            "name": self.name,
            "url": self.url,
        })
    }

    /// The issuer profile as Flywheel serves it: the Open Badges profile with its key.
    pub fn document(&self) -> Value {
        json!({
            "@context": [crate::ld::CREDENTIALS_V2, crate::ld::OB_V3],
            "id": self.key.did(),
            "type": ["Profile"],
            "name": self.name,
            "url": self.url,
            "verificationMethod": [self.key.multikey_document()],
            "assertionMethod": [self.key.verification_method()],
        })
    }
}

/// What an award certifies.
#[derive(Clone, Debug)]
pub struct Achievement {
    /// A stable URL for the badge class (`<public url>/badges/<slug>`).
    pub id: String,
    pub name: String,
    pub description: String,
    pub criteria: String,
    /// e.g. "Explorer"; written as the achievement's `tag`.
    pub tier: Option<String>,
}

/// Evidence of demonstrated practice: a verified win.
#[derive(Clone, Debug)]
pub struct Evidence {
    pub id: Option<String>,
    pub name: String,
    pub narrative: String,
}

#[derive(Clone, Debug)]
pub struct Award {
    /// `urn:uuid:…`
    pub id: String,
    pub achievement: Achievement,
    /// The earner's email: the credential carries only its salted SHA-256 (an Open Badges
    /// `IdentityObject`), which the earner can prove and nobody can read.
    pub email: String,
    pub salt: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub evidence: Vec<Evidence>,
    /// `(status list URL, index)`
    pub status: Option<(String, usize)>,
}

/// `sha256$<hex of SHA-256(email + salt)>`, the Open Badges identity hash (email
/// lower-cased first, so that the earner's proof does not depend on letter case).
pub fn identity_hash(email: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("{}{salt}", email.trim().to_lowercase()).as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256${hex}")
}

/// The unsigned credential.
pub fn build(issuer: &Issuer, award: &Award) -> Value {
    let a = &award.achievement;
    let mut achievement = json!({
        "id": a.id,
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": a.name,
        "description": a.description,
        "criteria": {"narrative": a.criteria},
    });
    if let Some(tier) = &a.tier {
        achievement["tag"] = json!([tier]);
    }
    let mut credential = json!({
        "@context": crate::ld::credential_context(),
        "id": award.id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer.profile(),
        "validFrom": crate::xsd_datetime(award.valid_from),
        "name": a.name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": identity_hash(&award.email, &award.salt),
                "identityType": "emailAddress",
                "hashed": true,
                "salt": award.salt,
            }],
            "achievement": achievement,
        },
    });
    if let Some(until) = award.valid_until {
        credential["validUntil"] = crate::xsd_datetime(until).into();
    }
    if !award.evidence.is_empty() {
        credential["evidence"] = award
            .evidence
            .iter()
            .map(|e| {
                let mut v = json!({"type": ["Evidence"], "name": e.name, "narrative": e.narrative});
                if let Some(id) = &e.id {
                    v["id"] = id.clone().into();
                }
                v
            })
            .collect();
    }
    if let Some((list, index)) = &award.status {
        credential["credentialStatus"] = crate::status::entry(list, *index);
    }
    credential
}
