//! Chorus's refusals turned into errors that say what was wrong and what to do.

use connector::ConnectorError;
use connector::http::Refusal;
use scim::ScimType;

use crate::Chorus;
use crate::console::unexpected;

pub(crate) fn invalid(reason: String) -> ConnectorError {
    ConnectorError::rejected(ScimType::InvalidValue, reason)
}

/// A refusal in the context `what`: 409 and 400 are definitive, anything else unexpected.
pub(crate) fn refused(refusal: Refusal, what: String) -> ConnectorError {
    match refusal.status.as_u16() {
        409 => ConnectorError::conflict(format!("{what}: {}", refusal.message)),
        400 => invalid(format!("{what}: {}", refusal.message)),
        _ => unexpected(&what, refusal),
    }
}

pub(crate) fn seat_refused(email: &str, doing: &str, refusal: &Refusal) -> ConnectorError {
    ConnectorError::conflict(format!(
        "Chorus has no free seat to {doing} {email}: {}. Invited and active users each hold a seat (3 in the base package plus those bought); deactivate a leaver or buy seats, then retry",
        refusal.message
    ))
}

impl Chorus {
    pub(crate) fn update_refused(&self, email: &str, refusal: Refusal) -> ConnectorError {
        if refusal.is("last_admin") {
            return ConnectorError::conflict(format!(
                "{email} is Chorus's last active Admin: demoting or deactivating them would lock everyone out of Chorus's settings. Make another user an Admin first ({})",
                refusal.message
            ));
        }
        refused(refusal, format!("Chorus refused to change {email}"))
    }
}
