//! Building blocks for generated SQL: bound arguments, JSON access on either database,
//! and the typed comparisons both filters and cursors are made of.

use crate::db::{Arg, Backend, Stmt};

/// Generated SQL's arguments; every literal goes through here, none into the text.
pub(crate) struct Builder {
    pub backend: Backend,
    pub args: Vec<Arg>,
    aliases: usize,
}

impl Builder {
    pub fn new(backend: Backend, args: Vec<Arg>) -> Self {
        Builder {
            backend,
            args,
            aliases: 0,
        }
    }

    /// Binds `arg`; returns its placeholder.
    pub fn arg(&mut self, arg: impl Into<Arg>) -> String {
        self.args.push(arg.into());
        format!("${}", self.args.len())
    }

    /// A table alias no other part of the statement uses.
    pub fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("j{}", self.aliases)
    }

    pub fn is_pg(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// The statement `sql` with exactly the arguments it uses, renumbered in order.
    /// Translation binds a path's JSON keys before it knows whether the comparison can
    /// hold at all, and Postgres refuses arguments a statement does not use. Generated SQL
    /// has `$` only in placeholders: paths and keys are arguments, never text.
    pub fn finish(&self, sql: &str) -> Stmt {
        let mut renumbered: Vec<Option<usize>> = vec![None; self.args.len()];
        let mut args = Vec::new();
        let mut out = String::with_capacity(sql.len());
        let mut rest = sql;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            let number = rest[at + 1..at + 1 + digits].parse::<usize>().ok();
            match number
                .and_then(|n| n.checked_sub(1))
                .filter(|&i| i < self.args.len())
            {
                Some(i) => {
                    let new = *renumbered[i].get_or_insert_with(|| {
                        args.push(self.args[i].clone());
                        args.len()
                    });
                    out.push_str(&format!("${new}"));
                }
                None => out.push_str(&rest[at..at + 1 + digits]),
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_str(rest);
        Stmt { sql: out, args }
    }
}

/// A JSON value inside a row: SQLite reaches it with a path into a JSON text, or it is the
/// current row of a `json_each`; Postgres has it as a `jsonb` expression.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// SQLite: the value at JSON path `path` (not yet bound) in the JSON text `doc`.
    Path { doc: String, path: String },
    /// SQLite: the current row of `json_each(...) AS alias`.
    Each { alias: String },
    /// Postgres: a `jsonb` expression (SQL NULL when absent).
    Pg(String),
}

impl Node {
    /// The root of the search copy of the row `r`.
    pub fn search(backend: Backend) -> Node {
        match backend {
            Backend::Sqlite => Node::Path {
                doc: "r.search".into(),
                path: "$".into(),
            },
            Backend::Postgres => Node::Pg("r.search".into()),
        }
    }

    /// The member `key` of this value when it is an object. Keys come from schema
    /// definitions only.
    pub fn member(&self, b: &mut Builder, key: &str) -> Node {
        match self {
            Node::Path { doc, path } => Node::Path {
                doc: doc.clone(),
                path: format!("{path}.\"{key}\""),
            },
            Node::Each { alias } => Node::Path {
                doc: format!("(CASE WHEN {alias}.type = 'object' THEN {alias}.value END)"),
                path: format!("$.\"{key}\""),
            },
            Node::Pg(e) => Node::Pg(format!("({e} -> {})", b.arg(key))),
        }
    }

    /// The JSON type: SQLite's `json_type` names (`null true false integer real text array
    /// object`) or Postgres's `jsonb_typeof` names (`null boolean number string array
    /// object`); SQL NULL when absent.
    pub fn type_of(&self, b: &mut Builder) -> String {
        match self {
            Node::Path { doc, path } => format!("json_type({doc}, {})", b.arg(path.as_str())),
            Node::Each { alias } => format!("{alias}.type"),
            Node::Pg(e) => format!("jsonb_typeof({e})"),
        }
    }

    /// The value as SQL: for strings the text, for numbers the number (SQLite) — on
    /// Postgres the text of any scalar.
    pub fn scalar(&self, b: &mut Builder) -> String {
        match self {
            Node::Path { doc, path } => format!("json_extract({doc}, {})", b.arg(path.as_str())),
            Node::Each { alias } => format!("{alias}.value"),
            Node::Pg(e) => format!("({e} #>> '{{}}')"),
        }
    }

    /// `FROM` item iterating this value's elements when it is an array (and the value
    /// itself otherwise), with the node standing for the current element.
    pub fn elements(&self, b: &mut Builder) -> (String, Node) {
        let (from, node, _) = self.indexed_elements(b);
        (from, node)
    }

    /// [`Node::elements`], with an expression giving the element's index.
    pub fn indexed_elements(&self, b: &mut Builder) -> (String, Node, String) {
        let alias = b.alias();
        match self {
            Node::Path { doc, path } => (
                format!("json_each({doc}, {}) AS {alias}", b.arg(path.as_str())),
                Node::Each {
                    alias: alias.clone(),
                },
                format!("{alias}.id"),
            ),
            Node::Each { alias: outer } => (
                format!(
                    "json_each(CASE WHEN {outer}.type IN ('array', 'object') THEN {outer}.value END) AS {alias}"
                ),
                Node::Each {
                    alias: alias.clone(),
                },
                format!("{alias}.id"),
            ),
            Node::Pg(e) => (
                format!(
                    "jsonb_array_elements(CASE WHEN jsonb_typeof({e}) = 'array' THEN {e} \
                     ELSE jsonb_build_array({e}) END) WITH ORDINALITY AS {alias}(v, i)"
                ),
                Node::Pg(format!("{alias}.v")),
                format!("{alias}.i"),
            ),
        }
    }

    /// Whether the value is a JSON object.
    pub fn is_object(&self, b: &mut Builder) -> String {
        format!("COALESCE({} = 'object', FALSE)", self.type_of(b))
    }

    /// Whether the value is present and not JSON null.
    pub fn not_null(&self, b: &mut Builder) -> String {
        format!("COALESCE({} <> 'null', FALSE)", self.type_of(b))
    }

    /// `pr`'s non-emptiness: not null, not `""`, and for arrays and objects some member
    /// non-empty. Resources hold at most two levels (a multi-valued complex attribute), so
    /// `depth` 3 is exact for them; deeper values count as non-empty.
    pub fn non_empty(&self, b: &mut Builder, depth: u32) -> String {
        let t = self.type_of(b);
        let v = self.scalar(b);
        if depth == 0 {
            return format!("COALESCE({t} <> 'null', FALSE)");
        }
        match self {
            Node::Pg(e) => {
                let members = b.alias();
                let member = Node::Pg(format!("{members}.v"));
                let in_object = member.non_empty(b, depth - 1);
                let items = b.alias();
                let item = Node::Pg(format!("{items}.v"));
                let in_array = item.non_empty(b, depth - 1);
                format!(
                    "COALESCE(CASE {t} WHEN 'string' THEN {v} <> '' WHEN 'null' THEN FALSE \
                     WHEN 'object' THEN EXISTS (SELECT 1 FROM jsonb_each({e}) AS {members}(k, v) WHERE {in_object}) \
                     WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements({e}) AS {items}(v) WHERE {in_array}) \
                     ELSE {t} IS NOT NULL END, FALSE)"
                )
            }
            Node::Path { .. } | Node::Each { .. } => {
                let (from, child) = self.elements(b);
                let inner = child.non_empty(b, depth - 1);
                format!(
                    "COALESCE(CASE {t} WHEN 'text' THEN {v} <> '' WHEN 'null' THEN FALSE \
                     WHEN 'object' THEN EXISTS (SELECT 1 FROM {from} WHERE {inner}) \
                     WHEN 'array' THEN EXISTS (SELECT 1 FROM {from} WHERE {inner}) \
                     ELSE {t} IS NOT NULL END, FALSE)"
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_keeps_only_used_arguments_in_order() {
        let mut b = Builder::new(Backend::Postgres, vec![Arg::Int(1)]);
        let unused = b.arg("dropped");
        let used = b.arg("kept");
        assert_eq!((unused.as_str(), used.as_str()), ("$2", "$3"));
        let stmt = b.finish("SELECT $3, $1 WHERE x = $3 AND y = $10");
        assert_eq!(stmt.sql, "SELECT $1, $2 WHERE x = $1 AND y = $10");
        assert_eq!(stmt.args, vec![Arg::Text("kept".into()), Arg::Int(1)]);
    }
}
