use proptest::prelude::*;

use super::*;

fn tool(name: &str, category: &str, purposes: &[&str], classes: &[&str], approved: bool) -> Tool {
    Tool {
        name: name.into(),
        category: category.into(),
        description: format!("{name} for work"),
        access_url: format!("https://example.com/{}", name.replace(' ', "-")),
        how_to: vec![
            format!("Open {name}"),
            "Sign in with your work account".into(),
        ],
        purposes: purposes.iter().map(ToString::to_string).collect(),
        data_classes: classes.iter().map(ToString::to_string).collect(),
        alternatives: vec![],
        approved,
    }
}

fn catalog() -> Vec<Tool> {
    let mut free = tool(
        "ChatGPT Free",
        "consumer-chatbot",
        &["drafting", "summarising", "research"],
        &["public", "internal", "confidential"],
        true,
    );
    free.alternatives = vec!["Microsoft 365 Copilot".into(), "ChatGPT Enterprise".into()];
    vec![
        free,
        tool(
            "ChatGPT Enterprise",
            "ai-assistant",
            &["drafting", "summarising", "analysis"],
            &["public", "internal", "confidential"],
            true,
        ),
        tool(
            "Microsoft 365 Copilot",
            "ai-assistant",
            &["drafting", "summarising", "meeting notes"],
            &["public", "internal", "confidential", "personal"],
            true,
        ),
        tool(
            "Shadow Bot",
            "ai-assistant",
            &["summarising"],
            &["public"],
            false,
        ),
    ]
}

fn q(tool: &str, purpose: &str, data: &str) -> Question {
    Question {
        tool: tool.into(),
        purpose: purpose.into(),
        data_class: data.into(),
    }
}

fn employee() -> Asker {
    Asker {
        role: "employee".into(),
        department: "Sales".into(),
        site: "Lisbon".into(),
    }
}

#[test]
fn defaults_parse_and_list_their_reasons() {
    let p = Policies::defaults().expect("defaults are valid");
    let s = p.summaries();
    let ids: Vec<&str> = s.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "catalog",
            "consumer-chatbots-public-only",
            "no-restricted-data"
        ]
    );
    assert!(s.iter().all(|x| x.reason.is_some()));
    assert_eq!(s[1].effect, "forbid");
}

#[test]
fn yes_comes_with_steps_and_link() {
    let p = Policies::defaults().expect("defaults");
    let c = catalog();
    let d = Decider::new(&p, &c).expect("decider");
    let a = d
        .ask(
            &employee(),
            &q("microsoft 365 copilot", " Summarising ", "Confidential"),
        )
        .expect("answer");
    assert!(a.allowed);
    assert_eq!(a.tool, "Microsoft 365 Copilot");
    assert_eq!(a.purpose, "summarising");
    assert_eq!(a.policies, ["catalog"]);
    assert_eq!(a.how_to.len(), 2);
    assert!(a.access_url.starts_with("https://"));
    assert!(a.alternatives.is_empty());
}

#[test]
fn no_names_the_forbid_and_suggests_permitted_tools_in_the_tools_order() {
    let p = Policies::defaults().expect("defaults");
    let c = catalog();
    let d = Decider::new(&p, &c).expect("decider");
    let a = d
        .ask(
            &employee(),
            &q("ChatGPT Free", "summarising", "confidential"),
        )
        .expect("answer");
    assert!(!a.allowed);
    assert_eq!(a.policies, ["consumer-chatbots-public-only"]);
    assert!(a.reasons[0].contains("public data only"), "{:?}", a.reasons);
    let alts: Vec<&str> = a.alternatives.iter().map(|x| x.tool.as_str()).collect();
    assert_eq!(alts, ["Microsoft 365 Copilot", "ChatGPT Enterprise"]);
    assert!(a.how_to.is_empty() && a.access_url.is_empty());

    // Personal data: only Copilot's catalog entry lists it.
    let a = d
        .ask(
            &employee(),
            &q("ChatGPT Enterprise", "summarising", "personal"),
        )
        .expect("answer");
    assert!(!a.allowed);
    assert!(a.policies.is_empty());
    assert_eq!(
        a.reasons,
        ["personal data may not go into ChatGPT Enterprise (allowed: public, internal, confidential)"]
    );
    assert_eq!(a.alternatives.len(), 1);
    assert_eq!(a.alternatives[0].tool, "Microsoft 365 Copilot");
}

#[test]
fn restricted_data_has_no_alternative_and_unapproved_tools_say_so() {
    let p = Policies::defaults().expect("defaults");
    let c = catalog();
    let d = Decider::new(&p, &c).expect("decider");
    let a = d
        .ask(
            &employee(),
            &q("Microsoft 365 Copilot", "drafting", "restricted"),
        )
        .expect("answer");
    assert!(!a.allowed && a.alternatives.is_empty());
    assert_eq!(a.policies, ["no-restricted-data"]);
    let a = d
        .ask(&employee(), &q("Shadow Bot", "summarising", "public"))
        .expect("answer");
    assert_eq!(a.reasons, ["Shadow Bot is not an approved tool"]);
    assert_eq!(a.alternatives.len(), 3);
}

#[test]
fn bad_questions_are_named() {
    let p = Policies::defaults().expect("defaults");
    let c = catalog();
    let d = Decider::new(&p, &c).expect("decider");
    let e = d
        .ask(&employee(), &q("Gemini", "drafting", "public"))
        .expect_err("refused");
    assert!(e.to_string().contains("no tool named \"Gemini\""), "{e}");
    assert!(e.to_string().contains("ChatGPT Enterprise"), "{e}");
    let e = d
        .ask(&employee(), &q("ChatGPT Free", "drafting", "secret"))
        .expect_err("refused");
    assert!(e.to_string().contains("data class: \"secret\""), "{e}");
    let e = d
        .ask(&employee(), &q("ChatGPT Free", "  ", "public"))
        .expect_err("refused");
    assert!(e.to_string().contains("purpose"), "{e}");
}

#[test]
fn policies_that_do_not_parse_or_fit_the_schema_are_refused_with_cedars_message() {
    let e = Policies::parse(
        "permit (principal, action, resource);\npermit (principal, action, resource) when { context.purpose == };",
    )
    .expect_err("refused");
    assert!(matches!(e, PolicyError::Parse(_)), "{e:?}");
    assert!(
        e.to_string()
            .contains("line 2, column 64: unexpected token `}`"),
        "{e}"
    );

    let e = Policies::parse(
        "@id(\"typo\") permit (principal, action == Action::\"use\", resource) when { resource.purpose == \"x\" };",
    )
    .expect_err("refused");
    assert!(matches!(e, PolicyError::Invalid(_)), "{e:?}");
    assert!(e.to_string().contains("purpose"), "{e}");

    let e = Policies::parse(
        "@id(\"a\") permit (principal, action, resource);\n@id(\"a\") forbid (principal, action, resource);",
    )
    .expect_err("refused");
    assert!(
        e.to_string().contains("two policies have the @id \"a\""),
        "{e}"
    );
}

#[test]
fn policies_can_use_who_asks() {
    let text = format!(
        "{DEFAULT_POLICIES}\n@id(\"sales-no-personal\")\n@reason(\"Sales may not put personal data into any AI tool\")\nforbid (principal, action, resource) when {{ principal.department == \"Sales\" && context.data_class == \"personal\" }};"
    );
    let p = Policies::parse(&text).expect("valid");
    let c = catalog();
    let d = Decider::new(&p, &c).expect("decider");
    let a = d
        .ask(
            &employee(),
            &q("Microsoft 365 Copilot", "drafting", "personal"),
        )
        .expect("answer");
    assert!(!a.allowed);
    assert_eq!(
        a.reasons,
        ["Sales may not put personal data into any AI tool"]
    );
    let mut eng = employee();
    eng.department = "Engineering".into();
    assert!(
        d.ask(&eng, &q("Microsoft 365 Copilot", "drafting", "personal"))
            .expect("answer")
            .allowed
    );
}

const PURPOSES: [&str; 4] = ["drafting", "summarising", "analysis", "coding"];
const CLASSES: [&str; 5] = [
    "public",
    "internal",
    "confidential",
    "personal",
    "restricted",
];
const CATEGORIES: [&str; 2] = ["ai-assistant", "consumer-chatbot"];

fn arb_tool(i: usize) -> impl Strategy<Value = Tool> {
    (
        0..CATEGORIES.len(),
        proptest::bits::u8::masked(0b1111),
        proptest::bits::u8::masked(0b11111),
        any::<bool>(),
    )
        .prop_map(move |(cat, pm, cm, approved)| Tool {
            name: format!("Tool {i}"),
            category: CATEGORIES[cat].into(),
            description: String::new(),
            access_url: String::new(),
            how_to: vec![],
            purposes: (0..4)
                .filter(|b| pm & (1 << b) != 0)
                .map(|b| PURPOSES[b].to_owned())
                .collect(),
            data_classes: (0..5)
                .filter(|b| cm & (1 << b) != 0)
                .map(|b| CLASSES[b].to_owned())
                .collect(),
            alternatives: vec![],
            approved,
        })
}

/// The default policies written out as plain Rust: the brute-force reference.
fn allowed_by_hand(t: &Tool, purpose: &str, class: &str) -> bool {
    t.approved
        && t.purposes.iter().any(|p| p == purpose)
        && t.data_classes.iter().any(|c| c == class)
        && class != "restricted"
        && !(t.category == "consumer-chatbot" && class != "public")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn answers_and_alternatives_match_the_policies_written_by_hand(
        tools in (0usize..6).prop_flat_map(|n| (0..n).map(arb_tool).collect::<Vec<_>>()),
        asked in 0usize..6,
        p in 0..PURPOSES.len(),
        c in 0..CLASSES.len(),
    ) {
        prop_assume!(asked < tools.len());
        let policies = Policies::defaults().expect("defaults");
        let d = Decider::new(&policies, &tools).expect("decider");
        let a = d.ask(&employee(), &q(&tools[asked].name, PURPOSES[p], CLASSES[c])).expect("answer");
        prop_assert_eq!(a.allowed, allowed_by_hand(&tools[asked], PURPOSES[p], CLASSES[c]));
        prop_assert!(!a.reasons.is_empty());
        let expected: Vec<&str> = if a.allowed {
            vec![]
        } else {
            tools.iter().enumerate()
                .filter(|(i, t)| *i != asked && allowed_by_hand(t, PURPOSES[p], CLASSES[c]))
                .map(|(_, t)| t.name.as_str())
                .collect()
        };
        let got: Vec<&str> = a.alternatives.iter().map(|x| x.tool.as_str()).collect();
        prop_assert_eq!(got, expected);
    }
}
