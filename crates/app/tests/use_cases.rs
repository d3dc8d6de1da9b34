//! The application layer's rules, asserted once for every front door: who may change the
//! policies, what "Can I?" answers and logs, and that badges are awarded to the caller
//! only when earned. On SQLite and on PostgreSQL.

use flywheel_app::wins::WinDraft;
use flywheel_app::{AppError, Caller, Core};
use flywheel_domain::program::Tool;
use flywheel_domain::program::{IncidentState, RequestState, Severity};
use flywheel_ingest::hris::{read_hris, HrisOptions};
use flywheel_policy::Question;
use flywheel_store::{BadgeDef, Channel, CourseDef, LearningCatalog, ModuleDef, Role, Store};
use flywheel_testkit::both_backends;

async fn core(url: &str) -> Core {
    let store = Store::open(url).await.expect("open");
    store
        .save_tool(
            Tool {
                name: "Writer".into(),
                category: "ai-assistant".into(),
                description: String::new(),
                access_url: "https://writer.example".into(),
                how_to: vec!["Sign in with your company account".into()],
                purposes: vec!["drafting".into()],
                data_classes: vec!["public".into(), "internal".into()],
                alternatives: vec![],
                approved: true,
            },
            None,
        )
        .await
        .expect("tool");
    Core::new(store)
}

const FORBID_PUBLIC: &str = r#"
@id("no-public")
@reason("Not with public data, for the test.")
forbid (principal, action, resource) when { context.data_class == "public" };
"#;

/// The Oracle HR sample company, with `core`'s store.
async fn company(core: &Core) {
    let f = std::fs::File::open(flywheel_testkit::fixture(
        "hris/oracle-hr_as_hris_orgchart.csv",
    ))
    .expect("fixture");
    let recs = read_hris(f, "oracle.csv", &HrisOptions::default())
        .expect("reads")
        .records;
    let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    core.store()
        .import_org_chart("oracle.csv", "sha", &recs, day)
        .await
        .expect("import");
}

/// One course of one module, and the badge that completing it earns.
fn learning() -> LearningCatalog {
    LearningCatalog {
        courses: vec![CourseDef {
            slug: "basics".into(),
            title: "Basics".into(),
            summary: "The first steps.".into(),
            modules: vec![ModuleDef {
                title: "Prompting".into(),
                minutes: 10,
                body: "Say what you want.".into(),
                link: String::new(),
            }],
        }],
        campaigns: vec![],
        badges: vec![BadgeDef {
            slug: "explorer".into(),
            name: "Explorer".into(),
            description: "Took the first steps.".into(),
            tier: None,
            criteria: "complete Basics".into(),
            courses: vec!["basics".into()],
            wins: 0,
            requires: vec![],
            valid_days: None,
            campaign: None,
        }],
    }
}

fn draft(title: &str) -> WinDraft {
    WinDraft {
        tool: Some("Writer".into()),
        title: title.into(),
        what: String::new(),
        minutes_before: 60,
        minutes_after: 10,
        frequency: "weekly".into(),
    }
}

both_backends! {
    async fn wins_follow_one_set_of_rules_whatever_the_front_door(url: String) {
        let core = core(&url).await;
        company(&core).await;
        let store = core.store().clone();
        let user = |email: &'static str, role: Role, person: Option<&'static str>| {
            let store = store.clone();
            async move {
                let u = store.create_user(email, "a long passphrase 9", role).await.expect("user");
                match person {
                    Some(h) => store.link_person(email, h).await.expect("link"),
                    None => u,
                }
            }
        };
        let ann = user("ann@example.com", Role::Employee, Some("101")).await;
        let bob = user("bob@example.com", Role::Champion, Some("104")).await;
        let vic = user("vic@example.com", Role::Viewer, Some("102")).await;
        let una = user("una@example.com", Role::Employee, None).await;
        let lead = user("lead@example.com", Role::Admin, None).await;

        let id = core.app(Caller::User(ann.clone())).post_win(&draft("Minutes in 5")).await.expect("posted");
        let viewer = core.app(Caller::User(vic)).post_win(&draft("x")).await;
        assert!(matches!(viewer, Err(AppError::Forbidden(ref m)) if m == "the viewer role may not post wins"), "{viewer:?}");
        let unlinked = core.app(Caller::User(una.clone())).post_win(&draft("x")).await;
        assert!(matches!(unlinked, Err(AppError::NotLinked)), "{unlinked:?}");
        let from_cli = core.app(Caller::Operator).post_win(&draft("x")).await;
        assert!(matches!(from_cli, Err(AppError::NotLinked)), "the operator is nobody: {from_cli:?}");

        // Trying: once per person; never the author; a missing win is NotFound.
        assert!(core.app(Caller::User(bob.clone())).try_win(id).await.expect("tried"));
        assert!(!core.app(Caller::User(bob.clone())).try_win(id).await.expect("again"));
        let missing = core.app(Caller::User(bob.clone())).try_win(id + 100).await;
        assert!(matches!(missing, Err(AppError::Store(flywheel_store::StoreError::NotFound { .. }))), "{missing:?}");

        // Verifying: not by the author; a champion's counts as a champion's.
        let own = core.app(Caller::User(ann)).verify_win(id, "trust me").await;
        assert!(own.is_err(), "{own:?}");
        let v = core.app(Caller::User(bob.clone())).verify_win(id, "saw it live").await.expect("verified");
        assert_eq!(v.as_role, "champion");

        // Promoting: admins only (an admin account, or the operator).
        let refused = core.app(Caller::User(bob)).promote_win(id, "", &[]).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
        let uc = core.app(Caller::User(lead)).promote_win(id, "", &["Open it".into()]).await.expect("promoted");
        assert_eq!(core.app(Caller::Operator).promote_win(id, "", &[]).await.expect("again"), uc);
    }

    async fn requests_and_incidents_follow_their_owners_and_roles(url: String) {
        let core = core(&url).await;
        company(&core).await;
        let store = core.store().clone();
        let ann = store.create_user("ann@example.com", "a long passphrase 1", Role::Employee).await.expect("user");
        let ann = store.link_person(&ann.email, "101").await.expect("link");
        let bob = store.create_user("bob@example.com", "a long passphrase 2", Role::Employee).await.expect("user");
        let bob = store.link_person(&bob.email, "102").await.expect("link");
        let vic = store.create_user("vic@example.com", "a long passphrase 3", Role::Viewer).await.expect("user");

        let id = core.app(Caller::User(ann.clone())).request_access("Writer", "reports").await.expect("asked");
        // Only the requester withdraws; only admins decide; the operator is an admin.
        let other = core.app(Caller::User(bob.clone())).decide_request(id, RequestState::Withdrawn, "").await;
        assert!(matches!(other, Err(AppError::Forbidden(_))), "{other:?}");
        let own_grant = core.app(Caller::User(ann.clone())).decide_request(id, RequestState::Granted, "").await;
        assert!(matches!(own_grant, Err(AppError::Forbidden(_))), "{own_grant:?}");
        let granted = core.app(Caller::Operator).decide_request(id, RequestState::Granted, "ok").await.expect("granted");
        assert_eq!(granted.state, RequestState::Granted);
        let missing = core.app(Caller::Operator).decide_request(id + 9, RequestState::Granted, "").await;
        assert!(matches!(missing, Err(AppError::Store(flywheel_store::StoreError::NotFound { .. }))), "{missing:?}");
        assert_eq!(core.app(Caller::User(ann.clone())).visible_requests(None).await.expect("mine").len(), 1);
        assert!(core.app(Caller::User(bob.clone())).visible_requests(None).await.expect("theirs").is_empty());

        let report = flywheel_app::requests::IncidentReport {
            tool: Some("Writer".into()),
            data_class: "confidential".into(),
            severity: Severity::High,
            what: "pasted a customer list".into(),
        };
        let viewer = core.app(Caller::User(vic)).report_incident(&report).await;
        assert!(matches!(viewer, Err(AppError::Forbidden(_))), "{viewer:?}");
        let inc = core.app(Caller::User(ann.clone())).report_incident(&report).await.expect("reported");
        assert_eq!(core.app(Caller::User(ann.clone())).visible_incidents().await.expect("mine").len(), 1);
        assert!(core.app(Caller::User(bob.clone())).visible_incidents().await.expect("theirs").is_empty());
        let triage = core.app(Caller::User(ann)).triage_incident(inc, IncidentState::Triaged).await;
        assert!(matches!(triage, Err(AppError::Forbidden(_))), "{triage:?}");
        let moved = core.app(Caller::Operator).triage_incident(inc, IncidentState::Contained).await.expect("moved");
        assert_eq!(moved.state, IncidentState::Contained);
    }

    async fn champions_volunteer_log_help_and_are_invited_by_admins(url: String) {
        let core = core(&url).await;
        company(&core).await;
        let store = core.store().clone();
        let ann = store.create_user("ann@example.com", "a long passphrase 1", Role::Employee).await.expect("user");
        let ann = store.link_person(&ann.email, "101").await.expect("link");
        let session = flywheel_app::champions::HelpSession {
            topic: "prompts for minutes".into(),
            minutes: 30,
            people: 3,
            tool: None,
        };
        let early = core.app(Caller::User(ann.clone())).log_help(&session).await;
        assert!(matches!(early, Err(AppError::Forbidden(ref m)) if m.contains("volunteer first")), "{early:?}");
        let profile = flywheel_store::Profile { listed: true, ..Default::default() };
        let before = core.app(Caller::User(ann.clone())).my_championship().await.expect("mine");
        assert!(before.status.is_none() && before.open_invitation.is_none());
        core.app(Caller::Operator).invite_champions(&[ann.person_id.expect("linked")], "from the plan").await.expect("invited");
        let invited = core.app(Caller::User(ann.clone())).my_championship().await.expect("mine");
        assert_eq!(invited.open_invitation.map(|i| i.note), Some("from the plan".into()));
        let status = core.app(Caller::User(ann.clone())).volunteer(&profile).await.expect("volunteered");
        assert_eq!(status, flywheel_store::ChampionStatus::Volunteer);
        let after = core.app(Caller::User(ann.clone())).my_championship().await.expect("mine");
        assert_eq!(after.status, Some(flywheel_store::ChampionStatus::Volunteer));
        assert!(after.open_invitation.is_none(), "volunteering accepts the invitation");
        core.app(Caller::User(ann.clone())).log_help(&session).await.expect("logged");
        let refused = core.app(Caller::User(ann.clone())).invite_champions(&[1], "").await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
        let too_many = core.app(Caller::Operator).invite_champions(&vec![1; 10_001], "").await;
        assert!(matches!(too_many, Err(AppError::Invalid(_))), "{too_many:?}");
        core.app(Caller::User(ann)).opt_out().await.expect("opted out");
        let people = store.population(None).await.expect("population");
        assert!(people.people.iter().any(|p| p.opted_out), "the opt-out is recorded");
    }

    async fn individual_analytics_are_for_admins_and_audited(url: String) {
        use flywheel_insights::momentum::GroupBy;
        use flywheel_insights::plan::{PlanOptions, Stage};
        let core = core(&url).await;
        company(&core).await;
        let store = core.store().clone();
        let ann = store.create_user("ann@example.com", "a long passphrase 1", Role::Employee).await.expect("user");
        let ann = core.app(Caller::User(ann));
        // Individual-level results: refused to an employee, nothing audited.
        for refused in [
            ann.champion_evidence(None).await.map(|_| ()),
            ann.plan_champions(None, PlanOptions::new(Stage::Walk)).await.map(|_| ()),
            ann.momentum(None, GroupBy::Department, true).await.map(|_| ()),
        ] {
            assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
        }
        let audited = |log: Vec<flywheel_store::AuditEntry>, action: &str| log.iter().filter(|e| e.action == action).count();
        assert_eq!(audited(store.audit_log(100).await.expect("log"), "champions.suggest"), 0);
        // An aggregate with too little data says so by kind; the operator reads evidence, audited.
        let m = ann.momentum(None, GroupBy::Department, false).await;
        assert!(matches!(m, Err(AppError::Analysis(flywheel_insights::InsightError::TooLittleData(_)))), "{:?}", m.map(|_| ()));
        let op = core.app(Caller::Operator);
        let ev = op.champion_evidence(None).await.expect("evidence");
        assert_eq!(ev.result.people.len(), 107);
        assert_eq!(audited(store.audit_log(100).await.expect("log"), "champions.suggest"), 1);
        let missing = op.impact(None, 42).await;
        assert!(matches!(missing, Err(AppError::Analysis(_))), "{:?}", missing.map(|_| ()));
        // People and the catalog: admins only; the operator's reads are audited once.
        let everyone = flywheel_store::PeopleFilter::default();
        let refused = ann.people(&everyone, 1, 10, "test").await.map(|_| ());
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
        let tool = Tool { name: "Sketcher".into(), category: "ai-assistant".into(), description: String::new(), access_url: String::new(), how_to: vec![], purposes: vec![], data_classes: vec![], alternatives: vec![], approved: false };
        let refused = ann.save_tool(tool.clone()).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
        assert!(op.save_tool(tool).await.expect("saved"), "a new tool changes the catalog");
        assert_eq!(op.all_people(&everyone, Some(3)).await.expect("people").len(), 3);
        assert_eq!(op.all_people(&everyone, None).await.expect("people").len(), 107);
        assert_eq!(audited(store.audit_log(100).await.expect("log"), "people.list"), 2);
        // Awards are the holder's alone: another's (or none) is not found; nobody is no holder.
        let none = ann.set_award_visibility("urn:uuid:nobody", true).await.map(|_| ());
        assert!(matches!(none, Err(AppError::Store(flywheel_store::StoreError::NotFound { what: "award", .. }))), "{none:?}");
        let op_claim = op.claim_badges().await.map(|_| ());
        assert!(matches!(op_claim, Err(AppError::Forbidden(_))), "{op_claim:?}");
        assert!(ann.claim_badges().await.expect("nothing earned").is_empty());
    }

    async fn the_digest_is_the_week_to_the_cores_clock(url: String) {
        let core = core(&url).await;
        company(&core).await;
        let store = core.store().clone();
        let ann = store.create_user("ann@example.com", "a long passphrase 1", Role::Employee).await.expect("user");
        let ann = store.link_person(&ann.email, "101").await.expect("link");
        let id = core.app(Caller::User(ann.clone())).post_win(&draft("Minutes in 5")).await.expect("posted");
        let own = core.app(Caller::User(ann)).win(id).await.expect("win");
        assert!(own.mine && !own.tried && own.verifications.is_empty() && !own.can_verify, "{own:?}");
        let other = core.app(Caller::Operator).win(id).await.expect("win");
        assert!(!other.mine && !other.can_verify && other.win.title == "Minutes in 5");
        let bob = store.create_user("bob@example.com", "a long passphrase 2", Role::Employee).await.expect("user");
        let bob = core.app(Caller::User(bob));
        assert!(bob.win(id).await.expect("win").can_verify, "a colleague may verify");
        bob.verify_win(id, "saw it").await.expect("verified");
        assert!(!bob.win(id).await.expect("win").can_verify, "once");
        let missing = core.app(Caller::Operator).win(id + 99).await;
        assert!(matches!(missing, Err(AppError::Store(flywheel_store::StoreError::NotFound { what: "win", .. }))), "{missing:?}");
        let d = core.app(Caller::Operator).digest().await.expect("digest");
        assert_eq!((d.wins_posted, d.top_wins.first().map(|w| w.id)), (1, Some(id)));
        assert_eq!(d.top_wins[0].minutes_saved_per_month, Some(50.0 * 52.0 / 12.0));
        // Read as of a day a month later, the week holds nothing; a week ago it did not exist yet.
        for days in [30, -8] {
            let at = chrono::Utc::now() + chrono::Duration::days(days);
            let later = core.clone().with_clock(flywheel_app::Clock::Fixed(at));
            let d = later.app(Caller::Operator).digest().await.expect("digest");
            assert_eq!(d.wins_posted, 0, "{days} days");
            assert_eq!(d.to, at);
        }
    }

    async fn the_dashboard_is_one_snapshot_and_says_why_a_part_is_missing(url: String) {
        let core = core(&url).await;
        company(&core).await;
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z").expect("instant").to_utc();
        let core = core.with_clock(flywheel_app::Clock::Fixed(at));
        let people = core.store().population(None).await.expect("population").len();
        let d = core.app(Caller::Anonymous).dashboard(None).await.expect("dashboard");
        assert_eq!((d.computed_at.as_str(), d.people, d.min_group_size), ("2026-03-02T09:30:00Z", people, 5));
        assert!(people > 100, "the sample company: {people}");
        // Nobody has used AI yet: each analysis says so rather than showing zeros, and the
        // stages, which rest on the momentum, say the same.
        let why = d.momentum.unavailable.as_deref().unwrap_or("");
        assert!(why.starts_with("no usage imported yet"), "{why:?}");
        assert_eq!(d.stages.unavailable.as_deref(), Some(why));
        assert!(d.momentum.value.is_none() && d.stages.value.is_none());
        assert!(d.forecast.unavailable.as_deref().is_some_and(|w| !w.is_empty()), "{:?}", d.forecast.unavailable);
        core.store().set_setting("min_group_size", "7").await.expect("setting");
        let d = core.app(Caller::Anonymous).dashboard(None).await.expect("dashboard");
        assert_eq!(d.min_group_size, 7, "the program's minimum, read each time");
    }

    async fn learning_reads_show_each_caller_their_own_and_withhold_small_counts(url: String) {
        let core = core(&url).await;
        company(&core).await;
        let store = core.store().clone();
        store.load_learning(&learning(), None).await.expect("catalog");
        let ann = store.create_user("ann@example.com", "a long passphrase 1", Role::Employee).await.expect("user");
        let ann = store.link_person(&ann.email, "101").await.expect("link");
        let lead = store.create_user("lead@example.com", "a long passphrase 2", Role::Admin).await.expect("user");
        let (ann, lead) = (core.app(Caller::User(ann)), core.app(Caller::User(lead)));
        let before = ann.my_badges().await.expect("mine");
        assert!(before.awards.is_empty());
        assert_eq!(before.next.iter().map(|(b, missing)| (b.slug.as_str(), missing.len())).collect::<Vec<_>>(), [("explorer", 1)]);
        let done = ann.complete_module("basics", "1").await.expect("done");
        assert!(done.course_completed && done.awarded.len() == 1, "{done:?}");
        // Ann sees her progress; the lead, who did nothing, sees none; one completion is
        // below the minimum group size, so the org-wide counts are withheld for both.
        let mine = ann.courses().await.expect("courses");
        assert_eq!(mine[0].progress.as_ref().map(|p| p.done.clone()), Some(vec![1]));
        assert_eq!((mine[0].enrolled, mine[0].completed), (None, None));
        assert!(lead.courses().await.expect("courses")[0].progress.is_none());
        let detail = ann.course_detail("basics").await.expect("detail");
        assert_eq!((detail.modules.len(), detail.badges.clone()), (1, vec!["Explorer".to_owned()]));
        assert!(detail.by_department.iter().all(|d| d.completed.is_none()), "{:?}", detail.by_department);
        let after = ann.my_badges().await.expect("mine");
        assert_eq!((after.awards.len(), after.next.len()), (1, 0), "held, so not offered");
        let board = lead.badge_board().await.expect("board");
        assert_eq!(board.classes.iter().map(|(b, n)| (b.slug.as_str(), *n)).collect::<Vec<_>>(), [("explorer", None)]);
        store.set_setting("min_group_size", "1").await.expect("setting");
        let board = lead.badge_board().await.expect("board");
        assert_eq!(board.classes[0].1, Some(1), "shown at a minimum of 1");
        // Who holds it is for admins, and every read is audited.
        let refused = ann.holders("explorer", "test").await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
        let (class, holders) = lead.holders("explorer", "test").await.expect("holders");
        assert_eq!((class.name.as_str(), holders.len()), ("Explorer", 1));
        let audit = store.audit_log(10).await.expect("log");
        assert!(audit.iter().any(|e| e.action == "badge.holders" && e.subject == "badge:explorer"), "{audit:?}");
        // Shown on her profile, the award is public under its token, and only then.
        let uuid = after.awards[0].uuid.clone();
        assert!(ann.shown_badges().await.expect("shown").is_empty());
        let shown = ann.set_award_visibility(&uuid, true).await.expect("shown");
        let token = shown.share_token.clone().expect("token");
        let nobody = core.app(Caller::Anonymous);
        assert_eq!(nobody.shared_award(&token).await.expect("shared").uuid, uuid);
        assert_eq!(nobody.shown_badges().await.expect("shown").values().flatten().count(), 1);
        ann.set_award_visibility(&uuid, false).await.expect("hidden");
        let gone = nobody.shared_award(&token).await;
        assert!(matches!(gone, Err(AppError::Store(flywheel_store::StoreError::NotFound { .. }))), "{gone:?}");
        let missing = nobody.badge_class("nope").await;
        assert!(matches!(missing, Err(AppError::Store(flywheel_store::StoreError::NotFound { what: "badge", .. }))), "{missing:?}");
    }

    async fn imports_accounts_and_badge_tools_are_for_admins_and_a_wrong_row_refuses_all(url: String) {
        use flywheel_domain::org::IdentityKind;
        use flywheel_domain::usage::UsageRecord;
        use flywheel_ingest::error::Located;
        use flywheel_ingest::parsed::Parsed;
        let core = core(&url).await;
        company(&core).await;
        let store = core.store().clone();
        let emp = store.create_user("emp@example.com", "a long passphrase 1", Role::Employee).await.expect("user");
        let emp = core.app(Caller::User(emp));
        let forbidden = |r: Result<(), AppError>, what: &str| {
            assert!(matches!(r, Err(AppError::Forbidden(_))), "{what}: {r:?}");
        };
        forbidden(emp.begin_usage_import("events", "x.csv").await.map(|_| ()), "import");
        forbidden(emp.create_account("x@example.com", "a long passphrase 9", Role::Admin, None).await.map(|_| ()), "create");
        forbidden(emp.set_role("emp@example.com", Role::Admin).await.map(|_| ()), "role");
        forbidden(emp.award_everyone().await.map(|_| ()), "award everyone");
        forbidden(emp.awards(None, "test").await.map(|_| ()), "awards");
        forbidden(emp.audit_log(5).await.map(|_| ()), "audit log");
        forbidden(emp.set_min_group_size(1).await, "min group size");
        let op = core.app(Caller::Operator);
        let row = |id: &str, count: u64| UsageRecord {
            identity_kind: IdentityKind::Hris,
            identity: id.into(),
            tool: "Writer".into(),
            day: chrono::NaiveDate::from_ymd_opt(2024, 2, 1).expect("day"),
            period_days: 1,
            feature: String::new(),
            count,
        };
        // One wrong row among good ones: the import is refused whole, naming the line.
        let mut imp = op.begin_usage_import("events", "usage.csv").await.expect("begin");
        let rows: Vec<Result<Parsed, Located>> = vec![
            Ok(Parsed::from(row("101", 3))),
            Err(Located {
                source: "usage.csv".into(),
                line: 3,
                field: Some("count".into()),
                value: Some("-1".into()),
                message: "not a count".into(),
            }),
        ];
        let refused = op.stage_rows(&mut imp, rows.into_iter()).await;
        let why = refused.expect_err("refused").to_string();
        assert!(why.contains("usage.csv") && why.contains('3') && why.contains("count"), "{why}");
        drop(imp);
        assert_eq!(store.count("usage").await.expect("count"), 0, "nothing stored");
        // The good rows alone go in, once.
        for expected in [1, 0] {
            let mut imp = op.begin_usage_import("events", "usage.csv").await.expect("begin");
            op.stage_rows(&mut imp, vec![Ok(Parsed::from(row("101", 3)))].into_iter()).await.expect("staged");
            let out = op.finish_usage_import(imp).await.expect("merged");
            assert_eq!(out.import_id.is_some(), expected == 1, "{out:?}");
        }
        // A new role applies at once: the account's sessions end.
        let account = emp.caller().user().expect("user").clone();
        let (token, _) = store.create_session(&account, chrono::Duration::hours(1)).await.expect("session");
        let promoted = op.set_role("emp@example.com", Role::Champion).await.expect("role");
        assert_eq!(promoted.role, Role::Champion);
        assert!(store.session(&token).await.expect("read").is_none(), "sessions ended");
        let made = op.create_account("new@example.com", "a long passphrase 3", Role::Employee, Some("102")).await.expect("made");
        assert!(made.person_id.is_some(), "linked");
        let typo = op.create_account("typo@example.com", "a long passphrase 4", Role::Employee, Some("nobody")).await;
        assert!(matches!(typo, Err(AppError::Invalid(_))), "{typo:?}");
        assert!(store.user_by_email("typo@example.com").await.expect("read").is_none(), "a typo creates nothing");
    }

    async fn only_admins_change_the_policies(url: String) {
        let core = core(&url).await;
        let store = core.store().clone();
        let employee = store
            .create_user("ann@example.com", "a long passphrase 1", Role::Employee)
            .await
            .expect("employee");
        let admin = store
            .create_user("bob@example.com", "a long passphrase 2", Role::Admin)
            .await
            .expect("admin");
        let (defaults, _) = core.app(Caller::Anonymous).policies().await.expect("defaults");
        let text = format!("{}\n{FORBID_PUBLIC}", defaults.text());

        for caller in [Caller::User(employee), Caller::Anonymous] {
            let refused = core.app(caller).save_policies(&text, "tighten").await;
            assert!(
                matches!(refused, Err(AppError::Forbidden(_))),
                "{refused:?}"
            );
        }
        assert_eq!(store.policy_version().await.expect("version"), None);

        let bad = core.app(Caller::User(admin.clone())).save_policies("forbid (", "x").await;
        assert!(matches!(bad, Err(AppError::InvalidPolicy(_))), "{bad:?}");

        let v = core
            .app(Caller::User(admin))
            .save_policies(&text, "tighten")
            .await
            .expect("an admin saves");
        // The same text again is no new version; another text from the CLI is.
        let same = core.app(Caller::Operator).save_policies(&text, "again").await.expect("same");
        assert_eq!(same, v);
        let w = core
            .app(Caller::Operator)
            .save_policies(&format!("{text}\n// from the CLI\n"), "from the CLI")
            .await
            .expect("the operator saves");
        assert_eq!(w, v + 1);
    }

    async fn can_i_answers_from_the_policies_in_force_and_logs_demand(url: String) {
        let core = core(&url).await;
        let store = core.store().clone();
        let user = store
            .create_user("cy@example.com", "a long passphrase 3", Role::Employee)
            .await
            .expect("user");
        let ask = |data: &str| Question {
            tool: "Writer".into(),
            purpose: "drafting".into(),
            data_class: data.into(),
        };
        let app = core.app(Caller::User(user));
        let yes = app.ask(&ask("public"), Channel::Web).await.expect("answer");
        assert!(yes.answer.allowed, "{yes:?}");
        assert_eq!(yes.policy_version, None);

        let (defaults, _) = app.policies().await.expect("defaults");
        let text = format!("{}\n{FORBID_PUBLIC}", defaults.text());
        let v = core.app(Caller::Operator).save_policies(&text, "").await.expect("save");
        // The cached policies are replaced by the next question, not at a restart.
        let no = app.ask(&ask("public"), Channel::Web).await.expect("answer");
        assert!(!no.answer.allowed, "{no:?}");
        assert_eq!(no.policy_version, Some(v));
        assert!(no.answer.reasons.iter().any(|r| r.contains("for the test")), "{no:?}");

        let unknown = app
            .ask(&Question { tool: "Nope".into(), ..ask("public") }, Channel::Api)
            .await;
        assert!(matches!(unknown, Err(AppError::Invalid(_))), "{unknown:?}");

        let demand = store.can_i_demand().await.expect("demand");
        let count = |allowed: bool| {
            demand
                .iter()
                .filter(|d| d.allowed == allowed && d.data_class == "public")
                .map(|d| d.questions)
                .sum::<i64>()
        };
        assert_eq!((count(true), count(false)), (1, 1), "{demand:?}");
    }
}

fn signed_in(
    subject: &str,
    email: &str,
    verified: bool,
    claims: serde_json::Value,
) -> flywheel_app::sso::SignedIn {
    flywheel_app::sso::SignedIn {
        issuer: "https://idp.example".into(),
        subject: subject.into(),
        email: Some(email.into()),
        email_verified: verified,
        groups: vec![],
        claims: serde_json::from_value(claims).expect("claims"),
    }
}

both_backends! {
    async fn single_sign_on_links_by_a_claim_and_trusts_email_only_when_told(url: String) {
        use flywheel_app::sso::{OidcSettings, SecretSource};
        let core = core(&url).await;
        company(&core).await;
        let op = core.app(Caller::Operator);
        std::env::set_var("FW_TEST_OIDC_SECRET", "s");
        let mut settings = OidcSettings {
            issuer: "https://idp.example".into(),
            client_id: "fw".into(),
            secret: SecretSource::Env("FW_TEST_OIDC_SECRET".into()),
            name: "IdP".into(),
            scopes: vec![],
            groups_claim: None,
            admin_group: None,
            champion_group: None,
            viewer_group: None,
            link_claim: Some("employee_id".into()),
            trust_email: false,
        };
        op.set_oidc(&settings).await.expect("settings");
        let anyone = core.app(Caller::Anonymous);
        // Linked by the HRIS id in the claim, whatever the email says.
        let out = anyone
            .oidc_sign_in(&signed_in("s1", "someone.else@example.com", true, serde_json::json!({"employee_id": "101"})))
            .await
            .expect("sign-in")
            .expect("allowed");
        let people = core.store().person_ids_by_hris().await.expect("people");
        assert_eq!(out.user.person_id, people.get("101").copied(), "Neena, by her HRIS id");
        assert!(out.created);
        assert_eq!(out.user.role, Role::Employee, "no groups configured: an employee");
        // A number in the claim works too.
        let out = anyone
            .oidc_sign_in(&signed_in("s2", "x2@example.com", true, serde_json::json!({"employee_id": 102})))
            .await
            .expect("sign-in")
            .expect("allowed");
        assert_eq!(out.user.person_id, people.get("102").copied());
        // An unverified email is refused, unless the provider's emails are trusted.
        let refused = anyone
            .oidc_sign_in(&signed_in("s3", "x3@example.com", false, serde_json::json!({})))
            .await
            .expect("sign-in")
            .expect_err("unverified");
        assert_eq!(refused.code, "unverified_email");
        settings.trust_email = true;
        op.set_oidc(&settings).await.expect("settings");
        assert!(anyone
            .oidc_sign_in(&signed_in("s3", "x3@example.com", false, serde_json::json!({})))
            .await
            .expect("sign-in")
            .is_ok());
        // Signing in again finds the account by its subject, though the email changed.
        let again = anyone
            .oidc_sign_in(&signed_in("s1", "renamed@example.com", true, serde_json::json!({"employee_id": "101"})))
            .await
            .expect("sign-in")
            .expect("allowed");
        assert_eq!((again.user.id, again.created), (out_id(&core, "someone.else@example.com").await, false));
    }
}

async fn out_id(core: &Core, email: &str) -> i64 {
    core.store()
        .user_by_email(email)
        .await
        .expect("read")
        .expect("account")
        .id
}
