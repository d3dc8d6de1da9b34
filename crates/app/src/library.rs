//! Reading what the community shared: wins (a page of the list, one win with who re-used
//! and verified it), the use-case library and the champion directory. Readable by every
//! role; department counts come raw, and the front door withholds those below the
//! minimum group size as it shows them (`min_group_size` travels with them).

use flywheel_store::{
    DirectoryEntry, DirectoryFilter, Page, StoreError, UseCaseRow, Verification, WinFilter, WinRow,
};

use crate::{App, AppResult};

/// One win as its page shows it.
#[derive(Debug, Clone)]
pub struct WinView {
    pub win: WinRow,
    /// "I tried this too" per department (raw counts).
    pub tried_by_department: Vec<(String, i64)>,
    pub verifications: Vec<Verification>,
    /// Whether the caller's person posted it, and whether they said they tried it.
    pub mine: bool,
    pub tried: bool,
    /// Whether the caller may verify it: a role that writes, not its author, not
    /// verified by them already.
    pub can_verify: bool,
    pub min_group_size: i64,
}

impl App {
    /// A page of the wins matching `filter`, newest first.
    pub async fn wins(
        &self,
        filter: &WinFilter,
        page: u32,
        per_page: u32,
    ) -> AppResult<Page<WinRow>> {
        Ok(self.store().wins(filter, page, per_page).await?)
    }

    /// Win `id` with its re-use, its verifications and the caller's relation to it.
    pub async fn win(&self, id: i64) -> AppResult<WinView> {
        let store = self.store();
        let win = store
            .win(id)
            .await?
            .ok_or_else(|| StoreError::not_found("win", id))?;
        let (mine, tried) = match self.caller().user().and_then(|u| u.person_id) {
            Some(p) => (
                store.win_author(id).await? == Some(p),
                store.has_tried(id, p).await?,
            ),
            None => (false, false),
        };
        let verifications = store.win_verifications(id).await?;
        let can_verify = match self.caller().user() {
            Some(u) if self.require_write("").is_ok() => {
                let author = store
                    .win_author_users(id)
                    .await?
                    .iter()
                    .any(|a| a.id == u.id);
                !author && !verifications.iter().any(|v| v.verifier == u.email)
            }
            _ => false,
        };
        Ok(WinView {
            win,
            tried_by_department: store.reuse_by_department(id).await?,
            verifications,
            mine,
            tried,
            can_verify,
            min_group_size: store.min_group_size().await?,
        })
    }

    /// The use-case library, optionally searched.
    pub async fn use_cases(&self, q: Option<&str>) -> AppResult<Vec<UseCaseRow>> {
        Ok(self.store().use_cases(q).await?)
    }

    /// The champion directory: listed volunteers and active champions matching `filter`.
    pub async fn directory(&self, filter: &DirectoryFilter) -> AppResult<Vec<DirectoryEntry>> {
        Ok(self.store().directory(filter).await?)
    }
}
