//! `check`: what the RFC calls invalid is rejected, unknown attributes and lenient
//! literals are accepted.

use super::*;

#[test]
fn check_rejects_what_the_rfc_calls_invalid() {
    for (text, expected) in [
        (
            "active gt true",
            "'active': 'gt' is not defined for a boolean attribute",
        ),
        (
            r#"x509Certificates.value le "MII""#,
            "'x509Certificates.value': 'le' is not defined for a binary attribute",
        ),
        (
            r#"name gt "a""#,
            "'name': a complex attribute cannot be compared",
        ),
        (
            r#"name eq "a""#,
            "'name': a complex attribute cannot be compared",
        ),
        (
            r#"meta co "a""#,
            "'meta': a complex attribute cannot be compared",
        ),
        (
            r#"meta.lastModified sw "2011""#,
            "'meta.lastModified': 'sw' needs a string attribute, and this is a dateTime attribute",
        ),
        (
            r#"active co "t""#,
            "'active': 'co' needs a string attribute, and this is a boolean attribute",
        ),
        (
            "creditLimit ew 1",
            "needs a string attribute, and this is an integer attribute",
        ),
        (
            "userName eq 42",
            "'userName': a string attribute is compared with a quoted string, not 42",
        ),
        (
            "userName eq true",
            "'userName': a string attribute is compared with a quoted string, not true",
        ),
        (
            r#"active eq "yes""#,
            "'active': a boolean attribute is compared with true or false, not \"yes\"",
        ),
        (
            "active eq 1",
            "'active': a boolean attribute is compared with true or false, not 1",
        ),
        (
            r#"creditLimit gt "5""#,
            "an integer attribute is compared with a number, not \"5\"",
        ),
        (
            r#"meta.created gt "yesterday""#,
            "'meta.created': a dateTime attribute is compared with an RFC 3339 date-time",
        ),
        ("meta.created gt 5", "'meta.created': a dateTime attribute"),
        ("userName gt null", "'userName': 'gt null' means nothing"),
        (
            r#"userName.first eq "a""#,
            "'userName.first': 'userName' is a string attribute and has no sub-attributes",
        ),
        (
            "active.value pr",
            "'active' is a boolean attribute and has no sub-attributes",
        ),
        (
            r#"userName[value eq "a"]"#,
            "'userName' is a string attribute; a value filter '[...]' needs a complex one",
        ),
        (r#"schemas[value pr]"#, "'schemas' is a reference attribute"),
        (
            r#"emails[shoe eq "a"]"#,
            "'shoe' is not a sub-attribute of 'emails' (it has value, display, type, primary)",
        ),
        (
            r#"emails[type eq 1]"#,
            "'emails.type': a string attribute is compared with a quoted string, not 1",
        ),
        (
            r#"emails[primary gt true]"#,
            "'emails.primary': 'gt' is not defined for a boolean attribute",
        ),
        (
            r#"manager[value co 1]"#,
            "'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value'",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User pr",
            "names the schema 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', not an attribute",
        ),
        (
            "title pr and not (active lt false)",
            "'active': 'lt' is not defined",
        ),
    ] {
        let detail = check_error(text);
        assert!(
            detail.contains(expected),
            "{text:?}:\n  got      {detail}\n  expected …{expected}…"
        );
    }
}

#[test]
fn check_accepts_unknown_attributes_and_lenient_literals() {
    for text in [
        "shoeSize gt 9",
        r#"name.shoeSize co "x""#,
        r#"urn:example:unknown:1.0:User:x eq "y""#,
        r#"shoes[size eq 9]"#,
        r#"active eq "TRUE""#,
        "active eq null",
        r#"emails co "@x""#,
        r#"members eq "x""#,
        "creditLimit gt 1.5",
        r#"meta.created le "2011-05-13T04:42:34+02:00""#,
        r#"x509Certificates.value co "MII""#,
        r#"profileUrl sw "https://""#,
        r#"name[givenName eq "a"]"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "a"]"#,
        "emails pr",
        "name pr",
    ] {
        assert_eq!(parse(text).check(schema::user()), Ok(()), "{text}");
    }
    assert_eq!(
        parse(r#"members[type eq "User" and value eq "x"]"#).check(schema::group()),
        Ok(())
    );
    assert!(parse("userName pr").check(schema::group()).is_ok());
}

#[test]
fn hand_built_trees_outside_the_grammar_are_rejected_or_match_nothing() {
    let nested = Filter::ValuePath {
        attr: path("emails"),
        filter: Box::new(Filter::ValuePath {
            attr: path("type"),
            filter: Box::new(present("value")),
        }),
    };
    assert!(
        nested
            .check(schema::user())
            .unwrap_err()
            .detail
            .contains("cannot be nested")
    );
    assert!(!nested.matches(&full_user(), schema::user()));
    let on_sub = Filter::ValuePath {
        attr: path("emails.value"),
        filter: Box::new(present("value")),
    };
    assert!(on_sub.check(schema::user()).is_err());
    assert!(!on_sub.matches(&full_user(), schema::user()));
    let dotted_inner = Filter::ValuePath {
        attr: path("emails"),
        filter: Box::new(present("emails.value")),
    };
    assert!(dotted_inner.check(schema::user()).is_err());
    assert!(!dotted_inner.matches(&full_user(), schema::user()));
}
