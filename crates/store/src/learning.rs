//! Courses (modules, enrolment, completion, completion by department) and verifications of
//! wins, the evidence of demonstrated practice that badges can ask for.

use std::collections::BTreeMap;

use flywheel_domain::DomainError;
use serde::Serialize;
use sqlx::Row;

use crate::community::department_of;
use crate::{now_text, Role, Store, StoreError, User};

/// A course as loaded from the learning catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseDef {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub modules: Vec<ModuleDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleDef {
    pub title: String,
    pub minutes: u32,
    /// Text shown in Flywheel (may be empty when `link` points elsewhere).
    pub body: String,
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CourseRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub modules: i64,
    pub minutes: i64,
    pub enrolled: i64,
    pub completed: i64,
}

/// One learner's progress in a course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub enrolled_at: String,
    pub completed_at: Option<String>,
    /// Positions of the modules done.
    pub done: Vec<i64>,
}

/// Completion in one department; counts below the minimum group size are withheld.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletionRate {
    pub department: String,
    pub enrolled: Option<i64>,
    pub completed: Option<i64>,
    pub rate: Option<f64>,
}

/// A win verified by someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub win_id: i64,
    pub win_title: String,
    pub verifier: String,
    /// `champion` or `peer`.
    pub as_role: String,
    pub evidence: String,
    pub at: String,
}

impl Store {
    /// Adds or updates courses by slug, replacing their modules, in one transaction.
    pub(crate) async fn upsert_courses(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        courses: &[CourseDef],
    ) -> Result<(), StoreError> {
        for c in courses {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO courses (slug, title, summary, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (slug) DO UPDATE SET title = excluded.title, summary = excluded.summary,
                 updated_at = excluded.updated_at RETURNING id",
            )
            .bind(&c.slug)
            .bind(&c.title)
            .bind(&c.summary)
            .bind(now_text())
            .fetch_one(&mut **tx)
            .await?;
            sqlx::query("DELETE FROM course_modules WHERE course_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            for (i, m) in c.modules.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO course_modules (course_id, position, title, minutes, body, link)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(i as i64 + 1)
                .bind(&m.title)
                .bind(i64::from(m.minutes))
                .bind(&m.body)
                .bind(&m.link)
                .execute(&mut **tx)
                .await?;
            }
        }
        Ok(())
    }

    pub async fn courses(&self) -> Result<Vec<CourseRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.slug, c.title, c.summary,
                (SELECT COUNT(*) FROM course_modules m WHERE m.course_id = c.id) AS modules,
                (SELECT CAST(COALESCE(SUM(m.minutes), 0) AS BIGINT) FROM course_modules m WHERE m.course_id = c.id) AS minutes,
                (SELECT COUNT(*) FROM enrolments e WHERE e.course_id = c.id) AS enrolled,
                (SELECT COUNT(*) FROM enrolments e WHERE e.course_id = c.id AND e.completed_at IS NOT NULL) AS completed
             FROM courses c ORDER BY c.title",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CourseRow {
                    id: r.try_get("id")?,
                    slug: r.try_get("slug")?,
                    title: r.try_get("title")?,
                    summary: r.try_get("summary")?,
                    modules: r.try_get("modules")?,
                    minutes: r.try_get("minutes")?,
                    enrolled: r.try_get("enrolled")?,
                    completed: r.try_get("completed")?,
                })
            })
            .collect()
    }

    pub async fn course(
        &self,
        slug: &str,
    ) -> Result<Option<(CourseRow, Vec<ModuleDef>)>, StoreError> {
        let Some(row) = self.courses().await?.into_iter().find(|c| c.slug == slug) else {
            return Ok(None);
        };
        let modules = sqlx::query(
            "SELECT title, minutes, body, link FROM course_modules WHERE course_id = $1 ORDER BY position",
        )
        .bind(row.id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let minutes: i64 = r.try_get("minutes")?;
            Ok(ModuleDef {
                title: r.try_get("title")?,
                minutes: u32::try_from(minutes).unwrap_or_default(),
                body: r.try_get("body")?,
                link: r.try_get("link")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some((row, modules)))
    }

    async fn unit_of(&self, user: &User) -> Result<Option<i64>, StoreError> {
        let Some(person) = user.person_id else {
            return Ok(None);
        };
        Ok(
            sqlx::query_scalar("SELECT unit_id FROM people WHERE id = $1")
                .bind(person)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// Enrols the user (again: nothing changes).
    pub async fn enrol(&self, course_id: i64, user: &User) -> Result<(), StoreError> {
        let unit = self.unit_of(user).await?;
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO enrolments (course_id, user_id, unit_id, enrolled_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (course_id, user_id) DO NOTHING",
        )
        .bind(course_id)
        .bind(user.id)
        .bind(unit)
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn progress(
        &self,
        course_id: i64,
        user_id: i64,
    ) -> Result<Option<Progress>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT enrolled_at, completed_at FROM enrolments WHERE course_id = $1 AND user_id = $2",
        )
        .bind(course_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let done = sqlx::query_scalar(
            "SELECT position FROM module_completions WHERE course_id = $1 AND user_id = $2 ORDER BY position",
        )
        .bind(course_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(Progress {
            enrolled_at: row.try_get("enrolled_at")?,
            completed_at: row.try_get("completed_at")?,
            done,
        }))
    }

    /// Marks module `position` (1-based) done, enrolling first if needed. Returns true when
    /// this completed the course.
    pub async fn complete_module(
        &self,
        course_id: i64,
        user: &User,
        position: i64,
    ) -> Result<bool, StoreError> {
        let modules: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM course_modules WHERE course_id = $1")
                .bind(course_id)
                .fetch_one(&self.pool)
                .await?;
        if position < 1 || position > modules {
            return Err(StoreError::Invalid(format!(
                "module {position} does not exist (the course has {modules})"
            )));
        }
        self.enrol(course_id, user).await?;
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let now = now_text();
        sqlx::query(
            "INSERT INTO module_completions (course_id, user_id, position, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (course_id, user_id, position) DO NOTHING",
        )
        .bind(course_id)
        .bind(user.id)
        .bind(position)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let done: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM module_completions WHERE course_id = $1 AND user_id = $2 AND position <= $3",
        )
        .bind(course_id)
        .bind(user.id)
        .bind(modules)
        .fetch_one(&mut *tx)
        .await?;
        let completed_now = if done == modules {
            sqlx::query(
                "UPDATE enrolments SET completed_at = $3 WHERE course_id = $1 AND user_id = $2 AND completed_at IS NULL",
            )
            .bind(course_id)
            .bind(user.id)
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        } else {
            false
        };
        tx.commit().await?;
        Ok(completed_now)
    }

    /// Slugs of the courses the user completed.
    pub async fn completed_courses(&self, user_id: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT c.slug FROM enrolments e JOIN courses c ON c.id = e.course_id
             WHERE e.user_id = $1 AND e.completed_at IS NOT NULL ORDER BY c.slug",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Enrolment and completion by department (at enrolment). Departments with fewer
    /// enrolled than `min_group` have their numbers withheld.
    pub async fn completion_by_department(
        &self,
        course_id: i64,
        min_group: i64,
    ) -> Result<Vec<CompletionRate>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.path, e.completed_at FROM enrolments e LEFT JOIN org_units u ON u.id = e.unit_id
             WHERE e.course_id = $1",
        )
        .bind(course_id)
        .fetch_all(&self.pool)
        .await?;
        let mut by: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for r in &rows {
            let dept = department_of(r.try_get("path")?);
            let done: Option<String> = r.try_get("completed_at")?;
            let e = by
                .entry(if dept.is_empty() {
                    "(no unit)".into()
                } else {
                    dept
                })
                .or_default();
            e.0 += 1;
            e.1 += i64::from(done.is_some());
        }
        Ok(by
            .into_iter()
            .map(|(department, (enrolled, completed))| {
                let shown = flywheel_insights::privacy::shown(enrolled, min_group).is_some();
                CompletionRate {
                    department,
                    enrolled: shown.then_some(enrolled),
                    completed: shown.then_some(completed),
                    rate: shown.then(|| completed as f64 / enrolled as f64),
                }
            })
            .collect())
    }

    /// Records that `verifier` saw the evidence of win `win_id`. Nobody verifies their own
    /// win. Champions (and admins) verify as `champion`, anyone else as `peer`. Audited.
    pub async fn verify_win(
        &self,
        win_id: i64,
        verifier: &User,
        evidence: &str,
    ) -> Result<(), StoreError> {
        let evidence = evidence.trim();
        if evidence.is_empty() {
            return Err(StoreError::Invalid(
                "evidence: say what you saw (a link, a document, a demo)".into(),
            ));
        }
        let row = sqlx::query("SELECT person_id, user_id, title FROM wins WHERE id = $1")
            .bind(win_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("win", win_id))?;
        let author_person: i64 = row.try_get("person_id")?;
        let author_user: Option<i64> = row.try_get("user_id")?;
        if author_user == Some(verifier.id) || verifier.person_id == Some(author_person) {
            return Err(DomainError::SelfVerification(verifier.email.clone()).into());
        }
        let as_role = if matches!(verifier.role, Role::Champion | Role::Admin) {
            "champion"
        } else {
            "peer"
        };
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let now = now_text();
        let inserted = sqlx::query(
            "INSERT INTO win_verifications (win_id, verifier_id, as_role, evidence, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (win_id, verifier_id) DO NOTHING",
        )
        .bind(win_id)
        .bind(verifier.id)
        .bind(as_role)
        .bind(evidence)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'win.verify', $3, $4)")
                .bind(&now)
                .bind(verifier.id)
                .bind(format!("win:{win_id}"))
                .bind(format!("as {as_role}: {evidence}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Verifications of the wins the user posted (as their account or as their person).
    pub async fn verified_wins(&self, user: &User) -> Result<Vec<Verification>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.win_id, w.title, u.email, v.as_role, v.evidence, v.at
             FROM win_verifications v JOIN wins w ON w.id = v.win_id JOIN users u ON u.id = v.verifier_id
             WHERE w.user_id = $1 OR w.person_id = $2 ORDER BY v.at, v.win_id",
        )
        .bind(user.id)
        .bind(user.person_id.unwrap_or(-1))
        .fetch_all(&self.pool)
        .await?;
        verification_rows(&rows)
    }

    pub async fn win_verifications(&self, win_id: i64) -> Result<Vec<Verification>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.win_id, w.title, u.email, v.as_role, v.evidence, v.at
             FROM win_verifications v JOIN wins w ON w.id = v.win_id JOIN users u ON u.id = v.verifier_id
             WHERE v.win_id = $1 ORDER BY v.at",
        )
        .bind(win_id)
        .fetch_all(&self.pool)
        .await?;
        verification_rows(&rows)
    }
}

fn verification_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<Verification>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(Verification {
                win_id: r.try_get("win_id")?,
                win_title: r.try_get("title")?,
                verifier: r.try_get("email")?,
                as_role: r.try_get("as_role")?,
                evidence: r.try_get("evidence")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}
