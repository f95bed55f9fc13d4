//! The client: a discovered target and the resource operations of RFC 7644 §3 that users
//! and groups share.

use connector::ConnectorError;
use connector::http::{Call, HeaderName, HeaderValue, Response, Url};
use scim::model::{ListResponse, PATCH_OP_SCHEMA, PatchOperation};
use serde_json::{Map, Value, json};

use crate::config::ScimTargetConfig;
use crate::discovery::{DiscoveryError, ResourceEndpoint, Target, discover_with};
use crate::http::{SCIM_JSON, Session};

/// A resource as the target holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub id: String,
    /// The ETag (`meta.version`, or the `ETag` header of a single read).
    pub version: Option<String>,
    /// The whole resource as the target answered it.
    pub body: Map<String, Value>,
}

impl Resource {
    /// The top-level string attribute `attribute` (`userName`, `displayName`, …).
    pub fn str(&self, attribute: &str) -> Option<&str> {
        self.body.get(attribute).and_then(Value::as_str)
    }

    /// `active`, which RFC 7643 §4.1.1 leaves optional: absent means active.
    pub fn active(&self) -> bool {
        self.body
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    fn read(value: Value, etag: Option<&str>, what: &str) -> Result<Resource, ConnectorError> {
        let Value::Object(body) = value else {
            return Err(malformed(what, "a JSON object", &value));
        };
        let Some(id) = body.get("id").and_then(Value::as_str).map(str::to_owned) else {
            return Err(malformed(
                what,
                "a resource with an `id`",
                &Value::Object(body),
            ));
        };
        let version = etag.map(str::to_owned).or_else(|| {
            body.get("meta")
                .and_then(|m| m.get("version"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        Ok(Resource { id, version, body })
    }
}

fn malformed(what: &str, expected: &str, got: &Value) -> ConnectorError {
    // Cut by characters: a byte index could fall inside one.
    let text: String = got.to_string().chars().take(300).collect();
    ConnectorError::transient(format!(
        "the SCIM target answered {what} without {expected}: {text}"
    ))
}

/// One page of a list (RFC 7644 §3.4.2.4).
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub resources: Vec<Resource>,
    pub total_results: u64,
    /// 1-based index of the first resource.
    pub start_index: u64,
}

impl Page {
    /// The `startIndex` of the next page, `None` after the last.
    pub fn next_start(&self) -> Option<u64> {
        let next = self.start_index + self.resources.len() as u64;
        (!self.resources.is_empty() && next <= self.total_results).then_some(next)
    }
}

/// A SCIM target, discovered and checked against its configuration. One per app: its
/// calls share the app's rate limit and circuit breaker.
pub struct ScimClient {
    pub(crate) session: Session,
    pub(crate) config: ScimTargetConfig,
    pub(crate) target: Target,
}

impl std::fmt::Debug for ScimClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimClient")
            .field("base_url", &self.config.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl ScimClient {
    /// Discovers the target and refuses a configuration it cannot serve (see
    /// [`Target::check`]).
    pub async fn connect(config: ScimTargetConfig) -> Result<Self, DiscoveryError> {
        let session = Session::new(&config).map_err(|e| DiscoveryError::Setup(e.to_string()))?;
        let target = discover_with(&session, &config).await?;
        target.check(&config)?;
        Ok(ScimClient {
            session,
            config,
            target,
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn config(&self) -> &ScimTargetConfig {
        &self.config
    }
}

/// The operations on one resource type's endpoint.
pub(crate) struct Endpoint<'c> {
    pub(crate) client: &'c ScimClient,
    pub(crate) resource: &'c ResourceEndpoint,
    /// `User` or `Group`, for messages.
    pub(crate) kind: &'static str,
}

impl Endpoint<'_> {
    fn url(&self, id: Option<&str>) -> Url {
        let session = &self.client.session;
        match id {
            Some(id) => session.url(&[&self.resource.endpoint, id]),
            None => session.url(&[&self.resource.endpoint]),
        }
    }

    async fn call(&self, call: Call) -> Result<Response, ConnectorError> {
        let session = &self.client.session;
        session.success(session.send(call).await?)
    }

    /// `If-Match` with the resource's ETag where the target honours them.
    fn if_match(&self, call: Call, version: Option<&str>) -> Call {
        let value = version
            .filter(|_| self.client.target.etags())
            .and_then(|v| HeaderValue::from_str(v).ok());
        match value {
            Some(value) => call.header(HeaderName::from_static("if-match"), value),
            None => call,
        }
    }

    fn resource(&self, response: &Response, what: &str) -> Result<Resource, ConnectorError> {
        let etag = response.headers().get("etag").and_then(|v| v.to_str().ok());
        Resource::read(response.json()?, etag, what)
    }

    /// `GET /Users/{id}` (RFC 7644 §3.4.1); [`ConnectorError::NotFound`] when absent.
    pub(crate) async fn get(&self, id: &str) -> Result<Resource, ConnectorError> {
        let response = self.call(Call::get(self.url(Some(id)))).await?;
        self.resource(&response, &format!("GET {} {id}", self.kind))
    }

    /// One page, optionally filtered (RFC 7644 §3.4.2).
    pub(crate) async fn list(
        &self,
        filter: Option<&str>,
        start_index: u64,
        count: u64,
    ) -> Result<Page, ConnectorError> {
        let mut url = self.url(None);
        {
            let mut query = url.query_pairs_mut();
            if let Some(filter) = filter {
                query.append_pair("filter", filter);
            }
            query
                .append_pair("startIndex", &start_index.to_string())
                .append_pair("count", &count.to_string());
        }
        let response = self.call(Call::get(url)).await?;
        let list: ListResponse<Value> = response.json()?;
        let what = format!("a list of {}s", self.kind);
        Ok(Page {
            start_index: list.start_index.unwrap_or(start_index),
            total_results: list.total_results,
            resources: list
                .resources
                .into_iter()
                .map(|r| Resource::read(r, None, &what))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The first resource `keep` accepts: by `filter` where the target filters, else by
    /// listing every page.
    pub(crate) async fn find(
        &self,
        filter: &str,
        keep: impl Fn(&Resource) -> bool,
    ) -> Result<Option<Resource>, ConnectorError> {
        let count = self.page_size();
        if self.client.target.filters() {
            let page = self.list(Some(filter), 1, count).await?;
            return Ok(page.resources.into_iter().find(keep));
        }
        let mut start = 1;
        loop {
            let page = self.list(None, start, count).await?;
            let next = page.next_start();
            if let Some(found) = page.resources.into_iter().find(&keep) {
                return Ok(Some(found));
            }
            match next {
                Some(next) if next > start => start = next,
                Some(_) => {
                    return Err(ConnectorError::transient(format!(
                        "the SCIM target answered the {}s from startIndex {start} with the same page again: it does not page, so scimbridge cannot list them",
                        self.kind
                    )));
                }
                None => return Ok(None),
            }
        }
    }

    fn page_size(&self) -> u64 {
        match self.client.target.config.filter.max_results {
            0 => 100,
            max => max.min(100),
        }
    }

    /// `POST` (RFC 7644 §3.3). Not repeated after a 5xx or a timeout: the target may have
    /// created it, and the caller's next reconcile finds it by its match attribute.
    pub(crate) async fn create(
        &self,
        body: Map<String, Value>,
    ) -> Result<Resource, ConnectorError> {
        let call = Call::post(self.url(None)).json_as(&Value::Object(body), SCIM_JSON);
        let response = self.call(call).await?;
        self.resource(&response, &format!("the created {}", self.kind))
    }

    /// `PUT` of the whole resource (RFC 7644 §3.5.1).
    pub(crate) async fn put(
        &self,
        current: &Resource,
        body: Map<String, Value>,
    ) -> Result<Resource, ConnectorError> {
        let call = Call::put(self.url(Some(&current.id))).json_as(&Value::Object(body), SCIM_JSON);
        let response = self
            .call(self.if_match(call, current.version.as_deref()))
            .await?;
        self.resource(&response, &format!("PUT {} {}", self.kind, current.id))
    }

    /// `PATCH` (RFC 7644 §3.5.2); `version` is sent as `If-Match` when given. A target may
    /// answer 204 without the resource: it is read again then. Not repeated after a 5xx or
    /// a timeout (a `remove` that worked would fail the second time): the caller re-reads
    /// and sends what still differs.
    pub(crate) async fn patch(
        &self,
        id: &str,
        version: Option<&str>,
        operations: Vec<PatchOperation>,
    ) -> Result<Resource, ConnectorError> {
        let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": operations});
        let call = Call::patch(self.url(Some(id))).json_as(&body, SCIM_JSON);
        let response = self.call(self.if_match(call, version)).await?;
        if response.body().iter().all(u8::is_ascii_whitespace) {
            return self.get(id).await;
        }
        self.resource(&response, &format!("PATCH {} {id}", self.kind))
    }

    /// `DELETE` (RFC 7644 §3.6); deleting what is already gone succeeds.
    pub(crate) async fn delete(&self, id: &str) -> Result<(), ConnectorError> {
        match self.call(Call::delete(self.url(Some(id)))).await {
            Ok(_) | Err(ConnectorError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
