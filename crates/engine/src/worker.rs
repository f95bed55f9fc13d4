//! The workers: claim due queue entries, reconcile each, and settle the entry.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use store::{Backend, Claim, Retry};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::Inner;
use crate::outcome::{Outcome, Requeue};
use crate::reconcile::{self, Reconciled};
use crate::record;
use crate::settle::Settlement;

/// The running workers of this process.
pub struct Workers {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Workers {
    /// Stops claiming new work and waits for the reconciles in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

pub(crate) fn start(inner: Arc<Inner>) -> Workers {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(inner, stopped));
    Workers { stop, task }
}

async fn run(inner: Arc<Inner>, mut stopped: watch::Receiver<bool>) {
    // Only one process can run workers on SQLite, so every lease still held is a leftover
    // of this process's previous life (a crash): its work may be retried now.
    if inner.store.backend() == Backend::Sqlite {
        if let Err(e) = inner.store.release_claims().await {
            tracing::error!(error = %e, "cannot release the claims of a previous run");
        }
    }
    let slots = Arc::new(Semaphore::new(inner.config.concurrency.max(1)));
    loop {
        if *stopped.borrow() {
            break;
        }
        let free = slots.available_permits();
        let claims = if free == 0 {
            Vec::new()
        } else {
            match inner
                .store
                .claim_due(&inner.worker_id, free as u32, inner.config.lease)
                .await
            {
                Ok(claims) => claims,
                Err(e) => {
                    tracing::error!(error = %e, "cannot claim queued work; retrying");
                    Vec::new()
                }
            }
        };
        if claims.is_empty() {
            tokio::select! {
                _ = inner.wake.notified() => {}
                _ = tokio::time::sleep(inner.config.poll_interval) => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        for claim in claims {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let inner = inner.clone();
            tokio::spawn(async move {
                process(&inner, claim).await;
                drop(permit);
                // A slot is free: look for more work at once.
                inner.wake.notify_one();
            });
        }
    }
    // Wait for the reconciles in flight.
    let _ = slots
        .acquire_many(inner.config.concurrency.max(1) as u32)
        .await;
}

/// The delay before retry number `attempts + 1`: exponential with jitter.
fn backoff(inner: &Inner, attempts: i64) -> Duration {
    let base = inner.config.backoff_base.as_secs_f64();
    let exp = base * 2f64.powi(attempts.clamp(0, 30) as i32);
    let capped = exp.min(inner.config.backoff_max.as_secs_f64());
    let jitter = rand::rng().random_range(0.5..1.5);
    Duration::from_secs_f64(capped * jitter)
}

/// Reconciles `claim`, renewing its lease every third of it meanwhile: a reconcile can
/// outlast one lease (each vendor call may time out and be retried), and an expired lease
/// would let another worker run the same reconcile alongside, creating the account twice.
async fn reconcile_leased(inner: &Inner, claim: &Claim) -> Reconciled {
    // Both futures are polled side by side: a renewal waiting for the store's writer must
    // never stop the reconcile that holds it, or both wait until the writer's timeout.
    tokio::select! {
        result = reconcile::reconcile(inner, claim) => result,
        never = keep_leased(inner, claim) => match never {},
    }
}

async fn keep_leased(inner: &Inner, claim: &Claim) -> Infallible {
    let every = (inner.config.lease / 3).max(Duration::from_millis(100));
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        renew.tick().await;
        match inner
            .store
            .extend_claim(claim, &inner.worker_id, inner.config.lease)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(app = %claim.app, resource = %claim.resource_id, "the lease of a running reconcile was lost; another worker may run it too")
            }
            Err(e) => {
                tracing::warn!(error = %e, resource = %claim.resource_id, "cannot renew the lease of a running reconcile")
            }
        }
    }
}

async fn process(inner: &Inner, claim: Claim) {
    let started = std::time::Instant::now();
    let Reconciled { version, outcome } = reconcile_leased(inner, &claim).await;
    let store = &inner.store;
    let settlement = match outcome {
        Outcome::Applied => Settlement::Applied,
        Outcome::Rejected(rejection) => Settlement::Rejected(rejection),
        Outcome::RequeueAfter(Requeue { reason, delay }) => {
            let delay = delay.unwrap_or_else(|| backoff(inner, claim.attempts));
            tracing::warn!(app = %claim.app, resource = %claim.resource_id, attempt = claim.attempts + 1, error = %reason, "reconcile failed; retrying");
            let outcome = store
                .fail_claim(&claim, &reason, delay, inner.config.max_attempts)
                .await;
            let state = match outcome {
                Ok(Retry::DeadLettered) => {
                    tracing::error!(app = %claim.app, resource = %claim.resource_id, error = %reason, "reconcile dead-lettered after too many failures; an admin can retry it");
                    scim::model::SyncState::Failed
                }
                Ok(_) => scim::model::SyncState::Pending,
                Err(e) => {
                    tracing::error!(error = %e, "cannot record a failed reconcile");
                    scim::model::SyncState::Pending
                }
            };
            record::unsynced(inner, &claim, state, &reason).await;
            inner
                .settle
                .post(&claim.app, &claim.resource_id, version, Settlement::Pending);
            return;
        }
    };
    inner
        .settle
        .post(&claim.app, &claim.resource_id, version, settlement);
    if let Err(e) = store.finish_claim(&claim).await {
        tracing::error!(error = %e, resource = %claim.resource_id, "cannot finish a reconcile; it will run again");
    }
    tracing::debug!(app = %claim.app, resource = %claim.resource_id, ms = started.elapsed().as_millis() as u64, "reconciled");
}
