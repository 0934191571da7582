//! What the sign-in routes share: who may sign in by email, the limits on sign-in links,
//! the OpenID Connect client, and the checks on where a sign-in comes from and goes to.

use crate::error::ApiError;
use crate::listener::PeerAddress;
use crate::rate_limit::KeyedBuckets;
use crate::settings::Settings;
use application::sign_in::SignInPolicy;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use std::sync::Arc;

pub struct WebSignIn {
    pub policy: SignInPolicy,
    pub limits: SignInLimits,
    pub oidc: Option<Arc<crate::oidc::OidcClient>>,
}

pub struct SignInLimits {
    pub per_address: KeyedBuckets,
    pub per_client: KeyedBuckets,
}

impl WebSignIn {
    /// `outbox`: emails stay on this machine (no SMTP server), so without listed domains
    /// anyone may ask for a link: only someone at the machine can read it.
    pub fn from_settings(settings: &Settings, outbox: bool) -> anyhow::Result<Self> {
        let sign_in = &settings.sign_in;
        let policy = if sign_in.domains.is_empty() && outbox {
            SignInPolicy::anyone()
        } else {
            SignInPolicy::new(&sign_in.domains, sign_in.known_people)
        };
        let hourly = |per_hour: f64| KeyedBuckets::new(per_hour / 3600.0, per_hour.max(1.0));
        let limits = SignInLimits {
            per_address: hourly(sign_in.links_per_address_per_hour),
            per_client: hourly(sign_in.links_per_client_per_hour),
        };
        let oidc = crate::oidc::OidcClient::from_settings(settings)?.map(Arc::new);
        Ok(Self { policy, limits, oidc })
    }
}

/// The client's IP address, for limits per client (the peer of the TCP connection: behind
/// a proxy, the proxy's, so the limit is then shared by everyone behind it).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<PeerAddress>>().map(|ConnectInfo(PeerAddress(addr))| addr.ip().to_string());
        Ok(Self(peer.unwrap_or_else(|| "unknown".into())))
    }
}

/// A path on this site to go to once signed in: absolute path, no scheme or host, so a
/// sign-in link cannot send anyone elsewhere.
pub fn safe_return_to(path: &str) -> Result<String, ApiError> {
    let fine = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.len() <= 2000
        && !path.chars().any(char::is_control);
    if fine {
        Ok(path.to_string())
    } else {
        Err(ApiError::InvalidField {
            field: "return_to".into(), detail: "must be a path on this site, like /meetings/…".into()
        })
    }
}

/// Whether a form POST comes from this site's own pages (or straight from the person, as
/// when a link is opened): a page on another site must not sign its visitor in.
pub fn same_site_request(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(axum::http::header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin == origin_of(public_url),
        // Neither header: not a browser that could be led by another site.
        None => true,
    }
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_return_path_stays_on_this_site() {
        assert_eq!(safe_return_to("/meetings/1?x=2").unwrap(), "/meetings/1?x=2");
        for elsewhere in ["https://evil.example", "//evil.example/x", "/\\evil.example", "meetings", "/a\nb"] {
            assert!(safe_return_to(elsewhere).is_err(), "{elsewhere}");
        }
    }

    #[test]
    fn a_form_posted_from_another_site_is_told_apart_from_this_sites_own() {
        let public = "https://meet.example.org";
        let with = |name: &'static str, value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static(value));
            headers
        };
        assert!(same_site_request(&with("sec-fetch-site", "same-origin"), public));
        assert!(!same_site_request(&with("sec-fetch-site", "cross-site"), public));
        assert!(same_site_request(&with("origin", "https://meet.example.org"), public));
        assert!(!same_site_request(&with("origin", "https://evil.example"), public));
        assert_eq!(origin_of("http://127.0.0.1:8080/x/y"), "http://127.0.0.1:8080");
    }
}
