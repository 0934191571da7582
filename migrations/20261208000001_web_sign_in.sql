-- Signing in to the web app. Every secret here is kept only as its SHA-256: whoever reads
-- the database cannot sign in as anyone.

-- A browser's session: the HttpOnly cookie holds the secret. The CSRF token is given to the
-- app's scripts (`GET /api/session`) and must come back in a header on every change.
create table web_session
(
    secret_hash bytea       primary key,
    user_id     text        not null,
    email       text        not null,
    name        text        not null,
    -- how the person signed in: 'email' (a sign-in link) or 'oidc'
    method      text        not null,
    csrf_token  text        not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null
);
create index web_session_expiry on web_session (expires_at);

-- A single-use sign-in link, valid for minutes: `used_at` is set by the one request that
-- redeems it.
create table sign_in_link
(
    secret_hash bytea       primary key,
    email       text        not null,
    -- where the app goes after signing in (a path on this site)
    return_to   text,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz
);
create index sign_in_link_expiry on sign_in_link (expires_at);

-- An OpenID Connect login in flight (authorization code with PKCE), keyed by its `state`;
-- taken (deleted) by the provider's redirect back, so a state is used once.
create table oidc_login
(
    state_hash    bytea       primary key,
    pkce_verifier text        not null,
    nonce         text        not null,
    return_to     text,
    expires_at    timestamptz not null
);
