//! `flywheel can-i`, `flywheel tools` and `flywheel policy`: the catalog and the Cedar
//! policies from the command line, with the same answers as the web form.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use flywheel_domain::program::Tool;
use flywheel_policy::{Policies, Question};
use flywheel_store::{Channel, Store};
use serde::Deserialize;

use crate::import::read_bounded;

/// The demo's catalog (also a template for your own).
pub const DEMO_CATALOG: &str = include_str!("../config/catalog.toml");

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("question").required(true).args(["text", "tool"])))]
pub struct CanIArgs {
    /// The question in plain words ("ChatGPT Enterprise to summarise a customer
    /// contract"), read as the chat app reads it; what it cannot tell is listed as the
    /// choices it would ask (and `--json` gives them).
    #[arg(conflicts_with_all = ["tool", "purpose", "data"])]
    text: Option<String>,
    /// The tool, as named in the catalog (`flywheel tools list`).
    #[arg(long, requires_all = ["purpose", "data"])]
    tool: Option<String>,
    /// What for, e.g. "summarising".
    #[arg(long)]
    purpose: Option<String>,
    /// The class of data: public, internal, confidential, personal or restricted.
    #[arg(long = "data", value_name = "CLASS")]
    data: Option<String>,
    /// Ask as this account (its role, department and site go into the decision);
    /// otherwise the question is asked with no role, department or site.
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// Add or replace catalog entries from a TOML file of `[[tool]]` tables (see
    /// config/catalog.toml); entries already the same are left alone. Audited.
    Load { file: PathBuf },
    /// The catalog.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// The policies in force, with each policy's id, effect and reason.
    Show {
        /// Print the Cedar schema the policies are checked against instead.
        #[arg(long)]
        schema: bool,
    },
    /// Check a Cedar policy file against the schema without saving it.
    Check { file: PathBuf },
    /// Check a Cedar policy file and make it the policies in force (a new version; audited).
    Set {
        file: PathBuf,
        /// What changed and why (shown in the history).
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    tool: Vec<Tool>,
}

/// Reads a catalog file: every entry checked, with the file and entry named on error.
pub fn parse_catalog(text: &str, name: &str) -> anyhow::Result<Vec<Tool>> {
    let file: CatalogFile = toml::from_str(text).with_context(|| name.to_string())?;
    file.tool
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let label = t.name.clone();
            t.normalized()
                .with_context(|| format!("{name}: tool {} ({label:?})", i + 1))
        })
        .collect()
}

/// Saves every entry; returns how many changed.
pub async fn load_catalog(store: &Store, tools: Vec<Tool>) -> anyhow::Result<usize> {
    let app = crate::operator(store);
    let mut changed = 0;
    for t in tools {
        if app.save_tool(t).await? {
            changed += 1;
        }
    }
    Ok(changed)
}

pub(crate) fn read_text(file: &std::path::Path) -> anyhow::Result<String> {
    let (bytes, _) = read_bounded(file)?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", file.display()))
}

/// `can-i --json`: the answer and the policy version that gave it (the API's shape).
#[derive(serde::Serialize)]
struct AnswerOutput<'a> {
    #[serde(flatten)]
    answer: &'a flywheel_policy::Answer,
    policy_version: Option<i64>,
}

pub async fn run_can_i(args: CanIArgs, url: &str) -> anyhow::Result<()> {
    let store = crate::open(url).await?;
    let user = match &args.as_user {
        Some(email) => Some(crate::operator(&store).account(email).await?),
        None => None,
    };
    let caller = user.map_or(flywheel_app::Caller::Operator, flywheel_app::Caller::User);
    let app = flywheel_app::Core::new(store).app(caller);
    let a = if let Some(text) = &args.text {
        match app.chat_can_i(text, Channel::Cli).await? {
            flywheel_app::chat_ask::ChatAnswer::Answered(a) => *a,
            flywheel_app::chat_ask::ChatAnswer::Unclear {
                reading,
                tools,
                purposes,
                classes,
            } => return unclear(args.json, &reading, (&tools, &purposes, &classes)),
        }
    } else {
        let q = Question {
            tool: args.tool.unwrap_or_default(),
            purpose: args.purpose.unwrap_or_default(),
            data_class: args.data.unwrap_or_default(),
        };
        app.ask(&q, Channel::Cli).await?
    };
    if args.json {
        let out = AnswerOutput {
            answer: &a.answer,
            policy_version: a.policy_version,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let a = a.answer;
    if a.allowed {
        println!(
            "Yes — here's how: {} for {} with {} data.",
            a.tool, a.purpose, a.data_class
        );
        for (i, s) in a.how_to.iter().enumerate() {
            println!("  {}. {s}", i + 1);
        }
        if !a.access_url.is_empty() {
            println!("  access: {}", a.access_url);
        }
    } else {
        println!(
            "No — but try this instead. {} may not be used for {} with {} data:",
            a.tool, a.purpose, a.data_class
        );
        for r in &a.reasons {
            println!("  - {r}");
        }
        if a.alternatives.is_empty() {
            println!("No tool in the catalog is allowed for this; ask the AI program team.");
        }
        for alt in &a.alternatives {
            let link = if alt.access_url.is_empty() {
                String::new()
            } else {
                format!(" ({})", alt.access_url)
            };
            println!("  try: {}{link}", alt.tool);
        }
    }
    Ok(())
}

/// A plain question that could not be decided: what was read, and the choices.
fn unclear(
    json: bool,
    r: &flywheel_app::chat_ask::AskReading,
    (tools, purposes, classes): (&[String], &[String], &[String]),
) -> anyhow::Result<()> {
    let offered = r.tool_choices(tools);
    if json {
        let v = serde_json::json!({
            "allowed": null,
            "read": {"tool": r.tool, "purpose": r.purpose, "data_class": r.data_class},
            "choices": {
                "tool": if r.tool.is_none() { offered.to_vec() } else { Vec::new() },
                "purpose": if r.purpose.is_none() { purposes.to_vec() } else { Vec::new() },
                "data_class": if r.data_class.is_none() { classes.to_vec() } else { Vec::new() },
            },
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("I couldn't tell everything from the question; ask again naming:");
    if r.tool.is_none() {
        println!("  the tool: {}", offered.join(", "));
    }
    if r.purpose.is_none() {
        println!("  what for: {}", purposes.join(", "));
    }
    if r.data_class.is_none() {
        println!("  which data: {}", classes.join(", "));
    }
    Ok(())
}

pub async fn run_tools(cmd: ToolsCommand, url: &str) -> anyhow::Result<()> {
    let store = crate::open(url).await?;
    match cmd {
        ToolsCommand::Load { file } => {
            let text = read_text(&file)?;
            let tools = parse_catalog(&text, &file.display().to_string())?;
            let n = tools.len();
            let changed = load_catalog(&store, tools).await?;
            println!(
                "catalog: {n} tools in {}, {changed} added or changed",
                file.display()
            );
        }
        ToolsCommand::List { json } => {
            let tools = crate::operator(&store).catalog().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tools)?);
            } else {
                for t in tools {
                    println!(
                        "{}{} [{}] for {}; data: {}",
                        t.name,
                        if t.approved { "" } else { " (not approved)" },
                        t.category,
                        t.purposes.join(", "),
                        t.data_classes.join(", ")
                    );
                }
            }
        }
    }
    Ok(())
}

pub async fn run_policy(cmd: PolicyCommand, url: &str) -> anyhow::Result<()> {
    match cmd {
        PolicyCommand::Show { schema: true } => {
            print!("{}", flywheel_policy::SCHEMA);
        }
        PolicyCommand::Show { schema: false } => {
            let store = crate::open(url).await?;
            let (p, version) = flywheel_app::can_i::policies(&store).await?;
            match version {
                Some(v) => println!("// version {v}"),
                None => println!("// the built-in defaults (never edited)"),
            }
            print!("{}", p.text());
        }
        PolicyCommand::Check { file } => {
            let text = read_text(&file)?;
            let p = Policies::parse(&text).with_context(|| file.display().to_string())?;
            for s in p.summaries() {
                println!(
                    "{} {}{}",
                    s.effect,
                    s.id,
                    s.reason.map(|r| format!(": {r}")).unwrap_or_default()
                );
            }
            println!("{}: valid against the schema", file.display());
        }
        PolicyCommand::Set { file, note } => {
            let text = read_text(&file)?;
            let store = crate::open(url).await?;
            let v = crate::operator(&store)
                .save_policies(&text, &note)
                .await
                .with_context(|| file.display().to_string())?;
            println!("policies in force: version {v}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalog_parses_and_its_alternatives_exist() {
        let tools = parse_catalog(DEMO_CATALOG, "catalog.toml").expect("valid");
        assert_eq!(tools.len(), 5);
        for t in &tools {
            for a in &t.alternatives {
                assert!(tools.iter().any(|x| &x.name == a), "{}: {a}", t.name);
            }
        }
        let e = parse_catalog(
            "[[tool]]\nname = \"X\"\ncategory = \"a\"\ndata_classes = [\"secret\"]\n",
            "c.toml",
        )
        .expect_err("bad class");
        assert!(format!("{e:#}").contains("c.toml: tool 1 (\"X\")"), "{e:#}");
        let e = parse_catalog("[[tool]]\nnme = \"X\"\n", "c.toml").expect_err("typo");
        assert!(format!("{e:#}").contains("line 2"), "{e:#}");
    }
}
