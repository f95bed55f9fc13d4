//! Gong's endpoints as typed calls: SCIM (bearer token), REST v2 and the admin console's
//! actions (Basic auth), all through one rate-limited [`VendorClient`].

use async_trait::async_trait;
use connector::ConnectorError;
use connector::http::{
    Call, Failure, HeaderValue, Refusal, Response, Url, VendorApi, VendorClient, basic_auth,
    bearer_auth, join_path,
};
use serde_json::{Value, json};

use crate::seat::Seat;
use crate::wire::{
    AdminUser, AdminUserAnswer, AdminUsers, ErrorBody, PermissionProfiles, RestUser, RestUsers,
    ScimList, ScimUser, Seats, Workspaces,
};

const SCIM_JSON: &str = "application/scim+json";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A refusal nothing in the caller's context explains ([`Refusal::unexpected`]).
pub(crate) fn unexpected(what: &str, refusal: Refusal) -> ConnectorError {
    refusal.unexpected("Gong", what)
}

/// A SCIM filter string literal: quotes and backslashes escaped (RFC 7644 §3.4.2.2).
fn scim_string(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

pub(crate) struct Api {
    client: VendorClient,
    base: Url,
    scim: Url,
    basic: HeaderValue,
    bearer: HeaderValue,
}

impl Api {
    pub(crate) fn new(
        client: VendorClient,
        base: Url,
        scim: Url,
        access_key: &str,
        secret: &str,
        scim_token: &str,
    ) -> Result<Self, &'static str> {
        Ok(Api {
            client,
            base,
            scim,
            basic: basic_auth(access_key, secret)
                .map_err(|_| "the access key or its secret holds characters no HTTP header can")?,
            bearer: bearer_auth(scim_token)
                .map_err(|_| "the SCIM token holds characters no HTTP header can")?,
        })
    }

    fn rest(&self, segments: &[&str]) -> Url {
        join_path(&self.base, segments)
    }

    fn scim(&self, segments: &[&str]) -> Url {
        join_path(&self.scim, segments)
    }

    fn api(&self, call: Call) -> Call {
        call.auth(self.basic.clone())
    }

    fn scim_call(&self, call: Call) -> Call {
        call.auth(self.bearer.clone())
    }

    /// The SCIM user whose userName is `email`, ignoring case as SCIM filters do.
    pub(crate) async fn scim_find(&self, email: &str) -> Result<Option<ScimUser>, Failure> {
        let mut url = self.scim(&["Users"]);
        url.query_pairs_mut()
            .append_pair("filter", &format!("userName eq {}", scim_string(email)))
            .append_pair("startIndex", "1")
            .append_pair("count", "2");
        let list: ScimList = self.read(self.scim_call(Call::get(url))).await?;
        Ok(list.resources.into_iter().next())
    }

    pub(crate) async fn scim_get(&self, id: &str) -> Result<ScimUser, Failure> {
        self.read(self.scim_call(Call::get(self.scim(&["Users", id]))))
            .await
    }

    /// Not repeated by the client after a timeout or a 5xx: the caller looks the user up
    /// by e-mail before creating again.
    pub(crate) async fn scim_create(&self, mut user: Value) -> Result<ScimUser, Failure> {
        user["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
        let call = Call::post(self.scim(&["Users"])).json_as(&user, SCIM_JSON);
        self.read(self.scim_call(call)).await
    }

    /// `operations` must set absolute values (replace, remove), so that repeating the
    /// PATCH changes nothing more: it is sent retry-safe.
    pub(crate) async fn scim_patch(
        &self,
        id: &str,
        operations: Vec<Value>,
    ) -> Result<ScimUser, Failure> {
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": operations});
        let call = Call::patch(self.scim(&["Users", id]))
            .json_as(&body, SCIM_JSON)
            .retry_safe();
        self.read(self.scim_call(call)).await
    }

    pub(crate) async fn admin_user(&self, id: &str) -> Result<AdminUser, Failure> {
        let call = self.api(Call::get(self.rest(&["admin", "users", id])));
        Ok(self.read::<AdminUserAnswer>(call).await?.user)
    }

    pub(crate) async fn admin_users(&self, cursor: Option<&str>) -> Result<AdminUsers, Failure> {
        let mut url = self.rest(&["admin", "users"]);
        if let Some(cursor) = cursor {
            url.query_pairs_mut().append_pair("cursor", cursor);
        }
        self.read(self.api(Call::get(url))).await
    }

    pub(crate) async fn set_seat(
        &self,
        id: &str,
        seat: Option<Seat>,
    ) -> Result<AdminUser, Failure> {
        let call =
            Call::put(self.rest(&["admin", "users", id, "seat"])).json(&json!({"seat": seat}));
        Ok(self.read::<AdminUserAnswer>(self.api(call)).await?.user)
    }

    pub(crate) async fn set_profile(
        &self,
        id: &str,
        workspace_id: &str,
        profile_id: &str,
    ) -> Result<AdminUser, Failure> {
        let call = Call::put(self.rest(&["admin", "users", id, "permission-profile"]))
            .json(&json!({"workspaceId": workspace_id, "profileId": profile_id}));
        Ok(self.read::<AdminUserAnswer>(self.api(call)).await?.user)
    }

    pub(crate) async fn seats(&self) -> Result<Seats, Failure> {
        self.read(self.api(Call::get(self.rest(&["admin", "seats"]))))
            .await
    }

    pub(crate) async fn workspaces(&self) -> Result<Workspaces, Failure> {
        self.read(self.api(Call::get(self.rest(&["v2", "workspaces"]))))
            .await
    }

    pub(crate) async fn profiles(&self, workspace_id: &str) -> Result<PermissionProfiles, Failure> {
        let mut url = self.rest(&["v2", "all-permission-profiles"]);
        url.query_pairs_mut()
            .append_pair("workspaceId", workspace_id);
        self.read(self.api(Call::get(url))).await
    }

    /// The REST users with these ids; a read, so repeating it is harmless.
    pub(crate) async fn rest_users(&self, ids: &[&str]) -> Result<Vec<RestUser>, Failure> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let call = Call::post(self.rest(&["v2", "users", "extensive"]))
            .json(&json!({"filter": {"userIds": ids}}))
            .retry_safe();
        match self.read::<RestUsers>(self.api(call)).await {
            Ok(users) => Ok(users.users),
            // Gong answers 404 when no user matches the filter.
            Err(Failure::Connector(ConnectorError::NotFound { .. })) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Whether Gong has a user with this id.
    pub(crate) async fn user_exists(&self, id: &str) -> Result<bool, Failure> {
        let call = self.api(Call::get(self.rest(&["v2", "users", id])));
        match self.send(call).await {
            Ok(_) => Ok(true),
            Err(Failure::Connector(ConnectorError::NotFound { .. })) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Credentials go on each call (Basic or bearer, by the surface it calls), so a call is
/// sent as it is.
#[async_trait]
impl VendorApi for Api {
    type ErrorBody = ErrorBody;

    async fn exchange(&self, call: Call) -> Result<Response, ConnectorError> {
        self.client.send(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_literals_are_escaped() {
        assert_eq!(scim_string("a@b.c"), r#""a@b.c""#);
        assert_eq!(scim_string(r#"o"neil\x@b.c"#), r#""o\"neil\\x@b.c""#);
    }
}
