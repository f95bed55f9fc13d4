//! The adapter SPI: what every vendor adapter implements so the engine can provision,
//! change and offboard accounts without knowing the vendor.
//!
//! An adapter turns these calls into its vendor's own admin actions, including the steps
//! the vendor leaves to a human (Gong's seat and permission profile after a SCIM create,
//! for example), so that [`Connector::create`] returns an account that is usable. Every
//! call must be safe to repeat: the engine retries after crashes and transient errors
//! (a create, only once its lookup by e-mail found no account).

mod error;
pub mod http;
mod secret;
mod types;

pub use error::ConnectorError;
pub use secret::Secret;
pub use types::{
    Access, Account, AccountId, AccountPage, AccountStatus, Capabilities, Integration, Profile,
    RoleInfo, SeatCount, SeatUsage, Transferred,
};

use async_trait::async_trait;
use futures_util::stream::{self, Stream};

/// One vendor tenant, as the engine drives it.
#[async_trait]
pub trait Connector: Send + Sync {
    /// What this vendor supports: roles, seat types, deletion, teams, credits, features.
    fn capabilities(&self) -> &Capabilities;

    /// One page of the vendor's accounts, every status included; `cursor` is the previous
    /// page's [`AccountPage::next`], `None` for the first page.
    async fn list_accounts(&self, cursor: Option<&str>) -> Result<AccountPage, ConnectorError>;

    /// The account `id`; [`ConnectorError::NotFound`] when the vendor has none.
    async fn get(&self, id: &AccountId) -> Result<Account, ConnectorError>;

    /// The account whose e-mail address is `email` (compared ignoring case), active or not.
    async fn find_by_email(&self, email: &str) -> Result<Option<Account>, ConnectorError>;

    /// Creates an account that is usable at once: profile, then the access and manager
    /// the vendor needs set by hand.
    ///
    /// The engine calls it only for a person it found no account for (its one
    /// [`Connector::find_by_email`] of the reconcile) and after it found a seat free (from
    /// one [`Connector::seat_usage`] read): an adapter trusts both, and neither looks the
    /// account up nor reads the seats again. Where the vendor refuses anyway (its seats
    /// taken meanwhile, say) that refusal is still a [`ConnectorError::Rejected`]; an
    /// account made meanwhile by another attempt is a [`ConnectorError::Transient`], which
    /// the engine's next reconcile finds and adopts.
    async fn create(
        &self,
        profile: &Profile,
        access: &Access,
        manager: Option<&AccountId>,
    ) -> Result<Account, ConnectorError>;

    /// Replaces the account's profile (name, e-mail, title, phone).
    async fn update_profile(&self, id: &AccountId, profile: &Profile)
    -> Result<(), ConnectorError>;

    /// Makes the account's role, seat, team, credits and features those of `access`.
    async fn set_access(&self, id: &AccountId, access: &Access) -> Result<(), ConnectorError>;

    /// Sets (or with `None` clears) the account's manager.
    async fn set_manager(
        &self,
        id: &AccountId,
        manager: Option<&AccountId>,
    ) -> Result<(), ConnectorError>;

    /// Deactivates the account and frees its seat. Deactivating an inactive account succeeds.
    async fn deactivate(&self, id: &AccountId) -> Result<(), ConnectorError>;

    /// Reactivates the account. The engine checks capacity first, as for
    /// [`Connector::create`]; the vendor's own refusal at capacity is a
    /// [`ConnectorError::Rejected`]. Reactivating an active account succeeds.
    async fn reactivate(&self, id: &AccountId) -> Result<(), ConnectorError>;

    /// Deletes the account, where [`Capabilities::can_delete`] says the vendor can.
    async fn delete(&self, id: &AccountId) -> Result<(), ConnectorError> {
        Err(ConnectorError::Rejected {
            status: 400,
            scim_type: None,
            reason: format!(
                "{} cannot delete accounts (account {id}); deactivate it instead",
                self.capabilities().vendor
            ),
        })
    }

    /// Moves the content `from` owns (lists, saved searches, …) to `to`, where the vendor
    /// can; returns what moved. Vendors that cannot transfer return nothing.
    async fn transfer_content(
        &self,
        from: &AccountId,
        to: &AccountId,
    ) -> Result<Vec<Transferred>, ConnectorError> {
        let _ = (from, to);
        Ok(Vec::new())
    }

    /// The integrations (CRM links, OAuth grants) tied to the account, which break when it
    /// is deactivated.
    async fn integrations(&self, id: &AccountId) -> Result<Vec<Integration>, ConnectorError> {
        let _ = id;
        Ok(Vec::new())
    }

    /// Paid and used seats, by seat type.
    async fn seat_usage(&self) -> Result<SeatUsage, ConnectorError>;

    /// The seat type an account given `access` takes, as [`Connector::seat_usage`] names
    /// it, for the engine's capacity check: the access's own seat, unless the vendor
    /// derives it otherwise (from the role, say). `None` where it depends on nothing the
    /// access says; a vendor with a single seat type then has every account take it.
    fn seat_for(&self, access: &Access) -> Option<String> {
        access.seat.clone()
    }
}

/// Every account of `connector`, page by page, as a stream: for reports that walk a whole
/// tenant.
pub fn all_accounts(
    connector: &dyn Connector,
) -> impl Stream<Item = Result<Account, ConnectorError>> + Send + '_ {
    enum Next {
        Page(Option<String>),
        Done,
    }
    stream::unfold(
        (Next::Page(None), Vec::<Account>::new().into_iter()),
        move |(next, mut buffered)| async move {
            let mut next = next;
            loop {
                if let Some(account) = buffered.next() {
                    return Some((Ok(account), (next, buffered)));
                }
                let cursor = match next {
                    Next::Done => return None,
                    Next::Page(cursor) => cursor,
                };
                match connector.list_accounts(cursor.as_deref()).await {
                    Ok(page) => {
                        next = match page.next {
                            Some(c) => Next::Page(Some(c)),
                            None => Next::Done,
                        };
                        buffered = page.accounts.into_iter();
                    }
                    Err(e) => return Some((Err(e), (Next::Done, Vec::new().into_iter()))),
                }
            }
        },
    )
}
