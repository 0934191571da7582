-- Browsers' Web Push subscriptions (the W3C PushSubscription), per signed-in person.
-- Reminders reach a person by email address (attendees are invited by email), so the
-- address the token carried is kept beside the token's subject.
create table push_subscription
(
    -- the push service's URL for this browser; unique: a browser subscribes once
    endpoint   text primary key check (length(endpoint) <= 2048),
    user_id    text        not null,
    user_email text        not null,
    -- the browser's P-256 public key and the auth secret, base64url (RFC 8291)
    p256dh     text        not null,
    auth       text        not null,
    created_at timestamptz not null default now()
);

create index push_subscription_by_user on push_subscription (user_id);
create index push_subscription_by_email on push_subscription (user_email);
