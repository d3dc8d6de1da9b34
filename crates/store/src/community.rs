//! What people post and do on Flywheel: wins, "I tried this too", the use-case library,
//! champions' profiles and the directory, invitations from the champion plan, and
//! peer-help sessions.

use chrono::Utc;
use flywheel_domain::program::{
    minutes_saved_per_month, ChampionStatus, Frequency, TimeStated, WinSource,
};
use serde::Serialize;
use sqlx::Row;

use crate::people::Page;
use crate::{now_text, Store, StoreError};

/// A win as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWin<'a> {
    pub person_id: i64,
    pub user_id: Option<i64>,
    /// A catalog tool's name, or none.
    pub tool: Option<&'a str>,
    pub title: &'a str,
    pub what: &'a str,
    pub minutes_before: u32,
    pub minutes_after: u32,
    pub frequency: Frequency,
}

/// A win as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct WinRow {
    pub id: i64,
    pub title: String,
    pub what: String,
    pub tool: Option<String>,
    pub author: String,
    pub department: String,
    pub minutes_before: i64,
    pub minutes_after: i64,
    pub frequency: String,
    /// What the figures are: `before_after`, `saved` (only the saving, in
    /// `minutes_before`), or `unknown` (no time stated; the minutes are 0 and mean nothing).
    pub time_stated: TimeStated,
    /// (before − after) × occurrences per month; negative when the tool made it slower;
    /// `None` when the win stated no time.
    pub minutes_saved_per_month: Option<f64>,
    pub created_at: String,
    /// People who said "I tried this too".
    pub tried_too: i64,
    pub use_case_id: Option<i64>,
    /// `web` (posted on Flywheel) or `slack` (a post in a wins channel).
    pub source: WinSource,
    /// The chat message, when known.
    pub link: Option<String>,
    /// Reactions to the chat post (0 for wins posted on Flywheel).
    pub reactions: i64,
}

/// Which wins to list.
#[derive(Debug, Clone, Default)]
pub struct WinFilter {
    /// Words in the title or description (case-insensitive).
    pub q: Option<String>,
    pub tool: Option<String>,
    /// Top-level unit of the author.
    pub department: Option<String>,
    /// Posted at or after this instant (RFC 3339 or a date).
    pub since: Option<String>,
    /// Posted at or before this instant (RFC 3339).
    pub until: Option<String>,
}

/// A use case of the library.
#[derive(Debug, Clone, PartialEq)]
pub struct UseCaseRow {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub steps: Vec<String>,
    pub tools: Vec<String>,
    pub from_win: Option<i64>,
    /// Departments whose people tried it (from "I tried this too"), with how many.
    pub departments: Vec<(String, i64)>,
    pub created_at: String,
}

/// A champion's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Profile {
    /// Shown in the directory (opt-in).
    pub listed: bool,
    pub bio: String,
    pub tools: Vec<String>,
    /// When and where they help, in their words ("Tuesdays 14–15, Teams link …").
    pub office_hours: String,
}

/// A champion in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub person_id: i64,
    pub name: String,
    pub department: String,
    pub unit: String,
    pub site: String,
    pub status: ChampionStatus,
    pub bio: String,
    pub tools: Vec<String>,
    pub office_hours: String,
}

/// Who to list in the directory.
#[derive(Debug, Clone, Default)]
pub struct DirectoryFilter {
    pub department: Option<String>,
    pub site: Option<String>,
    pub tool: Option<String>,
}

/// A peer-help session logged by a champion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHelpSession<'a> {
    pub champion_id: i64,
    /// The unit helped (the champion's own when not given).
    pub unit_id: Option<i64>,
    pub tool: Option<&'a str>,
    pub topic: &'a str,
    pub minutes: u32,
    pub people: u32,
}

/// An invitation to become a champion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub person_id: i64,
    pub invited_at: String,
    pub note: String,
    pub answer: Option<String>,
}

fn list_json(v: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn json_list(s: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Invalid(format!("not a JSON list: {e}")))
}

pub(crate) fn department_of(path: Option<String>) -> String {
    path.unwrap_or_default()
        .split(" > ")
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn escape_like(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const WIN_SELECT: &str =
    "SELECT w.id, w.title, w.what, t.name AS tool, p.display_name AS author, u.path,
        w.minutes_before, w.minutes_after, w.frequency, w.time_stated, w.created_at,
        w.source, w.link, w.reactions,
        (SELECT COUNT(*) FROM reuses r WHERE r.win_id = w.id) AS tried_too,
        (SELECT c.id FROM use_cases c WHERE c.from_win = w.id) AS use_case_id
    FROM wins w JOIN people p ON p.id = w.person_id
    LEFT JOIN org_units u ON u.id = p.unit_id LEFT JOIN tools t ON t.id = w.tool_id";

fn win_row(r: &sqlx::any::AnyRow) -> Result<WinRow, StoreError> {
    let before: i64 = r.try_get("minutes_before")?;
    let after: i64 = r.try_get("minutes_after")?;
    let frequency: String = r.try_get("frequency")?;
    let per = Frequency::parse(&frequency)?;
    let time_stated = TimeStated::parse(&r.try_get::<String, _>("time_stated")?)?;
    Ok(WinRow {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        what: r.try_get("what")?,
        tool: r.try_get("tool")?,
        author: r.try_get("author")?,
        department: department_of(r.try_get("path")?),
        minutes_before: before,
        minutes_after: after,
        frequency,
        minutes_saved_per_month: minutes_saved_per_month(before, after, per, time_stated),
        time_stated,
        created_at: r.try_get("created_at")?,
        tried_too: r.try_get("tried_too")?,
        use_case_id: r.try_get("use_case_id")?,
        source: WinSource::parse(&r.try_get::<String, _>("source")?)?,
        link: r.try_get("link")?,
        reactions: r.try_get("reactions")?,
    })
}

/// The longest title a win takes from a chat post's first line.
const CHAT_TITLE_CHARS: usize = 120;

/// The title of a win shared in chat: the post's first line when its text was kept, else
/// where it was shared and the time it stated.
fn chat_win_title(channel: &str, text: Option<&str>, phrase: Option<&str>) -> String {
    let first = text
        .and_then(|t| t.lines().map(str::trim).find(|l| !l.is_empty()))
        .map(|l| {
            if l.chars().count() > CHAT_TITLE_CHARS {
                let cut: String = l.chars().take(CHAT_TITLE_CHARS - 1).collect();
                format!("{}…", cut.trim_end())
            } else {
                l.to_owned()
            }
        });
    match (first, phrase) {
        (Some(line), _) => line,
        (None, Some(p)) => format!("Shared in #{channel}: “{p}”"),
        (None, None) => format!("Shared in #{channel}"),
    }
}

/// The time figures of a chat win as the wins table holds them: `(before, after, stated)`.
fn chat_win_minutes(
    before: Option<f64>,
    after: Option<f64>,
    saved: Option<f64>,
) -> (i64, i64, &'static str) {
    let whole = |m: f64| m.round().clamp(0.0, 100_000.0) as i64;
    match (before, after, saved) {
        (Some(b), Some(a), _) if b >= 0.0 && a >= 0.0 => (whole(b), whole(a), "before_after"),
        (_, _, Some(s)) if s > 0.0 => (whole(s), 0, "saved"),
        _ => (0, 0, "unknown"),
    }
}

/// The wins table's frequency for a chat win's `per` (`once`, `day`, `week`, `month`).
fn frequency_of_per(per: Option<&str>) -> Frequency {
    match per {
        Some("day") => Frequency::Daily,
        Some("week") => Frequency::Weekly,
        Some("month") => Frequency::Monthly,
        _ => Frequency::Once,
    }
}

/// Makes every wins-channel post whose author is known a win of the library, and keeps it
/// equal to its post (an edit in a later export updates it). Runs inside the import's
/// transaction; returns how many wins it added or changed. Wins posted on Flywheel and a
/// post's "I tried this too", verifications and promotion are untouched.
pub(crate) async fn sync_chat_wins(tx: &mut sqlx::AnyConnection) -> Result<u64, StoreError> {
    type Post = (
        i64,
        String,
        i64,
        String,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<String>,
        Option<String>,
        i64,
        Option<String>,
        Option<String>,
    );
    let posts: Vec<Post> = sqlx::query_as(
        "SELECT c.id, c.channel, c.author_person, c.at, c.minutes_before, c.minutes_after, c.minutes_saved, \
                c.per, c.phrase, c.reactions, c.text, c.link \
         FROM chat_wins c WHERE c.author_person IS NOT NULL ORDER BY c.id",
    )
    .fetch_all(&mut *tx)
    .await?;
    type Current = (
        i64,
        i64,
        String,
        String,
        i64,
        i64,
        String,
        String,
        Option<String>,
        i64,
        String,
    );
    let current: Vec<Current> = sqlx::query_as(
        "SELECT chat_win_id, person_id, title, what, minutes_before, minutes_after, frequency, time_stated, \
                link, reactions, created_at FROM wins WHERE chat_win_id IS NOT NULL",
    )
    .fetch_all(&mut *tx)
    .await?;
    let current: std::collections::HashMap<i64, Current> =
        current.into_iter().map(|c| (c.0, c)).collect();
    let mut changed = 0;
    for (id, channel, person, at, before, after, saved, per, phrase, reactions, text, link) in posts
    {
        let title = chat_win_title(&channel, text.as_deref(), phrase.as_deref());
        let what: String = text
            .as_deref()
            .unwrap_or_default()
            .chars()
            .take(4000)
            .collect();
        let (b, a, stated) = chat_win_minutes(before, after, saved);
        let frequency = frequency_of_per(per.as_deref()).as_str();
        let want = (
            id,
            person,
            title,
            what,
            b,
            a,
            frequency.to_owned(),
            stated.to_owned(),
            link,
            reactions,
            at,
        );
        // The same eleven parameters, in the same order, for a new win and a changed one.
        let sql = match current.get(&id) {
            Some(have) if *have == want => continue,
            Some(_) => {
                "UPDATE wins SET person_id = $1, title = $2, what = $3, minutes_before = $4, minutes_after = $5, \
                 frequency = $6, time_stated = $7, link = $8, reactions = $9, created_at = $10 WHERE chat_win_id = $11"
            }
            None => {
                "INSERT INTO wins (person_id, title, what, minutes_before, minutes_after, frequency, time_stated, \
                 link, reactions, created_at, source, chat_win_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'slack', $11)"
            }
        };
        let (id, person, title, what, b, a, frequency, stated, link, reactions, at) = want;
        sqlx::query(sql)
            .bind(person)
            .bind(title)
            .bind(what)
            .bind(b)
            .bind(a)
            .bind(frequency)
            .bind(stated)
            .bind(link)
            .bind(reactions)
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        changed += 1;
    }
    Ok(changed)
}

impl Store {
    async fn tool_id_of(&self, name: Option<&str>) -> Result<Option<i64>, StoreError> {
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
            return Ok(None);
        };
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM tools WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        id.map(Some)
            .ok_or_else(|| StoreError::Invalid(format!("no tool named {name:?}")))
    }

    /// Posts a win; returns its id.
    pub async fn post_win(&self, w: &NewWin<'_>) -> Result<i64, StoreError> {
        let title = w.title.trim();
        if title.is_empty() {
            return Err(StoreError::Invalid("a win needs a title".into()));
        }
        if title.chars().count() > 200 || w.what.chars().count() > 4000 {
            return Err(StoreError::Invalid(
                "the title is limited to 200 characters and the description to 4,000".into(),
            ));
        }
        if w.minutes_before > 100_000 || w.minutes_after > 100_000 {
            return Err(StoreError::Invalid(
                "minutes before and after are limited to 100,000".into(),
            ));
        }
        let tool = self.tool_id_of(w.tool).await?;
        // In a transaction of its own: an `INSERT … RETURNING` read outside one hands back
        // the id before SQLite commits, and a failed commit (a full disk) went unseen.
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO wins (person_id, user_id, tool_id, title, what, minutes_before, minutes_after, frequency, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(w.person_id)
        .bind(w.user_id)
        .bind(tool)
        .bind(title)
        .bind(w.what.trim())
        .bind(i64::from(w.minutes_before))
        .bind(i64::from(w.minutes_after))
        .bind(w.frequency.as_str())
        .bind(now_text())
                .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Wins, newest first, filtered and paged.
    pub async fn wins(
        &self,
        f: &WinFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<WinRow>, StoreError> {
        let mut sql = format!("{WIN_SELECT} WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            for word in q.split_whitespace().take(8) {
                binds.push(format!("%{}%", escape_like(word)));
                let n = binds.len();
                sql.push_str(&format!(
                    " AND (LOWER(w.title) LIKE ${n} ESCAPE '\\' OR LOWER(w.what) LIKE ${n} ESCAPE '\\')"
                ));
            }
        }
        if let Some(t) = f.tool.as_deref().filter(|t| !t.is_empty()) {
            binds.push(t.to_owned());
            sql.push_str(&format!(" AND t.name = ${}", binds.len()));
        }
        if let Some(d) = f.department.as_deref().filter(|d| !d.is_empty()) {
            binds.push(d.to_owned());
            let n = binds.len();
            binds.push(format!("{} > %", escape_like(d)));
            sql.push_str(&format!(
                " AND (u.path = ${n} OR LOWER(u.path) LIKE ${} ESCAPE '\\')",
                n + 1
            ));
        }
        if let Some(s) = f.since.as_deref().filter(|s| !s.is_empty()) {
            binds.push(s.to_owned());
            sql.push_str(&format!(" AND w.created_at >= ${}", binds.len()));
        }
        if let Some(u) = f.until.as_deref().filter(|u| !u.is_empty()) {
            binds.push(u.to_owned());
            sql.push_str(&format!(" AND w.created_at <= ${}", binds.len()));
        }
        let count_sql = format!("SELECT COUNT(*) FROM ({sql}) AS x");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            count = count.bind(b);
        }
        let total = count.fetch_one(&self.pool).await?;
        let page = page.max(1);
        let per_page = per_page.clamp(1, 500);
        sql.push_str(&format!(
            " ORDER BY w.created_at DESC, w.id DESC LIMIT {per_page} OFFSET {}",
            u64::from(page - 1) * u64::from(per_page)
        ));
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(Page {
            items: rows.iter().map(win_row).collect::<Result<_, _>>()?,
            page,
            per_page,
            total,
        })
    }

    /// One win.
    pub async fn win(&self, id: i64) -> Result<Option<WinRow>, StoreError> {
        let row = sqlx::query(&format!("{WIN_SELECT} WHERE w.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| win_row(&r)).transpose()
    }

    /// The author (person id) of a win.
    pub async fn win_author(&self, win_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT person_id FROM wins WHERE id = $1")
                .bind(win_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Whether a person said "I tried this too" for a win.
    pub async fn has_tried(&self, win_id: i64, person_id: i64) -> Result<bool, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM reuses WHERE win_id = $1 AND person_id = $2")
                .bind(win_id)
                .bind(person_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// "I tried this too" by a person (not the author), recorded with their unit. Returns
    /// whether it is new: saying it twice changes nothing.
    pub async fn tried_too(&self, win_id: i64, person_id: i64) -> Result<bool, StoreError> {
        let author: Option<i64> = sqlx::query_scalar("SELECT person_id FROM wins WHERE id = $1")
            .bind(win_id)
            .fetch_optional(&self.pool)
            .await?;
        match author {
            None => return Err(StoreError::not_found("win", win_id)),
            Some(a) if a == person_id => {
                return Err(StoreError::Invalid(
                    "you posted this win; \"I tried this too\" is for colleagues".into(),
                ))
            }
            Some(_) => {}
        }
        let done = sqlx::query(
            "INSERT INTO reuses (win_id, person_id, unit_id, at)
             SELECT $1, p.id, p.unit_id, $2 FROM people p WHERE p.id = $3
             ON CONFLICT (win_id, person_id) DO NOTHING",
        )
        .bind(win_id)
        .bind(now_text())
        .bind(person_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Re-uses of a win per department of the unit at the time, most first.
    pub async fn reuse_by_department(&self, win_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.path FROM reuses r LEFT JOIN org_units u ON u.id = r.unit_id WHERE r.win_id = $1",
        )
        .bind(win_id)
        .fetch_all(&self.pool)
        .await?;
        let mut counts: std::collections::BTreeMap<String, i64> = Default::default();
        for r in &rows {
            let dept = department_of(r.try_get("path")?);
            *counts
                .entry(if dept.is_empty() {
                    "(no unit)".into()
                } else {
                    dept
                })
                .or_default() += 1;
        }
        let mut out: Vec<(String, i64)> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(out)
    }

    /// Promotes a win into the use-case library (admins); promoting it again returns the
    /// same use case. Audited.
    pub async fn promote_win(
        &self,
        win_id: i64,
        title: &str,
        steps: &[String],
        by: Option<i64>,
    ) -> Result<i64, StoreError> {
        let win = self
            .win(win_id)
            .await?
            .ok_or_else(|| StoreError::not_found("win", win_id))?;
        if let Some(id) = win.use_case_id {
            return Ok(id);
        }
        let title = if title.trim().is_empty() {
            win.title.as_str()
        } else {
            title.trim()
        };
        let steps: Vec<String> = steps
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let tools: Vec<String> = win.tool.iter().cloned().collect();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO use_cases (title, summary, steps, tools, from_win, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(title)
        .bind(&win.what)
        .bind(list_json(&steps)?)
        .bind(list_json(&tools)?)
        .bind(win_id)
        .bind(by)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'usecase.promote', $3, $4)")
            .bind(now_text())
            .bind(by)
            .bind(format!("use_case:{id}"))
            .bind(format!("from win {win_id}: {title}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The use-case library, newest first, optionally only those matching `q`.
    pub async fn use_cases(&self, q: Option<&str>) -> Result<Vec<UseCaseRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, title, summary, steps, tools, from_win, created_at FROM use_cases ORDER BY created_at DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let words: Vec<String> = q
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let mut out = Vec::new();
        for r in &rows {
            let from_win: Option<i64> = r.try_get("from_win")?;
            let uc = UseCaseRow {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                summary: r.try_get("summary")?,
                steps: json_list(&r.try_get::<String, _>("steps")?)?,
                tools: json_list(&r.try_get::<String, _>("tools")?)?,
                from_win,
                departments: match from_win {
                    Some(w) => self.reuse_by_department(w).await?,
                    None => vec![],
                },
                created_at: r.try_get("created_at")?,
            };
            let hay = format!("{} {} {}", uc.title, uc.summary, uc.steps.join(" ")).to_lowercase();
            if words.iter().all(|w| hay.contains(w.as_str())) {
                out.push(uc);
            }
        }
        Ok(out)
    }

    /// A person's champion status and profile.
    pub async fn champion_profile(
        &self,
        person_id: i64,
    ) -> Result<(Option<ChampionStatus>, Option<Profile>), StoreError> {
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM champions WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&self.pool)
                .await?;
        let row = sqlx::query(
            "SELECT listed, bio, tools, office_hours FROM champion_profiles WHERE person_id = $1",
        )
        .bind(person_id)
        .fetch_optional(&self.pool)
        .await?;
        let profile = match row {
            Some(r) => Some(Profile {
                listed: r.try_get::<i64, _>("listed")? != 0,
                bio: r.try_get("bio")?,
                tools: json_list(&r.try_get::<String, _>("tools")?)?,
                office_hours: r.try_get("office_hours")?,
            }),
            None => None,
        };
        Ok((
            status.as_deref().map(ChampionStatus::parse).transpose()?,
            profile,
        ))
    }

    /// Volunteers as a champion (or updates the profile of one): the status becomes
    /// `volunteer` unless they already serve; an open invitation counts as accepted.
    /// Audited.
    pub async fn volunteer(
        &self,
        person_id: i64,
        profile: &Profile,
        by: Option<i64>,
    ) -> Result<ChampionStatus, StoreError> {
        if profile.bio.chars().count() > 2000 || profile.office_hours.chars().count() > 500 {
            return Err(StoreError::Invalid(
                "the bio is limited to 2,000 characters and office hours to 500".into(),
            ));
        }
        let (status, _) = self.champion_profile(person_id).await?;
        let new = match status {
            Some(ChampionStatus::Active) => ChampionStatus::Active,
            _ => ChampionStatus::Volunteer,
        };
        self.set_champion_status(person_id, new, Utc::now().date_naive())
            .await?;
        let now = now_text();
        let tools: Vec<String> = profile
            .tools
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO champion_profiles (person_id, listed, bio, tools, office_hours, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (person_id) DO UPDATE SET listed = excluded.listed, bio = excluded.bio,
             tools = excluded.tools, office_hours = excluded.office_hours, updated_at = excluded.updated_at",
        )
        .bind(person_id)
        .bind(i64::from(profile.listed))
        .bind(profile.bio.trim())
        .bind(list_json(&tools)?)
        .bind(profile.office_hours.trim())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE champion_invitations SET answer = 'accepted', answered_at = $1 WHERE person_id = $2 AND answer IS NULL",
        )
        .bind(&now)
        .bind(person_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'champion.volunteer', $3, $4)")
            .bind(&now)
            .bind(by)
            .bind(format!("person:{person_id}"))
            .bind(format!("{}; listed: {}", new.as_str(), profile.listed))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(new)
    }

    /// Opts out of being a champion and of being suggested: the status becomes
    /// `opted_out`, the profile leaves the directory, an open invitation is declined.
    pub async fn opt_out(&self, person_id: i64, by: Option<i64>) -> Result<(), StoreError> {
        self.set_champion_status(person_id, ChampionStatus::OptedOut, Utc::now().date_naive())
            .await?;
        let now = now_text();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE champion_profiles SET listed = 0, updated_at = $1 WHERE person_id = $2",
        )
        .bind(&now)
        .bind(person_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE champion_invitations SET answer = 'declined', answered_at = $1 WHERE person_id = $2 AND answer IS NULL",
        )
        .bind(&now)
        .bind(person_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'champion.opt_out', $3, 'opted out')")
            .bind(&now)
            .bind(by)
            .bind(format!("person:{person_id}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The directory: volunteers and active champions who opted in, filtered by
    /// department, site or a tool they help with; by department, then name.
    pub async fn directory(&self, f: &DirectoryFilter) -> Result<Vec<DirectoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.display_name, u.path, s.name AS site, c.status, cp.bio, cp.tools, cp.office_hours
             FROM champion_profiles cp JOIN champions c ON c.person_id = cp.person_id
             JOIN people p ON p.id = cp.person_id
             LEFT JOIN org_units u ON u.id = p.unit_id LEFT JOIN sites s ON s.id = p.site_id
             WHERE cp.listed = 1 AND c.status IN ('volunteer', 'active') AND p.left_on IS NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let path: Option<String> = r.try_get("path")?;
            let e = DirectoryEntry {
                person_id: r.try_get("id")?,
                name: r.try_get("display_name")?,
                department: department_of(path.clone()),
                unit: path.unwrap_or_default(),
                site: r.try_get::<Option<String>, _>("site")?.unwrap_or_default(),
                status: ChampionStatus::parse(&r.try_get::<String, _>("status")?)?,
                bio: r.try_get("bio")?,
                tools: json_list(&r.try_get::<String, _>("tools")?)?,
                office_hours: r.try_get("office_hours")?,
            };
            let keep = f
                .department
                .as_deref()
                .is_none_or(|d| d.is_empty() || e.department.eq_ignore_ascii_case(d))
                && f.site
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || e.site.eq_ignore_ascii_case(s))
                && f.tool.as_deref().is_none_or(|t| {
                    t.is_empty() || e.tools.iter().any(|x| x.eq_ignore_ascii_case(t))
                });
            if keep {
                out.push(e);
            }
        }
        out.sort_by(|a, b| {
            a.department
                .cmp(&b.department)
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(out)
    }

    /// Invites people (by id) to become champions, e.g. from the champion plan. People
    /// already champions, opted out, or with an open invitation are skipped. Returns the
    /// ids invited. Audited.
    pub async fn invite_champions(
        &self,
        person_ids: &[i64],
        note: &str,
        by: Option<i64>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut invited = Vec::new();
        let now = now_text();
        let mut tx = self.begin_write().await?;
        for &p in person_ids {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1")
                .bind(p)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::Invalid(format!("no person with id {p}")));
            }
            let status: Option<String> =
                sqlx::query_scalar("SELECT status FROM champions WHERE person_id = $1")
                    .bind(p)
                    .fetch_optional(&mut *tx)
                    .await?;
            if matches!(
                status.as_deref(),
                Some("volunteer" | "active" | "opted_out")
            ) {
                continue;
            }
            let open: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM champion_invitations WHERE person_id = $1 AND answer IS NULL",
            )
            .bind(p)
            .fetch_optional(&mut *tx)
            .await?;
            if open.is_some() {
                continue;
            }
            sqlx::query("INSERT INTO champion_invitations (person_id, invited_by, invited_at, note) VALUES ($1, $2, $3, $4)")
                .bind(p)
                .bind(by)
                .bind(&now)
                .bind(note.trim())
                .execute(&mut *tx)
                .await?;
            invited.push(p);
        }
        if !invited.is_empty() {
            sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'champion.invite', 'champions', $3)")
                .bind(&now)
                .bind(by)
                .bind(format!("invited {} people", invited.len()))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(invited)
    }

    /// A person's invitations, newest first.
    pub async fn invitations(&self, person_id: i64) -> Result<Vec<Invitation>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, person_id, invited_at, note, answer FROM champion_invitations WHERE person_id = $1 ORDER BY id DESC",
        )
        .bind(person_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Invitation {
                    id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    invited_at: r.try_get("invited_at")?,
                    note: r.try_get("note")?,
                    answer: r.try_get("answer")?,
                })
            })
            .collect()
    }

    /// Logs a peer-help session; returns its id.
    pub async fn log_help_session(&self, h: &NewHelpSession<'_>) -> Result<i64, StoreError> {
        let topic = h.topic.trim();
        if topic.is_empty() || topic.chars().count() > 300 {
            return Err(StoreError::Invalid(
                "a help session needs a topic of at most 300 characters".into(),
            ));
        }
        if h.minutes == 0 || h.minutes > 24 * 60 || h.people == 0 || h.people > 1000 {
            return Err(StoreError::Invalid(
                "minutes must be 1 to 1,440 and people 1 to 1,000".into(),
            ));
        }
        let tool = self.tool_id_of(h.tool).await?;
        let unit: Option<i64> = match h.unit_id {
            Some(u) => Some(u),
            None => sqlx::query_scalar("SELECT unit_id FROM people WHERE id = $1")
                .bind(h.champion_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        };
        // In a transaction of its own: an `INSERT … RETURNING` read outside one hands back
        // the id before SQLite commits, and a failed commit (a full disk) went unseen.
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO help_sessions (champion_id, unit_id, tool_id, topic, minutes, people, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(h.champion_id)
        .bind(unit)
        .bind(tool)
        .bind(topic)
        .bind(i64::from(h.minutes))
        .bind(i64::from(h.people))
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Help sessions per champion since `since` (RFC 3339 or date): (person id, name,
    /// sessions, minutes, people helped), most minutes first.
    pub async fn help_by_champion(
        &self,
        since: &str,
    ) -> Result<Vec<(i64, String, i64, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.champion_id, p.display_name, COUNT(*) AS n, CAST(SUM(h.minutes) AS BIGINT) AS minutes, CAST(SUM(h.people) AS BIGINT) AS people
             FROM help_sessions h JOIN people p ON p.id = h.champion_id WHERE h.at >= $1
             GROUP BY h.champion_id, p.display_name ORDER BY minutes DESC, p.display_name",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("champion_id")?,
                    r.try_get("display_name")?,
                    r.try_get("n")?,
                    r.try_get("minutes")?,
                    r.try_get("people")?,
                ))
            })
            .collect()
    }
}
