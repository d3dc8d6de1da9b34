//! Enums whose values are words: one declaration gives the variants, the word each is
//! stored and shown as, parsing with a typed error, `ALL`, `Display` and serde. The store
//! maps these enums to text columns through [`as_str`] and `parse` and nothing else.
//!
//! Written as a macro rather than taken from a crate (`strum` would do it) because it also
//! builds the [`DomainError`](crate::DomainError) listing the allowed words, and is short.
//!
//! [`as_str`]: crate::program::Role::as_str

/// Declares an enum of words; see the module documentation.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $(#[$fmeta:meta])* $first:ident = $ftext:literal
            $(, $(#[$vmeta:meta])* $var:ident = $text:literal)* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        $vis enum $name {
            $(#[$fmeta])* #[serde(rename = $ftext)] $first,
            $($(#[$vmeta])* #[serde(rename = $text)] $var,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$name::$first $(, $name::$var)*];
            /// The words allowed, comma-separated (for messages and help).
            pub const NAMES: &'static str = concat!($ftext $(, ", ", $text)*);

            /// The word it is stored and shown as.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $name::$first => $ftext,
                    $($name::$var => $text,)*
                }
            }

            /// The value of a word (surrounding space ignored).
            pub fn parse(s: &str) -> Result<$name, $crate::DomainError> {
                let t = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == t)
                    .ok_or_else(|| $crate::DomainError::UnknownValue {
                        what: $what,
                        value: s.to_owned(),
                        allowed: Self::NAMES,
                    })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use text_enum;
