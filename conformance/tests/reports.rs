//! The seat, unused-seat, orphan and drift reports of the admin API, end to end for Gong,
//! ZoomInfo and Chorus: users provisioned with Okta-shaped SCIM requests into each vendor's
//! simulator, an account made by hand in the vendor (an orphan), last activity set in the
//! vendor, access and status changed in the vendor behind the bridge's back (drift); then
//! the reports, a repair through the reconcile queue, and the vendor back to the desired
//! state.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use conformance::{AppKind, Method, TestServer, USER_URN, Value, json};
use connector::{Access, AccountId, Connector};
use engine::ConnectorFactory;
use scimbridge::connectors::Registry;

const BRIDGE_URN: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";

/// The bridge with one vendor app of `kind` and `config`, and that app's connector (to
/// change things in the vendor as an admin would in its console).
async fn bridge(kind: AppKind, config: Value) -> (TestServer, Arc<dyn Connector>) {
    let app = store::App {
        name: "reports".into(),
        kind: kind.clone(),
        config: config.clone(),
        created_at: Utc::now(),
    };
    let connector = Registry
        .connector(&app)
        .expect("the app config makes a connector");
    let server = TestServer::builder()
        .vendor_app(kind, config)
        .config(|c| c.engine.write_wait_ms = 20_000)
        .start()
        .await;
    (server, connector)
}

/// What Okta's provisioning sends to create a user.
async fn provision(server: &TestServer, user_name: &str) -> (String, AccountId) {
    let response = server
        .post("/Users")
        .json(&json!({
            "schemas": [USER_URN],
            "userName": user_name,
            "name": {"givenName": "Pat", "familyName": "Doe"},
            "emails": [{"primary": true, "value": user_name, "type": "work"}],
            "displayName": "Pat Doe",
            "locale": "en-US",
            "groups": [],
            "password": "Sup3rS3cret!",
            "active": true
        }))
        .send()
        .await;
    response.expect_status(201);
    let vendor_id = response.json[BRIDGE_URN]["vendorId"]
        .as_str()
        .unwrap_or_else(|| panic!("no vendor id: {}", response.text()))
        .to_owned();
    (response.id(), AccountId(vendor_id))
}

fn path(server: &TestServer, report: &str) -> String {
    format!("/admin/apps/{}/reports/{report}", server.app().name)
}

async fn report(server: &TestServer, report: &str) -> Value {
    let response = server
        .admin(Method::GET, &path(server, report))
        .send()
        .await;
    response.expect_status(200);
    assert_eq!(response.media_type().as_deref(), Some("application/json"));
    response.json
}

async fn csv(server: &TestServer, report: &str) -> Vec<String> {
    let response = server
        .admin(Method::GET, &format!("{}?format=csv", path(server, report)))
        .send()
        .await;
    response.expect_status(200);
    assert_eq!(response.media_type().as_deref(), Some("text/csv"));
    response.text().lines().map(str::to_owned).collect()
}

/// The values of `field` in `rows`, as a set.
fn set_of(rows: &Value, field: &str) -> BTreeSet<String> {
    rows.as_array()
        .unwrap_or_else(|| panic!("not an array: {rows}"))
        .iter()
        .map(|r| r[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The drift rows as `(email, field, desired, actual)`, sorted.
fn drift_of(rows: &Value) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = rows
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {rows}"))
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (s("email"), s("field"), s("desired"), s("actual"))
        })
        .collect();
    out.sort();
    out
}

fn row(email: &str, field: &str, desired: &str, actual: &str) -> (String, String, String, String) {
    (email.into(), field.into(), desired.into(), actual.into())
}

/// Polls until `check` holds.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: {what}");
}

/// What every vendor's test checks once its tenant holds: `admin@example.com` (seeded,
/// never active, unknown to the IdP), `orphan@example.com` (made by hand, active
/// yesterday), and through SCIM `ann` (last active 60 days ago), `bob` (active yesterday,
/// access changed in the vendor) and `carl` (deactivated in the vendor).
struct Expected {
    /// `(seat, paid, used, free, price, cost, free cost)` of the seat report.
    seats: Vec<(&'static str, u64, u64, u64, f64, f64, f64)>,
    /// Yearly price of one seat of the unused and orphan accounts.
    seat_price: f64,
    bob_drift: Vec<(String, String, String, String)>,
}

async fn check_reports(server: &TestServer, ids: &[(&str, String)], expected: Expected) {
    let id = |email: &str| ids.iter().find(|(e, _)| *e == email).unwrap().1.clone();

    // Seats, with costs from the app's prices.
    let seats = report(server, "seats").await;
    assert_eq!(seats["app"], server.app().name);
    let rows = seats["seats"].as_array().unwrap();
    assert_eq!(rows.len(), expected.seats.len(), "{seats}");
    for (seat, paid, used, free, price, cost, free_cost) in &expected.seats {
        let r = rows
            .iter()
            .find(|r| r["seat"] == *seat)
            .unwrap_or_else(|| panic!("no {seat} row: {seats}"));
        assert_eq!(
            r,
            &json!({"seat": seat, "paid": paid, "used": used, "free": free,
                    "pricePerYear": price, "costPerYear": cost, "freeCostPerYear": free_cost,
                    "currency": "USD"}),
            "{seats}"
        );
    }

    // Unused for 30 days: the never-active admin and ann; bob is recent, carl inactive.
    let unused = report(server, "unused").await;
    assert_eq!(unused["days"], 30);
    let accounts = &unused["accounts"];
    assert_eq!(
        set_of(accounts, "email"),
        set(&["admin@example.com", "ann@example.com"]),
        "{unused}"
    );
    for a in accounts.as_array().unwrap() {
        assert_eq!(a["costPerYear"], json!(expected.seat_price), "{a}");
        assert_eq!(a["currency"], "USD");
        if a["email"] == "ann@example.com" {
            assert_eq!(a["daysInactive"], 60, "{a}");
            assert_eq!(a["resourceId"], json!(id("ann@example.com")));
        } else {
            assert_eq!(a["lastActivity"], Value::Null, "never active: {a}");
            assert_eq!(a["resourceId"], Value::Null, "{a}");
        }
    }
    assert_eq!(
        unused["totals"],
        json!([{"currency": "USD", "costPerYear": expected.seat_price * 2.0}])
    );
    let longer = server
        .admin(Method::GET, &format!("{}?days=90", path(server, "unused")))
        .send()
        .await;
    longer.expect_status(200);
    assert_eq!(longer.json["days"], 90);
    assert_eq!(
        set_of(&longer.json["accounts"], "email"),
        set(&["admin@example.com"]),
        "ann was active 60 days ago: {}",
        longer.text()
    );
    let lines = csv(server, "unused").await;
    assert_eq!(
        lines[0],
        "accountId,email,status,role,seat,lastActivity,daysInactive,resourceId,costPerYear,currency"
    );
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains(",ann@example.com,")
            && l.contains(&format!(",60,{},", id("ann@example.com")))),
        "{lines:?}"
    );

    // Orphans: what the vendor holds that no provisioned user links to.
    let orphans = report(server, "orphans").await;
    assert_eq!(
        set_of(&orphans["orphans"], "email"),
        set(&["admin@example.com", "orphan@example.com"]),
        "{orphans}"
    );

    // Drift: bob's access and carl's status, changed in the vendor.
    let drift = report(server, "drift").await;
    let mut want = expected.bob_drift.clone();
    want.push(row("carl@example.com", "status", "active", "inactive"));
    want.sort();
    assert_eq!(drift_of(&drift["drift"]), want, "{drift}");
    for r in drift["drift"].as_array().unwrap() {
        let email = r["email"].as_str().unwrap();
        assert_eq!(r["resourceId"], json!(id(email)));
        assert_eq!(r["userName"], email);
    }
    let lines = csv(server, "drift").await;
    assert_eq!(
        lines[0],
        "resourceId,userName,accountId,email,field,desired,actual"
    );
    assert_eq!(lines.len(), want.len() + 1, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with(&id("carl@example.com"))
            && l.ends_with(",carl@example.com,status,active,inactive")),
        "{lines:?}"
    );
}

/// Repairs, waits for the vendor to hold the desired state again, and checks the drift
/// report is then empty and the audit trail tells what happened.
async fn repair(server: &TestServer, ids: &[(&str, String)], back: impl AsyncFn() -> bool) {
    let id = |email: &str| ids.iter().find(|(e, _)| *e == email).unwrap().1.clone();
    let response = server
        .admin(
            Method::POST,
            &format!("/admin/apps/{}/reports/drift/repair", server.app().name),
        )
        .send()
        .await;
    response.expect_status(200);
    let queued: BTreeSet<String> = response.json["queued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        queued,
        [id("bob@example.com"), id("carl@example.com")]
            .into_iter()
            .collect(),
        "{}",
        response.text()
    );
    assert!(response.json["note"].as_str().unwrap().contains("workers"));
    eventually("the vendor is back to the desired state", async || {
        back().await
    })
    .await;
    eventually("no drift is left", async || {
        report(server, "drift").await["drift"] == json!([])
    })
    .await;
    for email in ["bob@example.com", "carl@example.com"] {
        let audit = server
            .admin(
                Method::GET,
                &format!("/admin/apps/{}/audit/{}", server.app().name, id(email)),
            )
            .send()
            .await;
        audit.expect_status(200);
        let actions: Vec<String> = audit.json["vendorActions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap().to_owned())
            .collect();
        let drift_at = actions
            .iter()
            .position(|a| a == "drift")
            .unwrap_or_else(|| panic!("no drift entry for {email}: {actions:?}"));
        assert!(
            actions[drift_at..].iter().any(|a| a == "set-access"),
            "the reconcile set the access again for {email}: {}",
            audit.text()
        );
    }
}

/// The errors every vendor app shares: an unknown report and bad parameters.
async fn check_bad_requests(server: &TestServer) {
    server
        .admin(Method::GET, &path(server, "costs"))
        .send()
        .await
        .expect_error(404, None);
    server
        .admin(
            Method::GET,
            &format!("{}?format=xml", path(server, "seats")),
        )
        .send()
        .await
        .expect_error(400, Some("invalidValue"));
    server
        .admin(Method::GET, &format!("{}?days=-3", path(server, "unused")))
        .send()
        .await
        .expect_error(400, Some("invalidValue"));
    server
        .get(&path(server, "seats").replacen('/', "//", 1))
        .send()
        .await
        .expect_error(401, None);
}

fn days_ago(days: i64) -> chrono::DateTime<Utc> {
    Utc::now() - chrono::Duration::days(days) - chrono::Duration::hours(1)
}

#[tokio::test]
async fn gong_reports_and_repair() {
    use simulators::gong::{GongConfig, GongSim, SeatType, SeedUser};
    let sim = GongSim::start(GongConfig::default().seats(5, 2))
        .await
        .unwrap();
    let creds = sim.credentials();
    let (server, vendor) = bridge(
        AppKind::from_static("gong"),
        json!({
            "connector": {
                "base_url": sim.base_url(),
                "scim_token": creds.scim_token,
                "access_key": creds.access_key,
                "access_key_secret": creds.access_key_secret
            },
            "mapping": {"default": {"role": "Sales Rep", "seat": "recording"}},
            "policies": {"approve_admin_grants": false},
            "prices": {
                "recording": {"per_year": 1200, "currency": "USD"},
                "non-recording": {"per_year": 300.5, "currency": "USD"}
            }
        }),
    )
    .await;
    let mut ids = Vec::new();
    let mut accounts = Vec::new();
    for email in ["ann@example.com", "bob@example.com", "carl@example.com"] {
        let (id, account) = provision(&server, email).await;
        ids.push((email, id));
        accounts.push(account);
    }
    sim.add_user(
        SeedUser::new("orphan@example.com", "Otto", "Orphan")
            .seat(SeatType::Recording)
            .profile("Sales Rep")
            .last_activity(days_ago(1)),
    )
    .unwrap();
    let user = |email: &str| sim.user_by_email(email).unwrap();
    sim.set_last_activity(user("ann@example.com").id, days_ago(60))
        .unwrap();
    sim.set_last_activity(user("bob@example.com").id, days_ago(1))
        .unwrap();
    vendor
        .set_access(
            &accounts[1],
            &Access {
                role: Some("Manager".into()),
                seat: Some("recording".into()),
                ..Access::default()
            },
        )
        .await
        .unwrap();
    vendor.deactivate(&accounts[2]).await.unwrap();

    check_reports(
        &server,
        &ids,
        Expected {
            // admin, ann, bob and the orphan hold recording seats; carl's was freed.
            seats: vec![
                ("recording", 5, 4, 1, 1200.0, 6000.0, 1200.0),
                ("non-recording", 2, 0, 2, 300.5, 601.0, 601.0),
            ],
            seat_price: 1200.0,
            bob_drift: vec![row("bob@example.com", "role", "Sales Rep", "Manager")],
        },
    )
    .await;
    check_bad_requests(&server).await;
    repair(&server, &ids, async || {
        let bob = user("bob@example.com");
        let carl = user("carl@example.com");
        bob.profiles.values().all(|p| p == "Sales Rep")
            && carl.active
            && carl.seat == Some(SeatType::Recording)
    })
    .await;
}

#[tokio::test]
async fn zoominfo_reports_and_repair() {
    use simulators::zoominfo::{Role, SeedUser, ZoomInfoConfig, ZoomInfoSim};
    let sim = ZoomInfoSim::start(ZoomInfoConfig::default().seats(6))
        .await
        .unwrap();
    let login = sim.config().clone();
    let (server, vendor) = bridge(
        AppKind::from_static("zoominfo"),
        json!({
            "connector": {
                "base_url": sim.base_url(),
                "username": login.username,
                "password": login.password
            },
            "mapping": {"default": {"role": "User", "team": "Sales", "credit_limit": 500, "features": ["engage"]}},
            "policies": {"approve_admin_grants": false, "content_owner": "admin@example.com"},
            "prices": {"advanced": {"per_year": 15000, "currency": "USD"}}
        }),
    )
    .await;
    let mut ids = Vec::new();
    let mut accounts = Vec::new();
    for email in ["ann@example.com", "bob@example.com", "carl@example.com"] {
        let (id, account) = provision(&server, email).await;
        ids.push((email, id));
        accounts.push(account);
    }
    sim.add_user(
        SeedUser::new("orphan@example.com", "Otto", "Orphan", Role::User)
            .team("Marketing")
            .last_activity(days_ago(1)),
    )
    .unwrap();
    let user = |email: &str| sim.user_by_email(email).unwrap();
    sim.set_last_activity(user("ann@example.com").id, days_ago(60))
        .unwrap();
    sim.set_last_activity(user("bob@example.com").id, days_ago(1))
        .unwrap();
    vendor
        .set_access(
            &accounts[1],
            &Access {
                role: Some("Viewer".into()),
                team: Some("Marketing".into()),
                credit_limit: Some(0),
                ..Access::default()
            },
        )
        .await
        .unwrap();
    vendor.deactivate(&accounts[2]).await.unwrap();

    check_reports(
        &server,
        &ids,
        Expected {
            seats: vec![("advanced", 6, 4, 2, 15000.0, 90000.0, 30000.0)],
            seat_price: 15000.0,
            bob_drift: vec![
                row("bob@example.com", "role", "User", "Viewer"),
                row("bob@example.com", "team", "Sales", "Marketing"),
            ],
        },
    )
    .await;
    repair(&server, &ids, async || {
        let bob = user("bob@example.com");
        let carl = user("carl@example.com");
        bob.role == Role::User
            && bob.team_name.as_deref() == Some("Sales")
            && bob.credit_limit == 500
            && carl.status == simulators::zoominfo::Status::Active
    })
    .await;
}

#[tokio::test]
async fn chorus_reports_and_repair() {
    use simulators::chorus::{ChorusConfig, ChorusSim, Role, SeedUser, Status};
    let sim = ChorusSim::start(ChorusConfig::default()).await.unwrap();
    let (server, vendor) = bridge(
        AppKind::from_static("chorus"),
        json!({
            "connector": {
                "base_url": sim.base_url(),
                "admin_email": "admin@example.com",
                "admin_password": "demo-password"
            },
            "mapping": {"default": {"role": "Rep", "team": "Sales East"}},
            "policies": {"approve_admin_grants": false},
            "prices": {"standard": {"per_year": 1200, "currency": "USD"}}
        }),
    )
    .await;
    let mut ids = Vec::new();
    let mut accounts = Vec::new();
    for email in ["ann@example.com", "bob@example.com", "carl@example.com"] {
        let (id, account) = provision(&server, email).await;
        ids.push((email, id));
        accounts.push(account);
    }
    sim.add_user(
        SeedUser::new("orphan@example.com", "Otto", "Orphan", Role::Rep)
            .team("Sales")
            .last_activity(days_ago(1)),
    )
    .unwrap();
    let user = |email: &str| sim.user_by_email(email).unwrap();
    sim.set_last_activity(user("ann@example.com").id, days_ago(60))
        .unwrap();
    sim.set_last_activity(user("bob@example.com").id, days_ago(1))
        .unwrap();
    vendor
        .set_access(
            &accounts[1],
            &Access {
                role: Some("Manager".into()),
                team: Some("Sales".into()),
                ..Access::default()
            },
        )
        .await
        .unwrap();
    vendor.deactivate(&accounts[2]).await.unwrap();

    check_reports(
        &server,
        &ids,
        Expected {
            // The base package's 3 seats and 7 extra.
            seats: vec![("standard", 10, 4, 6, 1200.0, 12000.0, 7200.0)],
            seat_price: 1200.0,
            bob_drift: vec![
                row("bob@example.com", "role", "Rep", "Manager"),
                row("bob@example.com", "team", "Sales East", "Sales"),
            ],
        },
    )
    .await;
    repair(&server, &ids, async || {
        let bob = user("bob@example.com");
        let carl = user("carl@example.com");
        bob.role == Role::Rep
            && bob.team.as_deref() == Some("Sales East")
            && carl.status != Status::Deactivated
    })
    .await;
}

#[tokio::test]
async fn a_directory_app_and_an_unknown_app_are_refused_with_what_to_do() {
    let server = TestServer::start().await;
    let directory = server
        .admin(
            Method::GET,
            &format!("/admin/apps/{}/reports/seats", server.app().name),
        )
        .send()
        .await;
    directory.expect_error(400, None);
    assert!(
        directory.json["detail"]
            .as_str()
            .unwrap()
            .contains("directory app")
    );
    let unknown = server
        .admin(Method::GET, "/admin/apps/no-such-app/reports/orphans")
        .send()
        .await;
    unknown.expect_error(404, None);
    assert!(
        unknown.json["detail"]
            .as_str()
            .unwrap()
            .contains("no-such-app")
    );
    server
        .admin(Method::POST, "/admin/apps/no-such-app/reports/drift/repair")
        .send()
        .await
        .expect_error(404, None);
}

#[tokio::test]
async fn an_unreachable_vendor_is_an_error_naming_the_app_and_the_vendor() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (server, _) = bridge(
        AppKind::from_static("gong"),
        json!({
            "connector": {
                "base_url": format!("http://127.0.0.1:{port}"),
                "scim_token": "t",
                "access_key": "k",
                "access_key_secret": "s"
            }
        }),
    )
    .await;
    let response = server
        .admin(Method::GET, &path(&server, "orphans"))
        .send()
        .await;
    response.expect_error(502, None);
    let detail = response.json["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("app '{}'", server.app().name)) && detail.contains("Gong"),
        "{detail}"
    );
}
