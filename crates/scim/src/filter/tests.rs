//! Filter and PATCH path tests: the RFC 7644 §3.4.2.2 examples against the RFC 7643 §8
//! resources, each operator and semantic rule, every error kind with its position, the
//! limits, and properties over random trees and random text.

use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

use super::*;
use crate::error::ScimType;
use crate::schema::{self, ENTERPRISE_USER_SCHEMA};

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const BRIDGE: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";

fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        other => panic!("not a JSON object: {other:?}"),
    }
}

fn full_user() -> Map<String, Value> {
    object(include_str!(
        "../../tests/vectors/rfc7643/8.2-full-user.json"
    ))
}

fn enterprise_user() -> Map<String, Value> {
    object(include_str!(
        "../../tests/vectors/rfc7643/8.3-enterprise-user.json"
    ))
}

fn group() -> Map<String, Value> {
    object(include_str!("../../tests/vectors/rfc7643/8.4-group.json"))
}

fn parse(text: &str) -> Filter {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"))
}

fn path(text: &str) -> AttrPath {
    AttrPath::parse(text).unwrap()
}

/// Parses, checks against the User schema, and evaluates.
fn user_matches(text: &str, user: &Map<String, Value>) -> bool {
    let filter = parse(text);
    filter
        .check(schema::user())
        .unwrap_or_else(|e| panic!("{text:?} fails the check: {e}"));
    filter.matches(user, schema::user())
}

/// The detail of a parse error, which must be `invalidFilter`.
fn parse_error(text: &str) -> String {
    let e = text
        .parse::<Filter>()
        .expect_err(&format!("{text:?} parsed"));
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{text:?}");
    assert_eq!(e.status, 400);
    e.detail
}

fn check_error(text: &str) -> String {
    let e = parse(text)
        .check(schema::user())
        .expect_err(&format!("{text:?} passed the check"));
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{text:?}");
    e.detail
}

fn present(p: &str) -> Filter {
    Filter::Present(path(p))
}

fn eq(p: &str, s: &str) -> Filter {
    Filter::Compare {
        path: path(p),
        op: CompareOp::Eq,
        value: CompValue::String(s.into()),
    }
}

fn and(a: Filter, b: Filter) -> Filter {
    Filter::And(Box::new(a), Box::new(b))
}

fn or(a: Filter, b: Filter) -> Filter {
    Filter::Or(Box::new(a), Box::new(b))
}

fn not(a: Filter) -> Filter {
    Filter::Not(Box::new(a))
}

// ---------------------------------------------------------------------------------------
// RFC 7644 §3.4.2.2

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

// ---------------------------------------------------------------------------------------
// Operators and semantics

#[test]
fn every_operator_on_strings() {
    let user = full_user();
    for (text, expected) in [
        (r#"displayName eq "Babs Jensen""#, true),
        (r#"displayName ne "Babs Jensen""#, false),
        (r#"displayName ne "Someone""#, true),
        (r#"displayName co "bs je""#, true),
        (r#"displayName sw "babs""#, true),
        (r#"displayName sw "Jensen""#, false),
        (r#"displayName ew "JENSEN""#, true),
        (r#"displayName gt "Babs""#, true),
        (r#"displayName gt "babs jensen""#, false),
        (r#"displayName ge "BABS JENSEN""#, true),
        (r#"displayName lt "c""#, true),
        (r#"displayName lt "Babs Jensen""#, false),
        (r#"displayName le "Babs Jensen""#, true),
        ("displayName pr", true),
        ("nickName pr", true),
        ("name pr", true),
        ("emails pr", true),
        ("shoeSize pr", false),
    ] {
        assert_eq!(user_matches(text, &user), expected, "{text}");
    }
}

#[test]
fn string_ordering_is_by_code_point_after_folding() {
    let mut user = full_user();
    user.insert("title".into(), json!("Émile"));
    assert!(user_matches(r#"title gt "Z""#, &user));
    assert!(user_matches(r#"title gt "z""#, &user));
    assert!(user_matches(r#"title eq "émile""#, &user));
    assert!(user_matches(r#"title lt "éz""#, &user));
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(
        parse("a pr or b pr and c pr"),
        or(present("a"), and(present("b"), present("c")))
    );
    assert_eq!(
        parse("a pr and b pr or c pr"),
        or(and(present("a"), present("b")), present("c"))
    );
    assert_eq!(
        parse("a pr and b pr and c pr"),
        and(and(present("a"), present("b")), present("c"))
    );
    assert_eq!(
        parse("a pr or b pr or c pr"),
        or(or(present("a"), present("b")), present("c"))
    );
    assert_eq!(
        parse("not (a pr) and b pr"),
        and(not(present("a")), present("b"))
    );
    assert_eq!(
        parse("not(a pr or b pr) or c pr"),
        or(not(or(present("a"), present("b"))), present("c"))
    );
    assert_eq!(
        parse("(a pr or b pr) and c pr"),
        and(or(present("a"), present("b")), present("c"))
    );
    assert_eq!(parse("((a pr))"), present("a"));
}

#[test]
fn display_uses_minimal_parentheses_and_canonical_spelling() {
    for (input, canonical) in [
        ("a pr or b pr and c pr", "a pr or b pr and c pr"),
        ("(a pr or b pr) and c pr", "(a pr or b pr) and c pr"),
        ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
        ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
        ("(a pr and b pr) or c pr", "a pr and b pr or c pr"),
        ("NOT(a PR)   AND\tb Eq TRUE", "not (a pr) and b eq true"),
        (r#"x EQ "tab\there\u00e9""#, r#"x eq "tab\thereé""#),
        ("x gt 1E5", "x gt 100000.0"),
        ("x le -0", "x le 0"),
        ("x le -0.0", "x le -0.0"),
        ("x eq NULL", "x eq null"),
    ] {
        let filter = parse(input);
        assert_eq!(filter.to_string(), canonical, "{input}");
        assert_eq!(parse(canonical), filter, "{input}");
    }
}

#[test]
fn keywords_operators_and_names_are_case_insensitive() {
    let user = full_user();
    assert_eq!(
        parse(r#"USERNAME EQ "x" AND NOT (title PR) OR active Eq TRUE"#),
        or(
            and(
                Filter::Compare {
                    path: path("USERNAME"),
                    op: CompareOp::Eq,
                    value: CompValue::String("x".into()),
                },
                not(present("title")),
            ),
            Filter::Compare {
                path: path("active"),
                op: CompareOp::Eq,
                value: CompValue::Bool(true),
            }
        )
    );
    assert!(user_matches(r#"USERNAME eq "BJENSEN@example.com""#, &user));
    assert!(user_matches(r#"Name.GivenName Sw "bar""#, &user));
    assert!(user_matches(r#"EMAILS[TYPE eq "WORK"]"#, &user));
    assert!(user_matches(
        r#"urn:ietf:params:scim:schemas:core:2.0:user:USERNAME pr"#,
        &user
    ));
}

#[test]
fn case_exact_attributes_compare_exactly() {
    let mut user = full_user();
    user.insert("externalId".into(), json!("Ext-701984"));
    assert!(user_matches(r#"externalId eq "Ext-701984""#, &user));
    assert!(!user_matches(r#"externalId eq "ext-701984""#, &user));
    assert!(user_matches(r#"externalId ne "ext-701984""#, &user));
    assert!(!user_matches(r#"externalId sw "EXT""#, &user));
    assert!(user_matches(
        r#"id eq "2819c223-7f76-453a-919d-413861904646""#,
        &user
    ));
    assert!(!user_matches(
        r#"id eq "2819C223-7F76-453A-919D-413861904646""#,
        &user
    ));
    assert!(user_matches(r#"userName eq "BJensen@Example.COM""#, &user));
    // Group members' value is caseExact; the implied `value` makes `members eq` work.
    let group = group();
    let members = |text: &str| parse(text).matches(&group, schema::group());
    assert!(members(
        r#"members eq "2819c223-7f76-453a-919d-413861904646""#
    ));
    assert!(!members(
        r#"members eq "2819C223-7F76-453A-919D-413861904646""#
    ));
    assert!(members(r#"members[display eq "BABS JENSEN"]"#));
}

#[test]
fn date_times_compare_as_instants() {
    let user = full_user();
    for (text, expected) in [
        (r#"meta.lastModified gt "2011-05-13T04:42:33Z""#, true),
        (r#"meta.lastModified gt "2011-05-13T04:42:34.001Z""#, false),
        (r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true),
        (r#"meta.lastModified eq "2011-05-13T04:42:34.000Z""#, true),
        (r#"meta.lastModified lt "2011-05-13T00:00:00-05:00""#, true),
        (r#"meta.created lt "2011-05-13T04:42:34Z""#, true),
        (r#"meta.created ge "2010-01-23T04:56:22Z""#, true),
        (r#"meta.created gt "2010-01-23T04:56:22Z""#, false),
    ] {
        assert_eq!(user_matches(text, &user), expected, "{text}");
    }
}

#[test]
fn numbers_compare_numerically() {
    let mut user = full_user();
    user.insert(BRIDGE.into(), json!({"creditLimit": 100}));
    for (text, expected) in [
        ("creditLimit eq 100", true),
        ("creditLimit eq 1e2", true),
        ("creditLimit eq 100.0", true),
        ("creditLimit gt 99", true),
        ("creditLimit gt 99.999", true),
        ("creditLimit ge 100", true),
        ("creditLimit lt 100.5", true),
        ("creditLimit le -1", false),
        ("creditLimit lt 18446744073709551615", true),
        ("creditLimit gt -9223372036854775808", true),
        ("creditLimit ne 100", false),
        (
            "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User:creditLimit eq 100",
            true,
        ),
    ] {
        assert_eq!(user_matches(text, &user), expected, "{text}");
    }
    // Exact beyond f64 precision when both sides are integers.
    user.insert(BRIDGE.into(), json!({"creditLimit": 9007199254740993_u64}));
    assert!(!user_matches("creditLimit eq 9007199254740992", &user));
    assert!(user_matches("creditLimit gt 9007199254740992", &user));
}

#[test]
fn booleans_accept_quoted_literals() {
    let user = full_user();
    assert!(user_matches("active eq true", &user));
    assert!(user_matches(r#"active eq "True""#, &user));
    assert!(user_matches(r#"active ne "FALSE""#, &user));
    assert!(!user_matches("active eq false", &user));
    assert!(user_matches(
        r#"emails[primary eq true and type eq "work"]"#,
        &user
    ));
}

#[test]
fn absent_null_and_empty_values() {
    let mut user = full_user();
    user.insert("nickName".into(), json!(""));
    user.insert("title".into(), Value::Null);
    user.insert("roles".into(), json!([]));
    user.insert("entitlements".into(), json!([{"value": null, "type": ""}]));
    for (text, expected) in [
        ("nickName pr", false),
        ("title pr", false),
        ("roles pr", false),
        ("entitlements pr", false),
        ("timezone pr", true),
        ("title eq null", true),
        ("title ne null", false),
        ("nickName eq null", false),
        ("nickName ne null", true),
        ("locale eq null", false),
        (r#"title ne "x""#, true),
        (r#"title eq "x""#, false),
        ("shoeSize eq 1", false),
        ("shoeSize ne 1", true),
        ("shoeSize eq null", true),
        ("name.shoeSize pr", false),
        ("not (title pr)", true),
    ] {
        assert_eq!(user_matches(text, &user), expected, "{text}");
    }
}

#[test]
fn values_of_the_wrong_json_type_never_match() {
    let mut user = full_user();
    user.insert("title".into(), json!(42));
    user.insert("active".into(), json!("true"));
    assert!(!user_matches(r#"title eq "42""#, &user));
    assert!(user_matches(r#"title ne "42""#, &user));
    assert!(!user_matches("active eq true", &user));
    // Unchecked filters with misfit literals evaluate to no match as well.
    assert!(!parse("userName eq 5").matches(&user, schema::user()));
    assert!(parse("userName ne 5").matches(&user, schema::user()));
    assert!(!parse(r#"meta.created gt "yesterday""#).matches(&user, schema::user()));
    assert!(!parse(r#"active co "t""#).matches(&user, schema::user()));
}

#[test]
fn complex_attributes_without_a_sub_attribute_compare_their_value() {
    let user = full_user();
    assert!(user_matches(r#"emails co "@jensen.org""#, &user));
    assert!(user_matches(r#"emails eq "BJENSEN@example.com""#, &user));
    assert!(user_matches(
        r#"groups eq "fc348aa8-3835-40eb-a20b-c726e15c55b5""#,
        &user
    ));
    let enterprise = enterprise_user();
    assert!(user_matches(
        r#"manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
        &enterprise
    ));
    assert!(user_matches(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName co "john""#,
        &enterprise
    ));
    assert!(user_matches(r#"employeeNumber eq "701984""#, &enterprise));
}

#[test]
fn value_filters_hold_for_one_element() {
    let user = full_user();
    for (text, expected) in [
        (
            r#"emails[type eq "work" and value co "@example.com"]"#,
            true,
        ),
        (
            r#"emails[type eq "home" and value co "@example.com"]"#,
            false,
        ),
        // Separate conditions may be met by different elements.
        (
            r#"emails.type eq "home" and emails.value co "@example.com""#,
            true,
        ),
        (r#"emails[not (type eq "work")]"#, true),
        (r#"emails[type eq "home" or primary eq true]"#, true),
        (
            r#"addresses[postalCode eq "91608" and primary eq true]"#,
            true,
        ),
        (r#"name[givenName eq "BARBARA"]"#, true),
        (r#"name[givenName eq "Babs"]"#, false),
        (r#"x509Certificates[value sw "MIIDQzCC"]"#, true),
        (r#"phoneNumbers[type eq "fax"]"#, false),
        (r#"roles[value pr]"#, false),
        (r#"shoes[size eq 9]"#, false),
        (r#"not (shoes[size eq 9])"#, true),
    ] {
        assert_eq!(user_matches(text, &user), expected, "{text}");
    }
}

#[test]
fn entra_value_path_with_a_trailing_sub_attribute() {
    let entra = parse(r#"emails[type eq "work"].value eq "bjensen@example.com""#);
    assert_eq!(
        entra,
        Filter::ValuePath {
            attr: path("emails"),
            filter: Box::new(and(eq("type", "work"), eq("value", "bjensen@example.com"))),
        }
    );
    assert_eq!(
        entra.to_string(),
        r#"emails[type eq "work" and value eq "bjensen@example.com"]"#
    );
    assert_eq!(
        parse(r#"emails[type eq "work"].value pr"#),
        Filter::ValuePath {
            attr: path("emails"),
            filter: Box::new(and(eq("type", "work"), present("value"))),
        }
    );
    let user = full_user();
    assert!(user_matches(
        r#"emails[type eq "work"].value eq "bjensen@example.com""#,
        &user
    ));
    assert!(!user_matches(
        r#"emails[type eq "work"].value eq "babs@jensen.org""#,
        &user
    ));
    assert!(user_matches(
        r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[Type Eq "Work"].Value EQ "bjensen@example.com" and active eq true"#,
        &user
    ));
    assert!(
        parse(r#"emails[type eq "work" or primary eq true].value co "@""#)
            .check(schema::user())
            .is_ok()
    );
}

// ---------------------------------------------------------------------------------------
// Parse errors

#[test]
fn parse_errors_name_the_position_and_what_was_expected() {
    for (text, expected) in [
        (
            r#"userType eq "x" and userName"#,
            "at position 28: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or 'pr' after 'userName'",
        ),
        (
            r#"userName equals "x""#,
            "at position 9: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or 'pr' after 'userName'",
        ),
        ("userName eq", "at position 11: expected a value after 'eq'"),
        (
            "userName eq bjensen",
            "at position 12: expected a value after 'eq'",
        ),
        (
            "userName eq (",
            "at position 12: expected a value after 'eq'",
        ),
        (
            "",
            "at position 0: expected an attribute path, '(' or 'not'",
        ),
        (
            "   ",
            "at position 3: expected an attribute path, '(' or 'not'",
        ),
        ("title pr and", "at position 12: expected an attribute path"),
        (
            "title pr and )",
            "at position 13: expected an attribute path",
        ),
        (
            "title pr title pr",
            "at position 9: expected 'and', 'or' or the end",
        ),
        ("title pr)", "at position 8: this ')' closes no '('"),
        ("title pr]", "at position 8: this ']' closes no '['"),
        (
            "(title pr",
            "at position 9: expected 'and', 'or' or ')' to close the '(' at position 0",
        ),
        (
            "(title pr]",
            "at position 9: expected 'and', 'or' or ')' to close the '(' at position 0",
        ),
        ("not title pr", "at position 4: expected '(' after 'not'"),
        ("not", "at position 3: expected '(' after 'not'"),
        (
            r#"emails[type eq "w""#,
            "at position 18: expected 'and', 'or' or ']' to close the '[' at position 6",
        ),
        (
            "emails[]",
            "at position 7: expected a sub-attribute of 'emails', '(' or 'not'",
        ),
        (
            r#"emails[type[value pr] pr]"#,
            "at position 11: value filters cannot be nested",
        ),
        (
            r#"emails.value[type pr]"#,
            "at position 12: '[' must follow an attribute name",
        ),
        (
            r#"emails[type.x eq "w"]"#,
            "at position 7: inside 'emails[...]' paths are sub-attribute names",
        ),
        (
            r#"emails[urn:a:b:type pr]"#,
            "at position 7: inside 'emails[...]'",
        ),
        (
            r#"emails[type pr]."#,
            "at position 16: expected a sub-attribute name after '].'",
        ),
        (
            r#"emails[type pr].a.b pr"#,
            "at position 16: expected a sub-attribute name after '].'",
        ),
        (
            r#"emails[type pr].value"#,
            "at position 21: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or 'pr' after 'emails[type pr].value'",
        ),
        (
            r#"emails[type pr]value pr"#,
            "at position 15: expected 'and', 'or' or the end",
        ),
        ("1abc pr", "at position 0: '1abc' is not an attribute name"),
        ("name. pr", "at position 5: expected an attribute name"),
        ("a.b.c pr", "at position 2: 'b.c' is not an attribute name"),
        (
            "title pr and .value pr",
            "at position 13: expected an attribute name",
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User: pr",
            "at position 43: schema URN",
        ),
        (
            r#""x" eq userName"#,
            "at position 0: expected an attribute path",
        ),
        (
            r#"userName eq "abc"#,
            "at position 16: expected '\"' to close the string that starts at position 12",
        ),
        (r#"userName eq "a\qc""#, "at position 15: invalid escape"),
        (r#"userName eq "\ud83d""#, "at position 19: invalid escape"),
        (
            "userName eq \"a\nb\"",
            "at position 14: control character U+000A must be escaped",
        ),
        ("creditLimit gt 01", "at position 16: '01' is not a number"),
        ("creditLimit gt 1.", "at position 17: '1.' is not a number"),
        ("creditLimit gt -", "at position 16: '-' is not a number"),
        (
            "creditLimit gt 1e400",
            "at position 15: the number '1e400' is out of range",
        ),
        (
            "active eq tru",
            "at position 10: expected a value after 'eq'",
        ),
    ] {
        let detail = parse_error(text);
        assert!(
            detail.starts_with(expected),
            "{text:?}:\n  got      {detail}\n  expected {expected}…"
        );
    }
}

#[test]
fn lenient_whitespace_and_token_boundaries() {
    let expected = and(eq("userName", "a b"), present("title"));
    for text in [
        r#"userName eq "a b" and title pr"#,
        "  userName \t eq\t\"a b\"   and\t\ttitle  pr  ",
        r#"userName eq"a b"and title pr"#,
        r#"(userName eq "a b")and(title pr)"#,
    ] {
        assert_eq!(parse(text), expected, "{text:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Limits

#[test]
fn length_limit() {
    let limits = FilterLimits {
        max_length: 20,
        ..FilterLimits::default()
    };
    assert!(Filter::parse(r#"userName eq "abcde""#, &limits).is_ok());
    let e = Filter::parse(r#"userName eq "abcdefghij""#, &limits).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
    assert_eq!(
        e.detail,
        "at position 20: the filter is 24 bytes long; the limit is 20 bytes"
    );
    let long = format!(r#"userName eq "{}""#, "x".repeat(5000));
    assert!(parse_error(&long).contains("the limit is 4096 bytes"));
}

#[test]
fn depth_limit_counts_parentheses_not_and_brackets() {
    let limits = FilterLimits {
        max_depth: 3,
        ..FilterLimits::default()
    };
    let ok = [
        "(((a pr)))",
        "not (not (not (a pr)))",
        r#"((emails[type eq "w"]))"#,
        r#"(emails[not (type pr)])"#,
        "(a pr) and (b pr) and ((c pr)) or (((d pr)))",
    ];
    for text in ok {
        assert!(Filter::parse(text, &limits).is_ok(), "{text}");
    }
    for (text, at) in [
        ("((((a pr))))", 3),
        ("not (not (not (not (a pr))))", 19),
        (r#"(((emails[type eq "w"])))"#, 9),
        (r#"((emails[not (type pr)]))"#, 13),
    ] {
        let e = Filter::parse(text, &limits).unwrap_err();
        assert_eq!(
            e.detail,
            format!(
                "at position {at}: the filter nests deeper than the limit of 3 levels (each '(', 'not (' and '[' opens one)"
            ),
            "{text}"
        );
    }
}

#[test]
fn hostile_nesting_cannot_overflow_the_stack() {
    let generous = FilterLimits {
        max_length: usize::MAX,
        max_depth: 32,
    };
    for open in ["(", "not (", "not(", "(not ("] {
        let text = format!("{}a pr", open.repeat(100_000));
        let e = Filter::parse(&text, &generous).unwrap_err();
        assert!(e.detail.contains("limit of 32 levels"), "{}", e.detail);
    }
    let at_limit = format!("{}a pr{}", "(".repeat(32), ")".repeat(32));
    assert_eq!(parse(&at_limit), present("a"));
    assert!(parse_error(&format!("{}a pr{}", "(".repeat(33), ")".repeat(33))).contains("limit"));
}

#[test]
fn the_longest_chain_within_the_default_limits_is_handled_on_a_small_stack() {
    // 4096 bytes of the shortest operands: the deepest tree the default limits allow.
    let mut text = String::from("a pr");
    while text.len() + 7 <= 4096 {
        text.push_str(")or(a pr");
        text.insert(0, '(');
    }
    let chain = |connector: &str| {
        let mut chain = String::from("(a pr)");
        while chain.len() + connector.len() + 6 <= 4096 {
            chain.push_str(connector);
            chain.push_str("(a pr)");
        }
        chain
    };
    let chains = [chain("or"), chain("and"), chain(" or a pr and ")];
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let user = full_user();
            for chain in chains {
                let filter = parse(&chain);
                assert!(filter.check(schema::user()).is_ok());
                assert!(!filter.matches(&user, schema::user()));
                assert_eq!(parse(&filter.to_string()), filter);
            }
            assert!(parse_error(&text).contains("limit of 32 levels"));
        })
        .unwrap()
        .join()
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// check

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

// ---------------------------------------------------------------------------------------
// PATCH paths

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

// ---------------------------------------------------------------------------------------
// Properties

fn arb_top_path() -> impl Strategy<Value = AttrPath> {
    prop::sample::select(vec![
        "userName",
        "USERNAME",
        "name.familyName",
        "emails",
        "emails.value",
        "meta.lastModified",
        "active",
        "title",
        "members.$ref",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User:creditLimit",
        "shoeSize",
    ])
    .prop_map(path)
}

fn arb_sub_path() -> impl Strategy<Value = AttrPath> {
    prop::sample::select(vec!["type", "value", "Primary", "display", "$ref"]).prop_map(path)
}

fn arb_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(CompValue::Number),
        any::<String>().prop_map(CompValue::String),
        "[\"\\\\/a-zA-Z \t\n\u{0}-\u{1f}\u{7f}é☃😀\u{2028}]{0,12}".prop_map(CompValue::String),
        Just(CompValue::String("2011-05-13T04:42:34Z".into())),
    ]
}

fn arb_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn arb_attr_exp(paths: BoxedStrategy<AttrPath>) -> BoxedStrategy<Filter> {
    prop_oneof![
        paths.clone().prop_map(Filter::Present),
        (paths, arb_op(), arb_value()).prop_map(|(path, op, value)| Filter::Compare {
            path,
            op,
            value
        }),
    ]
    .boxed()
}

/// `and`, `or` and `not` over `leaf`.
fn arb_logic(leaf: BoxedStrategy<Filter>) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| and(a, b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| or(a, b)),
            inner.prop_map(not),
        ]
    })
    .boxed()
}

fn arb_filter() -> BoxedStrategy<Filter> {
    let value_path = (
        prop::sample::select(vec![
            "emails",
            "addresses",
            "name",
            "members",
            "urn:ietf:params:scim:schemas:core:2.0:User:emails",
        ]),
        arb_logic(arb_attr_exp(arb_sub_path().boxed())),
    )
        .prop_map(|(attr, filter)| Filter::ValuePath {
            attr: path(attr),
            filter: Box::new(filter),
        });
    arb_logic(prop_oneof![3 => arb_attr_exp(arb_top_path().boxed()), 1 => value_path].boxed())
}

/// Whatever parses prints as text that parses back to it, and checking and evaluating it
/// cannot panic.
fn parsed_round_trips(text: &str) -> Result<(), TestCaseError> {
    if let Ok(filter) = text.parse::<Filter>() {
        let printed = filter.to_string();
        prop_assert_eq!(printed.parse::<Filter>(), Ok(filter.clone()), "{}", printed);
        let _ = filter.check(schema::user());
        let _ = filter.matches(&full_user(), schema::user());
    }
    if let Ok(path) = PatchPath::parse(text) {
        prop_assert_eq!(PatchPath::parse(&path.to_string()), Ok(path));
    }
    Ok(())
}

/// An edit of a filter's text, by character index.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
}

fn arb_edit() -> impl Strategy<Value = Edit> {
    let c = prop_oneof![
        prop::sample::select(vec![
            '(', ')', '[', ']', '"', '\\', ' ', '.', ':', 'e', '-', '0'
        ]),
        any::<char>(),
    ];
    prop_oneof![
        (any::<usize>(), c.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), c).prop_map(|(i, c)| Edit::Replace(i, c)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len();
        match *edit {
            Edit::Insert(i, c) => chars.insert(i % (len + 1), c),
            Edit::Delete(i) if len > 0 => {
                chars.remove(i % len);
            }
            Edit::Replace(i, c) if len > 0 => chars[i % len] = c,
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_then_parse_is_the_identity(filter in arb_filter()) {
        let text = filter.to_string();
        prop_assert_eq!(text.parse::<Filter>(), Ok(filter.clone()), "{}", text);
        // Checking and evaluating never panic, whatever the tree.
        let _ = filter.check(schema::user());
        let _ = filter.matches(&full_user(), schema::user());
    }

    #[test]
    fn patch_path_display_then_parse_is_the_identity(
        attr in prop::sample::select(vec!["emails", "urn:ietf:params:scim:schemas:core:2.0:User:addresses"]),
        filter in arb_logic(arb_attr_exp(arb_sub_path().boxed())),
        sub in prop::option::of(prop::sample::select(vec!["value", "display", "$ref"])),
    ) {
        let p = PatchPath { attr: path(attr), filter: Some(filter), sub_attr: sub.map(str::to_owned) };
        prop_assert_eq!(PatchPath::parse(&p.to_string()), Ok(p));
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        parsed_round_trips(&text)?;
    }

    #[test]
    fn parse_never_panics_on_filter_like_text(
        text in "[a-zA-Z.:$ \t()\\[\\]\"\\\\0-9eE+-]{0,40}"
    ) {
        parsed_round_trips(&text)?;
    }

    #[test]
    fn parse_never_panics_on_mutated_filters(
        filter in arb_filter(),
        edits in prop::collection::vec(arb_edit(), 1..4),
    ) {
        parsed_round_trips(&apply(&filter.to_string(), &edits))?;
    }
}
