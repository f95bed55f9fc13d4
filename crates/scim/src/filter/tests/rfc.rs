//! The filter examples of RFC 7644 §3.4.2.2 against the RFC 7643 §8 resources.

use super::*;

/// Every example filter of RFC 7644 §3.4.2.2 (the two case-insensitivity examples first),
/// with whether the RFC 7643 §8.2 full user matches it.
const RFC_EXAMPLES: [(&str, bool); 19] = [
    (r#"userName Eq "john""#, false),
    (r#"Username eq "john""#, false),
    (r#"userName eq "bjensen""#, false),
    (r#"name.familyName co "O'Malley""#, false),
    (r#"userName sw "J""#, false),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        false,
    ),
    ("title pr", true),
    (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
    (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
    (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, false),
    (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true),
    (r#"title pr and userType eq "Employee""#, true),
    (r#"title pr or userType eq "Intern""#, true),
    (
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        false,
    ),
    (
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        true,
    ),
    (
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        false,
    ),
    (
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        true,
    ),
    (
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        true,
    ),
    (
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        true,
    ),
];

#[test]
fn rfc_examples_parse_round_trip_check_and_evaluate() {
    let user = full_user();
    for (text, expected) in RFC_EXAMPLES {
        let filter = parse(text);
        assert_eq!(parse(&filter.to_string()), filter, "{text}");
        assert_eq!(user_matches(text, &user), expected, "{text}");
    }
}

#[test]
fn rfc_examples_parse_to_the_expected_trees() {
    let mut john = full_user();
    john.insert("userName".into(), json!("John"));
    assert!(user_matches(RFC_EXAMPLES[0].0, &john));
    assert!(user_matches(RFC_EXAMPLES[1].0, &john));
    assert_eq!(
        parse(RFC_EXAMPLES[14].0),
        and(
            eq("userType", "Employee"),
            or(
                Filter::Compare {
                    path: path("emails"),
                    op: CompareOp::Co,
                    value: CompValue::String("example.com".into()),
                },
                Filter::Compare {
                    path: path("emails.value"),
                    op: CompareOp::Co,
                    value: CompValue::String("example.org".into()),
                },
            )
        )
    );
    let Filter::Or(left, right) = parse(RFC_EXAMPLES[18].0) else {
        panic!("not an or");
    };
    assert!(matches!(*left, Filter::ValuePath { ref attr, .. } if attr.name == "emails"));
    assert!(matches!(*right, Filter::ValuePath { ref attr, .. } if attr.name == "ims"));
    assert_eq!(
        parse(RFC_EXAMPLES[5].0),
        Filter::Compare {
            path: AttrPath {
                urn: Some(CORE.into()),
                name: "userName".into(),
                sub_attr: None,
            },
            op: CompareOp::Sw,
            value: CompValue::String("J".into()),
        }
    );
}

#[test]
fn rfc_examples_match_variants_of_the_rfc_users() {
    let mut user = full_user();
    user.insert("userName".into(), json!("bjensen"));
    user.insert("userType".into(), json!("Intern"));
    user["name"]["familyName"] = json!("O'Malley");
    assert!(user_matches(r#"userName eq "bjensen""#, &user));
    assert!(user_matches(r#"name.familyName co "O'Malley""#, &user));
    assert!(user_matches(r#"userName sw "B""#, &user));
    assert!(user_matches(r#"title pr or userType eq "Intern""#, &user));
    assert!(!user_matches(
        r#"title pr and userType eq "Employee""#,
        &user
    ));
    assert!(user_matches(
        r#"userType ne "Employee" and not (emails co "example.org" or emails.value co "example.net")"#,
        &user
    ));
    assert!(user_matches(
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        &enterprise_user()
    ));
}
