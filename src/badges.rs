//! `flywheel badges` and `flywheel courses`: the learning catalog, awards as Open Badges
//! 3.0 credentials, their verification and revocation, campaigns.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Subcommand;
use flywheel_app::App;
use flywheel_badges::verify::Outcome;
use flywheel_store::{BadgeDef, CampaignDef, CourseDef, LearningCatalog, ModuleDef};
use serde::Deserialize;

use crate::policy::read_text;

/// The demo's learning catalog.
pub const DEMO_LEARNING: &str = include_str!("../config/learning.toml");

#[derive(Debug, Subcommand)]
pub enum BadgesCommand {
    /// Load courses, campaigns and badge classes from a TOML file (see
    /// config/learning.toml), matched by slug; all or nothing. Audited.
    Load { file: PathBuf },
    /// Issue a badge to an account that has earned it (courses completed, wins verified by
    /// someone else, lower tiers held); says what is missing otherwise. Audited.
    Issue {
        #[arg(long)]
        badge: String,
        #[arg(long)]
        email: String,
        /// Write the signed credential (JSON with its Data Integrity proof) here.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Award every badge each account has earned and does not hold yet (for cron, after a
    /// bulk import of completions).
    AwardEarned {
        #[arg(long)]
        json: bool,
    },
    /// Verify a credential file (Open Badges 3.0 JSON with an eddsa-rdfc-2022 proof, or a
    /// VC-JWT): signature, issuer, validity, revocation. Exits 1 when a check fails and
    /// names it.
    Verify {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Revoke an award: it stays in the history, its status bit is set, verification
    /// says "revoked". Audited.
    Revoke {
        /// The award's id (`urn:uuid:…`, as `badges list` shows).
        award: String,
        #[arg(long)]
        reason: String,
    },
    /// Awards, revoked and ended ones included (individual-level: audited).
    List {
        #[arg(long)]
        badge: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print an award's credential: the JSON with its proof, or with --jwt the VC-JWT.
    Export {
        award: String,
        #[arg(long)]
        jwt: bool,
    },
    /// Badge classes with their criteria, tiers, campaigns and holder counts.
    Classes {
        #[arg(long)]
        json: bool,
    },
    /// End a campaign: revoke or expire all its current awards in one action (history
    /// and audit trail kept).
    EndCampaign {
        campaign: String,
        #[arg(long, value_parser = ["revoke", "expire"])]
        mode: String,
    },
    /// Show the issuer (its did:key and key directory), or set its name and public address
    /// (the URL this Flywheel is reached at; achievement ids and the status list live under
    /// it). The signing key lives in a key file (0600) in the key directory, never in the
    /// database: `<database>.keys/` beside a SQLite file, or FLYWHEEL_KEY_DIR.
    Issuer {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        url: Option<String>,
        /// Sign new credentials with a new key from now on. Credentials signed before keep
        /// verifying: the retired key's file is kept and still signs their status lists,
        /// and the new key starts a status list of its own.
        #[arg(long)]
        rotate_key: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CoursesCommand {
    /// Courses with modules, minutes, enrolments and completions.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Record that an account completed a course (all modules), e.g. a classroom
    /// session, and award what that earns. Audited.
    Complete {
        #[arg(long)]
        email: String,
        #[arg(long)]
        course: String,
    },
    /// Completion by department (numbers under the minimum group size withheld).
    Rates {
        course: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LearningFile {
    #[serde(default)]
    course: Vec<CourseEntry>,
    #[serde(default)]
    campaign: Vec<CampaignEntry>,
    #[serde(default)]
    badge: Vec<BadgeEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseEntry {
    slug: String,
    title: String,
    #[serde(default)]
    summary: String,
    module: Vec<ModuleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleEntry {
    title: String,
    minutes: u32,
    #[serde(default)]
    body: String,
    #[serde(default)]
    link: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignEntry {
    slug: String,
    name: String,
    ends_on: Option<chrono::NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BadgeEntry {
    slug: String,
    name: String,
    #[serde(default)]
    description: String,
    tier: Option<String>,
    #[serde(default)]
    criteria: String,
    #[serde(default)]
    courses: Vec<String>,
    #[serde(default)]
    wins: u32,
    #[serde(default)]
    requires: Vec<String>,
    valid_days: Option<u32>,
    campaign: Option<String>,
}

fn check_slug(kind: &str, i: usize, slug: &str) -> anyhow::Result<()> {
    if slug.is_empty()
        || slug.len() > 64
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        bail!(
            "{kind} {}: slug {slug:?} must be 1–64 of a-z, 0-9 and -",
            i + 1
        );
    }
    Ok(())
}

/// Reads a learning catalog: every reference checked (courses, campaigns, required
/// badges, no circles of tiers), with the file and entry named on error.
pub fn parse_learning(text: &str, name: &str) -> anyhow::Result<LearningCatalog> {
    let file: LearningFile = toml::from_str(text).with_context(|| name.to_string())?;
    let ctx = |m: String| anyhow::anyhow!("{name}: {m}");
    for (i, c) in file.course.iter().enumerate() {
        check_slug("course", i, &c.slug).map_err(|e| ctx(e.to_string()))?;
        if c.module.is_empty() {
            return Err(ctx(format!(
                "course {} ({:?}) has no modules",
                i + 1,
                c.slug
            )));
        }
        if let Some(m) = c
            .module
            .iter()
            .find(|m| m.body.is_empty() && m.link.is_empty())
        {
            return Err(ctx(format!(
                "course {:?}: module {:?} needs a body or a link",
                c.slug, m.title
            )));
        }
    }
    for (i, c) in file.campaign.iter().enumerate() {
        check_slug("campaign", i, &c.slug).map_err(|e| ctx(e.to_string()))?;
    }
    let mut requires = BTreeMap::new();
    for (i, b) in file.badge.iter().enumerate() {
        check_slug("badge", i, &b.slug).map_err(|e| ctx(e.to_string()))?;
        if let Some(c) = b
            .courses
            .iter()
            .find(|c| !file.course.iter().any(|k| &k.slug == *c))
        {
            return Err(ctx(format!(
                "badge {:?} names course {c:?}, which the file does not define",
                b.slug
            )));
        }
        if let Some(c) = &b.campaign {
            if !file.campaign.iter().any(|k| &k.slug == c) {
                return Err(ctx(format!(
                    "badge {:?} names campaign {c:?}, which the file does not define",
                    b.slug
                )));
            }
        }
        if b.courses.is_empty() && b.wins == 0 && b.requires.is_empty() {
            return Err(ctx(format!(
                "badge {:?} has no criteria (courses, wins or required badges)",
                b.slug
            )));
        }
        requires.insert(b.slug.clone(), b.requires.clone());
    }
    flywheel_badges::criteria::tier_order(&requires).map_err(|e| ctx(e.to_string()))?;
    Ok(LearningCatalog {
        courses: file
            .course
            .into_iter()
            .map(|c| CourseDef {
                slug: c.slug,
                title: c.title,
                summary: c.summary,
                modules: c
                    .module
                    .into_iter()
                    .map(|m| ModuleDef {
                        title: m.title,
                        minutes: m.minutes,
                        body: m.body,
                        link: m.link,
                    })
                    .collect(),
            })
            .collect(),
        campaigns: file
            .campaign
            .into_iter()
            .map(|c| CampaignDef {
                slug: c.slug,
                name: c.name,
                ends_on: c.ends_on.map(|d| d.format("%Y-%m-%d").to_string()),
            })
            .collect(),
        badges: file
            .badge
            .into_iter()
            .map(|b| BadgeDef {
                slug: b.slug,
                name: b.name,
                description: b.description,
                tier: b.tier,
                criteria: b.criteria,
                courses: b.courses,
                wins: b.wins,
                requires: b.requires,
                valid_days: b.valid_days,
                campaign: b.campaign,
            })
            .collect(),
    })
}

pub async fn run(cmd: BadgesCommand, url: &str) -> anyhow::Result<()> {
    let app = crate::operator(&crate::open(url).await?);
    match cmd {
        BadgesCommand::Load { file } => {
            let cat = parse_learning(&read_text(&file)?, &file.display().to_string())?;
            app.load_learning(&cat).await?;
            println!(
                "loaded {} courses, {} campaigns, {} badges from {}",
                cat.courses.len(),
                cat.campaigns.len(),
                cat.badges.len(),
                file.display()
            );
        }
        BadgesCommand::Issue {
            badge,
            email,
            out,
            json,
        } => {
            let (class, row) = app.issue_badge(&badge, &email).await.map_err(|e| match e {
                flywheel_app::AppError::Store(flywheel_store::StoreError::NotFound {
                    what: "badge",
                    ..
                }) => anyhow::anyhow!("no badge {badge:?} (see `flywheel badges classes`)"),
                e @ flywheel_app::AppError::Store(flywheel_store::StoreError::NotFound {
                    ..
                }) => e.into(),
                e => anyhow::Error::from(e).context(format!("{email} cannot have {badge:?}")),
            })?;
            if let Some(out) = out {
                std::fs::write(&out, &row.credential)
                    .with_context(|| format!("cannot write {}", out.display()))?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&row)?);
            } else {
                println!("issued {} to {email}: {}", class.name, row.uuid);
            }
        }
        BadgesCommand::AwardEarned { json } => {
            let all = app.award_everyone().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for a in &all {
                    println!("issued {} to {}: {}", a.badge_name, a.email, a.uuid);
                }
                println!("{} new awards", all.len());
            }
        }
        BadgesCommand::Verify { file, json } => verify(&app, &file, json).await?,
        BadgesCommand::Revoke { award, reason } => {
            if app.award(&award).await.is_err() {
                bail!("no award {award:?} (see `flywheel badges list`)");
            }
            if app.revoke_award(&award, &reason).await? {
                println!("revoked {award}: {reason}");
            } else {
                println!("{award} was already revoked");
            }
        }
        BadgesCommand::List { badge, email, json } => {
            list(&app, badge.as_deref(), email.as_deref(), json).await?;
        }
        BadgesCommand::Export { award, jwt } => {
            let row = app.award(&award).await?;
            println!("{}", if jwt { &row.jwt } else { &row.credential });
        }
        BadgesCommand::Classes { json } => {
            let classes = app.badge_classes().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&classes)?);
            } else {
                for b in classes {
                    println!(
                        "{:<16} {:<22} {:<13} holders {:>4}  courses [{}]  wins {}  requires [{}]{}",
                        b.slug,
                        b.name,
                        b.tier.unwrap_or_default(),
                        b.holders,
                        b.courses.join(", "),
                        b.wins,
                        b.requires.join(", "),
                        b.campaign.map(|c| format!("  campaign {}", c.slug)).unwrap_or_default()
                    );
                }
            }
        }
        BadgesCommand::EndCampaign { campaign, mode } => {
            let n = app.end_campaign(&campaign, &mode).await?;
            println!(
                "campaign {campaign} ended: {n} awards {}",
                if mode == "revoke" {
                    "revoked"
                } else {
                    "expired"
                }
            );
        }
        BadgesCommand::Issuer {
            name,
            url: public,
            rotate_key,
            json,
        } => issuer(&app, name, public, rotate_key, json).await?,
    }
    Ok(())
}

/// `badges verify`: the report, and a failure exit when a check failed.
async fn verify(app: &App, file: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let text = read_text(file)?;
    let report = app.verify_credential(&text).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}: {} ({})",
            file.display(),
            if report.valid { "VALID" } else { "NOT VALID" },
            report.format
        );
        for c in &report.checks {
            let mark = match c.outcome {
                Outcome::Passed => "ok  ",
                Outcome::Failed => "FAIL",
                Outcome::Skipped => "skip",
            };
            println!("  {mark} {:<10} {}", c.check, c.detail);
        }
    }
    if let Some(failed) = report.failure() {
        bail!(
            "not valid: the {} check failed: {}",
            failed.check,
            failed.detail
        );
    }
    Ok(())
}

/// `badges list --json`: an award with its state now.
#[derive(serde::Serialize)]
struct AwardOutput<'a> {
    #[serde(flatten)]
    award: &'a flywheel_store::AwardRow,
    state: &'static str,
}

/// `badges list`: awards (individual-level: audited).
async fn list(
    app: &App,
    badge: Option<&str>,
    email: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let mut rows = app.awards(badge, "cli").await?;
    if let Some(e) = email {
        let e = e.trim().to_lowercase();
        rows.retain(|r| r.email == e);
    }
    let now = flywheel_badges::xsd_datetime(chrono::Utc::now());
    if json {
        let out: Vec<AwardOutput<'_>> = rows
            .iter()
            .map(|r| AwardOutput {
                award: r,
                state: r.state(&now),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for r in rows {
            println!(
                "{}  {:<8} {:<20} {:<30} {}",
                r.uuid,
                r.state(&now),
                r.badge,
                r.email,
                r.issued_at
            );
        }
    }
    Ok(())
}

/// `badges issuer`: shows the issuer, renames it, moves it, or rotates its key.
async fn issuer(
    app: &App,
    name: Option<String>,
    public: Option<String>,
    rotate_key: bool,
    json: bool,
) -> anyhow::Result<()> {
    let signer = app.signer().await?;
    if rotate_key {
        let (did, first) = app.rotate_issuer_key().await?;
        eprintln!(
            "rotated: {} is retired (it still signs the status lists of its credentials); {did} signs from status index {first}",
            signer.issuer.key.did(),
        );
    }
    if name.is_some() || public.is_some() {
        let name = name.unwrap_or(signer.issuer.name.clone());
        let public = public.unwrap_or(signer.issuer.url.clone());
        app.set_issuer_profile(&name, &public).await?;
    }
    let signer = app.signer().await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&signer.issuer.document())?
        );
    } else {
        println!("issuer: {}", signer.issuer.name);
        println!("id:     {}", signer.issuer.key.did());
        println!("url:    {}", signer.issuer.url);
        println!("keys:   {}", app.key_dir().display());
    }
    Ok(())
}

pub async fn run_courses(cmd: CoursesCommand, url: &str) -> anyhow::Result<()> {
    let app = crate::operator(&crate::open(url).await?);
    match cmd {
        CoursesCommand::List { json } => {
            let rows = app.course_rows().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for c in rows {
                    println!(
                        "{:<16} {:<32} {} modules, {} min; {} enrolled, {} completed",
                        c.slug, c.title, c.modules, c.minutes, c.enrolled, c.completed
                    );
                }
            }
        }
        CoursesCommand::Complete { email, course } => {
            let (row, new) = app.record_completion(&course, &email).await?;
            println!("{email} completed {}", row.title);
            for a in new {
                println!("issued {} to {email}: {}", a.badge_name, a.uuid);
            }
        }
        CoursesCommand::Rates { course, json } => {
            let (rates, min) = app.completion_rates(&course).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rates)?);
            } else {
                for r in rates {
                    match (r.enrolled, r.completed, r.rate) {
                        (Some(e), Some(c), Some(rate)) => {
                            println!(
                                "{:<24} {c:>5} of {e:<5} {:>5.1}%",
                                r.department,
                                rate * 100.0
                            );
                        }
                        _ => println!("{:<24} fewer than {min} enrolled: withheld", r.department),
                    }
                }
            }
        }
    }
    Ok(())
}
