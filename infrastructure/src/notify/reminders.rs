//! The reminder scheduler.
