//! Store behaviour, every test on SQLite and on PostgreSQL.

use chrono::NaiveDate;
use flywheel_domain::org::IdentityKind;
use flywheel_domain::org_import::HrisRecord;
use flywheel_domain::program::{IncidentState, RequestState, Severity};
use flywheel_ingest::hris::{read_hris, HrisOptions};
use flywheel_store::{PeopleFilter, Role, Store, StoreError};
use flywheel_testkit::{both_backends, fixture};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn oracle() -> Vec<HrisRecord> {
    let f = std::fs::File::open(fixture("hris/oracle-hr_as_hris_orgchart.csv")).expect("fixture");
    read_hris(f, "oracle.csv", &HrisOptions::default())
        .expect("fixture reads")
        .records
}

fn parse(text: &str) -> Vec<HrisRecord> {
    read_hris(text.as_bytes(), "t.csv", &HrisOptions::default())
        .expect("test csv reads")
        .records
}

/// HRIS ids of the current people in a unit (and its sub-units).
async fn ids_in(store: &Store, unit: Option<i64>) -> Vec<String> {
    let f = PeopleFilter {
        unit,
        ..Default::default()
    };
    store
        .list_people(&f, 1, 100)
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|p| p.hris_id)
        .collect()
}

/// Everything an import can touch, as comparable text.
async fn dump(store: &Store) -> String {
    let mut out = String::new();
    for t in [
        "people",
        "org_units",
        "sites",
        "identities",
        "assignments",
        "imports",
        "interactions",
    ] {
        out.push_str(&format!("{t}={}\n", store.count(t).await.expect("count")));
    }
    let all = PeopleFilter {
        include_departed: true,
        ..Default::default()
    };
    let people = store.list_people(&all, 1, 10_000).await.expect("list");
    for p in &people.items {
        out.push_str(&format!("{p:?}\n"));
        if let Some(h) = &p.hris_id {
            out.push_str(&format!(
                "  {:?}\n",
                store.person_history(h).await.expect("history")
            ));
        }
    }
    out
}

both_backends! {
    async fn migrations_reach_the_expected_version(url: String) {
        let store = Store::open(&url).await.expect("open");
        let v = store.schema_version().await.expect("version");
        assert!(v >= 1);
        assert_eq!(v, store.expected_schema_version());
        store.close().await;
        // Re-opening an up-to-date database runs nothing and keeps the version.
        let again = Store::open(&url).await.expect("reopen");
        assert_eq!(again.schema_version().await.expect("version"), v);
    }

    async fn population_places_people_and_keeps_champion_statuses(url: String) {
        use flywheel_store::ChampionStatus;
        let store = Store::open(&url).await.expect("open");
        store.import_org_chart("oracle.csv", "sha", &oracle(), d("2024-01-01")).await.expect("import");
        let pop = store.population(None).await.expect("population");
        assert_eq!(pop.len(), 107);
        let king = pop.people.iter().find(|p| p.name == "Steven King").expect("king");
        assert_eq!((king.level, king.span), (0, 106), "the root has everyone below");
        assert!(pop.people.iter().all(|p| p.level > 0 || p.name == "Steven King"));
        assert!(pop.departments.iter().any(|d| d == "Shipping"), "{:?}", pop.departments);
        assert!(pop.departments.iter().any(|d| d == "(no unit)"), "one person without a department");
        assert!(pop.usage.is_empty() && pop.ties.is_empty() && pop.help.is_empty());

        let id = king.id;
        store.set_champion_status(id, ChampionStatus::Active, d("2025-01-01")).await.expect("set");
        store.set_champion_status(id, ChampionStatus::Active, d("2025-06-01")).await.expect("again");
        let pop = store.population(None).await.expect("population");
        let king = pop.people.iter().find(|p| p.id == id).expect("king");
        assert_eq!(king.champion_since, Some(d("2025-01-01")), "the same status keeps its day");
        store.set_champion_status(id, ChampionStatus::OptedOut, d("2025-07-01")).await.expect("opt out");
        let pop = store.population(None).await.expect("population");
        let king = pop.people.iter().find(|p| p.id == id).expect("king");
        assert!(king.opted_out && !king.volunteer && king.champion_since.is_none());
        let err = store.set_champion_status(999_999, ChampionStatus::Volunteer, d("2025-01-01")).await;
        assert!(err.is_err_and(|e| e.to_string().contains("no person with id 999999")));
    }

    async fn program_events_are_recorded_once_and_reach_the_population(url: String) {
        use chrono::TimeZone;
        use flywheel_store::{NewAccessRequest, NewIncident, NewIntervention};
        let store = Store::open(&url).await.expect("open");
        store.import_org_chart("oracle.csv", "sha", &oracle(), d("2024-01-01")).await.expect("import");
        let pop = store.population(None).await.expect("population");
        let site = pop.sites[0].clone();
        let shipping = NewIntervention {
            kind: "training",
            unit_path: Some("Shipping"),
            day: Some(d("2025-03-01")),
            ..Default::default()
        };
        let (id, new) = store.record_intervention(&shipping).await.expect("record");
        assert!(new);
        assert_eq!(store.record_intervention(&shipping).await.expect("again"), (id, false));
        let unknown = NewIntervention { unit_path: Some("Nowhere"), ..shipping.clone() };
        let err = store.record_intervention(&unknown).await.expect_err("unknown unit");
        assert!(err.to_string().contains("no unit with path \"Nowhere\""), "{err}");
        let err = store
            .set_waves(&[(site.clone(), d("2025-02-01")), ("Atlantis".into(), d("2025-03-01"))])
            .await
            .expect_err("unknown site");
        assert!(err.to_string().contains("Atlantis"));
        assert_eq!(store.count("rollout_waves").await.expect("count"), 0, "all or nothing");
        store.set_waves(&[(site.clone(), d("2025-02-01"))]).await.expect("waves");
        store.set_waves(&[(site.clone(), d("2025-04-01"))]).await.expect("moved");

        let at = |day: &str| chrono::Utc.from_utc_datetime(&d(day).and_hms_opt(9, 0, 0).expect("time"));
        let person = pop.people[3].id;
        let req = NewAccessRequest {
            person,
            tool: None,
            requested_at: at("2025-03-02"),
            decided_at: Some(at("2025-03-04")),
            state: "granted",
        };
        assert_eq!(store.record_access_requests(std::slice::from_ref(&req)).await.expect("req"), 1);
        assert_eq!(store.record_access_requests(&[req]).await.expect("again"), 0);
        store
            .record_incidents(&[NewIncident {
                tool: None,
                person: Some(person),
                data_class: "confidential".into(),
                severity: "high",
                what: "pasted a contract".into(),
                state: "resolved",
                reported_at: at("2025-03-05"),
                intervened_at: Some(at("2025-03-06")),
            }])
            .await
            .expect("incident");

        let pop = store.population(None).await.expect("population");
        assert_eq!(pop.interventions.len(), 1);
        let shipping_unit = pop.interventions[0].unit.expect("unit");
        assert_eq!(pop.units[shipping_unit as usize].path, "Shipping");
        let in_shipping = pop.people.iter().enumerate().filter(|(i, _)| pop.in_scope(*i as u32, Some(shipping_unit), None)).count();
        let dept = pop.departments.iter().position(|x| x == "Shipping").expect("dept") as u32;
        assert_eq!(in_shipping, pop.people.iter().filter(|p| p.department == dept).count());
        assert!(in_shipping > 1, "the unit and everything below it");
        assert_eq!(pop.waves.iter().flatten().collect::<Vec<_>>(), vec![&d("2025-04-01")]);
        assert_eq!(pop.requests.len(), 1);
        assert_eq!(pop.requests[0].granted, Some(d("2025-03-04")));
        assert_eq!(pop.incidents.len(), 1);

        let id = store.save_stage_evaluation(d("2025-03-31"), "walk", "defaults", "{}").await.expect("save");
        let id2 = store.save_stage_evaluation(d("2025-04-30"), "run", "defaults", "{}").await.expect("save");
        let history = store.stage_evaluations(10).await.expect("history");
        assert_eq!(history.iter().map(|h| h.id).collect::<Vec<_>>(), vec![id2, id]);
        assert_eq!(history[0].reached, "run");
    }

    async fn oracle_fixture_imports_once(url: String) {
        let store = Store::open(&url).await.expect("open");
        let recs = oracle();
        let out = store.import_org_chart("oracle.csv", "sha", &recs, d("2024-01-01")).await.expect("import");
        assert_eq!(out.hires, 107);
        assert!(out.import_id.is_some());
        assert!(out.flagged_manager_links.is_empty(), "{:?}", out.flagged_manager_links);
        let summary = store.org_summary().await.expect("summary");
        assert_eq!(summary.people, 107);
        assert_eq!(summary.without_unit, 1, "one person without a department");
        let all = store.list_people(&PeopleFilter::default(), 1, 1000).await.expect("list");
        assert_eq!(all.total, 107);
        let roots: Vec<_> = all.items.iter().filter(|p| p.manager_id.is_none()).collect();
        assert_eq!(roots.len(), 1, "only the root has no manager");
        assert_eq!(roots[0].display_name, "Steven King");
        let grant = all.items.iter().find(|p| p.hris_id.as_deref() == Some("178")).expect("178");
        assert_eq!((grant.unit.as_deref(), grant.site.as_deref()), (None, None));
        // Managers point at the right people.
        let by_id: std::collections::HashMap<i64, &flywheel_store::PersonRow> = all.items.iter().map(|p| (p.id, p)).collect();
        for r in &recs {
            let p = all.items.iter().find(|p| p.hris_id.as_deref() == Some(&r.hris_id)).expect("imported");
            let mgr = p.manager_id.and_then(|m| by_id.get(&m)).and_then(|m| m.hris_id.clone());
            assert_eq!(mgr, r.manager_hris, "manager of {}", r.hris_id);
        }

        let before = dump(&store).await;
        let again = store.import_org_chart("oracle.csv", "sha", &recs, d("2024-02-01")).await.expect("re-import");
        assert_eq!(again.import_id, None, "nothing written");
        assert_eq!(again.unchanged, 107);
        assert_eq!(dump(&store).await, before, "re-importing the same file changes nothing");
    }

    async fn newer_snapshot_records_moves_departures_and_returns(url: String) {
        let store = Store::open(&url).await.expect("open");
        let v1 = "Employee ID,Name,Department,Team,Manager ID,Location,Job Title\n\
                  1,Ada,Eng,,,Lyon,CTO\n2,Bob,Eng,Core,1,Lyon,Dev\n3,Cy,Eng,Core,2,Oslo,Dev\n4,Di,Sales,,1,Oslo,Rep\n";
        store.import_org_chart("v1", "a", &parse(v1), d("2024-01-01")).await.expect("v1");
        // Bob moves to Sales and gets a new title; Di leaves; a new hire arrives.
        let v2 = "Employee ID,Name,Department,Team,Manager ID,Location,Job Title\n\
                  1,Ada,Eng,,,Lyon,CTO\n2,Bob,Sales,,1,Lyon,Lead\n3,Cy,Eng,Core,1,Oslo,Dev\n5,Eve,Eng,Core,3,Oslo,Dev\n";
        let out = store.import_org_chart("v2", "b", &parse(v2), d("2024-03-01")).await.expect("v2");
        assert_eq!((out.hires, out.moves, out.departures, out.unchanged), (1, 2, 1, 1));
        let bob = store.person_history("2").await.expect("history");
        assert_eq!(bob.len(), 2);
        assert_eq!(bob[0].0.as_deref(), Some("Eng > Core"));
        assert_eq!((bob[0].3, bob[0].4), (d("2024-01-01"), Some(d("2024-03-01"))));
        assert_eq!((bob[1].0.as_deref(), bob[1].2.as_deref()), (Some("Sales"), Some("Lead")));
        assert_eq!(bob[1].4, None);
        let di = store.person_history("4").await.expect("history");
        assert_eq!(di.len(), 1);
        assert_eq!(di[0].4, Some(d("2024-03-01")));
        let summary = store.org_summary().await.expect("summary");
        assert_eq!((summary.people, summary.departed), (4, 1));
        // Di returns; an older snapshot that moves someone is refused and changes nothing.
        let v3 = format!("{v2}4,Di,Sales,,1,Oslo,Rep\n");
        let before = dump(&store).await;
        let err = store.import_org_chart("v3", "c", &parse(&v3), d("2024-02-01")).await.expect_err("older");
        assert!(err.to_string().contains("--as-of"), "{err}");
        assert_eq!(dump(&store).await, before);
        let out = store.import_org_chart("v3", "c", &parse(&v3), d("2024-04-01")).await.expect("v3");
        assert_eq!(out.rejoined, 1);
        assert_eq!(store.person_history("4").await.expect("history").len(), 2);
    }

    async fn a_failing_import_changes_nothing(url: String) {
        let store = Store::open(&url).await.expect("open");
        store.import_org_chart("v1", "a", &parse("Employee ID,Name,Department\n1,Ada,Eng\n"), d("2024-01-01")).await.expect("v1");
        let before = dump(&store).await;
        // Two records with one id get past the planner but break the unique key after
        // sites and units were written: the transaction must roll all of it back.
        let mut bad = parse("Employee ID,Name,Department,Location\n2,Bo,Ops,Rome\n3,Cy,Ops,Rome\n");
        bad[1].hris_id = "2".into();
        let err = store.import_org_chart("bad", "x", &bad, d("2024-02-01")).await;
        assert!(err.is_err());
        assert_eq!(dump(&store).await, before, "a failed import leaves the database as it was");
    }

    async fn flagged_manager_links_are_stored_and_repaired(url: String) {
        let store = Store::open(&url).await.expect("open");
        let v1 = "Employee ID,Name,Manager ID\n1,A,2\n2,B,1\n3,C,3\n4,D,99\n5,E,\n";
        let out = store.import_org_chart("v1", "a", &parse(v1), d("2024-01-01")).await.expect("rows still imported");
        assert_eq!(out.hires, 5);
        let flagged: Vec<&str> = out.flagged_manager_links.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(flagged, vec!["1", "2", "3", "4"]);
        assert_eq!(store.org_summary().await.expect("summary").flagged_manager_links, 4);
        let v2 = "Employee ID,Name,Manager ID\n1,A,5\n2,B,1\n3,C,3\n4,D,99\n5,E,\n99,Z,5\n";
        let out = store.import_org_chart("v2", "b", &parse(v2), d("2024-02-01")).await.expect("v2");
        assert_eq!(out.flagged_manager_links.len(), 1, "{:?}", out.flagged_manager_links);
        let people = store.list_people(&PeopleFilter::default(), 1, 100).await.expect("list");
        let d_row = people.items.iter().find(|p| p.hris_id.as_deref() == Some("4")).expect("D");
        assert!(d_row.manager_id.is_some() && d_row.manager_issue.is_none(), "{d_row:?}");
    }

    async fn people_filter_by_unit_subtree_and_site_with_pages(url: String) {
        let store = Store::open(&url).await.expect("open");
        let csv = "Employee ID,Name,Department,Team,Location\n\
                   1,A,Eng,,Lyon\n2,B,Eng,Core,Lyon\n3,C,Eng,Web,Oslo\n4,D,Sales,,Oslo\n5,E,Engineering,,Oslo\n";
        store.import_org_chart("v1", "a", &parse(csv), d("2024-01-01")).await.expect("import");
        let eng = store.list_people(&PeopleFilter::default(), 1, 100).await.expect("list").items[0].unit_id;
        let f = PeopleFilter { unit: eng, ..Default::default() };
        let page = store.list_people(&f, 1, 100).await.expect("list");
        let ids: Vec<_> = page.items.iter().filter_map(|p| p.hris_id.clone()).collect();
        assert_eq!(ids, vec!["1", "2", "3"], "a unit includes its teams but not a unit that merely shares a prefix");
        let oslo = page.items[2].site_id;
        let both = store.list_people(&PeopleFilter { unit: eng, site: oslo, ..Default::default() }, 1, 100).await.expect("list");
        assert_eq!(both.total, 1);
        let p2 = store.list_people(&PeopleFilter::default(), 2, 2).await.expect("page 2");
        assert_eq!((p2.total, p2.items.len(), p2.items[0].hris_id.as_deref()), (5, 2, Some("3")));
        assert!(store.list_people(&PeopleFilter { unit: Some(9999), ..Default::default() }, 1, 10).await.is_err());
        // Keyset paging walks the same people as page numbers do.
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let p = store.list_people(&PeopleFilter { after, ..Default::default() }, 1, 2).await.expect("keyset");
            walked.extend(p.items.iter().map(|x| x.id));
            match p.items.last() {
                Some(last) if p.items.len() == 2 => after = Some(last.id),
                _ => break,
            }
        }
        let all_ids: Vec<i64> = store.list_people(&PeopleFilter::default(), 1, 100).await.expect("all").items.iter().map(|x| x.id).collect();
        assert_eq!(walked, all_ids);

        // Unit names with LIKE wildcards match only themselves and their sub-units.
        let odd = "10,J,R_D,,Oslo\n11,K,RxD,Lab,Oslo\n12,L,R%,,Oslo\n13,M,R_D,Lab,Oslo\n";
        store.import_org_chart("v2", "b", &parse(&format!("{csv}{odd}")), d("2024-02-01")).await.expect("import");
        let all = store.list_people(&PeopleFilter::default(), 1, 100).await.expect("list");
        assert_eq!(all.total, 9, "the cached count is renewed by the import");
        let unit_of = |h: &str| all.items.iter().find(|p| p.hris_id.as_deref() == Some(h)).and_then(|p| p.unit_id);
        assert_eq!(ids_in(&store, unit_of("10")).await, vec!["10", "13"]);
        assert_eq!(ids_in(&store, unit_of("12")).await, vec!["12"]);
        let summary = store.org_summary().await.expect("summary");
        let n = |name: &str| summary.by_department.iter().find(|d| d.name == name).map(|d| d.people);
        assert_eq!((n("R_D"), n("RxD"), n("R%")), (Some(2), Some(1), Some(1)));
    }

    async fn ties_import_once_and_report_strangers(url: String) {
        let store = Store::open(&url).await.expect("open");
        store.import_org_chart("v1", "a", &parse("Employee ID,Name\n1,A\n2,B\n3,C\n"), d("2024-01-01")).await.expect("org");
        let ties = vec![("1".to_owned(), "2".to_owned(), 2.5f32), ("2".into(), "3".into(), 1.0), ("3".into(), "9".into(), 1.0)];
        let kind = flywheel_domain::usage::InteractionKind::Collaboration;
        let out = store.import_ties("g", "s", IdentityKind::Hris, kind, d("2024-01-01"), &ties).await.expect("ties");
        assert_eq!((out.inserted, out.unmatched.clone()), (2, vec!["9".to_owned()]));
        let before = dump(&store).await;
        let again = store.import_ties("g", "s", IdentityKind::Hris, kind, d("2024-01-01"), &ties).await.expect("again");
        assert_eq!((again.inserted, again.import_id), (0, None));
        assert_eq!(dump(&store).await, before);
        let bad = vec![("1".to_owned(), "3".to_owned(), -1.0f32)];
        assert!(store.import_ties("g", "s", IdentityKind::Hris, kind, d("2024-02-01"), &bad).await.is_err());
        assert_eq!(dump(&store).await, before);
    }

    async fn accounts_and_audit(url: String) {
        let store = Store::open(&url).await.expect("open");
        let u = store.create_user("Lead@Example.com", "correct horse battery", Role::Admin).await.expect("create");
        assert_eq!(u.email, "lead@example.com");
        assert!(store.create_user("lead@example.com", "another long password", Role::Viewer).await.is_err());
        assert!(store.create_user("x@example.com", "short", Role::Viewer).await.is_err());
        let ok = store.authenticate("LEAD@example.com", "correct horse battery").await.expect("auth");
        assert_eq!(ok.map(|u| u.role), Some(Role::Admin));
        assert_eq!(store.authenticate("lead@example.com", "wrong horse battery").await.expect("auth"), None);
        assert_eq!(store.authenticate("nobody@example.com", "correct horse battery").await.expect("auth"), None);
        store.audit(Some(u.id), "people.list", "api", "page 1").await.expect("audit");
        let log = store.audit_log(10).await.expect("log");
        assert_eq!(log[0].action, "people.list");
        assert_eq!(log[1].action, "user.create");
        assert_eq!(store.min_group_size().await.expect("setting"), 5);
        store.set_setting("min_group_size", "8").await.expect("set");
        assert_eq!(store.min_group_size().await.expect("setting"), 8);
    }

    async fn accounts_without_a_password_are_provisioned_for_people(url: String) {
        let store = Store::open(&url).await.expect("open");
        store.import_org_chart("oracle.csv", "sha", &oracle(), d("2024-01-01")).await.expect("import");
        let ids = store.person_ids_by_hris().await.expect("ids");
        let king = ids["100"];
        let u = store.provision_user(king, Role::Champion).await.expect("provision");
        assert_eq!((u.email.as_str(), u.role, u.person_id), ("sking@example.com", Role::Champion, Some(king)));
        // No password verifies against it, not even the marker itself or an empty one.
        for pw in ["", "!", "correct horse battery"] {
            assert_eq!(store.authenticate("sking@example.com", pw).await.expect("auth"), None);
        }
        // Again: the same account, role kept, nothing new in the audit log.
        let before = store.audit_log(100).await.expect("log").len();
        let again = store.provision_user(king, Role::Employee).await.expect("again");
        assert_eq!(again, u);
        assert_eq!(store.audit_log(100).await.expect("log").len(), before);
        assert_eq!(store.audit_log(1).await.expect("log")[0].action, "user.provision");
        // An account made earlier under the person's email is linked and keeps its role.
        let lead = store.create_user("nyang@example.com", "correct horse battery", Role::Admin).await.expect("create");
        let linked = store.provision_user(ids["101"], Role::Employee).await.expect("link");
        assert_eq!((linked.id, linked.role, linked.person_id), (lead.id, Role::Admin, Some(ids["101"])));
        assert!(store.authenticate("nyang@example.com", "correct horse battery").await.expect("auth").is_some());
        // Once an admin sets a password, it signs in.
        store.set_password("sking@example.com", "a new long password").await.expect("set");
        assert!(store.authenticate("sking@example.com", "a new long password").await.expect("auth").is_some());
        assert!(matches!(store.provision_user(999_999, Role::Employee).await, Err(StoreError::NotFound { what: "person", .. })));
    }

    async fn sessions_expire_end_and_never_store_the_token(url: String) {
        let store = Store::open(&url).await.expect("open");
        let u = store.create_user("amy@example.com", "correct horse battery", Role::Employee).await.expect("create");
        let (token, s) = store.create_session(&u, chrono::Duration::hours(8)).await.expect("session");
        assert_eq!(token.len(), 64);
        assert_ne!(s.csrf, token);
        let found = store.session(&token).await.expect("lookup").expect("live");
        assert_eq!(found.user, u);
        assert_eq!(found.csrf, s.csrf);
        // Garbage and unknown tokens find nothing; a second session is independent.
        assert_eq!(store.session("nope").await.expect("lookup"), None);
        assert_eq!(store.session(&"0".repeat(64)).await.expect("lookup"), None);
        let (other, _) = store.create_session(&u, chrono::Duration::hours(8)).await.expect("session");
        store.end_session(&token).await.expect("logout");
        assert_eq!(store.session(&token).await.expect("lookup"), None);
        assert!(store.session(&other).await.expect("lookup").is_some());
        // An expired session is not served.
        let (old, _) = store.create_session(&u, chrono::Duration::seconds(-1)).await.expect("session");
        assert_eq!(store.session(&old).await.expect("lookup"), None);
        // A role change is audited with who made it; all sessions can be ended at once.
        let changed = store.set_role("AMY@example.com", Role::Champion, Some(u.id)).await.expect("role");
        assert_eq!(changed.role, Role::Champion);
        assert_eq!(store.audit_log(1).await.expect("log")[0].action, "user.role");
        assert!(store.end_sessions_of(u.id).await.expect("end") >= 1);
        assert_eq!(store.session(&other).await.expect("lookup"), None);
    }

    async fn catalog_policies_and_questions(url: String) {
        use flywheel_domain::program::Tool;
        use flywheel_store::{CanIRecord, Channel};
        let store = Store::open(&url).await.expect("open");
        let tool = Tool {
            name: " Writer ".into(),
            category: "AI-Assistant".into(),
            description: "drafts".into(),
            access_url: "https://writer.example.com".into(),
            how_to: vec!["Open it".into(), " ".into()],
            purposes: vec!["Drafting".into(), "drafting".into()],
            data_classes: vec!["Internal".into()],
            alternatives: vec![],
            approved: true,
        };
        assert!(store.save_tool(tool.clone(), None).await.expect("save"));
        assert!(!store.save_tool(tool.clone(), None).await.expect("save again"), "saving the same entry twice changes nothing");
        let cat = store.catalog().await.expect("catalog");
        assert_eq!(cat.len(), 1);
        assert_eq!(cat[0].name, "Writer");
        assert_eq!(cat[0].category, "ai-assistant");
        assert_eq!(cat[0].purposes, ["drafting"]);
        assert_eq!(cat[0].how_to, ["Open it"]);
        let mut bad = tool.clone();
        bad.data_classes = vec!["secret".into()];
        let e = store.save_tool(bad, None).await.expect_err("unknown class");
        assert!(e.to_string().contains("\"secret\""), "{e}");

        assert_eq!(store.policy().await.expect("policy"), None);
        assert_eq!(store.save_policy("permit (principal, action, resource);", None, "first").await.expect("v1"), 1);
        assert_eq!(store.save_policy("permit (principal, action, resource);", None, "same").await.expect("same"), 1);
        assert_eq!(store.save_policy("forbid (principal, action, resource);", None, "").await.expect("v2"), 2);
        let p = store.policy().await.expect("policy").expect("some");
        assert_eq!((p.version, p.text.as_str()), (2, "forbid (principal, action, resource);"));
        assert_eq!(store.policy_history(10).await.expect("history").len(), 2);
        assert_eq!(store.audit_log(1).await.expect("log")[0].action, "policy.change");

        for allowed in [true, false, false] {
            store.log_can_i(&CanIRecord {
                user_id: None, person_id: None, tool: "Writer", purpose: "drafting",
                data_class: if allowed { "internal" } else { "personal" }, allowed,
                policy_version: Some(2), channel: Channel::Cli,
            }).await.expect("log");
        }
        let demand = store.can_i_demand().await.expect("demand");
        assert_eq!(demand.len(), 2);
        assert_eq!((demand[0].data_class.as_str(), demand[0].allowed, demand[0].questions), ("personal", false, 2));
        assert!(store.log_can_i(&CanIRecord {
            user_id: None, person_id: None, tool: "Nope", purpose: "x", data_class: "public",
            allowed: true, policy_version: None, channel: Channel::Web,
        }).await.is_err());
    }

    async fn wins_reuse_use_cases_and_champions(url: String) {
        use flywheel_domain::program::{Frequency, Tool};
        use flywheel_store::{ChampionStatus, DirectoryFilter, NewHelpSession, NewWin, Profile, WinFilter};
        let store = Store::open(&url).await.expect("open");
        store.import_org_chart("oracle.csv", "sha", &oracle(), d("2024-01-01")).await.expect("import");
        let pop = store.population(None).await.expect("population");
        let in_dept = |d: &str| pop.people.iter().filter(|p| pop.departments[p.department as usize] == d).map(|p| p.id).collect::<Vec<_>>();
        let (shipping, sales) = (in_dept("Shipping"), in_dept("Sales"));
        let tool = Tool { name: "Writer".into(), category: "ai-assistant".into(), description: String::new(), access_url: String::new(),
            how_to: vec![], purposes: vec!["drafting".into()], data_classes: vec!["internal".into()], alternatives: vec![], approved: true };
        store.save_tool(tool, None).await.expect("tool");

        let win = |title: &'static str, person: i64| NewWin { person_id: person, user_id: None, tool: Some("Writer"), title,
            what: "Weekly shipping report drafted from the tracker export", minutes_before: 120, minutes_after: 20, frequency: Frequency::Weekly };
        let w1 = store.post_win(&win("Shipping report in 20 minutes", shipping[0])).await.expect("post");
        let w2 = store.post_win(&win("100% of invoices_checked", sales[0])).await.expect("post");
        assert!(store.post_win(&NewWin { tool: Some("Nope"), ..win("x", sales[0]) }).await.is_err());
        assert!(store.post_win(&win("  ", sales[0])).await.is_err());

        // Re-use: once per person, never by the author, by unit.
        assert!(store.tried_too(w1, sales[1]).await.expect("try"));
        assert!(!store.tried_too(w1, sales[1]).await.expect("again"), "twice changes nothing");
        assert!(store.tried_too(w1, sales[2]).await.expect("try"));
        assert!(store.tried_too(w1, shipping[1]).await.expect("try"));
        assert!(store.tried_too(w1, shipping[0]).await.is_err(), "not by the author");
        assert_eq!(store.reuse_by_department(w1).await.expect("by dept"), [("Sales".to_string(), 2), ("Shipping".to_string(), 1)]);

        // Search (words anywhere, LIKE wildcards taken literally), filters, paging.
        let all = store.wins(&WinFilter::default(), 1, 10).await.expect("list");
        assert_eq!(all.total, 2);
        let r = store.wins(&WinFilter { q: Some("SHIPPING report".into()), ..Default::default() }, 1, 10).await.expect("q");
        assert_eq!(r.total, 2, "both descriptions mention the shipping report");
        let r = store.wins(&WinFilter { q: Some("100%".into()), ..Default::default() }, 1, 10).await.expect("q");
        assert_eq!(r.items.iter().map(|w| w.id).collect::<Vec<_>>(), [w2]);
        let r = store.wins(&WinFilter { q: Some("invoices_c".into()), ..Default::default() }, 1, 10).await.expect("q");
        assert_eq!(r.total, 1);
        let r = store.wins(&WinFilter { department: Some("Shipping".into()), ..Default::default() }, 1, 10).await.expect("dept");
        assert_eq!(r.items.iter().map(|w| w.id).collect::<Vec<_>>(), [w1]);
        assert_eq!(r.items[0].tried_too, 3);
        assert!((r.items[0].minutes_saved_per_month.unwrap_or(f64::NAN) - 100.0 * 52.0 / 12.0).abs() < 1e-9);
        let r = store.wins(&WinFilter::default(), 2, 1).await.expect("page 2");
        assert_eq!((r.total, r.items.len()), (2, 1));

        // Promotion into the library, once.
        let uc = store.promote_win(w1, "", &["Export the tracker".into(), " ".into(), "Ask for a draft".into()], None).await.expect("promote");
        assert_eq!(store.promote_win(w1, "other", &[], None).await.expect("again"), uc);
        let lib = store.use_cases(Some("tracker")).await.expect("library");
        assert_eq!(lib.len(), 1);
        assert_eq!(lib[0].steps, ["Export the tracker", "Ask for a draft"]);
        assert_eq!(lib[0].tools, ["Writer"]);
        assert_eq!(lib[0].departments[0], ("Sales".to_string(), 2));
        assert!(store.use_cases(Some("nothing like it")).await.expect("library").is_empty());
        assert_eq!(store.win(w1).await.expect("win").expect("some").use_case_id, Some(uc));

        // Champions: invitations, volunteering (accepts the invitation), the opt-in
        // directory and its filters, opting out.
        let invited = store.invite_champions(&[sales[0], sales[1]], "from the plan", None).await.expect("invite");
        assert_eq!(invited, [sales[0], sales[1]]);
        assert!(store.invite_champions(&[sales[0]], "", None).await.expect("again").is_empty(), "one open invitation");
        let listed = Profile { listed: true, bio: "Ask me about reports".into(), tools: vec!["Writer".into()], office_hours: "Tue 14-15".into() };
        assert_eq!(store.volunteer(sales[0], &listed, None).await.expect("volunteer"), ChampionStatus::Volunteer);
        assert_eq!(store.invitations(sales[0]).await.expect("inv")[0].answer.as_deref(), Some("accepted"));
        store.volunteer(shipping[0], &Profile { listed: false, ..listed.clone() }, None).await.expect("unlisted");
        let dir = store.directory(&DirectoryFilter::default()).await.expect("directory");
        assert_eq!(dir.iter().map(|e| e.person_id).collect::<Vec<_>>(), [sales[0]], "only opted-in profiles");
        assert_eq!(dir[0].office_hours, "Tue 14-15");
        assert_eq!(store.directory(&DirectoryFilter { tool: Some("writer".into()), ..Default::default() }).await.expect("d").len(), 1);
        assert!(store.directory(&DirectoryFilter { department: Some("Shipping".into()), ..Default::default() }).await.expect("d").is_empty());
        store.opt_out(sales[0], None).await.expect("opt out");
        assert!(store.directory(&DirectoryFilter::default()).await.expect("d").is_empty());
        assert_eq!(store.champion_profile(sales[0]).await.expect("p").0, Some(ChampionStatus::OptedOut));
        assert!(store.invite_champions(&[sales[0]], "", None).await.expect("inv").is_empty(), "opted-out people are not invited");
        store.opt_out(sales[1], None).await.expect("opt out");
        assert_eq!(store.invitations(sales[1]).await.expect("inv")[0].answer.as_deref(), Some("declined"));

        let h = NewHelpSession { champion_id: shipping[0], unit_id: None, tool: Some("Writer"), topic: "prompting for reports", minutes: 30, people: 3 };
        store.log_help_session(&h).await.expect("help");
        store.log_help_session(&NewHelpSession { minutes: 15, people: 1, ..h.clone() }).await.expect("help");
        assert!(store.log_help_session(&NewHelpSession { minutes: 0, ..h.clone() }).await.is_err());
        let by = store.help_by_champion("2000-01-01").await.expect("help");
        assert_eq!((by[0].0, by[0].2, by[0].3, by[0].4), (shipping[0], 2, 45, 4));
        let log = store.audit_log(20).await.expect("log");
        for action in ["champion.volunteer", "champion.opt_out", "champion.invite", "usecase.promote"] {
            assert!(log.iter().any(|a| a.action == action), "{action} audited");
        }
    }

    async fn courses_verified_wins_awards_and_campaigns(url: String) {
        use flywheel_domain::program::Frequency;
        use flywheel_store::{BadgeDef, CampaignDef, CourseDef, LearningCatalog, ModuleDef, NewAward, NewWin};
        let store = Store::open(&url).await.expect("open");
        store.import_org_chart("oracle.csv", "sha", &oracle(), d("2024-01-01")).await.expect("import");
        let ids: Vec<String> = oracle().iter().map(|r| r.hris_id.clone()).collect();
        store.create_user("ada@example.com", "correct horse battery", Role::Employee).await.expect("create");
        store.create_user("grace@example.com", "correct horse battery", Role::Champion).await.expect("create");
        let ada = store.link_person("ada@example.com", &ids[3]).await.expect("link");
        let grace = store.link_person("grace@example.com", &ids[4]).await.expect("link");
        let module = |t: &str| ModuleDef { title: t.into(), minutes: 5, body: "Read this.".into(), link: String::new() };
        let badge = |slug: &str, courses: Vec<String>, wins: u32, campaign: Option<String>| BadgeDef {
            slug: slug.into(), name: slug.to_uppercase(), description: String::new(), tier: None, criteria: String::new(),
            courses, wins, requires: vec![], valid_days: None, campaign };
        let cat = LearningCatalog {
            courses: vec![CourseDef { slug: "basics".into(), title: "Basics".into(), summary: String::new(), modules: vec![module("one"), module("two")] }],
            campaigns: vec![CampaignDef { slug: "sprint".into(), name: "Sprint".into(), ends_on: Some("2030-01-31".into()) }],
            badges: vec![badge("explorer", vec!["basics".into()], 0, None), badge("sprinter", vec![], 1, Some("sprint".into()))],
        };
        // A reference to an unknown course fails the whole load.
        let mut bad = cat.clone();
        bad.badges.push(badge("ghost", vec!["nope".into()], 0, None));
        assert!(store.load_learning(&bad, None).await.is_err());
        assert!(store.courses().await.expect("courses").is_empty(), "nothing of a failed load remains");
        store.load_learning(&cat, None).await.expect("load");
        store.load_learning(&cat, None).await.expect("load again changes nothing");
        let classes = store.badge_classes().await.expect("classes");
        assert_eq!(classes.iter().map(|b| (b.slug.as_str(), b.courses.len(), b.wins)).collect::<Vec<_>>(), [("explorer", 1, 0), ("sprinter", 0, 1)]);
        assert_eq!(classes[1].campaign.as_ref().map(|c| c.slug.as_str()), Some("sprint"));

        // Courses: module by module; the last one completes the course, once.
        let course = store.courses().await.expect("courses")[0].clone();
        assert_eq!((course.modules, course.minutes), (2, 10));
        assert!(!store.complete_module(course.id, &ada, 1).await.expect("one"));
        assert!(store.complete_module(course.id, &ada, 3).await.is_err(), "no module 3");
        assert!(store.complete_module(course.id, &ada, 2).await.expect("two"));
        assert!(!store.complete_module(course.id, &ada, 2).await.expect("again"));
        store.enrol(course.id, &grace).await.expect("enrol");
        assert_eq!(store.completed_courses(ada.id).await.expect("done"), ["basics"]);
        assert_eq!(store.progress(course.id, ada.id).await.expect("p").map(|p| p.done), Some(vec![1, 2]));
        let shown = store.completion_by_department(course.id, 1).await.expect("rates");
        assert_eq!(shown.iter().map(|r| r.enrolled.unwrap_or(0)).sum::<i64>(), 2);
        assert_eq!(shown.iter().map(|r| r.completed.unwrap_or(0)).sum::<i64>(), 1);
        let withheld = store.completion_by_department(course.id, 5).await.expect("rates");
        assert!(withheld.iter().all(|r| r.enrolled.is_none() && r.rate.is_none()));

        // Verification of a win: never by its author, once per verifier.
        let person = ada.person_id.expect("linked");
        let win = store.post_win(&NewWin { person_id: person, user_id: Some(ada.id), tool: None, title: "Minutes in two minutes",
            what: "Drafted the minutes", minutes_before: 30, minutes_after: 2, frequency: Frequency::Weekly }).await.expect("win");
        let own = store.verify_win(win, &ada, "I saw it").await;
        assert!(matches!(own, Err(StoreError::Domain(flywheel_domain::DomainError::SelfVerification(_)))), "{own:?}");
        assert!(store.verify_win(win, &grace, "  ").await.is_err(), "evidence is required");
        store.verify_win(win, &grace, "Saw the minutes of the 3 March meeting").await.expect("verify");
        store.verify_win(win, &grace, "again").await.expect("twice changes nothing");
        let v = store.verified_wins(&ada).await.expect("verified");
        assert_eq!(v.iter().map(|v| (v.win_id, v.as_role.as_str())).collect::<Vec<_>>(), [(win, "champion")]);

        // Awards: one current award per badge and person; revocation and a campaign's end
        // keep the history.
        let award = |uuid: &'static str, badge_id: i64| NewAward { uuid, badge_id, user_id: ada.id,
            issued_at: "2026-01-01T00:00:00Z", valid_until: None, win_id: None };
        let signed = |i: i64| Ok::<_, std::convert::Infallible>((format!("{{\"index\": {i}}}"), "jwt".to_string()));
        let a1 = store.insert_award(&award("urn:uuid:1", classes[0].id), None, signed).await.expect("award");
        let a2 = store.insert_award(&award("urn:uuid:2", classes[1].id), None, signed).await.expect("award");
        assert_eq!((a1.status_index, a2.status_index), (0, 1));
        assert_eq!(a2.credential, "{\"index\": 1}");
        assert!(store.insert_award(&award("urn:uuid:3", classes[0].id), None, signed).await.is_err(), "already held");
        assert_eq!(store.end_campaign("sprint", "expire", None).await.expect("end"), 1);
        assert!(store.end_campaign("sprint", "revoke", None).await.is_err(), "ended once");
        assert!(store.revoke_award("urn:uuid:1", "mistake", None).await.expect("revoke"));
        assert!(!store.revoke_award("urn:uuid:1", "mistake", None).await.expect("again"));
        assert_eq!(store.revoked_indices(0, 10).await.expect("indices"), [0]);
        let now = "2099-01-01T00:00:00Z";
        let history = store.awards_of(ada.id).await.expect("history");
        assert_eq!(history.iter().map(|a| a.state(now)).collect::<Vec<_>>(), ["revoked", "expired"]);
        assert_eq!(history[0].revoke_reason.as_deref(), Some("mistake"));
        // Revoked, the badge can be earned again.
        store.insert_award(&award("urn:uuid:4", classes[0].id), None, signed).await.expect("earned again");
        let actions: Vec<String> = store.audit_log(100).await.expect("audit").into_iter().map(|e| e.action).collect();
        for a in ["badges.load", "win.verify", "badge.award", "campaign.end", "badge.revoke"] {
            assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
        }
    }

    async fn access_requests_clock_reminders_and_incidents(url: String) {
        use flywheel_domain::program::Tool;
        let store = Store::open(&url).await.expect("open");
        store.import_org_chart("oracle.csv", "sha", &oracle(), d("2024-01-01")).await.expect("import");
        let pop = store.population(None).await.expect("population");
        let (p1, p2) = (pop.people[1].id, pop.people[2].id);
        let approver = store.create_user("it@example.com", "a long approver password", Role::Admin).await.expect("user");
        let tool = Tool { name: "Writer".into(), category: "ai-assistant".into(), description: String::new(), access_url: String::new(),
            how_to: vec![], purposes: vec!["drafting".into()], data_classes: vec!["internal".into()], alternatives: vec![], approved: true };
        store.save_tool(tool, None).await.expect("tool");

        let r1 = store.request_access(p1, None, "Writer", "weekly reports").await.expect("request");
        let e = store.request_access(p1, None, "Writer", "again").await.expect_err("one open request per tool");
        assert!(e.to_string().contains(&format!("request {r1}")), "{e}");
        assert!(store.request_access(p1, None, "Unknown", "").await.is_err());
        let r2 = store.request_access(p2, None, "Writer", "").await.expect("request");
        assert_eq!(store.access_requests(Some(p1), None).await.expect("mine").len(), 1);
        assert_eq!(store.access_requests(None, Some("open")).await.expect("open").len(), 2);

        // A target of about one second (instants are kept to the second): both requests run past it, are reminded once per
        // period, and the clock reports them.
        store.set_setting("access_target_hours", "0.0003").await.expect("target");
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let due = store.remind_overdue().await.expect("remind");
        assert_eq!(due.iter().map(|r| r.id).collect::<Vec<_>>(), [r1, r2]);
        assert!(due.iter().all(|r| r.overdue && r.reminders == 1));
        assert!(store.remind_overdue().await.expect("again").is_empty(), "not again within the period");
        assert_eq!(store.audit_log(1).await.expect("log")[0].action, "request.remind");

        let granted = store.decide_request(r1, RequestState::Granted, Some(approver.id), "enjoy").await.expect("grant");
        assert_eq!((granted.state.as_str(), granted.decided_by.as_deref()), ("granted", Some("it@example.com")));
        assert!(granted.clock_hours > 0.0 && !granted.overdue);
        let e = store.decide_request(r1, RequestState::Denied, None, "").await.expect_err("final");
        assert!(matches!(e, StoreError::Conflict(_)) && e.to_string().contains("is granted already"), "{e}");
        assert!(store.decide_request(r2, RequestState::Open, None, "").await.is_err(), "open is not a decision");
        store.decide_request(r2, RequestState::Withdrawn, None, "").await.expect("withdraw");
        let clock = store.access_clock().await.expect("clock");
        assert_eq!((clock.open, clock.decided, clock.granted, clock.overdue), (0, 1, 1, 0));
        assert_eq!(clock.share_within_target, Some(0.0), "decided after the one-second target");
        assert_eq!(clock.used_after_grant, 0);

        // Incidents: reported, moved forward only, the time to intervene stamped once, and
        // linked to the policy version they led to.
        let i = store.report_incident(Some(approver.id), Some(p1), Some("Writer"), "Personal", Severity::High, "Pasted a CV").await.expect("report");
        assert!(store.report_incident(None, None, None, "secret", Severity::Low, "x").await.is_err());
        assert!(Severity::parse("urgent").is_err(), "an unknown severity is refused where it is read");
        assert!(store.report_incident(None, None, None, "public", Severity::Low, " ").await.is_err());
        let row = store.move_incident(i, IncidentState::Triaged, Some(approver.id)).await.expect("triage");
        assert_eq!((row.state.as_str(), row.data_class.as_str(), row.severity.as_str()), ("triaged", "personal", "high"));
        let first = row.intervened_at.clone();
        assert!(row.hours_to_intervene.is_some_and(|h| h >= 0.0));
        assert!(store.move_incident(i, IncidentState::Reported, None).await.is_err(), "never backwards");
        let row = store.move_incident(i, IncidentState::Resolved, None).await.expect("resolve");
        assert_eq!(row.intervened_at, first, "the time of intervention is the first move");
        assert!(row.resolved_at.is_some());
        assert!(store.link_guardrail(i, 1, "", None).await.is_err(), "no such version yet");
        let v = store.save_policy("forbid (principal, action, resource);", None, "after the CV").await.expect("policy");
        let row = store.link_guardrail(i, v, "no personal data in Writer", Some(approver.id)).await.expect("link");
        assert_eq!((row.guardrail_version, row.reported_by.as_deref()), (Some(v), Some("it@example.com")));
        assert_eq!(store.incidents(Some(approver.id)).await.expect("mine").len(), 1);
        assert_eq!(store.audit_log(1).await.expect("log")[0].action, "incident.guardrail");
    }
}
