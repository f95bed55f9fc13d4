//! Chorus's four roles.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Chorus role. Admins administer the tenant: the last active one must stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    Admin,
    Manager,
    Rep,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Rep, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Rep => "Rep",
            Role::Viewer => "Viewer",
        }
    }

    /// The role named `name`, ignoring case and surrounding space.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(name.trim()))
    }

    pub(crate) fn unknown(name: &str) -> String {
        format!("Chorus has no role {name:?}; use \"Admin\", \"Manager\", \"Rep\" or \"Viewer\"")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Read ignoring case, as a mapping may write `viewer`.
impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Role::parse(&name).ok_or_else(|| serde::de::Error::custom(Role::unknown(&name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_ignoring_case() {
        assert_eq!(Role::parse(" manager "), Some(Role::Manager));
        assert_eq!(Role::parse("Sales Rep"), None);
        assert_eq!(serde_json::to_string(&Role::Viewer).unwrap(), "\"Viewer\"");
    }
}
