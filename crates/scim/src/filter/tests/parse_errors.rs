//! Parse errors: each names its position and what was expected.

use super::*;

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
