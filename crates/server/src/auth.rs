//! Authentication of SCIM requests: the app named in the path and the bearer token in the
//! `Authorization` header. Every failure, including an app that does not exist, is the same
//! 401, so a response never tells whether another app exists.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use store::{Actor, App};

use crate::AppState;
use crate::error::ApiError;

/// An authenticated request for one app.
#[derive(Debug, Clone)]
pub struct AppAuth {
    pub app: App,
    pub actor: Actor,
}

impl FromRequest for AppAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let app_name = req.match_info().get("app").map(str::to_owned);
        let secret = bearer_token(req);
        Box::pin(async move {
            let (Some(state), Some(app_name), Some(secret)) = (state, app_name, secret) else {
                return Err(ApiError::unauthorized());
            };
            let Some(token) = state.store.authenticate(&app_name, &secret).await? else {
                tracing::info!(app = %app_name, "rejected a SCIM request: bad or expired token");
                return Err(ApiError::unauthorized());
            };
            let app = state
                .store
                .get_app(&app_name)
                .await?
                .ok_or_else(ApiError::unauthorized)?;
            Ok(AppAuth {
                app,
                actor: Actor {
                    token_id: Some(token.id.clone()),
                    label: token.label.clone().unwrap_or_else(|| token.id.clone()),
                },
            })
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme in any case).
fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}
