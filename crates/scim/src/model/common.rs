//! Pieces shared by every resource and message: `meta`, the multi-valued element shapes,
//! and the lenient readers for what real IdPs send.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_with::{DeserializeAs, SerializeAs, serde_as, skip_serializing_none};

/// The `meta` common attribute (RFC 7643 §3.1). Every sub-attribute is read-only and
/// assigned by the service provider, so every one is optional when reading a client's body.
///
/// Timestamps are kept in UTC: an offset the sender used is folded into the instant, and
/// they are written back as RFC 3339 with `Z`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub resource_type: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub last_modified: Option<DateTime<Utc>>,
    pub location: Option<String>,
    /// The entity tag (RFC 7232) of this version, e.g. `W/"3694e05e9dff590"`.
    pub version: Option<String>,
}

/// One value of a simple multi-valued attribute with the canonical sub-attributes of
/// RFC 7643 §2.4: `emails`, `phoneNumbers`, `ims`, `photos`, `entitlements`, `roles`,
/// `x509Certificates`. For `x509Certificates` `value` is the base64 DER certificate.
#[serde_as]
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiValued {
    pub value: Option<String>,
    pub display: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde_as(as = "Option<BoolOrString>")]
    pub primary: Option<bool>,
}

/// A reference to another resource, as found in a User's `groups` and a Group's `members`
/// (RFC 7643 §4.1.2 and §4.2). The two have the same sub-attributes, so they share a type.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// The `id` of the referenced resource.
    pub value: Option<String>,
    /// The URI of the referenced resource.
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
    pub display: Option<String>,
    /// `User` or `Group` for members; `direct` or `indirect` for a User's groups.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// serde_with adapter for a boolean that IdPs send either as JSON `true`/`false` or as a
/// string in any case (Entra ID writes `"False"`, some connectors `"true"`). It is always
/// written as a JSON boolean.
pub struct BoolOrString;

impl SerializeAs<bool> for BoolOrString {
    fn serialize_as<S: Serializer>(source: &bool, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(*source)
    }
}

impl<'de> DeserializeAs<'de, bool> for BoolOrString {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        struct BoolVisitor;

        impl Visitor<'_> for BoolVisitor {
            type Value = bool;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean, or the string \"true\" or \"false\" in any case")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                if v.eq_ignore_ascii_case("true") {
                    Ok(true)
                } else if v.eq_ignore_ascii_case("false") {
                    Ok(false)
                } else {
                    Err(E::invalid_value(Unexpected::Str(v), &self))
                }
            }
        }

        deserializer.deserialize_any(BoolVisitor)
    }
}

/// A keyword that is not one of those an enum of this module accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{found}' is not one of: {}", .expected.join(", "))]
pub struct UnknownKeyword {
    pub found: String,
    pub expected: &'static [&'static str],
}

/// Declares a fieldless enum whose variants are wire keywords: written exactly as given,
/// read in any case (IdPs send `"Replace"`, `"ADD"`, `"post"`), and parsed with `FromStr`.
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident => $wire:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every keyword, as written on the wire.
            pub const KEYWORDS: &'static [&'static str] = &[$($wire),+];

            /// The keyword as written on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::model::common::UnknownKeyword;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $(
                    if s.eq_ignore_ascii_case($wire) {
                        return Ok($name::$variant);
                    }
                )+
                Err($crate::model::common::UnknownKeyword {
                    found: s.to_owned(),
                    expected: Self::KEYWORDS,
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}

pub(crate) use keyword_enum;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn primary_reads_booleans_and_strings_in_any_case() {
        for (input, expected) in [
            (json!(true), Some(true)),
            (json!("True"), Some(true)),
            (json!("FALSE"), Some(false)),
            (json!(null), None),
        ] {
            let v: MultiValued =
                serde_json::from_value(json!({"value": "a@b.c", "primary": input})).unwrap();
            assert_eq!(v.primary, expected);
        }
        let missing: MultiValued = serde_json::from_value(json!({"value": "a@b.c"})).unwrap();
        assert_eq!(missing.primary, None);
        let written = serde_json::to_value(MultiValued {
            primary: Some(true),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(written, json!({"primary": true}));
    }

    #[test]
    fn a_boolean_string_that_is_not_a_boolean_is_an_error() {
        let err = serde_json::from_value::<MultiValued>(json!({"primary": "yes"})).unwrap_err();
        assert!(err.to_string().contains("\"true\" or \"false\""), "{err}");
        assert!(serde_json::from_value::<MultiValued>(json!({"primary": 1})).is_err());
    }

    #[test]
    fn meta_timestamps_are_rfc_3339_utc() {
        let meta: Meta = serde_json::from_value(json!({
            "resourceType": "User",
            "created": "2010-01-23T06:56:22+02:00",
            "lastModified": null,
            "version": "W/\"3694e05e9dff590\""
        }))
        .unwrap();
        assert_eq!(meta.last_modified, None);
        assert_eq!(
            serde_json::to_value(&meta).unwrap(),
            json!({
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "version": "W/\"3694e05e9dff590\""
            })
        );
    }

    #[test]
    fn resource_ref_renames_ref_and_type() {
        let r: ResourceRef = serde_json::from_value(json!({
            "value": "e9e30dba",
            "$ref": "https://example.com/v2/Groups/e9e30dba",
            "type": "direct"
        }))
        .unwrap();
        assert_eq!(
            r.reference.as_deref(),
            Some("https://example.com/v2/Groups/e9e30dba")
        );
        assert_eq!(r.kind.as_deref(), Some("direct"));
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"value": "e9e30dba", "$ref": "https://example.com/v2/Groups/e9e30dba", "type": "direct"})
        );
    }
}
