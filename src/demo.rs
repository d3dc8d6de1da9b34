//! `flywheel demo`: a realistic company, written as real export files and imported through
//! the real importers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::InteractionKind;
use flywheel_ingest::edges::{read_edges, write_edges, Edge};
use flywheel_ingest::hris::write_hris;
use flywheel_store::Role;
use flywheel_synth::{generate, Params};
use rand::distr::{Alphanumeric, SampleString};

use crate::import::{import_hris, read_bounded, HrisArgs};
use crate::progress;

/// The demo's admin account.
pub const DEMO_ADMIN: &str = "admin@example.com";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// People in the company.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(20..=2_000_000))]
    people: u64,
    /// Seed: the same seed gives the same company.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Directory for the export files and the SQLite database (created if missing).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The date the org chart describes (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Stop after the import instead of serving (for scripts).
    #[arg(long)]
    no_serve: bool,
    /// Address to serve on (a free port is used if the default is taken).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    bind: SocketAddr,
}

pub async fn run(args: DemoArgs, db: Option<String>) -> anyhow::Result<()> {
    let dir = args.out.clone().unwrap_or_else(crate::default_demo_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let as_of = args
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let url = db.unwrap_or_else(|| format!("sqlite://{}", dir.join("flywheel.db").display()));
    let hris_path = dir.join("hris_orgchart.csv");
    let edges_path = dir.join("collaboration.edges");
    write_exports(&args, as_of, &hris_path, &edges_path)?;

    let store = crate::open(&url).await?;
    let hris = HrisArgs {
        file: hris_path.clone(),
        map: vec![],
        as_of: Some(as_of),
        date_order: None,
        dry_run: false,
        json: false,
    };
    let out = import_hris(&store, &hris).await?;
    println!(
        "org chart: {} hires, {} moves, {} departures, {} unchanged",
        out.hires, out.moves, out.departures, out.unchanged
    );

    let pb = progress::step("importing the collaboration network");
    let (bytes, sha) = read_bounded(&edges_path)?;
    let read = read_edges(&bytes[..], &edges_path.display().to_string())?;
    drop(bytes);
    let ties: Vec<(String, String, f32)> =
        read.into_iter().map(|e| (e.from, e.to, e.weight)).collect();
    let ti = store
        .import_ties(
            &edges_path.display().to_string(),
            &sha,
            IdentityKind::Hris,
            InteractionKind::Collaboration,
            as_of,
            &ties,
        )
        .await?;
    progress::done(
        pb,
        format!(
            "collaboration network: {} new ties, {} unmatched ids",
            ti.inserted,
            ti.unmatched.len()
        ),
    );

    let password = Alphanumeric.sample_string(&mut rand::rng(), 20);
    match store.create_user(DEMO_ADMIN, &password, Role::Admin).await {
        Ok(_) => {}
        Err(flywheel_store::StoreError::Invalid(m)) if m.contains("already exists") => {
            store.set_password(DEMO_ADMIN, &password).await?;
        }
        Err(e) => return Err(e.into()),
    }
    println!("database: {url}");
    println!("admin login: {DEMO_ADMIN} / {password}");
    if args.no_serve {
        store.close().await;
        return Ok(());
    }
    crate::init_logging();
    crate::serve(store, args.bind, true).await
}

/// Generates the company and writes it as export files; the database is filled only from
/// these files, and the generated company is freed before the imports run.
fn write_exports(
    args: &DemoArgs,
    as_of: NaiveDate,
    hris_path: &Path,
    edges_path: &Path,
) -> anyhow::Result<()> {
    let pb = progress::step(format!(
        "generating a company of {} people (seed {})",
        args.people, args.seed
    ));
    let company = generate(&Params {
        people: args.people as usize,
        seed: args.seed,
        as_of,
    });
    progress::done(
        pb,
        format!(
            "generated {} people and {} collaboration ties",
            company.employees.len(),
            company.ties.len()
        ),
    );

    let pb = progress::step("writing export files");
    let f = std::fs::File::create(hris_path)
        .with_context(|| format!("cannot create {}", hris_path.display()))?;
    write_hris(std::io::BufWriter::new(f), &company.hris_records())
        .with_context(|| format!("writing {}", hris_path.display()))?;
    let edges: Vec<Edge> = company
        .ties
        .iter()
        .map(|t| Edge {
            from: company.employees[t.a as usize].hris_id.clone(),
            to: company.employees[t.b as usize].hris_id.clone(),
            weight: t.weight,
        })
        .collect();
    let f = std::fs::File::create(edges_path)
        .with_context(|| format!("cannot create {}", edges_path.display()))?;
    let comment = format!(
        "Flywheel demo collaboration network, seed {}, {} people\nundirected: from to weight (HRIS ids)",
        args.seed,
        company.employees.len()
    );
    write_edges(std::io::BufWriter::new(f), &comment, &edges)
        .with_context(|| format!("writing {}", edges_path.display()))?;
    progress::done(
        pb,
        format!("wrote {} and {}", hris_path.display(), edges_path.display()),
    );
    Ok(())
}
