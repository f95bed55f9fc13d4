//! A ZoomInfo user as a vendor-neutral [`Account`], and a [`Profile`] as the fields of
//! a ZoomInfo user.

use std::collections::BTreeSet;

use connector::{Account, AccountId, AccountStatus, Profile};
use serde_json::{Value, json};

use crate::wire::User;
use crate::{BULK_EXPORT, CRM_PUSH, ENGAGE};

pub(crate) fn features(user: &User) -> BTreeSet<String> {
    [
        (ENGAGE, user.features.engage),
        (BULK_EXPORT, user.features.bulk_export),
        (CRM_PUSH, user.features.crm_push),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| name.to_owned())
    .collect()
}

pub(crate) fn account(user: User, package: Option<&str>) -> Account {
    let features = features(&user);
    let active = user.active();
    Account {
        id: AccountId(user.id),
        email: user.email,
        first_name: Some(user.first_name),
        last_name: Some(user.last_name),
        status: if active {
            AccountStatus::Active
        } else {
            AccountStatus::Inactive
        },
        role: Some(user.role),
        seat: package.filter(|_| active).map(str::to_ascii_lowercase),
        team: user.team_name,
        manager: None,
        credit_limit: i64::try_from(user.credit_limit).ok(),
        features,
        last_activity: user.last_activity,
    }
}

pub(crate) fn profile_body(profile: &Profile) -> Value {
    let mut body = json!({"email": profile.email.trim()});
    if let Some(first) = &profile.first_name {
        body["firstName"] = json!(first);
    }
    if let Some(last) = &profile.last_name {
        body["lastName"] = json!(last);
    }
    body
}

pub(crate) fn merge(mut into: Value, from: Value) -> Value {
    if let (Value::Object(into), Value::Object(from)) = (&mut into, from) {
        into.extend(from);
    }
    into
}
