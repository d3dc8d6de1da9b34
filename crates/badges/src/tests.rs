//! End-to-end checks of the credential stack: 1EdTech's signed vector, and Flywheel's own
//! credentials in both securing formats.

use chrono::{DateTime, TimeZone as _, Utc};
use serde_json::Value;

use crate::credential::{self, Achievement, Award, Evidence, Issuer};
use crate::keys::IssuerKey;
use crate::verify::{self, Context, Outcome, Report, StatusAnswer, StatusRef};
use crate::{jwt, proof};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/openbadges3")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn run(input: &str, now: DateTime<Utc>, status: StatusAnswer) -> Report {
    let lookup = move |_: &StatusRef| status.clone();
    verify::verify(
        input,
        &Context {
            now,
            own_issuer: None,
            status: &lookup,
            ended_early: &|_| None,
        },
    )
}

fn outcome(report: &Report, name: &str) -> Outcome {
    report
        .checks
        .iter()
        .find(|c| c.check == name)
        .map_or(Outcome::Skipped, |c| c.outcome)
}

#[test]
fn the_official_signed_vector_verifies() {
    let report = run(
        &fixture("ob3-signed-eddsa-rdfc-2022.testvector.json"),
        at(2026, 1, 1),
        StatusAnswer::Unknown,
    );
    assert!(report.valid, "{report:#?}");
    assert_eq!(outcome(&report, "signature"), Outcome::Passed);
    assert_eq!(outcome(&report, "issuer"), Outcome::Passed);
    assert_eq!(outcome(&report, "validity"), Outcome::Passed);
    assert_eq!(outcome(&report, "revocation"), Outcome::Skipped);
    assert_eq!(report.achievement.as_deref(), Some("Teamwork"));
}

/// Every single-field change to the vector, in the credential or in its proof options,
/// breaks the signature (and only the signature is blamed).
#[test]
fn the_official_vector_fails_after_any_one_field_changes() -> Result<(), serde_json::Error> {
    let original: Value =
        serde_json::from_str(&fixture("ob3-signed-eddsa-rdfc-2022.testvector.json"))?;
    let edits: [(&str, Value); 6] = [
        ("/name", "Teamwork Badge!".into()),
        ("/validFrom", "2010-01-02T00:00:00Z".into()),
        ("/issuer/name", "Another Corp".into()),
        ("/credentialSubject/id", "did:example:someone-else".into()),
        (
            "/credentialSubject/achievement/criteria/narrative",
            "Anyone.".into(),
        ),
        ("/proof/created", "2010-01-01T19:23:25Z".into()),
    ];
    for (pointer, value) in edits {
        let mut tampered = original.clone();
        if let Some(slot) = tampered.pointer_mut(pointer) {
            *slot = value;
        }
        assert_ne!(tampered, original, "{pointer} was not changed");
        let report = run(&tampered.to_string(), at(2026, 1, 1), StatusAnswer::Unknown);
        assert!(!report.valid, "{pointer}: {report:#?}");
        let failure = report.failure().map(|c| c.check);
        assert_eq!(failure, Some("signature"), "{pointer}: {report:#?}");
    }
    Ok(())
}

fn our_issuer(seed: u8) -> (IssuerKey, Issuer) {
    let key = IssuerKey::from_seed([seed; 32]);
    let issuer = Issuer {
        name: "Acme AI Program".into(),
        url: "https://flywheel.acme.test".into(),
        key: key.public(),
    };
    (key, issuer)
}

fn our_award(valid_until: Option<DateTime<Utc>>) -> Award {
    Award {
        id: "urn:uuid:9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d".into(),
        achievement: Achievement {
            id: "https://flywheel.acme.test/badges/practitioner".into(),
            name: "AI Practitioner".into(),
            description: "Uses AI in daily work and has shown it.".into(),
            criteria: "Complete \"Prompting basics\" and have a win verified by a champion.".into(),
            tier: Some("Practitioner".into()),
        },
        email: "Ada@Acme.test".into(),
        salt: "c2FsdA".into(),
        valid_from: at(2026, 3, 1),
        valid_until,
        evidence: vec![Evidence {
            id: Some("https://flywheel.acme.test/wins/7".into()),
            name: "Meeting notes in two minutes".into(),
            narrative: "Verified by a champion, Grace, on 2026-02-27.".into(),
        }],
        status: Some((
            "https://flywheel.acme.test/api/v1/credentials/status/1".into(),
            42,
        )),
    }
}

#[test]
fn our_credentials_verify_in_both_formats_and_break_when_changed(
) -> Result<(), Box<dyn std::error::Error>> {
    let (key, issuer) = our_issuer(7);
    let unsigned = credential::build(&issuer, &our_award(Some(at(2027, 3, 1))));
    let signed = proof::sign(&unsigned, &key, at(2026, 3, 1))?;
    let token = jwt::sign(&unsigned, &key)?;
    for input in [signed.to_string(), token.clone()] {
        let report = run(&input, at(2026, 6, 1), StatusAnswer::Active);
        assert!(report.valid, "{report:#?}");
        assert_eq!(outcome(&report, "revocation"), Outcome::Passed);
        assert_eq!(report.issuer.as_deref(), Some(issuer.key.did().as_str()));
    }
    // One field changed: the signature fails.
    let mut tampered = signed.clone();
    tampered["credentialSubject"]["achievement"]["name"] = "AI Builder".into();
    let report = run(&tampered.to_string(), at(2026, 6, 1), StatusAnswer::Active);
    assert_eq!(report.failure().map(|c| c.check), Some("signature"));
    // The JWT's payload changed (re-encoded), its signature kept.
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = jwt::peek(&token).unwrap_or_default();
    payload.insert("name".into(), "AI Builder".into());
    use base64::Engine as _;
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Value::Object(payload).to_string()),
        parts[2]
    );
    let report = run(&forged, at(2026, 6, 1), StatusAnswer::Active);
    assert_eq!(report.failure().map(|c| c.check), Some("signature"));
    Ok(())
}

#[test]
fn expiry_revocation_and_a_foreign_signer_are_each_named() -> Result<(), Box<dyn std::error::Error>>
{
    let (key, issuer) = our_issuer(7);
    let unsigned = credential::build(&issuer, &our_award(Some(at(2027, 3, 1))));
    let signed = proof::sign(&unsigned, &key, at(2026, 3, 1))?.to_string();

    let expired = run(&signed, at(2027, 3, 2), StatusAnswer::Active);
    let failure = expired.failure().cloned();
    assert_eq!(failure.as_ref().map(|c| c.check), Some("validity"));
    assert!(failure.is_some_and(|c| c.detail.contains("expired on 2027-03-01")));

    let early = run(&signed, at(2026, 2, 1), StatusAnswer::Active);
    assert_eq!(early.failure().map(|c| c.check), Some("validity"));

    let revoked = run(
        &signed,
        at(2026, 6, 1),
        StatusAnswer::Revoked {
            at: at(2026, 5, 1),
            reason: "campaign ended".into(),
        },
    );
    let failure = revoked.failure().cloned();
    assert_eq!(failure.as_ref().map(|c| c.check), Some("revocation"));
    assert!(failure.is_some_and(|c| c.detail.contains("campaign ended")));

    // Signed by a key that is not the issuer's: the signature is fine, the issuer is not.
    let (other_key, _) = our_issuer(8);
    let impostor = proof::sign(&unsigned, &other_key, at(2026, 3, 1))?.to_string();
    let report = run(&impostor, at(2026, 6, 1), StatusAnswer::Active);
    assert_eq!(outcome(&report, "signature"), Outcome::Passed);
    assert_eq!(report.failure().map(|c| c.check), Some("issuer"));
    Ok(())
}

#[test]
fn unreadable_inputs_fail_the_format_check() {
    for input in [
        "",
        "{",
        "not.a.jwt",
        "{\"type\": [\"VerifiableCredential\"]}",
        "[1]",
    ] {
        let report = run(input, at(2026, 1, 1), StatusAnswer::Unknown);
        assert!(!report.valid, "{input}");
        assert_eq!(
            report.failure().map(|c| c.check),
            Some("format"),
            "{input}: {report:#?}"
        );
    }
}

#[test]
fn the_identity_hash_is_of_the_lowercased_email_and_salt() {
    // echo -n 'ada@acme.testc2FsdA' | sha256sum
    assert_eq!(
        credential::identity_hash(" Ada@Acme.test", "c2FsdA"),
        "sha256$00ac5c281384071285032f378dde7dfa9977ae8f4e5accdd93d8ce6682bda05a"
    );
}

mod mutations {
    //! The verifier is a parser of untrusted input (the verify endpoint is public): it must
    //! answer every input without panicking, and no changed byte may leave a credential
    //! valid unless the change is one JSON does not see (whitespace between tokens).
    use proptest::prelude::*;

    use super::*;

    fn signed_pair() -> (String, String) {
        let (key, issuer) = our_issuer(7);
        let unsigned = credential::build(&issuer, &our_award(Some(at(2027, 3, 1))));
        let signed = proof::sign(&unsigned, &key, at(2026, 3, 1)).expect("sign");
        let token = jwt::sign(&unsigned, &key).expect("sign");
        (signed.to_string(), token)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

        #[test]
        fn any_text_gets_a_report(input in "\\PC{0,300}") {
            let report = run(&input, at(2026, 6, 1), StatusAnswer::Active);
            prop_assert!(!report.valid);
            prop_assert!(report.failure().is_some());
        }

        #[test]
        fn a_changed_byte_never_leaves_a_credential_valid_with_other_content(
            jwt_form in any::<bool>(),
            at_fraction in 0.0f64..1.0,
            byte in 0x20u8..0x7f,
        ) {
            let (json, token) = signed_pair();
            let original = if jwt_form { token } else { json };
            let mut bytes = original.clone().into_bytes();
            let i = ((bytes.len() - 1) as f64 * at_fraction) as usize;
            prop_assume!(bytes[i] != byte);
            bytes[i] = byte;
            let changed = String::from_utf8(bytes).expect("ASCII");
            let report = run(&changed, at(2026, 6, 1), StatusAnswer::Active);
            if report.valid {
                prop_assert!(!jwt_form, "a changed VC-JWT verified: {changed}");
                let a: Value = serde_json::from_str(&original).expect("json");
                let b: Value = serde_json::from_str(&changed).expect("valid means it parsed");
                prop_assert_eq!(a, b, "a changed credential verified");
            }
        }
    }
}
