//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2): the AST, a parser
//! that never panics and bounds its recursion, canonical text, a schema check and an
//! in-memory evaluator.
//!
//! # Syntax
//!
//! The full RFC grammar: `attrPath pr`, `attrPath op value` with `eq ne co sw ew gt ge lt le`,
//! `and`, `or`, `not (…)`, parentheses and value filters `attr[valFilter]` whose paths are
//! sub-attribute names of `attr`. `not` binds tighter than `and`, which binds tighter than
//! `or`; both are left-associative. Attribute names, operators and the keywords `and or
//! not true false null` are case-insensitive. Literals are JSON strings (every escape),
//! JSON numbers (kept exactly as [`serde_json::Number`]), `true`, `false` and `null`.
//!
//! Leniency, for what real IdPs send: tokens may be separated by any run of spaces and tabs,
//! and no space is needed next to `(`, `)`, `[`, `]` or a string. Microsoft Entra's
//! `emails[type eq "work"].value eq "x"` (a value filter followed by a sub-attribute and an
//! operator, outside the RFC grammar) is read as the value filter it means,
//! `emails[type eq "work" and value eq "x"]`; likewise with `pr`.
//!
//! Limits ([`FilterLimits`]) cap the length in bytes and the nesting depth: each `(`,
//! `not (` and `[` opens one level. The parser recurses only when it opens a level and
//! reads `and`/`or` chains in loops, so its stack use is bounded by `max_depth`. The tree is
//! at most `max_depth` levels deep plus one per `and`/`or`; `Display`, [`Filter::check`]
//! and [`Filter::matches`] walk chains in loops too, so they recurse only per level. The
//! derived `Drop`, `Clone`, `PartialEq` and `Debug` recurse along chains with small frames;
//! a chain needs at least eight bytes per operand (`a pr or a pr…`), so the default 4096
//! bytes allow 512 at most.
//!
//! # Evaluation semantics
//!
//! [`Filter::matches`] is the reference semantics; a translation to SQL must agree with it.
//! Resources are read as validation leaves them: canonical attribute names, core and common
//! attributes at the top level, extension attributes in an object under the extension URN.
//!
//! * **Values of a path.** A path resolves against the resource type as
//!   [`ResourceSchema::resolve`](crate::schema::ResourceSchema::resolve) does
//!   (case-insensitively, URN-qualified or not). Its values are: for a simple attribute,
//!   the value, or each element of a multi-valued one; for `attr.sub`, the `sub` member of
//!   the complex value or of each of its elements; for a complex attribute named without a
//!   sub-attribute, its `value` sub-attribute when it has one (`emails co "@x"`,
//!   `members eq "2819c223"`, `manager eq "26118915"`, and `emails pr`), else the complex
//!   value(s) themselves (`name pr`). `null` and absent members contribute no value. A path that resolves to
//!   nothing (an unknown attribute or sub-attribute) has no values. `schemas` resolves to
//!   the resource's `schemas` array (a multi-valued, case-insensitive reference), so the
//!   RFC's `schemas eq "urn:…:enterprise:2.0:User"` works.
//! * **`pr`** holds when some value is non-empty: not `""`, not `[]`, not an object whose
//!   members are all null or empty.
//! * **`eq null`** holds when the path has no values and **`ne null`** when it has some.
//!   Any other operator with `null` never matches.
//! * **`ne`** is exactly `not eq`: an absent attribute matches `userName ne "x"`.
//! * **`eq co sw ew gt ge lt le`** hold when some value satisfies them. How a value and the
//!   literal compare depends on the definition the path ends at (for the implied `value`,
//!   that sub-attribute's):
//!   * string, reference, binary: the value must be a JSON string and the literal a string.
//!     If the definition is not `caseExact`, both sides are compared after
//!     [`str::to_lowercase`]. `co sw ew` are substring tests; `gt ge lt le` order by Unicode
//!     code points (byte order of UTF-8), after lowercasing where that applies.
//!   * boolean: the value must be a JSON boolean; the literal `true`/`false`, or the string
//!     `"true"`/`"false"` in any case (sloppy IdPs quote booleans). Only `eq` can hold.
//!   * integer, decimal: the value must be a JSON number and the literal a number. Two
//!     integers (i64 or u64) compare exactly; otherwise both are compared as f64.
//!   * dateTime: the value and the literal must be RFC 3339 strings; they compare as instants
//!     (`…T04:42:34Z` equals `…T06:42:34+02:00`). `co sw ew` never hold.
//!   * complex without a `value` sub-attribute: nothing matches.
//!
//!   A value or literal whose JSON type does not fit the definition never matches.
//! * **Value filters.** `attr[f]` holds when some element of a multi-valued complex
//!   attribute, or the value of a single-valued one (`name[givenName eq "Barbara"]`),
//!   satisfies `f` with paths naming its sub-attributes. Separate conditions outside a value
//!   filter may be satisfied by different elements: `emails.type eq "work" and
//!   emails.value co "@x"` matches a user whose work email is elsewhere and whose home email
//!   is at x; `emails[type eq "work" and value co "@x"]` does not.
//! * `and`, `or`, `not` are the usual boolean connectives; nothing is three-valued.
//!
//! [`Filter::check`] rejects, against a schema, what RFC 7644 calls an invalid filter
//! (ordering a boolean, `co` on a number, a literal of the wrong type, …) and accepts
//! unknown attributes, which simply match nothing.

mod eval;
mod lexer;
mod parser;

pub use eval::resolve;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde_json::Number;

use crate::error::ScimError;
use crate::path::AttrPath;

/// An attribute operator of RFC 7644 §3.4.2.2, table 3 (`pr` is [`Filter::Present`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Lt,
    Ge,
    Le,
}

impl CompareOp {
    /// Every operator, in the order the RFC lists them.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Lt,
        CompareOp::Ge,
        CompareOp::Le,
    ];

    /// The operator as it is written, in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Lt => "lt",
            CompareOp::Ge => "ge",
            CompareOp::Le => "le",
        }
    }

    /// The operator spelled `word`, in any case.
    pub fn from_keyword(word: &str) -> Option<CompareOp> {
        CompareOp::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// True for `gt ge lt le`, which need an ordered type.
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    /// True for `co sw ew`, which need a string-like type.
    pub fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A filter literal (`compValue`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::String(s) => f.write_str(&serde_json::to_string(s).map_err(|_| fmt::Error)?),
        }
    }
}

/// A parsed filter. Inside [`Filter::ValuePath`], paths are bare sub-attribute names of
/// the value path's attribute (no URN, no `.sub`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `path pr`
    Present(AttrPath),
    /// `path op value`
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `attr[filter]`; `attr` has no sub-attribute.
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

/// Bounds on what [`Filter::parse`] accepts, so that a hostile filter costs little.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterLimits {
    /// Longest accepted filter, in bytes.
    pub max_length: usize,
    /// Deepest accepted nesting; each `(`, `not (` and `[` opens one level.
    pub max_depth: usize,
}

impl Default for FilterLimits {
    fn default() -> Self {
        FilterLimits {
            max_length: 4096,
            max_depth: 32,
        }
    }
}

impl Filter {
    /// Parses a filter. Every error is `invalidFilter` with a detail that gives the byte
    /// position and what was expected there.
    pub fn parse(text: &str, limits: &FilterLimits) -> Result<Filter, ScimError> {
        parser::parse_filter(text, limits).map_err(|e| ScimError::invalid_filter(e.to_string()))
    }

    /// Binding strength for [`fmt::Display`]: `or` < `and` < everything else.
    fn precedence(&self) -> u8 {
        match self {
            Filter::Or(..) => 1,
            Filter::And(..) => 2,
            _ => 3,
        }
    }

    /// Writes `self`, in parentheses if it binds less tightly than its position needs.
    fn write(&self, f: &mut fmt::Formatter<'_>, min_precedence: u8) -> fmt::Result {
        if self.precedence() < min_precedence {
            f.write_str("(")?;
            self.write_bare(f)?;
            f.write_str(")")
        } else {
            self.write_bare(f)
        }
    }

    fn write_bare(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::ValuePath { attr, filter } => {
                write!(f, "{attr}[")?;
                filter.write(f, 0)?;
                f.write_str("]")
            }
            // A chain is printed with a loop, not recursion, so that its length costs no
            // stack. Left-associative: a left operand of the same kind needs no
            // parentheses, a right one does.
            Filter::And(..) | Filter::Or(..) => {
                let level = self.precedence();
                let mut rights = Vec::new();
                let mut node = self;
                while let Filter::And(left, right) | Filter::Or(left, right) = node {
                    if node.precedence() != level {
                        break;
                    }
                    rights.push(right);
                    node = left;
                }
                node.write(f, level)?;
                let word = if level == 1 { " or " } else { " and " };
                for right in rights.iter().rev() {
                    f.write_str(word)?;
                    right.write(f, level + 1)?;
                }
                Ok(())
            }
            Filter::Not(inner) => {
                f.write_str("not (")?;
                inner.write(f, 0)?;
                f.write_str(")")
            }
        }
    }
}

/// Canonical text: lower-case operators and keywords, single spaces, strings in JSON
/// escaping, and only the parentheses the tree needs. It parses back to the same tree.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0)
    }
}

/// Parses with [`FilterLimits::default`].
impl FromStr for Filter {
    type Err = ScimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Filter::parse(s, &FilterLimits::default())
    }
}

/// The `path` of a PATCH operation (RFC 7644 §3.5.2: `attrPath / valuePath [subAttr]`).
///
/// Without a filter, a sub-attribute is in `attr.sub_attr` as in any attribute path. With
/// one, `attr` names the multi-valued attribute (no sub-attribute) and the sub-attribute
/// after `]` is `sub_attr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub_attr: Option<String>,
}

impl PatchPath {
    /// Parses a PATCH path within the default [`FilterLimits`]. Every error is
    /// `invalidPath` with a detail that gives the byte position.
    pub fn parse(text: &str) -> Result<PatchPath, ScimError> {
        parser::parse_patch_path(text, &FilterLimits::default())
            .map_err(|e| ScimError::invalid_path(e.to_string()))
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl FromStr for PatchPath {
    type Err = ScimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PatchPath::parse(s)
    }
}
