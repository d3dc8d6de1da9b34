//! Limits shared by every server on the database: attempts that slow down after a free
//! allowance (failed logins), and request counts per fixed window (writes, questions).
//!
//! Both are checked and counted in one transaction that holds the rows, so concurrent
//! requests cannot all pass a check before any of them is counted.

use sqlx::Row;

use crate::{Store, StoreError};

/// One key of an attempt limit: `free` attempts in a window, then each further attempt
/// waits `base_ms · 2^(n − free)` (at most `cap_ms`) after the previous one. Attempts are
/// forgotten once a window passes without one being blocked.
#[derive(Debug, Clone)]
pub struct AttemptRule {
    pub key: String,
    pub free: i64,
    pub base_ms: i64,
    pub cap_ms: i64,
    pub window_ms: i64,
}

impl AttemptRule {
    /// The wait after the `n`-th attempt of a window.
    pub fn delay_after(&self, n: i64) -> i64 {
        if n < self.free {
            return 0;
        }
        let doublings = (n - self.free).min(40) as u32;
        self.base_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.cap_ms)
    }
}

impl Store {
    /// Counts one attempt under every rule, or under none: `Ok(Err(ms))` when some key must
    /// still wait that long (nothing is counted then).
    pub async fn claim_attempt(
        &self,
        rules: &[AttemptRule],
        now_ms: i64,
    ) -> Result<Result<(), i64>, StoreError> {
        let mut rules: Vec<&AttemptRule> = rules.iter().collect();
        // One order of keys for every caller, so two transactions never wait on each other
        // in a circle.
        rules.sort_by(|a, b| a.key.cmp(&b.key));
        rules.dedup_by(|a, b| a.key == b.key);
        let mut tx = self.begin_write().await?;
        let mut current = Vec::with_capacity(rules.len());
        for r in &rules {
            // One statement that creates the row or touches it, and returns it: on
            // PostgreSQL it holds the row until commit, whatever another server does to it
            // in between (a separate insert and select could find it deleted).
            let row = sqlx::query(
                "INSERT INTO attempt_limits (key, attempts, window_start, blocked_until) \
                 VALUES ($1, 0, $2, 0) ON CONFLICT (key) DO UPDATE SET attempts = attempt_limits.attempts \
                 RETURNING attempts, window_start, blocked_until",
            )
            .bind(&r.key)
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?;
            let attempts: i64 = row.try_get("attempts")?;
            let start: i64 = row.try_get("window_start")?;
            let blocked: i64 = row.try_get("blocked_until")?;
            current.push((attempts, start, blocked));
        }
        let wait = current
            .iter()
            .map(|&(_, _, blocked)| blocked - now_ms)
            .max()
            .unwrap_or(0);
        if wait > 0 {
            tx.rollback().await?;
            return Ok(Err(wait));
        }
        for (r, &(attempts, start, _)) in rules.iter().zip(&current) {
            let (n, start) = if now_ms - start >= r.window_ms {
                (1, now_ms)
            } else {
                (attempts + 1, start)
            };
            let delay = r.delay_after(n);
            sqlx::query(
                "UPDATE attempt_limits SET attempts = $2, window_start = $3, blocked_until = $4 \
                 WHERE key = $1",
            )
            .bind(&r.key)
            .bind(n)
            .bind(start)
            .bind(if delay > 0 { now_ms + delay } else { 0 })
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Forgets the attempts of `reset` (a login succeeded) and gives one back to each key
    /// of `refund` (the address it came from).
    pub async fn settle_attempt(&self, reset: &[&str], refund: &[&str]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for k in reset {
            // Kept (at zero) rather than deleted, so that a claim in flight always finds
            // its row; idle rows are pruned.
            sqlx::query("UPDATE attempt_limits SET attempts = 0, blocked_until = 0 WHERE key = $1")
                .bind(k)
                .execute(&mut *tx)
                .await?;
        }
        for k in refund {
            sqlx::query(
                "UPDATE attempt_limits SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
            )
            .bind(k)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Counts one request for `key` in the current fixed window of `window_ms`; returns
    /// the count so far (this one included) and when the window ends.
    pub async fn count_request(
        &self,
        key: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<(i64, i64), StoreError> {
        let window_no = now_ms.div_euclid(window_ms.max(1));
        let mut tx = self.begin_write().await?;
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO rate_windows (key, window_no, count, ends_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (key, window_no) DO UPDATE SET count = rate_windows.count + 1 \
             RETURNING count",
        )
        .bind(key)
        .bind(window_no)
        .bind((window_no + 1) * window_ms)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((count, (window_no + 1) * window_ms))
    }

    /// Deletes limits nobody needs any more: attempt keys idle for `idle_ms` and not
    /// blocked, request windows that ended `idle_ms` ago. Servers run it every few minutes.
    pub async fn prune_limits(&self, now_ms: i64, idle_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let a = sqlx::query(
            "DELETE FROM attempt_limits WHERE window_start < $1 AND blocked_until < $2",
        )
        .bind(now_ms - idle_ms)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let b = sqlx::query("DELETE FROM rate_windows WHERE ends_at < $1")
            .bind(now_ms - idle_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_free_allowance_up_to_the_cap() {
        let r = AttemptRule {
            key: "k".into(),
            free: 5,
            base_ms: 1000,
            cap_ms: 30_000,
            window_ms: 900_000,
        };
        let d: Vec<i64> = (1..=12).map(|n| r.delay_after(n)).collect();
        assert_eq!(
            d,
            [0, 0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        assert_eq!(r.delay_after(1_000_000), 30_000, "no overflow");
    }
}
