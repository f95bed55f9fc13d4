//! SCIM filters as SQL `WHERE` conditions over `resources r`, agreeing with
//! [`Filter::matches`] on [`Resource::to_scim`](crate::Resource::to_scim).
//!
//! A filter path resolves against the schema exactly as the evaluator resolves it; the
//! resolved definition (never the request's text) decides where the path's values are:
//!
//! * indexed columns: `id`, `externalId`, `userName`, `displayName`, `active`,
//!   `name.givenName`, `name.familyName`, `meta.created`, `meta.lastModified`,
//!   `meta.version`, and the sync attributes of the scimbridge extensions;
//! * side tables: a User's `emails.value`, a User's `groups` and a Group's `members`
//!   (`memberships`);
//! * otherwise the search copy of the data, in which strings that are not caseExact are
//!   already lower-cased, through `json_each`/`json_extract` (SQLite) or `jsonb` operators
//!   (Postgres).
//!
//! Every condition is two-valued (never SQL NULL), so that `not` and `ne` (`not eq`)
//! include resources that lack the attribute, as the evaluator does. Literals are bound
//! arguments, folded with [`str::to_lowercase`] in Rust where the attribute is not
//! caseExact; JSON paths and keys are bound too.

use chrono::DateTime;
use scim::AttrPath;
use scim::filter::{CompValue, CompareOp, Filter};
use scim::schema::{AttrType, AttributeDef, Resolved, ResourceSchema};
use serde_json::Number;

use super::sources::{ColType, Element, Membership, Source, column, meta, sources};
use super::sql::{Builder, Node};
use crate::db::Arg;
use crate::{ResourceKind, StoreError};

const TRUE: &str = "(1 = 1)";
const FALSE: &str = "(1 = 0)";

/// Resolves a path exactly as the evaluator does: the schema, then `schemas`.
pub(crate) fn resolve(
    schema: &'static ResourceSchema,
    path: &AttrPath,
) -> Option<Resolved<'static>> {
    scim::filter::resolve(schema, path)
}

/// The definition comparisons use and the member taken from each value: the
/// sub-attribute, or a complex attribute's implied `value`.
pub(crate) fn compared(
    r: &Resolved<'static>,
) -> (&'static AttributeDef, Option<&'static AttributeDef>) {
    match r.sub {
        Some(sub) => (sub, Some(sub)),
        None => match r.attr.attr_type {
            AttrType::Complex => match r.attr.sub("value") {
                Some(value) => (value, Some(value)),
                None => (r.attr, None),
            },
            _ => (r.attr, None),
        },
    }
}

/// A literal made ready for one attribute definition, as the evaluator's `Operand`.
#[derive(Debug, Clone)]
pub(crate) enum Lit {
    Text(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    /// An instant: whole microseconds since the epoch (rounded down), and whether that is
    /// exact (the literal had no finer digits).
    Instant {
        micros: i64,
        exact: bool,
    },
}

fn lenient_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn number(n: &Number) -> Lit {
    match n.as_i64() {
        Some(i) => Lit::Int(i),
        // u64 beyond i64 and non-integers: compared as f64, as the evaluator does for
        // anything but two integers.
        None => Lit::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// `None` when the literal cannot be compared with this definition's values.
pub(crate) fn operand(def: &AttributeDef, literal: &CompValue) -> Option<Lit> {
    match (def.attr_type, literal) {
        (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::String(s)) => {
            Some(Lit::Text(if def.case_exact {
                s.clone()
            } else {
                s.to_lowercase()
            }))
        }
        (AttrType::Boolean, CompValue::Bool(v)) => Some(Lit::Bool(*v)),
        (AttrType::Boolean, CompValue::String(s)) => lenient_bool(s).map(Lit::Bool),
        (AttrType::Integer | AttrType::Decimal, CompValue::Number(n)) => Some(number(n)),
        (AttrType::DateTime, CompValue::String(s)) => {
            let t = DateTime::parse_from_rfc3339(s).ok()?;
            Some(Lit::Instant {
                micros: t.timestamp_micros(),
                exact: t.timestamp_subsec_nanos() % 1000 == 0,
            })
        }
        _ => None,
    }
}

/// What to ask of each value.
#[derive(Debug, Clone)]
enum Test {
    NotNull,
    NonEmpty,
    Compare(CompareOp, Lit),
}

fn sql_op(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        _ => "=",
    }
}

/// `text op literal` for a text expression that is not NULL.
fn text_compare(b: &mut Builder, v: &str, op: CompareOp, lit: &str) -> String {
    let p = b.arg(lit);
    match (op, b.is_pg()) {
        (CompareOp::Co, false) => format!("instr({v}, {p}) > 0"),
        (CompareOp::Co, true) => format!("strpos({v}, {p}) > 0"),
        (CompareOp::Sw, false) => format!("instr({v}, {p}) = 1"),
        (CompareOp::Sw, true) => format!("starts_with({v}, {p})"),
        (CompareOp::Ew, false) => format!(
            "(length({v}) >= length({p}) AND substr({v}, length({v}) - length({p}) + 1) = {p})"
        ),
        (CompareOp::Ew, true) => format!("right({v}, char_length({p})) = {p}"),
        // Byte order of UTF-8 is code-point order, as Rust's `str` ordering.
        (_, true) => format!("{v} COLLATE \"C\" {} {p}", sql_op(op)),
        (_, false) => format!("{v} {} {p}", sql_op(op)),
    }
}

fn instant_compare(b: &mut Builder, v: &str, op: CompareOp, micros: i64, exact: bool) -> String {
    let p = b.arg(micros);
    // A literal between two whole microseconds: `v` (whole) is never equal to it, is
    // greater than it when greater than its floor, and less when not greater.
    match (op, exact) {
        (CompareOp::Eq, true) => format!("{v} = {p}"),
        (CompareOp::Eq, false) => FALSE.into(),
        (CompareOp::Gt, _) | (CompareOp::Ge, false) => format!("{v} > {p}"),
        (CompareOp::Ge, true) => format!("{v} >= {p}"),
        (CompareOp::Lt, true) => format!("{v} < {p}"),
        (CompareOp::Lt, false) | (CompareOp::Le, _) => format!("{v} <= {p}"),
        _ => FALSE.into(),
    }
}

/// `test` on a typed column expression.
fn column_test(b: &mut Builder, expr: &str, ty: ColType, test: &Test) -> String {
    let cond = match (test, ty) {
        (Test::NotNull, _) | (Test::NonEmpty, ColType::Bool | ColType::Micros) => {
            format!("{expr} IS NOT NULL")
        }
        (Test::NonEmpty, ColType::Text) => format!("{expr} <> ''"),
        (Test::Compare(op, Lit::Text(s)), ColType::Text) => text_compare(b, expr, *op, s),
        (Test::Compare(CompareOp::Eq, Lit::Bool(v)), ColType::Bool) => {
            format!("{expr} = {}", b.arg(*v))
        }
        (Test::Compare(op, Lit::Instant { micros, exact }), ColType::Micros) => {
            instant_compare(b, expr, *op, *micros, *exact)
        }
        _ => FALSE.into(),
    };
    // `cond` is NULL only when the column is; guarding with IS NOT NULL keeps it
    // two-valued the way COALESCE would, but leaves `column = $n` visible to the planner,
    // so the indexed columns are searched by index rather than scanned.
    format!("({expr} IS NOT NULL AND {cond})")
}

/// `test` on one JSON value, typed by the definition it is compared under.
fn json_test(b: &mut Builder, node: &Node, test: &Test) -> Result<String, StoreError> {
    let (op, lit) = match test {
        Test::NotNull => return Ok(node.not_null(b)),
        Test::NonEmpty => return Ok(node.non_empty(b, 3)),
        Test::Compare(op, lit) => (*op, lit),
    };
    let t = node.type_of(b);
    let v = node.scalar(b);
    let pg = b.is_pg();
    let cond = match lit {
        Lit::Text(s) => {
            let is_text = if pg { "'string'" } else { "'text'" };
            format!("{t} = {is_text} AND {}", text_compare(b, &v, op, s))
        }
        Lit::Bool(value) => {
            if op != CompareOp::Eq {
                FALSE.into()
            } else if pg {
                let want = if *value { "'true'" } else { "'false'" };
                format!("{t} = 'boolean' AND {v} = {want}")
            } else {
                let want = if *value { "'true'" } else { "'false'" };
                format!("{t} = {want}")
            }
        }
        Lit::Int(_) | Lit::Float(_) if op.is_substring() => FALSE.into(),
        Lit::Int(i) => number_compare(b, &t, &v, op, Arg::Int(*i)),
        Lit::Float(f) => number_compare(b, &t, &v, op, Arg::Float(*f)),
        Lit::Instant { .. } => {
            return Err(StoreError::InvalidFilter(
                "dateTime attributes kept in the resource data cannot be filtered".into(),
            ));
        }
    };
    Ok(format!("COALESCE(({cond}), FALSE)"))
}

/// `v op number` for a JSON value of type `t`. Integers compare exactly (a bound i64
/// against an integer column of SQLite, or NUMERIC on Postgres), other numbers as f64.
fn number_compare(b: &mut Builder, t: &str, v: &str, op: CompareOp, number: Arg) -> String {
    let p = b.arg(number);
    let op = sql_op(op);
    if b.is_pg() {
        // The CASE keeps the cast away from values that are not numbers.
        format!("(CASE WHEN {t} = 'number' THEN CAST({v} AS NUMERIC) {op} {p} ELSE FALSE END)")
    } else {
        format!("{t} IN ('integer', 'real') AND {v} {op} {p}")
    }
}

/// Whether some value from `sources` passes `test`.
fn any(b: &mut Builder, sources: &[Source], test: &Test) -> Result<String, StoreError> {
    let mut parts = Vec::new();
    for source in sources {
        parts.push(match source {
            Source::Column { expr, ty, guard } => {
                let cond = column_test(b, expr, *ty, test);
                match guard {
                    Some(guard) => format!("({guard} AND {cond})"),
                    None => cond,
                }
            }
            Source::Rows {
                from,
                cond,
                expr,
                ty,
                ..
            } => {
                let inner = column_test(b, expr, *ty, test);
                format!("EXISTS (SELECT 1 FROM {from} WHERE {cond} AND {inner})")
            }
            Source::Json { node, multi, pick } => {
                if *multi {
                    let (from, element) = node.elements(b);
                    let value = match pick {
                        Some(key) => element.member(b, key),
                        None => element,
                    };
                    let inner = json_test(b, &value, test)?;
                    format!("EXISTS (SELECT 1 FROM {from} WHERE {inner})")
                } else {
                    let value = match pick {
                        Some(key) => node.member(b, key),
                        None => node.clone(),
                    };
                    json_test(b, &value, test)?
                }
            }
            Source::Object => match test {
                Test::NotNull | Test::NonEmpty => TRUE.into(),
                Test::Compare(..) => FALSE.into(),
            },
        });
    }
    Ok(if parts.is_empty() {
        FALSE.into()
    } else {
        format!("({})", parts.join(" OR "))
    })
}

/// The condition for `values op literal`, given where the values are and the definition
/// they compare under (`None`: the path resolves to nothing).
fn comparison(
    b: &mut Builder,
    sources: &[Source],
    def: Option<&AttributeDef>,
    op: CompareOp,
    literal: &CompValue,
) -> Result<String, StoreError> {
    match (op, literal) {
        (CompareOp::Eq, CompValue::Null) => Ok(format!("NOT {}", any(b, sources, &Test::NotNull)?)),
        (CompareOp::Ne, CompValue::Null) => any(b, sources, &Test::NotNull),
        (_, CompValue::Null) => Ok(FALSE.into()),
        (CompareOp::Ne, _) => Ok(format!(
            "NOT {}",
            comparison(b, sources, def, CompareOp::Eq, literal)?
        )),
        _ => match def.and_then(|d| operand(d, literal)) {
            Some(lit) => any(b, sources, &Test::Compare(op, lit)),
            None => Ok(FALSE.into()),
        },
    }
}

/// Translates a filter on resources of `kind` into a condition on `resources r`.
pub(crate) fn condition(
    b: &mut Builder,
    kind: ResourceKind,
    filter: &Filter,
) -> Result<String, StoreError> {
    translate(b, kind, filter, None)
}

/// The values of `path`, at the top level (`element` None) or inside a value filter.
fn values(
    b: &mut Builder,
    kind: ResourceKind,
    path: &AttrPath,
    element: Option<(&Element, &Resolved<'static>)>,
) -> Result<(Vec<Source>, Option<&'static AttributeDef>), StoreError> {
    match element {
        None => match resolve(kind.schema(), path) {
            Some(r) => Ok((sources(b, kind, &r, false)?, Some(compared(&r).0))),
            None => Ok((Vec::new(), None)),
        },
        Some((element, parent)) => {
            if path.urn.is_some() || path.sub_attr.is_some() {
                return Ok((Vec::new(), None));
            }
            let Some(sub) = parent.attr.sub(&path.name) else {
                return Ok((Vec::new(), None));
            };
            let source = match element {
                Element::Json(node) => Source::Json {
                    node: node.member(b, &sub.name),
                    multi: sub.multi_valued,
                    pick: None,
                },
                Element::Membership(m) => {
                    let (expr, ty) = m.sub(b, &sub.name)?;
                    column(expr, ty)
                }
                Element::Meta => meta(Some(&sub.name))?,
            };
            Ok((vec![source], Some(sub)))
        }
    }
}

fn translate(
    b: &mut Builder,
    kind: ResourceKind,
    filter: &Filter,
    element: Option<(&Element, &Resolved<'static>)>,
) -> Result<String, StoreError> {
    Ok(match filter {
        Filter::Present(path) => {
            let (sources, _) = values(b, kind, path, element)?;
            any(b, &sources, &Test::NonEmpty)?
        }
        Filter::Compare { path, op, value } => {
            let (sources, def) = values(b, kind, path, element)?;
            comparison(b, &sources, def, *op, value)?
        }
        Filter::ValuePath { attr, filter } => {
            if element.is_some() {
                return Ok(FALSE.into());
            }
            match resolve(kind.schema(), attr) {
                Some(parent)
                    if parent.sub.is_none() && parent.attr.attr_type == AttrType::Complex =>
                {
                    value_filter(b, kind, &parent, filter)?
                }
                _ => FALSE.into(),
            }
        }
        // Chains are walked down their left spine in a loop, as the evaluator does, so that
        // a long chain costs no stack.
        Filter::And(..) | Filter::Or(..) => {
            let is_and = matches!(filter, Filter::And(..));
            let joiner = if is_and { " AND " } else { " OR " };
            let mut parts = Vec::new();
            let mut node = filter;
            while let Some((left, right)) = match node {
                Filter::And(left, right) if is_and => Some((left, right)),
                Filter::Or(left, right) if !is_and => Some((left, right)),
                _ => None,
            } {
                parts.push(translate(b, kind, right, element)?);
                node = left;
            }
            parts.push(translate(b, kind, node, element)?);
            parts.reverse();
            format!("({})", parts.join(joiner))
        }
        Filter::Not(inner) => format!("NOT {}", translate(b, kind, inner, element)?),
    })
}

fn value_filter(
    b: &mut Builder,
    kind: ResourceKind,
    parent: &Resolved<'static>,
    filter: &Filter,
) -> Result<String, StoreError> {
    let user = kind == ResourceKind::User;
    let membership = match (parent.extension, parent.attr.name.as_str()) {
        (None, "groups") if user => Some(Membership::UserGroups),
        (None, "members") if !user => Some(Membership::GroupMembers),
        _ => None,
    };
    if let Some(m) = membership {
        let (from, cond) = m.tables();
        let inner = translate(b, kind, filter, Some((&Element::Membership(m), parent)))?;
        return Ok(format!(
            "EXISTS (SELECT 1 FROM {from} WHERE {cond} AND {inner})"
        ));
    }
    if parent.extension.is_none() && parent.attr.name == "meta" {
        return translate(b, kind, filter, Some((&Element::Meta, parent)));
    }
    let mut node = Node::search(b.backend);
    if let Some(ext) = parent.extension {
        node = node.member(b, &ext.id);
    }
    let node = node.member(b, &parent.attr.name);
    if parent.attr.multi_valued {
        let (from, element) = node.elements(b);
        let is_object = element.is_object(b);
        let inner = translate(b, kind, filter, Some((&Element::Json(element), parent)))?;
        Ok(format!(
            "EXISTS (SELECT 1 FROM {from} WHERE {is_object} AND {inner})"
        ))
    } else {
        let is_object = node.is_object(b);
        let inner = translate(b, kind, filter, Some((&Element::Json(node), parent)))?;
        Ok(format!("({is_object} AND {inner})"))
    }
}
