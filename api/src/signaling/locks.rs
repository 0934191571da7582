//! Locks of the hub that outlive a panic.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The signaling locks guard maps and vectors that no code path leaves half-changed: a panic
/// elsewhere while one was held must not make every later call on it panic too, which would
/// take the node's whole hub down with one connection.
pub fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

pub fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
