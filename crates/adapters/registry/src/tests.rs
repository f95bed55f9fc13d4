use serde_json::{Value, json};

use super::*;

/// Settings each adapter accepts, pointing at a port nothing listens on.
fn usable(kind: &str) -> Value {
    match kind {
        "gong" => json!({
            "base_url": "http://127.0.0.1:9",
            "scim_token": "t",
            "access_key": "k",
            "access_key_secret": "s"
        }),
        "zoominfo" => json!({"base_url": "http://127.0.0.1:9", "username": "u", "password": "p"}),
        "chorus" => json!({
            "base_url": "http://127.0.0.1:9",
            "admin_email": "admin@example.com",
            "admin_password": "p"
        }),
        other => panic!("no usable settings for {other}"),
    }
}

/// Why `kind`'s adapter refuses `settings`.
fn refusal(kind: &str, settings: Value) -> SetupError {
    find(kind)
        .unwrap()
        .connector(settings.clone())
        .err()
        .unwrap_or_else(|| panic!("{kind} accepted {settings}"))
}

#[test]
fn every_vendor_kind_has_one_adapter() {
    assert_eq!(kinds().collect::<Vec<_>>(), ["gong", "zoominfo", "chorus"]);
    for kind in kinds() {
        assert_eq!(find(kind).unwrap().kind(), kind);
    }
}

#[test]
fn an_unknown_kind_is_refused_with_the_kinds_there_are() {
    for unknown in ["nosuch", "directory", "Gong", ""] {
        let err = find(unknown).unwrap_err();
        assert_eq!(err.kind, unknown);
        assert!(
            err.to_string().contains(&format!(
                "no {unknown} connector; its connectors are gong, zoominfo, chorus"
            )),
            "{err}"
        );
    }
}

#[test]
fn each_adapter_builds_from_its_settings() {
    for kind in kinds() {
        let adapter = find(kind).unwrap();
        let connector = adapter.connector(usable(kind)).unwrap();
        assert_eq!(connector.capabilities(), &adapter.capabilities(), "{kind}");
    }
}

#[test]
fn settings_that_are_not_the_vendors_config_name_the_vendor_and_the_field() {
    for (kind, vendor) in [
        ("gong", "Gong"),
        ("zoominfo", "ZoomInfo"),
        ("chorus", "Chorus"),
    ] {
        for settings in [
            Value::Null,
            json!({}),
            json!({"base_url": "http://127.0.0.1:9"}),
        ] {
            let err = refusal(kind, settings.clone());
            assert!(
                matches!(err, SetupError::Settings { .. }),
                "{kind} {settings}: {err:?}"
            );
            assert!(
                err.to_string().starts_with(&format!(
                    "its 'connector' settings are not a {vendor} config: "
                )),
                "{err}"
            );
        }
        let mut typo = usable(kind);
        typo["base_url"] = json!("not a url");
        let err = refusal(kind, typo).to_string();
        assert!(err.contains(&format!("not a {vendor} config")), "{err}");
    }
}

#[test]
fn an_adapter_refusing_its_config_says_what_to_fix() {
    let mut gong = usable("gong");
    gong["base_url"] = json!("mailto:admin@example.com");
    let err = refusal("gong", gong);
    assert!(matches!(err, SetupError::Adapter(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the Gong config is not usable: base_url cannot have a path; fix it in the app's config"
    );

    let mut chorus = usable("chorus");
    chorus["page_size"] = json!(101);
    let err = refusal("chorus", chorus);
    assert!(matches!(err, SetupError::Adapter(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("page_size 101 is over Chorus's 100 users per page"),
        "{err}"
    );
}

#[test]
fn required_user_attributes_are_each_vendors() {
    let name = [
        "emails",
        "emails.value",
        "name",
        "name.givenName",
        "name.familyName",
    ];
    assert_eq!(find("gong").unwrap().required_user_attributes(), name);
    assert_eq!(find("zoominfo").unwrap().required_user_attributes(), name);
    assert_eq!(
        find("chorus").unwrap().required_user_attributes(),
        ["emails", "emails.value"]
    );
}

#[test]
fn capabilities_say_what_each_vendor_cannot_do() {
    for kind in kinds() {
        let capabilities = find(kind).unwrap().capabilities();
        assert!(!capabilities.can_delete, "{kind} cannot hard-delete users");
    }
    assert!(find("zoominfo").unwrap().capabilities().credits);
    assert!(!find("gong").unwrap().capabilities().teams);
}
