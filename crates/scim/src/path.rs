//! Attribute paths: `[URI ":"] ATTRNAME ["." subAttr]` (RFC 7644 §3.10, the `attrPath` rule of
//! the filter grammar in §3.4.2.2).

use std::fmt;

/// A syntactic attribute path. Names keep the case the client wrote; the schema module
/// resolves them case-insensitively.
///
/// Because schema URNs contain dots (`...:2.0:User`), the URN is split off at the last colon
/// before the dot that introduces a sub-attribute is looked for. A path that names a whole
/// extension (`urn:...:enterprise:2.0:User`) parses as `urn = "urn:...:enterprise:2.0"`,
/// `name = "User"`; [`AttrPath::full_urn`] gives the joined form the resolver checks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub_attr: Option<String>,
}

/// Where and why an attribute path failed to parse. `offset` is a byte offset into the
/// parsed text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at position {offset}: {message}")]
pub struct PathSyntaxError {
    pub offset: usize,
    pub message: String,
}

impl AttrPath {
    /// A path to a top-level attribute with no URN and no sub-attribute.
    pub fn simple(name: impl Into<String>) -> Self {
        AttrPath {
            urn: None,
            name: name.into(),
            sub_attr: None,
        }
    }

    /// Parses a whole attribute path.
    pub fn parse(text: &str) -> Result<AttrPath, PathSyntaxError> {
        let err = |offset: usize, message: String| PathSyntaxError { offset, message };
        if text.is_empty() {
            return Err(err(0, "expected an attribute name".into()));
        }
        let (urn, rest, rest_start) = if starts_with_urn(text) {
            match text.rfind(':') {
                Some(colon) if colon + 1 < text.len() => {
                    (Some(&text[..colon]), &text[colon + 1..], colon + 1)
                }
                _ => {
                    return Err(err(
                        text.len(),
                        format!(
                            "schema URN '{text}' must be followed by ':' and an attribute name"
                        ),
                    ));
                }
            }
        } else {
            (None, text, 0)
        };
        let (name, sub_attr) = match rest.find('.') {
            Some(dot) => (&rest[..dot], Some((&rest[dot + 1..], rest_start + dot + 1))),
            None => (rest, None),
        };
        check_name(name, rest_start)?;
        if let Some((sub, at)) = sub_attr {
            check_name(sub, at)?;
        }
        Ok(AttrPath {
            urn: urn.map(str::to_owned),
            name: name.to_owned(),
            sub_attr: sub_attr.map(|(s, _)| s.to_owned()),
        })
    }

    /// `urn:name` when a URN is present: what a path naming a whole extension looks like.
    pub fn full_urn(&self) -> Option<String> {
        self.urn.as_ref().map(|u| format!("{u}:{}", self.name))
    }
}

/// True when `text` begins with a `urn:` scheme (any case).
pub fn starts_with_urn(text: &str) -> bool {
    text.len() >= 4 && text.as_bytes()[..4].eq_ignore_ascii_case(b"urn:")
}

/// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`, plus the `$ref`
/// attribute that RFC 7643 uses for references.
pub fn is_valid_attr_name(name: &str) -> bool {
    if name.eq_ignore_ascii_case("$ref") {
        return true;
    }
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_name(name: &str, offset: usize) -> Result<(), PathSyntaxError> {
    if is_valid_attr_name(name) {
        Ok(())
    } else {
        Err(PathSyntaxError {
            offset,
            message: if name.is_empty() {
                "expected an attribute name".into()
            } else {
                format!(
                    "'{name}' is not an attribute name (a letter, then letters, digits, '-' or '_')"
                )
            },
        })
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for AttrPath {
    type Err = PathSyntaxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttrPath::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_sub_attribute_paths() {
        assert_eq!(
            AttrPath::parse("userName").unwrap(),
            AttrPath::simple("userName")
        );
        let p = AttrPath::parse("name.familyName").unwrap();
        assert_eq!(p.name, "name");
        assert_eq!(p.sub_attr.as_deref(), Some("familyName"));
        assert_eq!(
            AttrPath::parse("members.$ref").unwrap().sub_attr.as_deref(),
            Some("$ref")
        );
    }

    #[test]
    fn urn_prefix_is_split_at_the_last_colon_despite_dots_in_the_version() {
        let p = AttrPath::parse(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        )
        .unwrap();
        assert_eq!(
            p.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(p.name, "manager");
        assert_eq!(p.sub_attr.as_deref(), Some("value"));
        assert_eq!(
            p.to_string(),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
        );
    }

    #[test]
    fn a_whole_extension_urn_parses_and_rejoins() {
        let p =
            AttrPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").unwrap();
        assert_eq!(
            p.full_urn().as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
    }

    #[test]
    fn bad_names_report_their_position() {
        assert_eq!(AttrPath::parse("").unwrap_err().offset, 0);
        assert_eq!(AttrPath::parse("name.").unwrap_err().offset, 5);
        assert_eq!(AttrPath::parse("1abc").unwrap_err().offset, 0);
        assert_eq!(AttrPath::parse("emails.va lue").unwrap_err().offset, 7);
        assert!(AttrPath::parse("urn:").is_err());
        assert!(AttrPath::parse("urn:x:").is_err());
        assert!(AttrPath::parse("a.b.c").is_err());
    }
}
