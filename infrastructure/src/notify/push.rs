//! Web Push: see below.
