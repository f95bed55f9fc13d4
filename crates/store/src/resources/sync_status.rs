//! Recording a resource's sync status: the engine's view of its vendor account, kept apart
//! from SCIM writes.

use crate::db::{Stmt, micros};
use crate::{ResourceKind, Store, StoreError, SyncStatus};

impl Store {
    /// Records the engine's view of a resource's vendor account. Not a SCIM write: no new
    /// version, no audit entry, no queue entry. An all-empty status clears it. With
    /// `generation`, only while the resource's queue entry is at that generation: the
    /// status of a reconcile that a newer write overtook is not recorded (the newer
    /// write's own reconcile records one), and the call is `NotFound`.
    pub async fn set_sync_status(
        &self,
        app: &str,
        kind: ResourceKind,
        id: &str,
        status: &SyncStatus,
        generation: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let changed = tx
            .execute(
                &Stmt::new(
                    "UPDATE resources SET sync_state = $4, vendor_id = $5, last_synced_us = $6, \
                     last_error = $7, last_error_lc = $8 \
                     WHERE app = $1 AND kind = $2 AND id = $3 AND ($9 IS NULL OR EXISTS \
                     (SELECT 1 FROM work_queue q WHERE q.app = $1 AND q.resource_id = $3 \
                     AND q.generation = $9))",
                )
                .bind(app)
                .bind(kind.as_str())
                .bind(id)
                .bind(status.sync_state.map(|s| s.as_str()))
                .bind(status.vendor_id.clone())
                .bind(status.last_synced_at.map(micros))
                .bind(status.last_error.clone())
                .bind(status.last_error.as_deref().map(str::to_lowercase))
                .bind(generation),
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
