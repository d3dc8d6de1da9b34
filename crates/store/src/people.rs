//! Reading people.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use crate::{parse_date, Store, StoreError};

/// A person as listed, with the names of their unit, site and manager.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonRow {
    pub id: i64,
    pub hris_id: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    pub unit_id: Option<i64>,
    pub unit: Option<String>,
    pub site_id: Option<i64>,
    pub site: Option<String>,
    pub manager_id: Option<i64>,
    pub manager_issue: Option<String>,
    pub hire_date: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

/// Which people to list.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    /// A unit and everything under it.
    pub unit: Option<i64>,
    pub site: Option<i64>,
    /// Include people who have left.
    pub include_departed: bool,
    /// Keyset paging: only people with an id greater than this (the page number is then
    /// ignored). Reading page after page this way costs the same at any depth.
    pub after: Option<i64>,
}

/// One page of a listing.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

/// How long a people count is reused.
const COUNT_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl Store {
    /// The path of the filter's unit, after checking that it and the filter's site exist.
    async fn unit_path_of(&self, filter: &PeopleFilter) -> Result<Option<String>, StoreError> {
        let unit_path: Option<String> = match filter.unit {
            None => None,
            Some(id) => Some(
                sqlx::query_scalar("SELECT path FROM org_units WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| StoreError::not_found("unit with id", id))?,
            ),
        };
        if let Some(id) = filter.site {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM sites WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            if found.is_none() {
                return Err(StoreError::not_found("site with id", id));
            }
        }
        Ok(unit_path)
    }

    /// How many people `filter_sql` selects (binds: include departed, unit path, site).
    async fn cached_count(
        &self,
        filter_sql: &str,
        include: i64,
        unit_path: Option<&str>,
        site: Option<i64>,
    ) -> Result<i64, StoreError> {
        // People change only by imports: a count is kept for half a minute (an import by
        // this process clears it at once; one by another process shows within the TTL).
        let key = format!("{include}|{unit_path:?}|{site:?}");
        let cached = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .filter(|(at, _)| at.elapsed() < COUNT_TTL)
            .map(|(_, n)| *n);
        Ok(match cached {
            Some(n) => n,
            None => {
                let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {filter_sql}"))
                    .bind(include)
                    .bind(unit_path)
                    .bind(site)
                    .fetch_one(&self.pool)
                    .await?;
                let mut counts = self
                    .counts
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if counts.len() > 10_000 {
                    counts.clear();
                }
                counts.insert(key, (std::time::Instant::now(), n));
                n
            }
        })
    }

    /// People matching `filter`, ordered by id, one page at a time (pages count from 1).
    pub async fn list_people(
        &self,
        filter: &PeopleFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<PersonRow>, StoreError> {
        let page = page.max(1);
        let per_page = per_page.clamp(1, 10_000);
        let unit_path = self.unit_path_of(filter).await?;
        // The same WHERE for the count and the page; each condition is disabled by a NULL.
        // Sub-units by exact prefix, not LIKE: unit names may contain `_` or `%`. The unit
        // join is only made when filtering by unit: counting and skipping rows is then a
        // walk of the people table alone (a 100,000-person count drops from tens of
        // milliseconds to a few).
        let (join, unit_cond) = if unit_path.is_some() {
            (
                "JOIN org_units u ON u.id = p.unit_id",
                "AND (u.path = $2 OR substr(u.path, 1, length($2) + 3) = $2 || ' > ')",
            )
        } else {
            ("", "AND CAST($2 AS TEXT) IS NULL")
        };
        let filter_sql = format!(
            "FROM people p {join} WHERE ($1 = 1 OR p.left_on IS NULL) {unit_cond} \
             AND (CAST($3 AS BIGINT) IS NULL OR p.site_id = $3)"
        );
        let include = i64::from(filter.include_departed);
        let total = self
            .cached_count(&filter_sql, include, unit_path.as_deref(), filter.site)
            .await?;
        let select = "SELECT p.id, p.hris_id, p.display_name, p.email, p.title, p.unit_id, u.path, p.site_id, s.name AS site, \
                      p.manager_id, p.manager_issue, p.hire_date, p.left_on";
        let rows = if let Some(after) = filter.after {
            // Keyset: straight to the page along the primary key, names joined for 50 rows.
            let (unit_join, unit_cond) = if unit_path.is_some() {
                (
                    "JOIN org_units u ON u.id = p.unit_id",
                    "AND (u.path = $2 OR substr(u.path, 1, length($2) + 3) = $2 || ' > ')",
                )
            } else {
                (
                    "LEFT JOIN org_units u ON u.id = p.unit_id",
                    "AND CAST($2 AS TEXT) IS NULL",
                )
            };
            sqlx::query(&format!(
                "{select} FROM people p {unit_join} LEFT JOIN sites s ON s.id = p.site_id \
                 WHERE ($1 = 1 OR p.left_on IS NULL) {unit_cond} AND (CAST($3 AS BIGINT) IS NULL OR p.site_id = $3) \
                 AND p.id > $4 ORDER BY p.id LIMIT $5"
            ))
            .bind(include)
            .bind(&unit_path)
            .bind(filter.site)
            .bind(after)
            .bind(i64::from(per_page))
            .fetch_all(&self.pool)
            .await?
        } else {
            // By page number: the page's ids first (no joins while skipping), then their
            // rows with names.
            let ids: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT p.id {filter_sql} ORDER BY p.id LIMIT $4 OFFSET $5"
            ))
            .bind(include)
            .bind(&unit_path)
            .bind(filter.site)
            .bind(i64::from(per_page))
            .bind(i64::from(page - 1) * i64::from(per_page))
            .fetch_all(&self.pool)
            .await?;
            if ids.is_empty() {
                vec![]
            } else {
                let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                // The ids are integers read from the database, so they are inlined safely.
                sqlx::query(&format!(
                    "{select} FROM people p LEFT JOIN org_units u ON u.id = p.unit_id LEFT JOIN sites s ON s.id = p.site_id \
                     WHERE p.id IN ({list}) ORDER BY p.id"
                ))
                .fetch_all(&self.pool)
                .await?
            }
        };
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(PersonRow {
                    id: r.try_get("id")?,
                    hris_id: r.try_get("hris_id")?,
                    display_name: r.try_get("display_name")?,
                    email: r.try_get("email")?,
                    title: r.try_get("title")?,
                    unit_id: r.try_get("unit_id")?,
                    unit: r.try_get("path")?,
                    site_id: r.try_get("site_id")?,
                    site: r.try_get("site")?,
                    manager_id: r.try_get("manager_id")?,
                    manager_issue: r.try_get("manager_issue")?,
                    hire_date: parse_date(r.try_get("hire_date")?),
                    left_on: parse_date(r.try_get("left_on")?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Page {
            items,
            page,
            per_page,
            total,
        })
    }
}

/// Where a person sits, as the policies and pages see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonPlace {
    pub display_name: String,
    /// The top-level unit of the person's unit path ("Sales" for "Sales > EMEA").
    pub department: String,
    pub unit_path: String,
    pub site: String,
}

impl Store {
    /// The name, department, unit and site of a person.
    pub async fn person_place(&self, person_id: i64) -> Result<Option<PersonPlace>, StoreError> {
        let row = sqlx::query(
            "SELECT p.display_name, u.path, s.name AS site FROM people p
             LEFT JOIN org_units u ON u.id = p.unit_id LEFT JOIN sites s ON s.id = p.site_id
             WHERE p.id = $1",
        )
        .bind(person_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let path: Option<String> = r.try_get("path")?;
        let path = path.unwrap_or_default();
        Ok(Some(PersonPlace {
            display_name: r.try_get("display_name")?,
            department: path.split(" > ").next().unwrap_or_default().to_owned(),
            unit_path: path,
            site: r.try_get::<Option<String>, _>("site")?.unwrap_or_default(),
        }))
    }
}
