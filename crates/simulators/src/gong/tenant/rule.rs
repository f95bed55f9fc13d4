//! Why Gong refuses a change, and the status it answers with.

use crate::gong::model::{ProfileId, SeatType, UserId, WorkspaceId};

/// A change Gong refuses, with what the caller can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("no Gong user has id {0}")]
    UserNotFound(String),
    #[error("no SCIM group has id {0}")]
    GroupNotFound(String),
    #[error("no workspace has id {0}; list them with GET /v2/workspaces")]
    WorkspaceNotFound(String),
    #[error("no permission profile has id {0}; list them with GET /v2/all-permission-profiles")]
    ProfileNotFound(String),
    #[error(
        "permission profile {profile} belongs to workspace {belongs_to}, not {requested}; pick a profile of that workspace"
    )]
    ProfileOfOtherWorkspace {
        profile: ProfileId,
        belongs_to: WorkspaceId,
        requested: WorkspaceId,
    },
    #[error(
        "the e-mail domain of {email} is not one of the company's domains ({domains}); Gong does not import the user: use the company e-mail address or add the domain in Gong"
    )]
    DomainNotAllowed { email: String, domains: String },
    #[error("a Gong user with e-mail {0} already exists")]
    EmailTaken(String),
    #[error("a SCIM group named {0:?} already exists")]
    GroupNameTaken(String),
    #[error("manager {0:?} is not a Gong user id; provision the manager first")]
    ManagerNotFound(String),
    #[error("user {0} cannot report to themselves, directly or through their reports")]
    ManagerCycle(UserId),
    #[error("group member {0:?} is not a Gong user id")]
    UnknownMember(String),
    #[error(
        "{email} is the last active Technical Administrator: deactivating them or removing their Technical Administrator profile would lock everyone out of Gong's admin settings; make another user a Technical Administrator first"
    )]
    LastTechnicalAdmin { email: String },
    #[error(
        "all {purchased} {seat} seats of the contract are assigned; free a seat (deactivate a user or change their seat) or buy more"
    )]
    SeatsExhausted { seat: SeatType, purchased: u32 },
    #[error("{0} is inactive; reactivate the user before assigning a seat")]
    UserInactive(String),
    #[error("{0}")]
    Invalid(String),
}

impl RuleError {
    /// The HTTP status Gong answers the refusal with.
    pub fn status(&self) -> u16 {
        match self {
            RuleError::UserNotFound(_)
            | RuleError::GroupNotFound(_)
            | RuleError::WorkspaceNotFound(_)
            | RuleError::ProfileNotFound(_) => 404,
            RuleError::EmailTaken(_)
            | RuleError::GroupNameTaken(_)
            | RuleError::LastTechnicalAdmin { .. }
            | RuleError::SeatsExhausted { .. }
            | RuleError::UserInactive(_) => 409,
            RuleError::ProfileOfOtherWorkspace { .. }
            | RuleError::DomainNotAllowed { .. }
            | RuleError::ManagerNotFound(_)
            | RuleError::ManagerCycle(_)
            | RuleError::UnknownMember(_)
            | RuleError::Invalid(_) => 400,
        }
    }
}
