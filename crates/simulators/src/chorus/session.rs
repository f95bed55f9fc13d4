//! Console sessions: a cookie and a CSRF token per sign-in, valid for the configured time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;

use super::model::UserId;

/// The session cookie's name (*inferred*).
pub const SESSION_COOKIE: &str = "chorus_session";
/// The header every console API call must carry (*inferred*).
pub const CSRF_HEADER: &str = "X-CSRF-Token";

#[derive(Debug, Clone)]
struct Session {
    user: UserId,
    csrf: String,
    expires: Instant,
}

/// Why a call's session is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// No session cookie, or one the simulator never issued: 401.
    NotSignedIn,
    /// The session timed out or was ended: 401.
    Expired,
    /// Missing or wrong `X-CSRF-Token`: 403.
    Csrf,
}

#[derive(Debug, Default)]
pub(crate) struct Sessions {
    live: HashMap<String, Session>,
}

fn token(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl Sessions {
    /// A new session for `user`: its cookie value and its CSRF token.
    pub fn open(&mut self, user: UserId, now: Instant, ttl: Duration) -> (String, String) {
        self.live.retain(|_, s| s.expires > now);
        let cookie = token(40);
        let csrf = token(32);
        self.live.insert(
            cookie.clone(),
            Session {
                user,
                csrf: csrf.clone(),
                expires: now + ttl,
            },
        );
        (cookie, csrf)
    }

    /// The signed-in user of a call that carries `cookie` and `csrf`.
    pub fn check(
        &self,
        cookie: Option<&str>,
        csrf: Option<&str>,
        now: Instant,
    ) -> Result<UserId, Refused> {
        let session = cookie
            .and_then(|c| self.live.get(c))
            .ok_or(Refused::NotSignedIn)?;
        if session.expires <= now {
            return Err(Refused::Expired);
        }
        if csrf != Some(session.csrf.as_str()) {
            return Err(Refused::Csrf);
        }
        Ok(session.user)
    }

    /// Ends every session at once, as when they all time out: the next calls get 401.
    pub fn expire_all(&mut self, now: Instant) {
        for session in self.live.values_mut() {
            session.expires = session.expires.min(now);
        }
    }

    /// Gives every live session a new CSRF token, as when Chorus rotates them: calls with
    /// the old token get 403 until the client signs in again.
    pub fn rotate_csrf(&mut self) {
        for session in self.live.values_mut() {
            session.csrf = token(32);
        }
    }

    pub fn count(&self, now: Instant) -> usize {
        self.live.values().filter(|s| s.expires > now).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_need_their_csrf_token_and_expire() {
        let mut sessions = Sessions::default();
        let t0 = Instant::now();
        let (cookie, csrf) = sessions.open(UserId(1), t0, Duration::from_secs(10));
        assert_eq!(
            sessions.check(Some(&cookie), Some(&csrf), t0),
            Ok(UserId(1))
        );
        assert_eq!(sessions.check(Some(&cookie), None, t0), Err(Refused::Csrf));
        assert_eq!(
            sessions.check(Some(&cookie), Some("wrong"), t0),
            Err(Refused::Csrf)
        );
        assert_eq!(
            sessions.check(Some("forged"), Some(&csrf), t0),
            Err(Refused::NotSignedIn)
        );
        assert_eq!(
            sessions.check(Some(&cookie), Some(&csrf), t0 + Duration::from_secs(10)),
            Err(Refused::Expired)
        );
        sessions.rotate_csrf();
        assert_eq!(
            sessions.check(Some(&cookie), Some(&csrf), t0),
            Err(Refused::Csrf)
        );
        let (again, csrf2) = sessions.open(UserId(1), t0, Duration::from_secs(10));
        assert_ne!(again, cookie);
        sessions.expire_all(t0);
        assert_eq!(
            sessions.check(Some(&again), Some(&csrf2), t0),
            Err(Refused::Expired)
        );
    }
}
