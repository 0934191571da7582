//! A local Web Push service (RFC 8030) for the tests, which checks what a real one checks
//! and reads what only the browser could: each subscription is a P-256 key pair and an
//! auth secret made here, so the service
//! - verifies the VAPID token (RFC 8292): `Authorization: vapid t=<JWT>, k=<key>`, an ES256
//!   signature by `k`, `aud` = the endpoint's origin, `exp` in the future and at most 24 h
//!   ahead, a `sub`;
//! - decrypts the `aes128gcm` body (RFC 8188, RFC 8291) with the subscription's private key
//!   and auth secret, and keeps the plaintext.
//!
//! A subscription can be made to answer 410 Gone, as when a browser unsubscribed.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hkdf::Hkdf;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A browser's subscription as the browser hands it out (the service keeps its secrets).
pub struct Subscriber {
    pub id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// A message the service accepted, decrypted.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub subscription: String,
    pub plaintext: Vec<u8>,
    pub vapid_subject: String,
    pub ttl: Option<String>,
    /// When the service accepted it.
    pub at: std::time::SystemTime,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, (SecretKey, [u8; 16])>,
    gone: std::collections::HashSet<String>,
    delivered: Vec<Delivered>,
    refused: Vec<String>,
    /// (token, key) pairs whose signature verified: a sender reuses its token, and
    /// verifying it again would cost the benchmarks two scalar multiplications per push.
    verified_signatures: std::collections::HashSet<(String, String)>,
}

#[derive(Clone)]
pub struct PushService {
    origin: String,
    inner: Arc<Mutex<Inner>>,
    _server: Arc<tokio::task::JoinHandle<()>>,
}

impl PushService {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner::default()));
        let state = (origin.clone(), inner.clone());
        let app = axum::Router::new().route("/push/{id}", axum::routing::post(receive)).with_state(state);
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { origin, inner, _server: Arc::new(server) }
    }

    /// A new browser subscription on this service.
    pub fn subscribe(&self) -> Subscriber {
        use rand::RngCore;
        let secret = SecretKey::random(&mut rand::thread_rng());
        let mut auth_secret = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut auth_secret);
        let id = uuid::Uuid::new_v4().simple().to_string();
        let public = secret.public_key().to_encoded_point(false);
        self.inner.lock().unwrap().keys.insert(id.clone(), (secret.clone(), auth_secret));
        Subscriber {
            endpoint: format!("{}/push/{id}", self.origin),
            p256dh: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(auth_secret),
            id,
        }
    }

    /// From now on the service answers 410 Gone for this subscription.
    pub fn unsubscribe_browser(&self, subscriber: &Subscriber) {
        self.inner.lock().unwrap().gone.insert(subscriber.id.clone());
    }

    /// How many messages were accepted (without copying them).
    pub fn delivered_count(&self) -> usize {
        self.inner.lock().unwrap().delivered.len()
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.inner.lock().unwrap().delivered.clone()
    }

    /// Why requests were refused (a test failing on a refused push shows these).
    pub fn refused(&self) -> Vec<String> {
        self.inner.lock().unwrap().refused.clone()
    }
}

impl Subscriber {
    /// The subscription as a browser's `PushSubscription.toJSON()`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({"endpoint": self.endpoint, "expirationTime": null, "keys": {"p256dh": self.p256dh, "auth": self.auth}})
    }
}

type ServiceState = (String, Arc<Mutex<Inner>>);

async fn receive(
    State((origin, inner)): State<ServiceState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let refuse = |why: String| {
        inner.lock().unwrap().refused.push(why);
        StatusCode::BAD_REQUEST
    };
    let keys = {
        let guard = inner.lock().unwrap();
        if guard.gone.contains(&id) {
            return StatusCode::GONE;
        }
        guard.keys.get(&id).cloned()
    };
    let Some((secret, auth_secret)) = keys else { return StatusCode::NOT_FOUND };
    let subject = match verify_vapid(&headers, &origin, &inner) {
        Ok(subject) => subject,
        Err(why) => {
            inner.lock().unwrap().refused.push(why);
            return StatusCode::UNAUTHORIZED;
        }
    };
    if headers.get("content-encoding").and_then(|v| v.to_str().ok()) != Some("aes128gcm") {
        return refuse("Content-Encoding is not aes128gcm".into());
    }
    match decrypt(&body, &secret, &auth_secret) {
        Ok(plaintext) => {
            inner.lock().unwrap().delivered.push(Delivered {
                subscription: id,
                plaintext,
                vapid_subject: subject,
                ttl: headers.get("ttl").and_then(|v| v.to_str().ok()).map(str::to_string),
                at: std::time::SystemTime::now(),
            });
            StatusCode::CREATED
        }
        Err(why) => refuse(why),
    }
}

/// RFC 8292: checks the token and returns its `sub`.
fn verify_vapid(headers: &HeaderMap, origin: &str, inner: &Mutex<Inner>) -> Result<String, String> {
    let value = headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or("no Authorization")?;
    let params = value.strip_prefix("vapid ").ok_or("not the vapid scheme")?;
    let mut token = None;
    let mut key = None;
    for param in params.split(',') {
        match param.trim().split_once('=') {
            Some(("t", v)) => token = Some(v.to_string()),
            Some(("k", v)) => key = Some(v.to_string()),
            _ => {}
        }
    }
    let (token, key) = (token.ok_or("no t=")?, key.ok_or("no k=")?);
    let key_bytes = URL_SAFE_NO_PAD.decode(key.trim_end_matches('=')).map_err(|e| e.to_string())?;
    let verifying = VerifyingKey::from_sec1_bytes(&key_bytes).map_err(|e| e.to_string())?;
    let mut parts = token.split('.');
    let (header, claims, signature) =
        (parts.next().ok_or("no JWT header")?, parts.next().ok_or("no JWT claims")?, parts.next().ok_or("no JWT signature")?);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    if header["alg"] != "ES256" {
        return Err(format!("alg is {}", header["alg"]));
    }
    let pair = (token.clone(), key.clone());
    if !inner.lock().unwrap().verified_signatures.contains(&pair) {
        let signature =
            Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        verifying
            .verify(format!("{}.{}", token.split('.').next().unwrap(), claims).as_bytes(), &signature)
            .map_err(|_| "the VAPID signature does not verify".to_string())?;
        inner.lock().unwrap().verified_signatures.insert(pair);
    }
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    if claims["aud"] != origin {
        return Err(format!("aud is {}, not {origin}", claims["aud"]));
    }
    let exp = claims["exp"].as_i64().ok_or("no exp")?;
    let now = chrono::Utc::now().timestamp();
    if exp <= now || exp > now + 24 * 3600 {
        return Err(format!("exp {exp} is not within the next 24 hours"));
    }
    Ok(claims["sub"].as_str().ok_or("no sub")?.to_string())
}

/// RFC 8291 §3.4 and RFC 8188: one aes128gcm record.
fn decrypt(body: &[u8], secret: &SecretKey, auth_secret: &[u8; 16]) -> Result<Vec<u8>, String> {
    if body.len() < 21 {
        return Err("body shorter than the aes128gcm header".into());
    }
    let salt = &body[..16];
    let record_size = u32::from_be_bytes(body[16..20].try_into().unwrap()) as usize;
    let id_len = body[20] as usize;
    let sender_key = body.get(21..21 + id_len).ok_or("truncated key id")?;
    let ciphertext = &body[21 + id_len..];
    if ciphertext.len() > record_size {
        return Err("more than one record".into());
    }
    let sender = PublicKey::from_sec1_bytes(sender_key).map_err(|e| e.to_string())?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), sender.as_affine());
    let receiver = secret.public_key().to_encoded_point(false);
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(receiver.as_bytes());
    key_info.extend_from_slice(sender_key);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth_secret), shared.raw_secret_bytes()).expand(&key_info, &mut ikm).map_err(|e| e.to_string())?;
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).map_err(|e| e.to_string())?;
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).map_err(|e| e.to_string())?;
    let mut plain = Aes128Gcm::new_from_slice(&cek)
        .unwrap()
        .decrypt(Nonce::from_slice(&nonce), ciphertext)
        .map_err(|_| "the payload does not decrypt".to_string())?;
    // Padding: the last record ends with 0x02 followed by zeros.
    while plain.last() == Some(&0) {
        plain.pop();
    }
    if plain.pop() != Some(2) {
        return Err("no last-record delimiter".into());
    }
    Ok(plain)
}
