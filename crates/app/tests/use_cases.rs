//! The application layer's rules, asserted once for every front door: who may change the
//! policies, what "Can I?" answers and logs, and that badges are awarded to the caller
//! only when earned. On SQLite and on PostgreSQL.

use flywheel_app::{AppError, Caller, Core};
use flywheel_domain::program::Tool;
use flywheel_policy::Question;
use flywheel_store::{Channel, Role, Store};
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

both_backends! {
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
