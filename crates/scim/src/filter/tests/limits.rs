//! The length and depth limits, and that hostile input cannot overflow the stack.

use super::*;

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
