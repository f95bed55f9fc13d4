//! The client end to end over HTTP against python-scim's `scim2-server`, a SCIM server
//! nobody here wrote, installed by `tests/scim2-server.sh` into a venv under the target
//! directory. Each test starts its own server on a free 127.0.0.1 port.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use adapter_scim::{
    Auth, DiscoveryError, MappingError, MatchAttribute, ScimClient, ScimTargetConfig, Secret,
    UpdateMethod, discover,
};
use connector::ConnectorError;
use connector::http::Url;
use scim::ScimType;
use serde_json::{Map, Value, json};

const TOKEN: &str = "scim2-server-test-token";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The `scim2-server` program, installed once per test run.
fn program() -> &'static PathBuf {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scim2-server-venv");
        let output = Command::new("bash")
            .arg(here.join("tests/scim2-server.sh"))
            .arg(&venv)
            .output()
            .expect("bash runs tests/scim2-server.sh");
        assert!(
            output.status.success(),
            "tests/scim2-server.sh could not install scim2-server (these tests need Python 3.11+ \
             and access to PyPI):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
    })
}

/// A running `scim2-server`, stopped when dropped.
struct Server {
    child: Child,
    base: Url,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts a server with `args` added (a ServiceProviderConfig file, …) and waits until
    /// it answers.
    async fn start(args: Vec<String>) -> Server {
        let program = tokio::task::spawn_blocking(program).await.unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = tempfile_in_target(&format!("scim2-server-{port}.log"));
        let mut child = Command::new(program)
            .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
            .args(["--bearer-token", TOKEN])
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("scim2-server starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "scim2-server exited with {status}: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "scim2-server did not start in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Server {
            child,
            base: Url::parse(&format!("http://127.0.0.1:{port}/v2")).unwrap(),
        }
    }

    fn config(&self) -> ScimTargetConfig {
        let mut config = ScimTargetConfig::new(self.base.clone(), Auth::Bearer(Secret::new(TOKEN)));
        config.groups = true;
        config
    }
}

fn tempfile_in_target(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn user(name: &str) -> Map<String, Value> {
    object(json!({
        "userName": name,
        "externalId": format!("ext-{name}"),
        "name": {"givenName": name, "familyName": "Jensen"},
        "emails": [{"type": "work", "value": format!("{name}@example.com"), "primary": true}],
        "active": true,
    }))
}

#[tokio::test]
async fn discovery_reads_the_target_and_refuses_an_unadvertised_mapping_by_name() {
    let server = Server::start(vec![]).await;
    let target = discover(&server.config()).await.unwrap();
    assert_eq!(target.users.endpoint, "Users");
    assert_eq!(target.users.extensions[0].id, ENTERPRISE);
    assert_eq!(target.groups.as_ref().unwrap().endpoint, "Groups");
    assert!(target.filters() && target.etags() && target.patches());

    let mut config = server.config();
    config.mapping = serde_json::from_value(json!({
        "team": format!("{ENTERPRISE}:department"),
        "email": "emails[type eq \"work\"].value",
    }))
    .unwrap();
    ScimClient::connect(config.clone()).await.unwrap();

    config.mapping =
        serde_json::from_value(json!({"license": format!("{ENTERPRISE}:license")})).unwrap();
    let refused = ScimClient::connect(config).await.unwrap_err();
    assert!(
        matches!(&refused, DiscoveryError::Mapping(MappingError::UnknownAttribute { attribute, .. }) if attribute == "license"),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("\"license\""), "{refused}");
}

#[tokio::test]
async fn a_wrong_token_is_a_clear_unauthorized_error() {
    let server = Server::start(vec![]).await;
    let mut config = server.config();
    config.auth = Auth::Bearer(Secret::new("wrong"));
    let refused = discover(&config).await.unwrap_err();
    assert!(
        matches!(refused, DiscoveryError::Unauthorized { .. }),
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("check the app's `auth`"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_user_lives_created_found_patched_deactivated_and_deleted() {
    let server = Server::start(vec![]).await;
    let mut config = server.config();
    config.mapping =
        serde_json::from_value(json!({"team": format!("{ENTERPRISE}:department")})).unwrap();
    let client = ScimClient::connect(config.clone()).await.unwrap();

    let mut body = user("bjensen");
    config.mapping.apply(
        &BTreeMap::from([("team".to_owned(), json!("Sales"))]),
        &mut body,
    );
    let created = client.create_user(body).await.unwrap();
    assert_eq!(created.body[ENTERPRISE]["department"], "Sales");
    assert!(created.version.is_some(), "scim2-server sends ETags");

    let found = client.find_user("BJENSEN").await.unwrap().unwrap();
    assert_eq!(found.id, created.id);
    assert_eq!(client.find_user("nobody").await.unwrap(), None);

    let mut desired = user("bjensen");
    desired.insert("title".into(), json!("CTO"));
    desired.insert(ENTERPRISE.into(), json!({"department": "Marketing"}));
    let updated = client.update_user(&found, desired).await.unwrap();
    assert_eq!(updated.body["title"], "CTO");
    assert_eq!(updated.body[ENTERPRISE]["department"], "Marketing");
    assert_ne!(updated.version, found.version);

    // The ETag of a stale read is refused by the target: a retry after re-reading fixes it.
    let stale = client
        .update_user(&found, object(json!({"title": "CEO"})))
        .await
        .unwrap_err();
    assert!(
        matches!(stale, ConnectorError::Transient { .. }),
        "{stale:?}"
    );

    let inactive = client.deactivate_user(&updated).await.unwrap();
    assert!(!inactive.active());
    assert!(!client.get_user(&created.id).await.unwrap().active());
    assert_eq!(client.deactivate_user(&inactive).await.unwrap(), inactive);
    let active = client.reactivate_user(&inactive).await.unwrap();
    assert!(active.active());

    client.delete_user(&created.id).await.unwrap();
    let gone = client.get_user(&created.id).await.unwrap_err();
    assert!(matches!(gone, ConnectorError::NotFound { .. }), "{gone:?}");
    client.delete_user(&created.id).await.unwrap();
}

#[tokio::test]
async fn put_updates_replace_the_whole_user() {
    let server = Server::start(vec![]).await;
    let mut config = server.config();
    config.update = UpdateMethod::Put;
    config.match_attribute = MatchAttribute::ExternalId;
    let client = ScimClient::connect(config).await.unwrap();
    let mut body = user("put");
    body.insert("nickName".into(), json!("Putty"));
    client.create_user(body).await.unwrap();

    let found = client.find_user("ext-put").await.unwrap().unwrap();
    assert_eq!(
        client.find_user("EXT-PUT").await.unwrap(),
        None,
        "externalId is case-exact"
    );
    let mut desired = user("put");
    desired.insert("title".into(), json!("Engineer"));
    let replaced = client.update_user(&found, desired).await.unwrap();
    assert_eq!(replaced.body["title"], "Engineer");
    assert!(
        !replaced.body.contains_key("nickName"),
        "PUT replaces: {replaced:?}"
    );

    let inactive = client.deactivate_user(&replaced).await.unwrap();
    assert!(!inactive.active());
    assert_eq!(
        inactive.body["title"], "Engineer",
        "deactivating keeps the rest"
    );
}

#[tokio::test]
async fn work_email_matching_and_paging() {
    let server = Server::start(vec![]).await;
    let mut config = server.config();
    config.match_attribute = MatchAttribute::WorkEmail;
    let client = ScimClient::connect(config).await.unwrap();
    for name in ["ann", "bob", "cid"] {
        client.create_user(user(name)).await.unwrap();
    }
    let bob = client.find_user("Bob@Example.com").await.unwrap().unwrap();
    assert_eq!(bob.str("userName"), Some("bob"));

    let first = client.list_users(1, 2).await.unwrap();
    assert_eq!((first.total_results, first.resources.len()), (3, 2));
    let second = client
        .list_users(first.next_start().unwrap(), 2)
        .await
        .unwrap();
    assert_eq!(second.resources.len(), 1);
    assert_eq!(second.next_start(), None);
}

#[tokio::test]
async fn without_filter_support_users_are_found_by_listing() {
    let provider = tempfile_in_target("no-filter-service-provider-config.json");
    std::fs::write(
        &provider,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": false, "maxResults": 2},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [],
        })
        .to_string(),
    )
    .unwrap();
    let server = Server::start(vec![
        "--service-provider-config".into(),
        provider.display().to_string(),
    ])
    .await;
    let client = ScimClient::connect(server.config()).await.unwrap();
    assert!(!client.target().filters() && !client.target().etags());
    for name in ["ann", "bob", "cid", "dan", "eve"] {
        client.create_user(user(name)).await.unwrap();
    }
    let eve = client.find_user("eve").await.unwrap().unwrap();
    assert_eq!(eve.str("userName"), Some("eve"));
    assert_eq!(client.find_user("zed").await.unwrap(), None);
}

#[tokio::test]
async fn group_membership_travels_as_deltas() {
    let server = Server::start(vec![]).await;
    let client = ScimClient::connect(server.config()).await.unwrap();
    let ann = client.create_user(user("ann")).await.unwrap();
    let bob = client.create_user(user("bob")).await.unwrap();
    let groups = client.groups().unwrap();

    let sales = groups.create("Sales", &[&ann.id]).await.unwrap();
    assert_eq!(groups.find("sales").await.unwrap().unwrap().id, sales.id);
    assert_eq!(groups.find("Marketing").await.unwrap(), None);

    groups.add_members(&sales.id, &[&bob.id]).await.unwrap();
    let mut both = vec![ann.id.clone(), bob.id.clone()];
    both.sort();
    assert_eq!(members(&groups.get(&sales.id).await.unwrap().body), both);
    groups.remove_members(&sales.id, &[&ann.id]).await.unwrap();
    assert_eq!(
        members(&groups.get(&sales.id).await.unwrap().body),
        vec![bob.id.clone()]
    );
    assert_eq!(groups.add_members(&sales.id, &[]).await.unwrap(), None);

    groups.delete(&sales.id).await.unwrap();
    assert!(groups.find("Sales").await.unwrap().is_none());
}

#[tokio::test]
async fn the_targets_refusals_reach_the_caller_with_their_scim_type() {
    let server = Server::start(vec![]).await;
    let client = ScimClient::connect(server.config()).await.unwrap();
    client.create_user(user("dup")).await.unwrap();
    let refused = client.create_user(user("dup")).await.unwrap_err();
    assert!(
        matches!(
            &refused,
            ConnectorError::Rejected {
                status: 409,
                scim_type: Some(ScimType::Uniqueness),
                ..
            }
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn groups_off_means_no_group_operations() {
    let server = Server::start(vec![]).await;
    let mut config = server.config();
    config.groups = false;
    let client = ScimClient::connect(config).await.unwrap();
    assert!(client.groups().is_none());
}

fn members(group: &Map<String, Value>) -> Vec<String> {
    let mut ids: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}
