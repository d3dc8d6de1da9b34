//! Typed row identifiers. Each is the database's integer key; keeping them distinct types
//! makes it a compile error to pass a site where a unit was meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A person (employee or contractor) known to Flywheel.
    PersonId,
    /// A node of the organisation tree (division, department, team).
    UnitId,
    /// A physical site or office.
    SiteId,
    /// An entry of the AI tools catalog.
    ToolId,
    /// One import run.
    ImportId,
);
