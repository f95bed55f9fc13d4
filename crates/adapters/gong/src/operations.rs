//! The SCIM bodies the adapter sends Gong: the user a create posts, and the PATCH
//! operations for profile, manager and activation.

use connector::Profile;
use serde_json::{Value, json};

use crate::api::ENTERPRISE;

/// SCIM PATCH operations that make the user's profile `profile`.
pub(crate) fn profile_operations(profile: &Profile) -> Vec<Value> {
    let email = profile.email.trim();
    let mut name = serde_json::Map::new();
    if let Some(given) = &profile.first_name {
        name.insert("givenName".into(), json!(given));
    }
    if let Some(family) = &profile.last_name {
        name.insert("familyName".into(), json!(family));
    }
    let mut operations = vec![
        json!({"op": "replace", "path": "userName", "value": email}),
        json!({"op": "replace", "path": "emails", "value": [{"value": email, "type": "work", "primary": true}]}),
        json!({"op": "replace", "path": "name", "value": name}),
    ];
    operations.push(match &profile.title {
        Some(title) => json!({"op": "replace", "path": "title", "value": title}),
        None => json!({"op": "remove", "path": "title"}),
    });
    operations.push(match &profile.phone {
        Some(phone) => json!({"op": "replace", "path": "phoneNumbers", "value": [{"value": phone, "type": "work", "primary": true}]}),
        None => json!({"op": "remove", "path": "phoneNumbers"}),
    });
    if let Some(external_id) = &profile.external_id {
        operations.push(json!({"op": "replace", "path": "externalId", "value": external_id}));
    }
    operations
}

pub(crate) fn manager_operation(manager: Option<&str>) -> Value {
    let path = format!("{ENTERPRISE}:manager");
    match manager {
        Some(id) => json!({"op": "replace", "path": path, "value": {"value": id}}),
        None => json!({"op": "remove", "path": path}),
    }
}

pub(crate) fn active_operation(active: bool) -> Value {
    json!({"op": "replace", "path": "active", "value": active})
}

/// The SCIM user a create sends.
pub(crate) fn scim_user(profile: &Profile, manager: Option<&str>) -> Value {
    let email = profile.email.trim();
    let mut user = json!({
        "userName": email,
        "name": {},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true,
    });
    if let Some(given) = &profile.first_name {
        user["name"]["givenName"] = json!(given);
    }
    if let Some(family) = &profile.last_name {
        user["name"]["familyName"] = json!(family);
    }
    if let Some(title) = &profile.title {
        user["title"] = json!(title);
    }
    if let Some(phone) = &profile.phone {
        user["phoneNumbers"] = json!([{"value": phone, "type": "work", "primary": true}]);
    }
    if let Some(external_id) = &profile.external_id {
        user["externalId"] = json!(external_id);
    }
    if let Some(manager) = manager {
        user[ENTERPRISE] = json!({"manager": {"value": manager}});
    }
    user
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_body_carries_profile_and_manager() {
        let profile = Profile {
            user_name: "ann@example.com".into(),
            email: " ann@example.com ".into(),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            title: Some("AE".into()),
            phone: None,
            external_id: Some("okta-1".into()),
        };
        let body = scim_user(&profile, Some("42"));
        assert_eq!(body["userName"], "ann@example.com");
        assert_eq!(
            body["name"],
            json!({"givenName": "Ann", "familyName": "Lee"})
        );
        assert_eq!(body["externalId"], "okta-1");
        assert_eq!(body[ENTERPRISE]["manager"]["value"], "42");
        assert!(body.get("phoneNumbers").is_none());
    }

    #[test]
    fn profile_patches_clear_what_the_profile_lacks() {
        let ops = profile_operations(&Profile {
            email: "ann@example.com".into(),
            ..Profile::default()
        });
        assert!(ops.contains(&json!({"op": "remove", "path": "title"})));
        assert!(ops.contains(&json!({"op": "remove", "path": "phoneNumbers"})));
        assert_eq!(
            manager_operation(None),
            json!({"op": "remove", "path": format!("{ENTERPRISE}:manager")})
        );
    }
}
