//! The weekly digest: the seven days to the clock's now (the core's clock, so a demo or a
//! replay can be read as of its own day; nothing after it counts), what was shared,
//! re-used, asked and earned.

use chrono::{DateTime, Duration, Utc};
use flywheel_insights::privacy::shown;
use flywheel_store::{AwardRow, CanIDemand, DirectoryFilter, UseCaseRow, WinFilter, WinRow};

use crate::{App, AppResult};

/// The digest of the seven days to `to`.
#[derive(Debug, Clone)]
pub struct Digest {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub wins_posted: i64,
    /// The week's five wins that save the most time per month (wins that stated no time
    /// after every one that did).
    pub top_wins: Vec<WinRow>,
    /// The five most tried wins posted in the last 90 days.
    pub most_tried: Vec<WinRow>,
    /// Use cases promoted this week (their department counts are raw: the front door
    /// withholds those below the minimum group size as it shows them).
    pub new_use_cases: Vec<UseCaseRow>,
    /// The ten "Can I?" questions asked most (all time), only those asked by at least the
    /// minimum group size.
    pub top_questions: Vec<CanIDemand>,
    pub champions_listed: usize,
    /// Awards this week per badge name; `None` below the minimum group size.
    pub badges_awarded: Vec<(String, Option<i64>)>,
    /// This week's awards whose holders show them on their profile.
    pub badges_shown: Vec<AwardRow>,
    pub min_group_size: i64,
}

/// How many wins each of the digest's lists shows.
const LIST: usize = 5;

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl App {
    /// The digest of the seven days to now.
    pub async fn digest(&self) -> AppResult<Digest> {
        let store = self.store();
        let to = self.now();
        let from = to - Duration::days(7);
        let since = instant(from);
        let now = instant(to);
        let wins_since = |t: DateTime<Utc>| WinFilter {
            since: Some(instant(t)),
            until: Some(now.clone()),
            ..Default::default()
        };
        let week = store.wins(&wins_since(from), 1, 500).await?;
        let mut top_wins = week.items.clone();
        top_wins.sort_by(|a, b| {
            let saved = |w: &WinRow| w.minutes_saved_per_month.unwrap_or(f64::NEG_INFINITY);
            saved(b).total_cmp(&saved(a))
        });
        top_wins.truncate(LIST);
        let recent = store
            .wins(&wins_since(to - Duration::days(90)), 1, 500)
            .await?;
        let mut most_tried: Vec<WinRow> = recent
            .items
            .into_iter()
            .filter(|w| w.tried_too > 0)
            .collect();
        most_tried.sort_by(|a, b| b.tried_too.cmp(&a.tried_too).then(b.id.cmp(&a.id)));
        most_tried.truncate(LIST);
        let min = store.min_group_size().await?;
        let top_questions = store
            .can_i_demand()
            .await?
            .into_iter()
            .filter(|d| shown(d.questions, min).is_some())
            .take(10)
            .collect();
        let new_use_cases = store
            .use_cases(None)
            .await?
            .into_iter()
            .filter(|u| u.created_at >= since && u.created_at <= now)
            .collect();
        let week_awards: Vec<AwardRow> = store
            .awards_since(&since)
            .await?
            .into_iter()
            .filter(|a| a.issued_at <= now)
            .collect();
        let mut per_badge: std::collections::BTreeMap<String, i64> = Default::default();
        for a in &week_awards {
            *per_badge.entry(a.badge_name.clone()).or_default() += 1;
        }
        let badges_shown = week_awards
            .into_iter()
            .filter(|a| a.on_profile && a.person_id.is_some() && a.state(&now) == "active")
            .collect();
        Ok(Digest {
            from,
            to,
            wins_posted: week.total,
            top_wins,
            most_tried,
            new_use_cases,
            top_questions,
            champions_listed: store.directory(&DirectoryFilter::default()).await?.len(),
            badges_awarded: per_badge
                .into_iter()
                .map(|(badge, n)| (badge, shown(n, min)))
                .collect(),
            badges_shown,
            min_group_size: min,
        })
    }
}
