//! [`Filter::check`] and [`Filter::matches`]: the semantics documented on the module.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Number, Value};

use super::{CompValue, CompareOp, Filter};
use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{
    AttrType, AttributeDef, Mutability, Resolved, ResourceSchema, Returned, Target, Uniqueness,
};

/// `schemas` belongs to every resource (RFC 7643 §3) but to no schema's attribute list, yet
/// RFC 7644 §3.4.2.2 filters on it; this is its definition for filtering.
static SCHEMAS: LazyLock<AttributeDef> = LazyLock::new(|| AttributeDef {
    name: "schemas".into(),
    attr_type: AttrType::Reference,
    sub_attributes: Vec::new(),
    multi_valued: true,
    description: "The schema URIs the resource's attributes come from.".into(),
    required: true,
    canonical_values: Vec::new(),
    case_exact: false,
    mutability: Mutability::ReadWrite,
    returned: Returned::Always,
    uniqueness: Uniqueness::None,
    reference_types: vec!["uri".into()],
});

/// Resolves a full attribute path, with `schemas` as the one attribute outside the schema:
/// how filters resolve paths, for anything (the store's SQL translation) that must agree.
pub fn resolve<'s>(schema: &'s ResourceSchema, path: &AttrPath) -> Option<Resolved<'s>> {
    schema.resolve_attribute(path).or_else(|| {
        let is_schemas = path.urn.is_none()
            && path.sub_attr.is_none()
            && path.name.eq_ignore_ascii_case("schemas");
        is_schemas.then(|| Resolved {
            extension: None,
            attr: &SCHEMAS,
            sub: None,
        })
    })
}

/// A filter path located in the schema: where its values are and which definition
/// governs comparisons with them.
struct Site<'s> {
    resolved: Resolved<'s>,
    /// The definition comparisons use: the sub-attribute, the implied `value`
    /// sub-attribute of a complex attribute, or the attribute.
    compared: &'s AttributeDef,
    /// The member to take from each element of a top-level attribute's value.
    pick: Option<&'s str>,
}

impl<'s> Site<'s> {
    /// A path at the top level of a resource.
    fn top(resolved: Resolved<'s>) -> Self {
        let (compared, pick) = match resolved.sub {
            Some(sub) => (sub, Some(sub.name.as_str())),
            None => match implied_value(resolved.attr) {
                Some(value) => (value, Some(value.name.as_str())),
                None => (resolved.attr, None),
            },
        };
        Site {
            resolved,
            compared,
            pick,
        }
    }

    /// A sub-attribute of the value filter's attribute `parent`.
    fn within(parent: Resolved<'s>, sub: &'s AttributeDef) -> Self {
        Site {
            resolved: Resolved {
                sub: Some(sub),
                ..parent
            },
            compared: sub,
            pick: None,
        }
    }
}

/// The `value` sub-attribute a complex attribute named alone stands for in comparisons.
fn implied_value(attr: &AttributeDef) -> Option<&AttributeDef> {
    match attr.attr_type {
        AttrType::Complex => attr.sub("value"),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// check

/// Where the paths being checked are.
#[derive(Clone, Copy)]
enum CheckScope<'s> {
    Resource,
    /// Inside the value filter of this attribute.
    Within(Resolved<'s>),
}

impl Filter {
    /// Rejects, with `invalidFilter`, what RFC 7644 §3.4.2.2 makes an invalid filter for
    /// this resource type: ordering (`gt ge lt le`) a boolean, binary or complex
    /// attribute; `co sw ew` on anything but a string, reference or binary; a literal of
    /// the wrong type for the attribute (but `"true"`/`"false"` is accepted for a
    /// boolean); `null` with anything but `eq`/`ne`; comparing a complex attribute that has
    /// no `value` sub-attribute; a sub-attribute of a simple attribute; a value filter on a
    /// simple attribute, nested in another, or naming something that is not a
    /// sub-attribute; a path naming a whole extension schema. Unknown attributes are
    /// accepted: they match nothing.
    pub fn check(&self, schema: &ResourceSchema) -> Result<(), ScimError> {
        self.check_in(schema, CheckScope::Resource)
    }

    fn check_in<'s>(
        &self,
        schema: &'s ResourceSchema,
        scope: CheckScope<'s>,
    ) -> Result<(), ScimError> {
        match self {
            Filter::Present(path) => locate_for_check(schema, scope, path).map(drop),
            Filter::Compare { path, op, value } => match locate_for_check(schema, scope, path)? {
                Some(site) => check_comparison(&site, *op, value),
                None => Ok(()),
            },
            Filter::ValuePath { attr, filter } => {
                if let CheckScope::Within(outer) = scope {
                    return Err(ScimError::invalid_filter(format!(
                        "value filters cannot be nested: '{attr}[...]' is inside '{}[...]'",
                        outer.canonical_path()
                    )));
                }
                if attr.sub_attr.is_some() {
                    return Err(ScimError::invalid_filter(format!(
                        "a value filter must follow an attribute, not the sub-attribute path '{attr}'"
                    )));
                }
                reject_whole_extension(schema, attr)?;
                let Some(resolved) = resolve(schema, attr) else {
                    return Ok(());
                };
                if resolved.attr.attr_type != AttrType::Complex {
                    return Err(ScimError::invalid_filter(format!(
                        "'{}' is {} attribute; a value filter '[...]' needs a complex one",
                        resolved.canonical_path(),
                        a_type(resolved.attr.attr_type)
                    )));
                }
                filter.check_in(schema, CheckScope::Within(resolved))
            }
            // Chains are walked down their left spine in a loop, not by recursion, so that
            // their length costs no stack; the leftmost error is the one reported.
            Filter::And(..) | Filter::Or(..) => {
                let mut first = Ok(());
                let mut node = self;
                while let Filter::And(left, right) | Filter::Or(left, right) = node {
                    if let Err(e) = right.check_in(schema, scope) {
                        first = Err(e);
                    }
                    node = left;
                }
                node.check_in(schema, scope).and(first)
            }
            Filter::Not(inner) => inner.check_in(schema, scope),
        }
    }
}

fn reject_whole_extension(schema: &ResourceSchema, path: &AttrPath) -> Result<(), ScimError> {
    match schema.resolve(path) {
        Some(Target::Extension(ext)) => Err(ScimError::invalid_filter(format!(
            "'{path}' names the schema '{}', not an attribute",
            ext.id
        ))),
        _ => Ok(()),
    }
}

/// Locates `path`; `Ok(None)` for an unknown attribute.
fn locate_for_check<'s>(
    schema: &'s ResourceSchema,
    scope: CheckScope<'s>,
    path: &AttrPath,
) -> Result<Option<Site<'s>>, ScimError> {
    match scope {
        CheckScope::Resource => {
            reject_whole_extension(schema, path)?;
            if let Some(resolved) = resolve(schema, path) {
                return Ok(Some(Site::top(resolved)));
            }
            if path.sub_attr.is_some() {
                let base = AttrPath {
                    sub_attr: None,
                    ..path.clone()
                };
                if let Some(base) = resolve(schema, &base) {
                    if base.attr.attr_type != AttrType::Complex {
                        return Err(ScimError::invalid_filter(format!(
                            "'{path}': '{}' is {} attribute and has no sub-attributes",
                            base.canonical_path(),
                            a_type(base.attr.attr_type)
                        )));
                    }
                }
            }
            Ok(None)
        }
        CheckScope::Within(parent) => {
            let sub = (path.urn.is_none() && path.sub_attr.is_none())
                .then(|| parent.attr.sub(&path.name))
                .flatten();
            match sub {
                Some(sub) => Ok(Some(Site::within(parent, sub))),
                None => Err(ScimError::invalid_filter(format!(
                    "'{path}' is not a sub-attribute of '{}' (it has {})",
                    parent.canonical_path(),
                    parent
                        .attr
                        .sub_attributes
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
    }
}

/// The type's name with its article, for messages ("an integer").
fn a_type(t: AttrType) -> &'static str {
    match t {
        AttrType::String => "a string",
        AttrType::Boolean => "a boolean",
        AttrType::Decimal => "a decimal",
        AttrType::Integer => "an integer",
        AttrType::DateTime => "a dateTime",
        AttrType::Binary => "a binary",
        AttrType::Reference => "a reference",
        AttrType::Complex => "a complex",
    }
}

fn check_comparison(site: &Site<'_>, op: CompareOp, value: &CompValue) -> Result<(), ScimError> {
    let name = site.resolved.canonical_path();
    let def = site.compared;
    let kind = a_type(def.attr_type);
    let fail = |why: String| Err(ScimError::invalid_filter(format!("'{name}': {why}")));
    if def.attr_type == AttrType::Complex {
        return fail(format!(
            "a complex attribute cannot be compared; compare one of its sub-attributes ({}) or use 'pr'",
            def.sub_attributes
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if op.is_ordering() && matches!(def.attr_type, AttrType::Boolean | AttrType::Binary) {
        return fail(format!("'{op}' is not defined for {kind} attribute"));
    }
    if op.is_substring()
        && !matches!(
            def.attr_type,
            AttrType::String | AttrType::Reference | AttrType::Binary
        )
    {
        return fail(format!(
            "'{op}' needs a string attribute, and this is {kind} attribute"
        ));
    }
    let fits = match (def.attr_type, value) {
        (_, CompValue::Null) => {
            if matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Ok(());
            }
            return fail(format!(
                "'{op} null' means nothing; only 'eq null' and 'ne null' are allowed"
            ));
        }
        (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::String(_)) => true,
        (AttrType::Boolean, CompValue::Bool(_)) => true,
        (AttrType::Boolean, CompValue::String(s)) => lenient_bool(s).is_some(),
        (AttrType::Integer | AttrType::Decimal, CompValue::Number(_)) => true,
        (AttrType::DateTime, CompValue::String(s)) => DateTime::parse_from_rfc3339(s).is_ok(),
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let wanted = match def.attr_type {
        AttrType::Boolean => "true or false",
        AttrType::Integer | AttrType::Decimal => "a number",
        AttrType::DateTime => "an RFC 3339 date-time string such as \"2011-05-13T04:42:34Z\"",
        _ => "a quoted string",
    };
    fail(format!(
        "{kind} attribute is compared with {wanted}, not {value}"
    ))
}

/// `"true"`/`"false"` in any case, which IdPs send for booleans.
fn lenient_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------
// matches

/// What the paths being evaluated are relative to.
#[derive(Clone, Copy)]
enum Scope<'s, 'v> {
    Resource(&'v Map<String, Value>),
    /// One element of the value filter's attribute `parent`.
    Element {
        parent: Resolved<'s>,
        element: &'v Map<String, Value>,
    },
}

impl Filter {
    /// Whether `resource` (canonical keys, as validation leaves it) satisfies this filter;
    /// see the module documentation for the exact semantics.
    pub fn matches(&self, resource: &Map<String, Value>, schema: &ResourceSchema) -> bool {
        self.eval(schema, Scope::Resource(resource))
    }

    /// Whether one value of the complex attribute `parent` satisfies this filter read as
    /// the inside of a value filter (`parent[this]`): what PATCH uses to select the values
    /// a path like `emails[type eq "work"]` targets.
    pub fn matches_element<'s>(
        &self,
        schema: &'s ResourceSchema,
        parent: Resolved<'s>,
        element: &Map<String, Value>,
    ) -> bool {
        self.eval(schema, Scope::Element { parent, element })
    }

    fn eval<'s, 'v>(&self, schema: &'s ResourceSchema, scope: Scope<'s, 'v>) -> bool {
        match self {
            Filter::Present(path) => Values::of(schema, scope, path).any(|v| !is_empty(v)),
            Filter::Compare { path, op, value } => {
                compare(&Values::of(schema, scope, path), *op, value)
            }
            Filter::ValuePath { attr, filter } => {
                let Scope::Resource(resource) = scope else {
                    return false;
                };
                let Some(parent) = resolve(schema, attr) else {
                    return false;
                };
                if parent.sub.is_some() || parent.attr.attr_type != AttrType::Complex {
                    return false;
                }
                let test = |v: &Value| {
                    v.as_object().is_some_and(|element| {
                        filter.eval(schema, Scope::Element { parent, element })
                    })
                };
                match parent.value(resource) {
                    Some(Value::Array(items)) => items.iter().any(test),
                    Some(v) => test(v),
                    None => false,
                }
            }
            // Chains are walked down their left spine in a loop, not by recursion, so that
            // their length costs no stack. Evaluation has no side effects, so the order
            // (right to left) does not matter.
            Filter::And(..) => {
                let mut node = self;
                while let Filter::And(left, right) = node {
                    if !right.eval(schema, scope) {
                        return false;
                    }
                    node = left;
                }
                node.eval(schema, scope)
            }
            Filter::Or(..) => {
                let mut node = self;
                while let Filter::Or(left, right) = node {
                    if right.eval(schema, scope) {
                        return true;
                    }
                    node = left;
                }
                node.eval(schema, scope)
            }
            Filter::Not(inner) => !inner.eval(schema, scope),
        }
    }
}

/// The values of a path in a resource or element.
struct Values<'s, 'v> {
    /// The definition comparisons use; `None` when the path resolves to nothing.
    def: Option<&'s AttributeDef>,
    raw: Option<&'v Value>,
    pick: Option<&'s str>,
}

impl<'s, 'v> Values<'s, 'v> {
    fn of(schema: &'s ResourceSchema, scope: Scope<'s, 'v>, path: &AttrPath) -> Self {
        let none = Values {
            def: None,
            raw: None,
            pick: None,
        };
        match scope {
            Scope::Resource(resource) => match resolve(schema, path) {
                Some(resolved) => {
                    let site = Site::top(resolved);
                    Values {
                        def: Some(site.compared),
                        raw: resolved.value(resource),
                        pick: site.pick,
                    }
                }
                None => none,
            },
            Scope::Element { parent, element } => {
                if path.urn.is_some() || path.sub_attr.is_some() {
                    return none;
                }
                match parent.attr.sub(&path.name) {
                    Some(sub) => {
                        let site = Site::within(parent, sub);
                        Values {
                            def: Some(site.compared),
                            raw: element.get(&sub.name),
                            pick: site.pick,
                        }
                    }
                    None => none,
                }
            }
        }
    }

    /// Whether some value satisfies `test`. A multi-valued attribute contributes each
    /// element; `pick` takes a member of each; nulls and missing members contribute
    /// nothing.
    fn any(&self, mut test: impl FnMut(&Value) -> bool) -> bool {
        let mut one = |v: &Value| {
            let v = match self.pick {
                Some(key) => match v.as_object().and_then(|o| o.get(key)) {
                    Some(member) => member,
                    None => return false,
                },
                None => v,
            };
            !v.is_null() && test(v)
        };
        match self.raw {
            Some(Value::Array(items)) => items.iter().any(&mut one),
            Some(v) => one(v),
            None => false,
        }
    }
}

/// `pr`'s notion of emptiness.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.iter().all(is_empty),
        Value::Object(members) => members.values().all(is_empty),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

fn compare(values: &Values<'_, '_>, op: CompareOp, literal: &CompValue) -> bool {
    match (op, literal) {
        (CompareOp::Eq, CompValue::Null) => !values.any(|_| true),
        (CompareOp::Ne, CompValue::Null) => values.any(|_| true),
        (_, CompValue::Null) => false,
        (CompareOp::Ne, _) => !compare(values, CompareOp::Eq, literal),
        _ => match values.def.and_then(|def| Operand::new(def, literal)) {
            Some(operand) => values.any(|v| operand.test(op, v)),
            None => false,
        },
    }
}

/// A literal prepared for comparison with the values of one attribute definition.
enum Operand<'a> {
    Text {
        text: Cow<'a, str>,
        case_exact: bool,
    },
    Bool(bool),
    Number(&'a Number),
    Instant(DateTime<FixedOffset>),
}

impl<'a> Operand<'a> {
    /// `None` when the literal cannot be compared with this definition's values.
    fn new(def: &AttributeDef, literal: &'a CompValue) -> Option<Self> {
        match (def.attr_type, literal) {
            (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::String(s)) => {
                Some(Operand::Text {
                    text: fold(s, def.case_exact),
                    case_exact: def.case_exact,
                })
            }
            (AttrType::Boolean, CompValue::Bool(b)) => Some(Operand::Bool(*b)),
            (AttrType::Boolean, CompValue::String(s)) => lenient_bool(s).map(Operand::Bool),
            (AttrType::Integer | AttrType::Decimal, CompValue::Number(n)) => {
                Some(Operand::Number(n))
            }
            (AttrType::DateTime, CompValue::String(s)) => {
                DateTime::parse_from_rfc3339(s).ok().map(Operand::Instant)
            }
            _ => None,
        }
    }

    /// Whether the single value `v` satisfies `v op self`.
    fn test(&self, op: CompareOp, v: &Value) -> bool {
        match self {
            Operand::Text { text, case_exact } => {
                let Some(v) = v.as_str() else {
                    return false;
                };
                let v = fold(v, *case_exact);
                match op {
                    CompareOp::Co => v.contains(text.as_ref()),
                    CompareOp::Sw => v.starts_with(text.as_ref()),
                    CompareOp::Ew => v.ends_with(text.as_ref()),
                    _ => ordered(op, v.as_ref().cmp(text.as_ref())),
                }
            }
            Operand::Bool(b) => {
                matches!(op, CompareOp::Eq | CompareOp::Ne)
                    && v.as_bool().is_some_and(|v| ordered(op, v.cmp(b)))
            }
            Operand::Number(n) => match v {
                Value::Number(v) => cmp_numbers(v, n).is_some_and(|o| ordered(op, o)),
                _ => false,
            },
            Operand::Instant(t) => v
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .is_some_and(|v| ordered(op, v.cmp(t))),
        }
    }
}

/// A string as compared: lower-cased unless the attribute is caseExact.
fn fold(s: &str, case_exact: bool) -> Cow<'_, str> {
    if case_exact {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// Whether `value op literal` holds given how value compares with literal; the substring
/// operators never hold for an ordering.
fn ordered(op: CompareOp, ordering: Ordering) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Exact for two integers, f64 otherwise.
fn cmp_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}
