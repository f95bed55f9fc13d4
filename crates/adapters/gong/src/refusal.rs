//! Gong's refusals turned into errors that say what was wrong and what to do, and the
//! calls whose refusals are explained that way.

use connector::ConnectorError;
use connector::http::{Failure, OrRefused, Refusal, StatusCode};
use scim::ScimType;
use serde_json::Value;

use crate::Gong;
use crate::api::unexpected;
use crate::wire::{AdminUser, ScimUser};

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

impl Gong {
    /// Explains a refused SCIM write that named `manager`: an unknown manager, or
    /// something about the user (Gong imports only the company's e-mail domains).
    pub(crate) async fn scim_refused(
        &self,
        email: &str,
        manager: Option<&str>,
        refusal: Refusal,
    ) -> ConnectorError {
        if refusal.status == StatusCode::BAD_REQUEST {
            if let Some(manager) = manager {
                match self.api.user_exists(manager).await {
                    Ok(false) => {
                        return invalid(format!(
                            "{email}'s manager {manager} is not a Gong user; provision the manager first, or clear the manager in the IdP, then retry"
                        ));
                    }
                    Ok(true) => {}
                    Err(Failure::Connector(e)) => return e,
                    Err(Failure::Refused(r)) => return unexpected("GET /v2/users/{id}", r),
                }
            }
            // Gong says which rule; the domain rule gets the remedy spelled out.
            let about_domain = refusal.message.to_ascii_lowercase().contains("domain");
            return invalid(if about_domain {
                format!(
                    "Gong did not accept {email}: {}. Gong imports only users whose e-mail domain is one of the company's domains: use the company address in the IdP, or add the domain in Gong",
                    refusal.message
                )
            } else {
                format!("Gong did not accept {email}: {}", refusal.message)
            });
        }
        refused(refusal, format!("Gong refused {email}"))
    }

    pub(crate) async fn find(&self, email: &str) -> Result<Option<ScimUser>, ConnectorError> {
        self.api
            .scim_find(email)
            .await
            .or_refused(|r| unexpected("GET /scim/v2/Users?filter=userName eq …", r))
    }

    pub(crate) async fn admin_user(&self, id: &str) -> Result<AdminUser, ConnectorError> {
        self.api
            .admin_user(id)
            .await
            .or_refused(|r| unexpected("GET /admin/users/{id}", r))
    }

    pub(crate) async fn patch(
        &self,
        id: &str,
        email: &str,
        manager: Option<&str>,
        operations: Vec<Value>,
    ) -> Result<ScimUser, ConnectorError> {
        match self.api.scim_patch(id, operations).await {
            Ok(user) => Ok(user),
            Err(Failure::Connector(e)) => Err(e),
            Err(Failure::Refused(r)) => Err(self.scim_refused(email, manager, r).await),
        }
    }
}
