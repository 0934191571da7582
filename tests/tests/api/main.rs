//! The HTTP API as a client sees it, against veche on a free port over a fresh database.

mod auth;
mod authorization;
mod calendar;
mod cors;
mod errors;
mod history;
mod live;
mod meetings;
mod oidc;
mod openapi_fuzz;
mod operations;
mod peerjs;
mod people;
mod rooms;
mod sign_in;
mod signaling_fuzz;
mod socketio;
