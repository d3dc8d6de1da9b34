//! `flywheel requests`: the access-request queue and its response clock from the command
//! line, and the reminders for a cron job (Flywheel sends no mail itself).

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// Every request with its clock (individual-level: audited), open ones first.
    List {
        #[arg(long, value_parser = ["open", "granted", "denied", "withdrawn"])]
        state: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Mark open requests past the target as reminded (again once per target period) and
    /// print them, e.g. from cron into mail or chat. `flywheel serve` does the same every
    /// five minutes and logs them.
    Remind {
        #[arg(long)]
        json: bool,
    },
    /// Show or set the response-clock target in hours (default 1).
    Target { hours: Option<f64> },
    /// The response clock: time to decision, share within the target, grant to first use.
    Clock {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: RequestsCommand, url: &str) -> anyhow::Result<()> {
    let app = crate::operator(&crate::open(url).await?);
    match cmd {
        RequestsCommand::List { state, json } => {
            let mut rows = app.visible_requests(state.as_deref()).await?;
            rows.sort_by_key(|r| r.state != flywheel_domain::program::RequestState::Open);
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    println!(
                        "{:>5}  {:<9} {:>7.1} h{}  {}  {}  {}",
                        r.id,
                        r.state,
                        r.clock_hours,
                        if r.overdue { " OVERDUE" } else { "" },
                        r.requested_at,
                        r.person,
                        r.tool.unwrap_or_default()
                    );
                }
            }
        }
        RequestsCommand::Remind { json } => {
            let due = app.remind_overdue().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&due)?);
            } else if due.is_empty() {
                println!("no open request is past the target");
            } else {
                let target = app.access_target_hours().await?;
                println!(
                    "{} open requests are past the {target}-hour target:",
                    due.len()
                );
                for r in due {
                    println!(
                        "  request {} by {} for {}: open {:.1} hours (reminder {})",
                        r.id,
                        r.person,
                        r.tool.unwrap_or_default(),
                        r.clock_hours,
                        r.reminders
                    );
                }
            }
        }
        RequestsCommand::Target { hours } => {
            if let Some(h) = hours {
                app.set_access_target_hours(h).await?;
            }
            println!(
                "response-clock target: {} hours",
                app.access_target_hours().await?
            );
        }
        RequestsCommand::Clock { json } => {
            let c = app.access_clock().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                let f = |v: Option<f64>| v.map_or("—".to_owned(), |x| format!("{x:.1}"));
                let p =
                    |v: Option<f64>| v.map_or("—".to_owned(), |x| format!("{:.0}%", 100.0 * x));
                println!(
                    "target {} h; {} open, {} past the target",
                    c.target_hours, c.open, c.overdue
                );
                println!(
                    "{} decided: median {} h to decision (90%: {} h), {} within the target",
                    c.decided,
                    f(c.median_hours_to_decision),
                    f(c.p90_hours_to_decision),
                    p(c.share_within_target)
                );
                println!(
                    "{} granted, {} used since: median {} days from grant to first use, {} the same day",
                    c.granted,
                    c.used_after_grant,
                    f(c.median_days_grant_to_first_use),
                    p(c.share_used_same_day)
                );
            }
        }
    }
    Ok(())
}
