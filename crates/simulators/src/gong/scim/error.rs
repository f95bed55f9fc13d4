//! The SCIM custom source's refusals: RFC 7644 §3.12 error bodies, with the `scimType`
//! each Gong rule and PATCH error maps to.

use actix_web::HttpResponse;
use serde_json::json;

use super::{ERROR_SCHEMA, scim_json};
use crate::gong::tenant::RuleError;
use crate::scim_patch::PatchError;

/// A SCIM refusal: RFC 7644 §3.12 error body.
pub(super) struct ScimError {
    pub(super) status: u16,
    pub(super) scim_type: Option<&'static str>,
    pub(super) detail: String,
}

impl ScimError {
    pub(super) fn invalid(detail: impl Into<String>) -> Self {
        ScimError {
            status: 400,
            scim_type: Some("invalidValue"),
            detail: detail.into(),
        }
    }

    pub(super) fn syntax(detail: impl Into<String>) -> Self {
        ScimError {
            status: 400,
            scim_type: Some("invalidSyntax"),
            detail: detail.into(),
        }
    }

    pub(super) fn response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        scim_json(self.status, &body)
    }
}

impl From<RuleError> for ScimError {
    fn from(e: RuleError) -> Self {
        let scim_type = match &e {
            RuleError::EmailTaken(_) | RuleError::GroupNameTaken(_) => Some("uniqueness"),
            RuleError::DomainNotAllowed { .. }
            | RuleError::ManagerNotFound(_)
            | RuleError::ManagerCycle(_)
            | RuleError::UnknownMember(_)
            | RuleError::Invalid(_) => Some("invalidValue"),
            _ => None,
        };
        ScimError {
            status: e.status(),
            scim_type,
            detail: e.to_string(),
        }
    }
}

impl From<PatchError> for ScimError {
    fn from(e: PatchError) -> Self {
        ScimError {
            status: 400,
            scim_type: Some(e.scim_type()),
            detail: e.to_string(),
        }
    }
}

pub(crate) fn invalid_query(detail: String) -> HttpResponse {
    ScimError {
        status: 400,
        scim_type: Some("invalidValue"),
        detail,
    }
    .response()
}
