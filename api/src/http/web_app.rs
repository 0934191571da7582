//! The web app (`api/web/`, React + TypeScript built by Vite into `api/web/dist/`), served by
//! this binary: embedded at build time in a release build, read from `api/web/dist/` in a
//! debug build (so a rebuilt app is served without rebuilding veche). A checkout where the
//! app was not built still compiles, and `/` then says how to build it.
//!
//! Every GET outside `/api/` that names no file is the app's page (its router reads the
//! path: `/meetings/<id>`, ...). Hashed assets are cached for good, the page and the
//! service worker never.

use crate::error::ApiError;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "web/dist/"]
#[allow_missing = true]
struct BuiltApp;

/// What the page may load: its own scripts and styles (React Big Calendar sets inline
/// styles), images from itself and data URLs, connections to itself only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// The fallback of every route: the app for a GET outside the API, a 404 problem otherwise.
pub async fn app_or_not_found(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if !matches!(method, Method::GET | Method::HEAD) || path.starts_with("/api/") || path == "/api" {
        return ApiError::NoRoute.into_response();
    }
    let file = path.trim_start_matches('/');
    if let Some(asset) = BuiltApp::get(file).filter(|_| !file.is_empty()) {
        let cache = if file.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
        let mime = asset.metadata.mimetype().to_string();
        let mut response =
            ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, cache.to_string())], asset.data.into_owned()).into_response();
        if file == "sw.js" {
            response.headers_mut().insert("service-worker-allowed", HeaderValue::from_static("/"));
        }
        return response;
    }
    // A path with a file extension is a missing file, not a page of the app.
    if file.rsplit('/').next().is_some_and(|last| last.contains('.')) {
        return ApiError::NoRoute.into_response();
    }
    page()
}

/// The app's page for an address that may carry a token in its query (a meeting's call).
pub fn page_without_referrer() -> Response {
    let mut response = page();
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The app's page, or the note that it was not built.
fn page() -> Response {
    let headers = [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
        (header::REFERRER_POLICY, HeaderValue::from_static("same-origin")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    match BuiltApp::get("index.html") {
        Some(index) => (headers, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], index.data.into_owned()).into_response(),
        None => {
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], NOT_BUILT).into_response()
        }
    }
}

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>veche: the web app is not built</title>\
<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>The web app is not built</h1>\
<p>veche's API is running; its web app was not built in this checkout. Build it and start veche again:</p>\
<pre>npm --prefix api/web ci &amp;&amp; npm --prefix api/web run build</pre>\
<p>(<code>bash tests/quickstart.sh</code> does this and everything else.)</p></body>";
