//! The org chart's people and the tools catalog as use cases: reading people is
//! individual-level (admins; every read audited with what was returned), and so is
//! changing the catalog.

use flywheel_domain::program::Tool;
use flywheel_store::{Page, PeopleFilter, PersonRow};

use crate::{App, AppResult};

impl App {
    /// People matching `filter`, one page (admins; audited). `via` names the front door
    /// in the audit log (`api:/api/v1/people`, `cli`).
    pub async fn people(
        &self,
        filter: &PeopleFilter,
        page: u32,
        per_page: u32,
        via: &str,
    ) -> AppResult<Page<PersonRow>> {
        self.require_admin("read individual-level data")?;
        let result = self.store().list_people(filter, page, per_page).await?;
        let by = self.caller().user().map(|u| u.id);
        self.store()
            .audit(
                by,
                "people.list",
                via,
                &format!(
                    "page {page} of {per_page} (after {:?}), unit {:?}, site {:?}, {} people returned",
                    filter.after,
                    filter.unit,
                    filter.site,
                    result.items.len()
                ),
            )
            .await?;
        Ok(result)
    }

    /// Every person matching `filter` (at most `limit`), read page by page (admins;
    /// audited once, by the operator's `cli` or the caller).
    pub async fn all_people(
        &self,
        filter: &PeopleFilter,
        limit: Option<usize>,
    ) -> AppResult<Vec<PersonRow>> {
        self.require_admin("read individual-level data")?;
        const PER_PAGE: u32 = 5_000;
        let mut people = Vec::new();
        for page in 1.. {
            let p = self.store().list_people(filter, page, PER_PAGE).await?;
            let n = p.items.len();
            people.extend(p.items);
            if n < PER_PAGE as usize || limit.is_some_and(|l| people.len() >= l) {
                break;
            }
        }
        if let Some(l) = limit {
            people.truncate(l);
        }
        let by = self.caller().user().map(|u| u.id);
        self.store()
            .audit(
                by,
                "people.list",
                if by.is_some() { "web" } else { "cli" },
                &format!(
                    "{} people listed (unit {:?}, site {:?})",
                    people.len(),
                    filter.unit,
                    filter.site
                ),
            )
            .await?;
        Ok(people)
    }

    /// Where the caller's person sits (`None`: the account is linked to nobody).
    pub async fn my_place(&self) -> AppResult<Option<flywheel_store::PersonPlace>> {
        match self.caller().user().and_then(|u| u.person_id) {
            Some(p) => Ok(self.store().person_place(p).await?),
            None => Ok(None),
        }
    }

    /// Headcounts of the organisation (aggregates: every caller, anonymous included, as
    /// the home page shows them; front doors merge units below the minimum group size).
    pub async fn org_summary(&self) -> AppResult<flywheel_store::OrgSummary> {
        Ok(self.store().org_summary().await?)
    }

    /// The tools catalog (every caller: it is what "Can I?" and access requests offer).
    pub async fn catalog(&self) -> AppResult<Vec<Tool>> {
        Ok(self.store().catalog().await?)
    }

    /// Adds or replaces a catalog entry (admins); whether it changed. Audited by the store
    /// with the caller.
    pub async fn save_tool(&self, tool: Tool) -> AppResult<bool> {
        self.require_admin("edit the catalog")?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self.store().save_tool(tool, by).await?)
    }
}
