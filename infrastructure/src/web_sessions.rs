//! The web app's sign-in state in PostgreSQL: browser sessions, single-use sign-in links and
//! OpenID Connect logins in flight. Secrets are random (256 bits, base64url) and stored only
//! as their SHA-256, so the tables give nobody a way in.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// A fresh random secret, URL- and cookie-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Who a session is for.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionPerson {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

/// A live session, as a request finds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebSession {
    #[sqlx(flatten)]
    pub person: SessionPerson,
    pub method: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// A session just begun: the secret goes into the cookie and is kept nowhere else.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub session: WebSession,
}

/// A redeemed sign-in link.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RedeemedLink {
    pub email: String,
    pub return_to: Option<String>,
}

/// An OpenID Connect login taken back by its `state`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingLogin {
    pub pkce_verifier: String,
    pub nonce: String,
    pub return_to: Option<String>,
}

#[derive(Clone)]
pub struct WebSessions {
    pool: PgPool,
}

impl WebSessions {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub async fn begin(&self, person: &SessionPerson, method: &str, lifetime: Duration) -> Result<NewSession, sqlx::Error> {
        let secret = new_secret();
        let session = WebSession {
            person: person.clone(),
            method: method.to_string(),
            csrf_token: new_secret(),
            expires_at: Utc::now() + lifetime,
        };
        sqlx::query(
            "insert into web_session (secret_hash, user_id, email, name, method, csrf_token, expires_at) \
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hash(&secret))
        .bind(&person.user_id)
        .bind(&person.email)
        .bind(&person.name)
        .bind(method)
        .bind(&session.csrf_token)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(NewSession { secret, session })
    }

    /// The session a cookie's secret opens, unless it has expired or ended.
    pub async fn find(&self, secret: &str) -> Result<Option<WebSession>, sqlx::Error> {
        sqlx::query_as(
            "select user_id, email, name, method, csrf_token, expires_at from web_session \
             where secret_hash = $1 and expires_at > now()",
        )
        .bind(hash(secret))
        .fetch_optional(&self.pool)
        .await
    }

    /// Ends a session (sign-out): its cookie opens nothing from now on.
    pub async fn end(&self, secret: &str) -> Result<(), sqlx::Error> {
        sqlx::query("delete from web_session where secret_hash = $1").bind(hash(secret)).execute(&self.pool).await?;
        Ok(())
    }

    /// A single-use sign-in link's secret for `email`, valid for `lifetime`.
    pub async fn issue_link(&self, email: &str, return_to: Option<&str>, lifetime: Duration) -> Result<String, sqlx::Error> {
        let secret = new_secret();
        sqlx::query("insert into sign_in_link (secret_hash, email, return_to, expires_at) values ($1, $2, $3, $4)")
            .bind(hash(&secret))
            .bind(email)
            .bind(return_to)
            .bind(Utc::now() + lifetime)
            .execute(&self.pool)
            .await?;
        Ok(secret)
    }

    /// Whether a link's secret would still sign someone in (for the confirmation page).
    pub async fn peek_link(&self, secret: &str) -> Result<Option<RedeemedLink>, sqlx::Error> {
        sqlx::query_as(
            "select email, return_to from sign_in_link where secret_hash = $1 and used_at is null and expires_at > now()",
        )
        .bind(hash(secret))
        .fetch_optional(&self.pool)
        .await
    }

    /// Uses a link: the first request that redeems it gets its address, every later one
    /// nothing (one statement, so two requests at once cannot both succeed).
    pub async fn redeem_link(&self, secret: &str) -> Result<Option<RedeemedLink>, sqlx::Error> {
        sqlx::query_as(
            "update sign_in_link set used_at = now() \
             where secret_hash = $1 and used_at is null and expires_at > now() returning email, return_to",
        )
        .bind(hash(secret))
        .fetch_optional(&self.pool)
        .await
    }

    /// Keeps an OpenID Connect login's PKCE verifier and nonce until the provider sends the
    /// person back with `state`.
    pub async fn remember_login(&self, state: &str, login: &PendingLogin, lifetime: Duration) -> Result<(), sqlx::Error> {
        sqlx::query(
            "insert into oidc_login (state_hash, pkce_verifier, nonce, return_to, expires_at) values ($1, $2, $3, $4, $5)",
        )
        .bind(hash(state))
        .bind(&login.pkce_verifier)
        .bind(&login.nonce)
        .bind(&login.return_to)
        .bind(Utc::now() + lifetime)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes the login `state` names, once.
    pub async fn take_login(&self, state: &str) -> Result<Option<PendingLogin>, sqlx::Error> {
        sqlx::query_as(
            "delete from oidc_login where state_hash = $1 and expires_at > now() returning pkce_verifier, nonce, return_to",
        )
        .bind(hash(state))
        .fetch_optional(&self.pool)
        .await
    }

    /// Deletes what has expired; returns how many rows.
    pub async fn purge_expired(&self) -> Result<u64, sqlx::Error> {
        let mut removed = 0;
        for table in ["web_session", "sign_in_link", "oidc_login"] {
            removed += sqlx::query(&format!("delete from {table} where expires_at < now() - interval '1 day'"))
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(removed)
    }
}
