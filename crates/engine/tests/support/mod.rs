//! An in-memory vendor behind the `Connector` trait, for the engine's tests: seats with a
//! capacity, roles with one admin role, managers, content, integrations, and switchable
//! transient failures. It enforces no safety rule itself, so the tests prove the engine's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use async_trait::async_trait;
use connector::{
    Access, Account, AccountId, AccountPage, AccountStatus, Capabilities, Connector,
    ConnectorError, Integration, Profile, RoleInfo, SeatCount, SeatUsage, Transferred,
};

#[derive(Default)]
pub struct State {
    pub accounts: BTreeMap<String, Account>,
    pub content: BTreeMap<String, Vec<String>>,
    pub integrations: BTreeMap<String, Vec<String>>,
    pub next_id: u64,
    /// Calls that fail with a transient error before calls succeed again.
    pub fail_next: u32,
    pub creates: u32,
}

pub struct MemoryVendor {
    pub caps: Capabilities,
    pub seats: u64,
    pub state: Mutex<State>,
}

impl MemoryVendor {
    pub fn new(seats: u64) -> MemoryVendor {
        MemoryVendor {
            caps: Capabilities {
                vendor: "Memory".into(),
                roles: vec![
                    RoleInfo {
                        name: "Admin".into(),
                        admin: true,
                    },
                    RoleInfo {
                        name: "Rep".into(),
                        admin: false,
                    },
                ],
                seat_types: vec!["full".into()],
                can_delete: false,
                teams: false,
                credits: false,
                features: vec![],
                transfers_content: true,
            },
            seats,
            state: Mutex::new(State::default()),
        }
    }

    /// Adds an account directly at the vendor (made by hand, not by the bridge).
    pub fn seed(&self, email: &str, role: &str) -> AccountId {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = AccountId(format!("acct-{}", s.next_id));
        s.accounts.insert(
            id.0.clone(),
            Account {
                id: id.clone(),
                email: email.into(),
                first_name: None,
                last_name: None,
                status: AccountStatus::Active,
                role: Some(role.into()),
                seat: Some("full".into()),
                team: None,
                manager: None,
                credit_limit: None,
                features: BTreeSet::new(),
                last_activity: None,
            },
        );
        id
    }

    pub fn by_email(&self, email: &str) -> Option<Account> {
        let s = self.state.lock().unwrap();
        s.accounts
            .values()
            .find(|a| a.email.eq_ignore_ascii_case(email))
            .cloned()
    }

    fn gate(&self) -> Result<std::sync::MutexGuard<'_, State>, ConnectorError> {
        let mut s = self.state.lock().unwrap();
        if s.fail_next > 0 {
            s.fail_next -= 1;
            return Err(ConnectorError::transient("memory vendor: injected 503"));
        }
        Ok(s)
    }

    fn used(s: &State) -> u64 {
        s.accounts
            .values()
            .filter(|a| a.status != AccountStatus::Inactive && a.seat.is_some())
            .count() as u64
    }
}

fn missing(id: &AccountId) -> ConnectorError {
    ConnectorError::NotFound {
        what: format!("account {id}"),
    }
}

#[async_trait]
impl Connector for MemoryVendor {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    async fn list_accounts(&self, cursor: Option<&str>) -> Result<AccountPage, ConnectorError> {
        let s = self.gate()?;
        let skip: usize = cursor.map(|c| c.parse().unwrap_or(0)).unwrap_or(0);
        let accounts: Vec<Account> = s.accounts.values().skip(skip).take(2).cloned().collect();
        let next = (skip + accounts.len() < s.accounts.len()).then(|| (skip + 2).to_string());
        Ok(AccountPage { accounts, next })
    }

    async fn get(&self, id: &AccountId) -> Result<Account, ConnectorError> {
        let s = self.gate()?;
        s.accounts.get(&id.0).cloned().ok_or_else(|| missing(id))
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<Account>, ConnectorError> {
        let s = self.gate()?;
        Ok(s.accounts
            .values()
            .find(|a| a.email.eq_ignore_ascii_case(email))
            .cloned())
    }

    async fn create(
        &self,
        profile: &Profile,
        access: &Access,
        manager: Option<&AccountId>,
    ) -> Result<Account, ConnectorError> {
        let mut s = self.gate()?;
        if Self::used(&s) >= self.seats {
            return Err(ConnectorError::conflict("memory vendor: no seat left"));
        }
        s.next_id += 1;
        s.creates += 1;
        let id = AccountId(format!("acct-{}", s.next_id));
        let account = Account {
            id: id.clone(),
            email: profile.email.clone(),
            first_name: profile.first_name.clone(),
            last_name: profile.last_name.clone(),
            status: AccountStatus::Active,
            role: access.role.clone(),
            seat: access.seat.clone(),
            team: access.team.clone(),
            manager: manager.cloned(),
            credit_limit: access.credit_limit,
            features: access.features.clone(),
            last_activity: None,
        };
        s.accounts.insert(id.0.clone(), account.clone());
        Ok(account)
    }

    async fn update_profile(
        &self,
        id: &AccountId,
        profile: &Profile,
    ) -> Result<(), ConnectorError> {
        let mut s = self.gate()?;
        let a = s.accounts.get_mut(&id.0).ok_or_else(|| missing(id))?;
        a.email = profile.email.clone();
        a.first_name = profile.first_name.clone();
        a.last_name = profile.last_name.clone();
        Ok(())
    }

    async fn set_access(&self, id: &AccountId, access: &Access) -> Result<(), ConnectorError> {
        let mut s = self.gate()?;
        let a = s.accounts.get_mut(&id.0).ok_or_else(|| missing(id))?;
        a.role = access.role.clone();
        a.seat = access.seat.clone();
        a.team = access.team.clone();
        Ok(())
    }

    async fn set_manager(
        &self,
        id: &AccountId,
        manager: Option<&AccountId>,
    ) -> Result<(), ConnectorError> {
        let mut s = self.gate()?;
        let a = s.accounts.get_mut(&id.0).ok_or_else(|| missing(id))?;
        a.manager = manager.cloned();
        Ok(())
    }

    async fn deactivate(&self, id: &AccountId) -> Result<(), ConnectorError> {
        let mut s = self.gate()?;
        let a = s.accounts.get_mut(&id.0).ok_or_else(|| missing(id))?;
        a.status = AccountStatus::Inactive;
        Ok(())
    }

    async fn reactivate(&self, id: &AccountId) -> Result<(), ConnectorError> {
        let mut s = self.gate()?;
        if Self::used(&s) >= self.seats {
            return Err(ConnectorError::conflict("memory vendor: no seat left"));
        }
        let a = s.accounts.get_mut(&id.0).ok_or_else(|| missing(id))?;
        a.status = AccountStatus::Active;
        Ok(())
    }

    async fn transfer_content(
        &self,
        from: &AccountId,
        to: &AccountId,
    ) -> Result<Vec<Transferred>, ConnectorError> {
        let mut s = self.gate()?;
        let items = s.content.remove(&from.0).unwrap_or_default();
        s.content
            .entry(to.0.clone())
            .or_default()
            .extend(items.clone());
        Ok(items
            .into_iter()
            .map(|name| Transferred {
                kind: "list".into(),
                name,
            })
            .collect())
    }

    async fn integrations(&self, id: &AccountId) -> Result<Vec<Integration>, ConnectorError> {
        let s = self.gate()?;
        Ok(s.integrations
            .get(&id.0)
            .into_iter()
            .flatten()
            .map(|name| Integration {
                kind: "crm".into(),
                name: name.clone(),
            })
            .collect())
    }

    async fn seat_usage(&self) -> Result<SeatUsage, ConnectorError> {
        let s = self.gate()?;
        Ok(SeatUsage {
            seats: vec![SeatCount {
                seat: "full".into(),
                paid: Some(self.seats),
                used: Self::used(&s),
            }],
        })
    }
}
