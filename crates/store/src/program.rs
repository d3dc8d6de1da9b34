//! The program's people and signals as one [`Population`] for the analytics, and champion
//! statuses (volunteer, serving, opted out).

use chrono::NaiveDate;
use flywheel_insights::population::Population;

use crate::{date_text, Store, StoreError};

pub use flywheel_domain::program::ChampionStatus;

impl Store {
    /// Sets a person's champion status from `since` (a change of status restarts the clock;
    /// setting the same status again keeps the original day).
    pub async fn set_champion_status(
        &self,
        person: i64,
        status: ChampionStatus,
        since: NaiveDate,
    ) -> Result<(), StoreError> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1")
            .bind(person)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Err(StoreError::Invalid(format!("no person with id {person}")));
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        sqlx::query(
            "INSERT INTO champions (person_id, status, since, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (person_id) DO UPDATE SET \
             since = CASE WHEN champions.status = excluded.status THEN champions.since ELSE excluded.since END, \
             status = excluded.status, updated_at = excluded.updated_at",
        )
        .bind(person)
        .bind(status.as_str())
        .bind(date_text(since))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Everyone who has not left, with their department, site, place in the manager tree
    /// and champion status; the collaboration ties among them (imported interactions and
    /// chat ties, summed per pair); their usage; help given (replies in the channels that
    /// questions were asked in); and wins. People are indexed in id order.
    pub async fn population(&self, as_of: Option<NaiveDate>) -> Result<Population, StoreError> {
        // One snapshot for every query below: an import committing halfway through must
        // not give people of one state and usage of another.
        let mut snap = self.read_snapshot().await?;
        let pop = crate::population::read(&mut snap, as_of).await?;
        snap.commit().await?;
        Ok(pop)
    }
}
