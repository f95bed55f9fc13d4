//! Filter and PATCH path tests: the RFC 7644 §3.4.2.2 examples against the RFC 7643 §8
//! resources, each operator and semantic rule, every error kind with its position, the
//! limits, and properties over random trees and random text. One module per topic; this
//! one holds the resources and helpers they share.

use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

use super::*;
use crate::error::ScimType;
use crate::schema::{self, ENTERPRISE_USER_SCHEMA};

mod check;
mod limits;
mod parse_errors;
mod patch_paths;
mod properties;
mod rfc;
mod semantics;

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
