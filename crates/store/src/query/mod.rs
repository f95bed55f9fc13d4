//! Listing resources: SCIM filters as parameterised SQL ([`filter`]), sorting, index
//! paging and cursor paging (RFC 9865).
//!
//! Sorting (RFC 7644 §3.4.2.3) works on every attribute with comparable values: an indexed
//! column where there is one, the search copy otherwise; a multi-valued attribute sorts by
//! its primary value, else its first. Strings sort by code point after lower-casing where
//! the attribute is not caseExact. Resources without a value sort last ascending (first
//! descending), and ties keep insertion order. An unknown attribute sorts nothing: the
//! default order, insertion order, applies.

mod filter;
mod sources;
mod sql;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scim::AttrPath;
use scim::schema::AttrType;
use serde::{Deserialize, Serialize};

use self::filter::{compared, resolve};
use self::sources::{ColType, Source, sources};
use self::sql::{Builder, Node};
use crate::db::{Arg, Backend};
use crate::read_threads::{self, FromReaderRow};
use crate::resources::{ResourceRow, kind_is, related};
use crate::{ListQuery, Page, ResourceKind, Store, StoreError};

/// The SQL type of a sort key, and so how a cursor carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Text,
    Int,
    Float,
    Bool,
}

#[derive(Debug)]
struct SortKey {
    expr: String,
    ty: KeyType,
    /// Identifies the sort in cursors, so that a cursor is not reused with another sort.
    name: String,
}

fn invalid_sort(e: StoreError) -> StoreError {
    match e {
        StoreError::InvalidFilter(m) => StoreError::InvalidSort(m.replace("filtering", "sorting")),
        other => other,
    }
}

/// The expression a resource sorts by, or `None` for insertion order.
fn sort_key(
    b: &mut Builder,
    kind: ResourceKind,
    path: &AttrPath,
) -> Result<Option<SortKey>, StoreError> {
    let Some(r) = resolve(kind.schema(), path) else {
        return Ok(None);
    };
    let (def, _) = compared(&r);
    let name = r.canonical_path();
    if def.attr_type == AttrType::Complex {
        return Err(StoreError::InvalidSort(format!(
            "'{name}' is a complex attribute; sort by one of its sub-attributes"
        )));
    }
    let found = sources(b, kind, &r, true).map_err(invalid_sort)?;
    let (expr, ty) = match found.into_iter().next() {
        Some(Source::Column { expr, ty, .. }) => (expr, column_key(ty)),
        Some(Source::Rows {
            from,
            cond,
            order,
            expr,
            ty,
        }) => (
            format!("(SELECT {expr} FROM {from} WHERE {cond} ORDER BY {order} LIMIT 1)"),
            column_key(ty),
        ),
        Some(Source::Json {
            node,
            multi: true,
            pick,
        }) => {
            let (from, element, index) = node.indexed_elements(b);
            let primary = element.member(b, "primary");
            let primary = is_true(b, &primary);
            let value = match &pick {
                Some(key) => element.member(b, key),
                None => element,
            };
            let (expr, ty) = typed(b, &value, def.attr_type, &name)?;
            (
                format!("(SELECT {expr} FROM {from} ORDER BY {primary} DESC, {index} LIMIT 1)"),
                ty,
            )
        }
        Some(Source::Json {
            node,
            multi: false,
            pick,
        }) => {
            let value = match &pick {
                Some(key) => node.member(b, key),
                None => node,
            };
            typed(b, &value, def.attr_type, &name)?
        }
        Some(Source::Object) | None => {
            return Err(StoreError::InvalidSort(format!(
                "'{name}' has no value to sort by"
            )));
        }
    };
    Ok(Some(SortKey { expr, ty, name }))
}

fn column_key(ty: ColType) -> KeyType {
    match ty {
        ColType::Text => KeyType::Text,
        ColType::Bool => KeyType::Bool,
        ColType::Micros => KeyType::Int,
    }
}

/// Whether a JSON value is `true`.
fn is_true(b: &mut Builder, node: &Node) -> String {
    let t = node.type_of(b);
    if b.is_pg() {
        let v = node.scalar(b);
        format!("COALESCE({t} = 'boolean' AND {v} = 'true', FALSE)")
    } else {
        format!("COALESCE({t} = 'true', FALSE)")
    }
}

/// A JSON value as a sort key of the attribute's type; NULL when it has another type.
fn typed(
    b: &mut Builder,
    node: &Node,
    attr_type: AttrType,
    name: &str,
) -> Result<(String, KeyType), StoreError> {
    let t = node.type_of(b);
    let v = node.scalar(b);
    let pg = b.is_pg();
    Ok(match attr_type {
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            let text = if pg { "'string'" } else { "'text'" };
            (
                format!("(CASE WHEN {t} = {text} THEN {v} END)"),
                KeyType::Text,
            )
        }
        AttrType::Integer | AttrType::Decimal => {
            let expr = if pg {
                format!("(CASE WHEN {t} = 'number' THEN CAST({v} AS FLOAT8) END)")
            } else {
                format!("(CASE WHEN {t} IN ('integer', 'real') THEN CAST({v} AS REAL) END)")
            };
            (expr, KeyType::Float)
        }
        AttrType::Boolean => {
            let expr = if pg {
                format!("(CASE WHEN {t} = 'boolean' THEN {v} = 'true' END)")
            } else {
                format!("(CASE {t} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END)")
            };
            (expr, KeyType::Bool)
        }
        AttrType::DateTime | AttrType::Complex => {
            return Err(StoreError::InvalidSort(format!(
                "sorting by '{name}' is not supported"
            )));
        }
    })
}

/// A position in a sorted list: the last row's sort key and `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// The sort it belongs to.
    o: String,
    k: KeyValue,
    s: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum KeyValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl KeyValue {
    fn fits(&self, ty: KeyType) -> bool {
        matches!(
            (self, ty),
            (KeyValue::Null, _)
                | (KeyValue::Bool(_), KeyType::Bool)
                | (KeyValue::Int(_), KeyType::Int)
                | (KeyValue::Int(_) | KeyValue::Float(_), KeyType::Float)
                | (KeyValue::Text(_), KeyType::Text)
        )
    }

    fn arg(&self) -> Option<Arg> {
        match self {
            KeyValue::Null => None,
            KeyValue::Bool(v) => Some(Arg::Bool(*v)),
            KeyValue::Int(v) => Some(Arg::Int(*v)),
            KeyValue::Float(v) => Some(Arg::Float(*v)),
            KeyValue::Text(v) => Some(Arg::Text(v.clone())),
        }
    }
}

impl Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(text: &str, sort: &str, ty: KeyType) -> Result<Cursor, StoreError> {
        let bad = |why: &str| StoreError::InvalidCursor(format!("'{text}' {why}"));
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| bad("is not a cursor this server issued"))?;
        let cursor: Cursor = serde_json::from_slice(&bytes)
            .map_err(|_| bad("is not a cursor this server issued"))?;
        if cursor.o != sort {
            return Err(bad("was issued for another sortBy or sortOrder"));
        }
        if !cursor.k.fits(ty) {
            return Err(bad("does not fit this sort"));
        }
        Ok(cursor)
    }
}

/// A page's row: the resource, its `seq` and its sort key (in the column of its type).
#[derive(sqlx::FromRow)]
struct PageRow {
    #[sqlx(flatten)]
    resource: ResourceRow,
    seq: i64,
    key_text: Option<String>,
    key_int: Option<i64>,
    key_float: Option<f64>,
    key_bool: Option<bool>,
}

impl FromReaderRow for PageRow {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(PageRow {
            resource: ResourceRow::from_row(row)?,
            seq: row.get("seq")?,
            key_text: row.get("key_text")?,
            key_int: row.get("key_int")?,
            key_float: row.get("key_float")?,
            key_bool: row.get("key_bool")?,
        })
    }
}

impl PageRow {
    fn key(&self) -> KeyValue {
        if let Some(v) = &self.key_text {
            KeyValue::Text(v.clone())
        } else if let Some(v) = self.key_int {
            KeyValue::Int(v)
        } else if let Some(v) = self.key_float {
            KeyValue::Float(v)
        } else if let Some(v) = self.key_bool {
            KeyValue::Bool(v)
        } else {
            KeyValue::Null
        }
    }
}

/// The outer query's columns: the resource's, then the sort key in the column of its type.
fn page_columns(backend: Backend, ty: KeyType) -> String {
    let null = |sql_type: &str| format!("CAST(NULL AS {sql_type})");
    let float = match backend {
        Backend::Sqlite => "REAL",
        Backend::Postgres => "FLOAT8",
    };
    let slot = |slot: KeyType, sql_type: &str| {
        if slot == ty {
            "s.sort_key".to_owned()
        } else {
            null(sql_type)
        }
    };
    format!(
        "s.id, s.kind, s.version, s.created_us, s.modified_us, s.data, s.sync_state, \
         s.vendor_id, s.last_synced_us, s.last_error, s.seq, {} AS key_text, {} AS key_int, \
         {} AS key_float, {} AS key_bool",
        slot(KeyType::Text, "TEXT"),
        slot(KeyType::Int, "BIGINT"),
        slot(KeyType::Float, float),
        slot(KeyType::Bool, "BOOLEAN"),
    )
}

impl Store {
    /// One page of the app's resources of `kind` that match the query's filter.
    ///
    /// The filter should have passed [`scim::filter::Filter::check`]; an unchecked one is
    /// still translated safely, with the evaluator's semantics.
    pub async fn list(
        &self,
        app: &str,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<Page, StoreError> {
        let backend = self.backend();
        let mut b = Builder::new(backend, vec![app.into()]);
        let mut where_ = format!("r.app = $1 AND {}", kind_is("r", kind));
        if let Some(f) = &query.filter {
            where_.push_str(" AND ");
            where_.push_str(&filter::condition(&mut b, kind, f)?);
        }
        let count = b.finish(&format!("SELECT COUNT(*) FROM resources r WHERE {where_}"));
        let key = match &query.sort_by {
            Some(path) => sort_key(&mut b, kind, path)?,
            None => None,
        };
        let descending = query.descending && key.is_some();
        let (key_expr, key_type, sort_name) = match &key {
            Some(k) => (k.expr.clone(), k.ty, k.name.clone()),
            None => (
                "CAST(NULL AS TEXT)".to_owned(),
                KeyType::Text,
                String::new(),
            ),
        };
        let sort_name = format!("{sort_name}:{}", if descending { "desc" } else { "asc" });
        let collate = if backend == Backend::Postgres && key_type == KeyType::Text {
            " COLLATE \"C\""
        } else {
            ""
        };
        let order = |t: &str| match (&key, descending) {
            (None, _) => format!("{t}.seq"),
            (Some(_), false) => format!("({t}.sort_key IS NULL), {t}.sort_key{collate}, {t}.seq"),
            (Some(_), true) => {
                format!("({t}.sort_key IS NULL) DESC, {t}.sort_key{collate} DESC, {t}.seq")
            }
        };
        let k = format!("s.sort_key{collate}");
        let cursor = match &query.cursor {
            None => None,
            Some(text) if text.is_empty() => None,
            Some(text) => Some(Cursor::decode(text, &sort_name, key_type)?),
        };
        let mut after = "TRUE".to_owned();
        if let Some(c) = &cursor {
            let seq = b.arg(c.s);
            after = match (c.k.arg(), descending) {
                (None, false) => format!("(s.sort_key IS NULL AND s.seq > {seq})"),
                (None, true) => {
                    format!("((s.sort_key IS NULL AND s.seq > {seq}) OR s.sort_key IS NOT NULL)")
                }
                (Some(v), false) => {
                    let v = b.arg(v);
                    format!("(s.sort_key IS NULL OR {k} > {v} OR ({k} = {v} AND s.seq > {seq}))")
                }
                (Some(v), true) => {
                    let v = b.arg(v);
                    format!(
                        "(s.sort_key IS NOT NULL AND ({k} < {v} OR ({k} = {v} AND s.seq > {seq})))"
                    )
                }
            };
        }
        let paging_by_cursor = query.cursor.is_some();
        // One row more than asked for tells whether a next page exists.
        let limit = if paging_by_cursor {
            query.count.saturating_add(1)
        } else {
            query.count
        };
        let offset = if paging_by_cursor {
            0
        } else {
            query.start_index.max(1) - 1
        };
        let limit = b.arg(i64::try_from(limit).unwrap_or(i64::MAX));
        let offset = b.arg(i64::try_from(offset).unwrap_or(i64::MAX));
        let inner = format!(
            "SELECT r.id, r.kind, r.version, r.created_us, r.modified_us, {} AS data, \
             r.sync_state, r.vendor_id, r.last_synced_us, r.last_error, r.seq, {key_expr} AS sort_key \
             FROM resources r WHERE {where_}",
            backend.json_text("r.data")
        );
        let page = format!(
            "SELECT {}, s.sort_key FROM ({inner}) s WHERE {after} ORDER BY {} LIMIT {limit} OFFSET {offset}",
            page_columns(backend, key_type),
            order("s")
        );
        // The memberships are read for the page's rows only: outside the query that
        // orders and limits, which would otherwise compute them for every match.
        let page = b.finish(&format!(
            "SELECT p.*, {} AS related FROM ({page}) p ORDER BY {}",
            related(backend, kind, "$1", "p.id"),
            order("p")
        ));

        let page_size = query.count;
        // A first page that is not full holds every match: its length is the total, and
        // the count query (the IdPs' existence checks are exactly this) can be skipped.
        let first_page = cursor.is_none() && (paging_by_cursor || query.start_index <= 1);
        let whole = move |rows: &[PageRow]| {
            (first_page && (rows.len() as u64) < page_size).then_some(rows.len() as i64)
        };
        let (mut rows, total) = match self.db.read_threads() {
            Some(threads) => {
                threads
                    .run(move |conn| {
                        let rows: Vec<PageRow> = if page_size > 0 {
                            read_threads::fetch_all(conn, &page)?
                        } else {
                            Vec::new()
                        };
                        let total = match whole(&rows) {
                            Some(total) => total,
                            None => read_threads::fetch_one::<(i64,)>(conn, &count)?.0,
                        };
                        Ok((rows, total))
                    })
                    .await?
            }
            None => {
                let mut tx = self.db.read().await?;
                let rows: Vec<PageRow> = if page_size > 0 {
                    tx.fetch_all(&page).await?
                } else {
                    Vec::new()
                };
                let total = match whole(&rows) {
                    Some(total) => total,
                    None => tx.fetch_one::<(i64,)>(&count).await?.0,
                };
                tx.commit().await?;
                (rows, total)
            }
        };
        let mut next_cursor = None;
        if paging_by_cursor && rows.len() as u64 > query.count {
            rows.truncate(usize::try_from(query.count).unwrap_or(usize::MAX));
            next_cursor = rows.last().map(|last| {
                Cursor {
                    o: sort_name.clone(),
                    k: last.key(),
                    s: last.seq,
                }
                .encode()
            });
        }
        let resources = rows
            .into_iter()
            .map(|r| r.resource.into_resource(app))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            total: u64::try_from(total).unwrap_or_default(),
            resources,
            next_cursor,
        })
    }
}
