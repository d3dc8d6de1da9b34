//! Readers of outside file formats into domain records (and the writers the demo needs to
//! produce real export files).
//!
//! Invariants:
//! * Readers of one file take any `std::io::Read` plus the name to report and never open
//!   files, so they run the same on a file, an upload or a zip entry. The exceptions are
//!   the formats made of several files: a Slack export (zip or folder, read only inside
//!   itself) and a GitHub report envelope (whose links name files beside it).
//! * Every error names the source, the line (or record), the field and the value at fault.
//! * A reader either returns every record of the input or an error: callers never see a
//!   half-read file.

pub mod chatgpt;
mod csvrows;
pub mod dates;
pub mod edges;
pub mod error;
pub mod events;
pub mod github;
pub mod hris;
pub mod identities;
pub mod limits;
pub mod m365;
pub mod parsed;
pub mod pydict;
pub mod slack;

pub use error::{IngestError, Located};
