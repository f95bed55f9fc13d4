//! The handle a test holds on a running simulator: its address, its outages, its faults
//! and the calls it received. Each vendor adds its own methods (users, seats …) in an
//! `impl Handle<ItsVendor>` block.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;

use super::calls::CallRecord;
use super::faults::{Faults, FaultsError};
use super::server::Lifecycle;
use super::{Shared, SimError, Vendor};

/// A running simulated tenant; dropping the handle stops it.
pub struct Handle<V: Vendor> {
    pub(crate) shared: web::Data<Shared<V>>,
    lifecycle: Arc<Lifecycle>,
}

impl<V: Vendor> Drop for Handle<V> {
    fn drop(&mut self) {
        // Hung requests are released so the server can stop at once.
        self.shared.release_hung();
    }
}

impl<V: Vendor> Handle<V> {
    pub(crate) fn new(shared: web::Data<Shared<V>>, lifecycle: Arc<Lifecycle>) -> Self {
        Handle { shared, lifecycle }
    }

    pub fn addr(&self) -> SocketAddr {
        self.lifecycle.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The configuration it started with (credentials may since have been changed through
    /// the handle).
    pub fn config(&self) -> &V::Config {
        &self.shared.config
    }

    /// Stops listening (connections are refused, hung requests dropped), as in an outage;
    /// the state is kept for [`Self::restart`].
    pub async fn stop(&self) {
        self.lifecycle.stop().await;
    }

    /// Listens again on the same port, with the same state.
    pub async fn restart(&self) -> Result<(), SimError<V::Rule>> {
        let addr = self.lifecycle.addr;
        self.lifecycle
            .start()
            .await
            .map_err(|source| SimError::Bind { addr, source })
    }

    /// Whether the simulator is listening.
    pub async fn is_up(&self) -> bool {
        self.lifecycle.is_up().await
    }

    /// Goes down now and comes back after `downtime`, in the background.
    pub fn down_for(&self, downtime: Duration) {
        let lifecycle = self.lifecycle.clone();
        tokio::spawn(async move { lifecycle.down_for(downtime).await });
    }

    /// Stops the server for good, waiting until it has.
    pub async fn shutdown(self) {
        self.lifecycle.stop().await;
    }

    pub fn faults(&self) -> Faults {
        self.shared.fault_state().faults().clone()
    }

    /// Replaces the injected faults (their counters restart) and releases hung requests.
    pub fn set_faults(&self, faults: Faults) -> Result<(), FaultsError> {
        self.shared.set_faults(faults)
    }

    pub fn clear_faults(&self) {
        self.shared
            .set_faults(Faults::default())
            .expect("no faults are valid faults");
    }

    /// The vendor calls received (not the `/_sim` ones), oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.shared.calls().records()
    }

    /// Calls received per `METHOD route`, such as `POST /scim/v2/Users`.
    pub fn calls_by_route(&self) -> BTreeMap<String, usize> {
        self.shared.calls().by_route()
    }

    /// The most calls that arrived within any window of this length.
    pub fn max_calls_in_window(&self, window: Duration) -> usize {
        self.shared.calls().max_in_window(window)
    }

    pub fn clear_calls(&self) {
        self.shared.calls().clear();
    }
}

/// How many users have each lower-cased e-mail, for proving that nothing was created twice.
pub(crate) fn per_email<'a>(emails: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for email in emails {
        *counts.entry(email.to_ascii_lowercase()).or_insert(0) += 1;
    }
    counts
}
