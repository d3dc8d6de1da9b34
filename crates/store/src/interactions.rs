//! Interactions between people.

use chrono::NaiveDate;
use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::InteractionKind;
use flywheel_domain::ImportId;
use serde::Serialize;

use crate::bulk::{insert_rows_with, Arg};
use crate::{date_text, Store, StoreError};

/// What an interactions import did.
#[derive(Debug, Clone, Serialize)]
pub struct InteractionImportOutcome {
    /// `None` when nothing was new (nothing was written).
    pub import_id: Option<ImportId>,
    pub records: usize,
    pub inserted: u64,
    /// Edges whose endpoints are not known people, by the unknown identifier.
    pub unmatched: Vec<String>,
}

impl Store {
    /// Imports ties between people named by their identifiers of `node_kind` (HRIS id,
    /// email, Slack or GitHub id), of one kind, observed on `at`. Ties already stored are
    /// skipped, so re-importing changes nothing; ties with an unknown end are reported.
    pub async fn import_ties(
        &self,
        source: &str,
        sha256: &str,
        node_kind: IdentityKind,
        kind: InteractionKind,
        at: NaiveDate,
        ties: &[(String, String, f32)],
    ) -> Result<InteractionImportOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let people: std::collections::HashMap<String, i64> = {
            use sqlx::Row;
            let rows = sqlx::query("SELECT normalized, person_id FROM identities WHERE kind = $1")
                .bind(node_kind.as_str())
                .fetch_all(&mut *tx)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
                .collect::<Result<_, sqlx::Error>>()?
        };
        let mut unmatched = std::collections::BTreeSet::new();
        let mut rows = Vec::with_capacity(ties.len());
        let at_text = format!("{}T00:00:00Z", date_text(at));
        let kind_name = format!("interactions:{}", kind.as_str());
        let import_id = crate::insert_import(
            &mut tx,
            &kind_name,
            source,
            sha256,
            at,
            ties.len() as i64,
            "",
        )
        .await?;
        for (a, b, w) in ties {
            if !(w.is_finite() && *w > 0.0) {
                return Err(StoreError::Invalid(format!(
                    "tie {a} - {b}: weight {w} is not positive"
                )));
            }
            match (
                people.get(&node_kind.normalize(a)),
                people.get(&node_kind.normalize(b)),
            ) {
                (Some(&x), Some(&y)) => rows.push((x, y, *w)),
                (x, y) => {
                    if x.is_none() {
                        unmatched.insert(a.clone());
                    }
                    if y.is_none() {
                        unmatched.insert(b.clone());
                    }
                }
            }
        }
        // Kind, time and import are the same for every row: literals from the program (an
        // enum name, a formatted date, an integer id), not bound 2 million times.
        let constants = [
            ("kind", format!("'{}'", kind.as_str())),
            ("at", format!("'{at_text}'")),
            ("import_id", import_id.to_string()),
        ];
        let inserted = insert_rows_with(
            &mut tx,
            "interactions",
            &["from_id", "to_id", "weight"],
            &constants,
            "ON CONFLICT (from_id, to_id, kind, at) DO NOTHING",
            rows.into_iter().map(|(x, y, w)| {
                vec![
                    Arg::Int(Some(x)),
                    Arg::Int(Some(y)),
                    Arg::Real(f64::from(w)),
                ]
            }),
        )
        .await?;
        let unmatched: Vec<String> = unmatched.into_iter().collect();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(InteractionImportOutcome {
                import_id: None,
                records: ties.len(),
                inserted,
                unmatched,
            });
        }
        sqlx::query("UPDATE imports SET summary = $1 WHERE id = $2")
            .bind(format!(
                "{inserted} new ties, {} unmatched identifiers",
                unmatched.len()
            ))
            .bind(import_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(InteractionImportOutcome {
            import_id: Some(ImportId(import_id)),
            records: ties.len(),
            inserted,
            unmatched,
        })
    }
}
