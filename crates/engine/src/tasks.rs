//! Human tasks as the admin API and the CLI reach them: list, show, mark done, cancel.
//! Every state change goes to the task's audit trail (its events), written by the store in
//! the same transaction as the change.

use store::{StoreError, Task, TaskEvent, TaskFilter};

use crate::{AdminError, Engine};

/// A task with its audit trail, oldest event first.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDetail {
    pub task: Task,
    pub events: Vec<TaskEvent>,
}

impl Engine {
    /// Tasks, newest first, a page at a time as `filter` says.
    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>, AdminError> {
        Ok(self.inner.store.tasks(filter).await?)
    }

    /// One task and its audit trail.
    pub async fn task(&self, id: &str) -> Result<TaskDetail, AdminError> {
        let store = &self.inner.store;
        let task = store
            .task(id)
            .await?
            .ok_or_else(|| StoreError::TaskNotFound(id.to_owned()))?;
        let events = store.task_events(id).await?;
        Ok(TaskDetail { task, events })
    }

    /// `actor` says the task is done. A confirmation-only task is verified by it; a task
    /// verified by a read stays `done`, due for its verification read at once. That read is
    /// not made here: the engine's task verification (a later slice) makes it.
    pub async fn mark_task_done(&self, id: &str, actor: &str) -> Result<Task, AdminError> {
        Ok(self.inner.store.mark_task_done(id, actor).await?)
    }

    /// `actor` cancels a pending task, for `reason`.
    pub async fn cancel_task(
        &self,
        id: &str,
        actor: &str,
        reason: &str,
    ) -> Result<Task, AdminError> {
        Ok(self.inner.store.cancel_task(id, actor, reason).await?)
    }
}
