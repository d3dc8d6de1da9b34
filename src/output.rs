//! Command output through one printer: a command that prints a result builds one typed
//! report and hands it to [`emit`], which prints it as JSON (`--json`: the report's
//! `Serialize` form, so the shape is declared by a type) or as text ([`Report::text`]).

use serde::Serialize;

/// A command's result, printable as JSON or as text.
pub trait Report: Serialize {
    /// Prints the report for a person at a terminal.
    fn text(&self);
}

/// Prints `report` as pretty JSON when `json`, else as text.
pub fn emit(json: bool, report: &impl Report) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        report.text();
    }
    Ok(())
}
