//! API tokens on SQLite and on PostgreSQL: only a keyed hash is stored; a token acts as
//! its account until it expires or is revoked; its use is recorded.

use flywheel_store::{Role, Store, StoreError, NO_PASSWORD};
use flywheel_testkit::both_backends;

both_backends! {
    async fn a_token_acts_as_its_account_until_revoked_or_expired(url: String) {
        let store = Store::open(&url).await.expect("open");
        let ana = store.create_user("ana@example.com", "a long passphrase 1", Role::Employee).await.expect("user");
        let (token, record) = store.create_api_token(&ana, "laptop", None, Some(ana.id)).await.expect("token");
        assert!(token.starts_with("fw_") && token.len() == 67, "{token}");
        assert_eq!((record.name.as_str(), record.role, record.state("2099-01-01T00:00:00Z")), ("laptop", Role::Employee, "active"));
        // Only a keyed hash is stored: the token appears nowhere in the database.
        let stored: Vec<String> = dump(&url).await;
        assert!(stored.iter().all(|v| !v.contains(&token[3..])), "the token is stored");
        let (user, used) = store.user_by_api_token(&token).await.expect("read").expect("valid");
        assert_eq!((user.id, user.email.as_str()), (ana.id, "ana@example.com"));
        assert!(used.last_used_at.is_none(), "the record read before this use");
        assert!(store.api_tokens(Some(ana.id)).await.expect("list")[0].last_used_at.is_some(), "use recorded");
        // Unknown, malformed and near-miss tokens act as nobody.
        for bad in ["fw_", "nope", &format!("{}x", &token[..66]), &token.to_uppercase()] {
            assert!(store.user_by_api_token(bad).await.expect("read").is_none(), "{bad}");
        }
        let twice = store.create_api_token(&ana, "laptop", None, None).await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        assert!(store.revoke_api_token(record.id, Some(ana.id), Some(ana.id)).await.expect("revoke"));
        assert!(!store.revoke_api_token(record.id, None, None).await.expect("again"), "already revoked");
        assert!(store.user_by_api_token(&token).await.expect("read").is_none(), "revoked");
        // An expired token acts as nobody; one that expires later works.
        let past = chrono::Utc::now() - chrono::Duration::minutes(1);
        let (old, _) = store.create_api_token(&ana, "old", Some(past), None).await.expect("token");
        assert!(store.user_by_api_token(&old).await.expect("read").is_none(), "expired");
        let later = chrono::Utc::now() + chrono::Duration::days(90);
        let (fresh, _) = store.create_api_token(&ana, "ci", Some(later), None).await.expect("token");
        assert!(store.user_by_api_token(&fresh).await.expect("read").is_some());
        // Another account cannot revoke it.
        let bo = store.create_user("bo@example.com", "a long passphrase 2", Role::Employee).await.expect("user");
        let id = store.api_tokens(Some(ana.id)).await.expect("list")[0].id;
        let other = store.revoke_api_token(id, Some(bo.id), Some(bo.id)).await;
        assert!(matches!(other, Err(StoreError::NotFound { .. })), "{other:?}");
        // Tokens made on the command line act as a service account nobody signs in with.
        let svc = store.service_account("reporting", Role::Viewer).await.expect("account");
        assert_eq!(svc.email, "reporting@tokens.flywheel.invalid");
        assert_eq!(store.credentials_by_id(svc.id).await.expect("read").map(|(_, h)| h), Some(NO_PASSWORD.to_owned()));
        let clash = store.service_account("reporting", Role::Admin).await;
        assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
        let audit: Vec<String> = store.audit_log(50).await.expect("log").into_iter().map(|e| e.action).collect();
        assert_eq!(audit.iter().filter(|a| *a == "token.create").count(), 3, "{audit:?}");
        assert_eq!(audit.iter().filter(|a| *a == "token.revoke").count(), 1, "{audit:?}");
    }
}

both_backends! {
    async fn basic_stays_on_for_installs_that_had_accounts_and_is_off_for_new_ones(url: String) {
        let store = Store::open(&url).await.expect("open");
        assert!(!store.http_basic().await.expect("read"), "a new install");
        store.create_user("ana@example.com", "a long passphrase 1", Role::Admin).await.expect("user");
        store.close().await;
        // As if this install had accounts before migration 16: it runs on the next open.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
        sqlx::query("DELETE FROM settings WHERE key = 'http_basic'").execute(&pool).await.expect("delete");
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 16").execute(&pool).await.expect("delete");
        pool.close().await;
        let store = Store::open(&url).await.expect("reopen");
        assert!(store.http_basic().await.expect("read"), "kept on for its scripts");
    }
}

both_backends! {
    async fn a_password_link_works_once_and_not_after_it_expires(url: String) {
        use flywheel_store::LinkPurpose;
        let store = std::sync::Arc::new(Store::open(&url).await.expect("open"));
        let ana = store.invited_account("ana@example.com", Role::Employee).await.expect("account");
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        let old = store.create_account_link(&ana, LinkPurpose::Invite, past, None).await.expect("link");
        assert!(store.account_link(&old).await.expect("read").is_none(), "expired");
        let late = store.use_account_link(&old, "four unrelated words here").await;
        assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
        // Two uses at once: one sets the password, the other is told the link is spent.
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        let token = store.create_account_link(&ana, LinkPurpose::Reset, later, None).await.expect("link");
        let (a, b) = (std::sync::Arc::clone(&store), std::sync::Arc::clone(&store));
        let (ta, tb) = (token.clone(), token.clone());
        let (ra, rb) = tokio::join!(
            async move { a.use_account_link(&ta, "four unrelated words here").await },
            async move { b.use_account_link(&tb, "five other unrelated words").await },
        );
        assert_eq!(usize::from(ra.is_ok()) + usize::from(rb.is_ok()), 1, "{ra:?} {rb:?}");
        assert!(store.account_link(&token).await.expect("read").is_none(), "spent");
    }
}

/// Every text value of the token table, read over a connection of its own.
async fn dump(url: &str) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("connect");
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT name, token_hash, created_at FROM api_tokens")
            .fetch_all(&pool)
            .await
            .expect("rows");
    assert!(!rows.is_empty());
    rows.into_iter().flat_map(|(a, b, c)| [a, b, c]).collect()
}
