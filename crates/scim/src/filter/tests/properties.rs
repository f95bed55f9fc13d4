//! Properties over random filter trees and random edits of filter text.

use super::*;

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
