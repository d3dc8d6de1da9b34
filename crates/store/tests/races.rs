//! The race suite: 40 concurrent conflicting requests per state machine, on SQLite and on
//! PostgreSQL. Each asserts exactly one winner, that every loser is told the state it lost
//! to, and a forward-only history.

use flywheel_domain::program::{IncidentState, RequestState, Severity};
use std::sync::Arc;

use chrono::NaiveDate;
use flywheel_domain::program::Tool;
use flywheel_ingest::hris::{read_hris, HrisOptions};
use flywheel_store::{BadgeDef, LearningCatalog, NewAward, Role, Store, StoreError};
use flywheel_testkit::{both_backends, fixture};

const N: usize = 40;

async fn company(url: &str) -> Arc<Store> {
    let store = Store::open(url).await.expect("open");
    let f = std::fs::File::open(fixture("hris/oracle-hr_as_hris_orgchart.csv")).expect("fixture");
    let recs = read_hris(f, "oracle.csv", &HrisOptions::default())
        .expect("fixture reads")
        .records;
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    store
        .import_org_chart("oracle.csv", "sha", &recs, day)
        .await
        .expect("import");
    let tool = Tool {
        name: "Writer".into(),
        category: "ai-assistant".into(),
        description: String::new(),
        access_url: String::new(),
        how_to: vec![],
        purposes: vec!["drafting".into()],
        data_classes: vec!["internal".into()],
        alternatives: vec![],
        approved: true,
    };
    store.save_tool(tool, None).await.expect("tool");
    Arc::new(store)
}

/// Runs `n` copies of `f(i)` at once on the store; returns their results in order.
async fn all_at_once<T, F, Fut>(store: &Arc<Store>, n: usize, f: F) -> Vec<Result<T, StoreError>>
where
    T: Send + 'static,
    F: Fn(Arc<Store>, usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let fut = f(Arc::clone(store), i);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                fut.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

fn conflict_names(e: &StoreError, what: &str) {
    match e {
        StoreError::Conflict(m) => assert!(m.contains(what), "the loser is told the state: {m}"),
        other => panic!("a loser gets Conflict, got {other:?}"),
    }
}

both_backends! {
    async fn decisions_on_one_request_have_one_winner(url: String) {
        let store = company(&url).await;
        let people = store.population(None).await.expect("population").people;
        for round in 0..3 {
            let person = people[10 + round].id;
            let id = store.request_access(person, None, "Writer", "reports").await.expect("request");
            let results = all_at_once(&store, N, move |s, i| async move {
                let to = [RequestState::Granted, RequestState::Denied, RequestState::Withdrawn][i % 3];
                s.decide_request(id, to, None, "").await.map(|r| (to, r.state))
            })
            .await;
            let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
            assert_eq!(winners.len(), 1, "exactly one decision wins: {results:?}");
            let (to, state) = winners[0];
            assert_eq!(to, state);
            let now = store.access_request(id).await.expect("read").expect("there");
            assert_eq!(&now.state, state, "the stored state is the winner's");
            for e in results.iter().filter_map(|r| r.as_ref().err()) {
                conflict_names(e, &format!("is {state} already"));
            }
            let decided = store
                .audit_log(1000)
                .await
                .expect("audit")
                .into_iter()
                .filter(|a| a.action == "request.decide" && a.subject == format!("request:{id}"))
                .count();
            assert_eq!(decided, 1, "one decision audited");
        }
        assert!(matches!(
            store.decide_request(999_999, RequestState::Granted, None, "").await,
            Err(StoreError::NotFound { what: "request", .. })
        ));
    }

    async fn one_open_request_per_person_and_tool_at_once(url: String) {
        let store = company(&url).await;
        let person = store.population(None).await.expect("population").people[20].id;
        let results = all_at_once(&store, N, move |s, _| async move {
            s.request_access(person, None, "Writer", "at once").await
        })
        .await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            conflict_names(e, "already have an open request");
        }
        assert_eq!(store.access_requests(Some(person), Some("open")).await.expect("open").len(), 1);
    }

    async fn incidents_only_move_forward_under_concurrency(url: String) {
        let store = company(&url).await;
        for round in 0..3 {
            let id = store
                .report_incident(None, None, None, "confidential", Severity::High, "pasted a contract")
                .await
                .expect("report");
            let results = all_at_once(&store, N, move |s, i| async move {
                let to = IncidentState::ALL[1 + (i + round) % 3];
                s.move_incident(id, to, None).await.map(|r| r.state)
            })
            .await;
            // The moves that won, in the order the audit log recorded them, only go forward.
            let moves: Vec<(String, String)> = store
                .audit_log(1000)
                .await
                .expect("audit")
                .into_iter()
                .rev()
                .filter(|a| a.action == "incident.triage" && a.subject == format!("incident:{id}"))
                .map(|a| {
                    let (from, to) = a.detail.split_once(" -> ").expect("from -> to");
                    (from.to_owned(), to.to_owned())
                })
                .collect();
            let ok = results.iter().filter(|r| r.is_ok()).count();
            assert!((1..=3).contains(&ok), "at most one win per forward step: {results:?}");
            assert_eq!(moves.len(), ok, "one audit entry per winning move");
            let pos = |s: &str| IncidentState::parse(s).expect("a state");
            let mut at = "reported".to_owned();
            for (from, to) in &moves {
                assert_eq!(from, &at, "each move starts where the last one ended: {moves:?}");
                assert!(pos(to) > pos(from), "forward only: {moves:?}");
                at = to.clone();
            }
            let now = store.incident(id).await.expect("read").expect("there");
            assert_eq!(now.state.as_str(), at, "the stored state is the last winner's");
            assert_eq!(now.resolved_at.is_some(), now.state == IncidentState::Resolved, "resolved_at only when resolved");
            for e in results.iter().filter_map(|r| r.as_ref().err()) {
                conflict_names(e, "it can only move forward");
            }
        }
    }

    async fn concurrent_awards_are_all_stored_with_distinct_status_indexes(url: String) {
        let store = company(&url).await;
        let cat = LearningCatalog {
            courses: vec![],
            campaigns: vec![],
            badges: vec![BadgeDef {
                slug: "explorer".into(), name: "Explorer".into(), description: String::new(), tier: None,
                criteria: String::new(), courses: vec![], wins: 0, requires: vec![], valid_days: None, campaign: None,
            }],
        };
        store.load_learning(&cat, None).await.expect("load");
        let badge = store.badge_classes().await.expect("classes")[0].id;
        let mut users = Vec::new();
        for i in 0..N {
            users.push(store.create_user(&format!("u{i}@example.com"), "a long enough password", Role::Employee).await.expect("user").id);
        }
        let users = Arc::new(users);
        let signed = |i: i64| Ok::<_, std::convert::Infallible>((format!("{{\"index\": {i}}}"), "jwt".to_string()));
        // 40 people finishing at once: 40 awards.
        let u = Arc::clone(&users);
        let results = all_at_once(&store, N, move |s, i| {
            let user_id = u[i];
            async move {
                let uuid = format!("urn:uuid:many-{i}");
                let a = NewAward { uuid: &uuid, badge_id: badge, user_id, issued_at: "2026-01-01T00:00:00Z", valid_until: None, win_id: None };
                s.insert_award(&a, None, signed).await.map(|a| a.status_index)
            }
        })
        .await;
        let mut indexes: Vec<i64> = results.iter().map(|r| *r.as_ref().unwrap_or_else(|e| panic!("every award is stored: {e}"))).collect();
        indexes.sort_unstable();
        assert_eq!(indexes, (0..N as i64).collect::<Vec<_>>(), "distinct, dense status indexes");
        // One person earning the same badge 40 times at once: one award, the rest are told.
        let other = store.create_user("solo@example.com", "a long enough password", Role::Employee).await.expect("user").id;
        let results = all_at_once(&store, N, move |s, i| async move {
            let uuid = format!("urn:uuid:solo-{i}");
            let a = NewAward { uuid: &uuid, badge_id: badge, user_id: other, issued_at: "2026-01-01T00:00:00Z", valid_until: None, win_id: None };
            s.insert_award(&a, None, signed).await.map(|a| a.status_index)
        })
        .await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            conflict_names(e, "already holds this badge");
        }
    }
}
