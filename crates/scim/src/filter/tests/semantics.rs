//! Each operator and semantic rule: case, ordering, precedence, types, absent values,
//! value filters.

use super::*;

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
