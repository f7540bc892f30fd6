//! `wire_enum!`: the enumerations of `zaby::types` as Rust enums whose wire form is the
//! exact string of the spec. Written once here so the generated `types.rs` stays one
//! line per value.
//!
//! A *closed* enumeration refuses a string it does not know (the response does not have
//! the expected shape); an *open* one (`docs/api/types.md`, "open") keeps it in `Unknown(String)`
//! and writes it back unchanged, so a value added by a newer server never breaks a call.

use std::fmt;

/// A string that names no value of a closed enumeration (from `str::parse`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownEnumValue {
    /// The enumeration, e.g. `"AgentStatus"`.
    pub enumeration: &'static str,
    pub value: String,
    /// The values it knows.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownEnumValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a {} (expected one of: {})", self.value, self.enumeration, self.expected.join(", "))
    }
}

impl std::error::Error for UnknownEnumValue {}

/// `wire_enum!(closed Name { Variant = "WIRE", … })` or `wire_enum!(open Name { … })`.
/// Attributes (docs) before the name and before each variant are kept.
macro_rules! wire_enum {
    ($(#[$meta:meta])* closed $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order of the spec.
            pub const VALUES: &'static [&'static str] = &[$( $wire ),+];

            /// The wire form (`"ACTIVE"`).
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::wire_enum::UnknownEnumValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $wire => Ok(Self::$variant), )+
                    _ => Err($crate::wire_enum::UnknownEnumValue {
                        enumeration: stringify!($name),
                        value: s.to_owned(),
                        expected: Self::VALUES,
                    }),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(|_| <D::Error as serde::de::Error>::unknown_variant(&s, Self::VALUES))
            }
        }

        $crate::wire_enum::wire_enum!(@common $name);
    };

    ($(#[$meta:meta])* open $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this SDK does not know yet (the enumeration is open), kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The values this SDK knows, in the order of the spec.
            pub const VALUES: &'static [&'static str] = &[$( $wire ),+];

            /// The wire form (`"zaby"`, or the unknown string as received).
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::from(s.as_ref()))
            }
        }

        $crate::wire_enum::wire_enum!(@common $name);
    };

    (@common $name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

pub(crate) use wire_enum;
