//! `flywheel people`.

use clap::Args;
use flywheel_store::PeopleFilter;

#[derive(Debug, Args)]
pub struct PeopleArgs {
    /// Only people in this unit (by id) or any unit under it.
    #[arg(long)]
    unit: Option<i64>,
    /// Only people at this site (by id).
    #[arg(long)]
    site: Option<i64>,
    /// Include people who have left.
    #[arg(long)]
    include_departed: bool,
    /// At most this many people.
    #[arg(long)]
    limit: Option<u32>,
    /// Print JSON (an array of people).
    #[arg(long)]
    json: bool,
}

pub async fn run(args: PeopleArgs, url: &str) -> anyhow::Result<()> {
    let store = crate::open(url).await?;
    let filter = PeopleFilter {
        unit: args.unit,
        site: args.site,
        include_departed: args.include_departed,
        after: None,
    };
    let people = crate::operator(&store)
        .all_people(&filter, args.limit.map(|l| l as usize))
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&people)?);
        return Ok(());
    }
    println!(
        "{:>7}  {:<10}  {:<26}  {:<28}  {:<34}  site",
        "id", "hris id", "name", "title", "unit"
    );
    for p in &people {
        println!(
            "{:>7}  {:<10}  {:<26}  {:<28}  {:<34}  {}{}",
            p.id,
            p.hris_id.as_deref().unwrap_or("-"),
            p.display_name,
            p.title.as_deref().unwrap_or("-"),
            p.unit.as_deref().unwrap_or("-"),
            p.site.as_deref().unwrap_or("-"),
            p.left_on
                .map(|d| format!("  (left {d})"))
                .unwrap_or_default()
        );
    }
    eprintln!("{} people", people.len());
    Ok(())
}
