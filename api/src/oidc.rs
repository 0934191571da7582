//! Single sign-on with the organisation's OpenID Connect provider: the authorization code
//! flow with PKCE (openidconnect crate). Discovery and the provider's keys come from the
//! issuer, fetched when first needed (a provider down at veche's start-up delays nobody
//! but the people signing in with it). The person's `sub`, email and name come from the
//! ID token, verified (signature, issuer, audience, expiry, nonce).

use crate::settings::Settings;
use anyhow::Context;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use secrecy::ExposeSecret as _;
use tokio::sync::OnceCell;

pub struct OidcClient {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    http: openidconnect::reqwest::Client,
    metadata: OnceCell<CoreProviderMetadata>,
}

/// Where a login goes: the provider's authorization URL, and what to keep until it returns.
pub struct LoginStart {
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
    pub nonce: String,
}

/// The person the provider vouches for.
#[derive(Debug, Clone)]
pub struct VouchedPerson {
    pub sub: String,
    pub email: String,
    pub name: Option<String>,
}

impl OidcClient {
    /// `None` without `VECHE_OIDC_ISSUER`.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Self>> {
        let sign_in = &settings.sign_in;
        let Some(issuer) = &sign_in.oidc_issuer else { return Ok(None) };
        let client_id = sign_in.oidc_client_id.clone().context("VECHE_OIDC_CLIENT_ID is needed with VECHE_OIDC_ISSUER")?;
        let redirect = RedirectUrl::new(format!("{}/auth/oidc/callback", settings.public_url()))
            .context("the public URL does not make a redirect URL")?;
        let http = openidconnect::reqwest::ClientBuilder::new()
            // The provider's endpoints must not redirect veche elsewhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .context("building the OpenID Connect HTTP client")?;
        Ok(Some(Self {
            issuer: IssuerUrl::new(issuer.trim_end_matches('/').to_string()).context("VECHE_OIDC_ISSUER is not a URL")?,
            client_id: ClientId::new(client_id),
            client_secret: sign_in.oidc_client_secret.as_ref().map(|s| ClientSecret::new(s.expose_secret().to_string())),
            redirect,
            http,
            metadata: OnceCell::new(),
        }))
    }

    async fn metadata(&self) -> anyhow::Result<&CoreProviderMetadata> {
        self.metadata
            .get_or_try_init(|| async {
                CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
                    .await
                    .with_context(|| format!("discovering the OpenID provider {}", self.issuer.as_str()))
            })
            .await
    }

    /// The provider's authorization URL for a new login (PKCE S256, a fresh state and nonce).
    pub async fn start(&self) -> anyhow::Result<LoginStart> {
        let metadata = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(metadata.clone(), self.client_id.clone(), self.client_secret.clone())
            .set_redirect_uri(self.redirect.clone());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(LoginStart {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
        })
    }

    /// Exchanges the code for tokens and verifies the ID token.
    pub async fn finish(&self, code: String, pkce_verifier: String, nonce: String) -> anyhow::Result<VouchedPerson> {
        let metadata = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(metadata.clone(), self.client_id.clone(), self.client_secret.clone())
            .set_redirect_uri(self.redirect.clone());
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .context("the provider names no token endpoint")?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .context("exchanging the authorization code")?;
        let id_token = tokens.id_token().context("the provider sent no ID token")?;
        let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(nonce)).context("verifying the ID token")?;
        let sub = claims.subject().clone();
        let name = |name: Option<&openidconnect::LocalizedClaim<openidconnect::EndUserName>>| {
            name.and_then(|name| name.get(None)).map(|name| name.to_string())
        };
        if let Some(email) = claims.email() {
            return vouched(sub.to_string(), email.to_string(), claims.email_verified(), name(claims.name()));
        }
        // A provider may keep the scopes' claims for UserInfo (OpenID Connect Core §5.4).
        let info: openidconnect::core::CoreUserInfoClaims = client
            .user_info(tokens.access_token().clone(), Some(sub.clone()))
            .context("the ID token has no email and the provider names no UserInfo endpoint")?
            .request_async(&self.http)
            .await
            .context("asking the provider's UserInfo endpoint")?;
        let email = info.email().context("the provider shared no email address (scope `email`)")?;
        vouched(sub.to_string(), email.to_string(), info.email_verified(), name(info.name()))
    }
}

fn vouched(sub: String, email: String, verified: Option<bool>, name: Option<String>) -> anyhow::Result<VouchedPerson> {
    if verified == Some(false) {
        anyhow::bail!("the provider says the email address {email} is not verified");
    }
    Ok(VouchedPerson { sub, email, name })
}
