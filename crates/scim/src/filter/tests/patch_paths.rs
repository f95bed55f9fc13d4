//! PATCH paths: those of RFC 7644 §3.5.2 and their errors.

use super::*;

#[test]
fn patch_paths_of_rfc_7644() {
    let p =
        PatchPath::parse(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#).unwrap();
    assert_eq!(p.attr, path("members"));
    assert_eq!(
        p.filter,
        Some(eq("value", "2819c223-7f76-453a-919d-413861904646"))
    );
    assert_eq!(p.sub_attr, None);

    let p = PatchPath::parse(r#"emails[type eq "work"].value"#).unwrap();
    assert_eq!(
        p,
        PatchPath {
            attr: path("emails"),
            filter: Some(eq("type", "work")),
            sub_attr: Some("value".into()),
        }
    );

    let p = PatchPath::parse("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName").unwrap();
    assert_eq!(p.attr.urn.as_deref(), Some(CORE));
    assert_eq!(p.attr.sub_attr.as_deref(), Some("givenName"));
    assert_eq!((p.filter, p.sub_attr), (None, None));

    let p = PatchPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
        .unwrap();
    assert_eq!(p.attr.urn.as_deref(), Some(ENTERPRISE_USER_SCHEMA));
    assert_eq!(p.attr.name, "manager");

    let p = PatchPath::parse(
        r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value"#,
    )
    .unwrap();
    assert_eq!(p.attr.urn.as_deref(), Some(CORE));
    assert_eq!(p.attr.name, "emails");
    assert_eq!(p.sub_attr.as_deref(), Some("value"));

    let p =
        PatchPath::parse(r#"addresses[type eq "work" and not (primary eq false)].streetAddress"#)
            .unwrap();
    assert!(matches!(p.filter, Some(Filter::And(..))));

    for text in [
        r#"members[value eq "2819c223"]"#,
        r#"emails[type eq "work"].value"#,
        "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value"#,
        r#"emails[(type eq "work" or primary eq true) and value ew "@x"].display"#,
        "userName",
        "members",
    ] {
        let p = PatchPath::parse(text).unwrap();
        assert_eq!(p.to_string(), text);
        assert_eq!(text.parse::<PatchPath>().unwrap(), p);
    }
}

#[test]
fn patch_path_errors_are_invalid_path_with_positions() {
    for (text, expected) in [
        ("", "at position 0: expected an attribute path"),
        ("[type pr]", "at position 0: expected an attribute path"),
        ("name.", "at position 5: expected an attribute name"),
        (
            "name.givenName extra",
            "at position 15: expected '[' or the end of the path",
        ),
        (
            r#"emails[type eq "work"]value"#,
            "at position 22: expected '.' and a sub-attribute name right after ']'",
        ),
        (
            r#"emails[type eq "work"].value eq "x""#,
            "at position 29: expected the end of the path",
        ),
        (
            r#"emails[type eq "work"]."#,
            "at position 23: expected a sub-attribute name after '].'",
        ),
        (
            r#"emails[type eq "work""#,
            "at position 21: expected 'and', 'or' or ']' to close the '[' at position 6",
        ),
        (
            r#"emails.value[type pr]"#,
            "at position 12: '[' must follow an attribute name",
        ),
        (
            r#"emails[type[value pr]]"#,
            "at position 11: value filters cannot be nested",
        ),
        (
            r#"emails[type eq work]"#,
            "at position 15: expected a value after 'eq'",
        ),
    ] {
        let e = PatchPath::parse(text).expect_err(text);
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{text}");
        assert!(
            e.detail.starts_with(expected),
            "{text:?}:\n  got      {}\n  expected {expected}…",
            e.detail
        );
    }
}
