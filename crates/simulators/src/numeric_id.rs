//! The vendors' numeric ids: a `u64` that JSON and paths carry as a decimal string. Each
//! vendor says which strings are ids, and what the error says, through its `parse`.

/// `numeric_id!(/// doc… Name, ErrorType, parse)` defines `pub struct Name(pub u64)` with
/// `Display`, `FromStr` (through `parse: Fn(&str) -> Result<u64, ErrorType>`) and string
/// serde.
macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $error:ty, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $error;
            fn from_str(s: &str) -> Result<Self, $error> {
                ($parse)(s).map($name)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <String as serde::Deserialize>::deserialize(d)?
                    .parse()
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use numeric_id;
