//! What the projections of one batch share: the batch's events decoded once, the meeting
//! states `meeting_details` computed ([`BatchMemo`]), and the writes, gathered into one
//! statement ([`BatchWrites`]).
//!
//! Under load every round trip waits for a turn on a busy runtime and a busy database, so a
//! batch reads what it needs, then sends every projection's writes and the checkpoint
//! advance as one statement of data-modifying common table expressions.

use crate::global_log::{LogCursor, RecordedEvent};
use crate::{meeting_details, ProjectionError};
use domain::meeting::{Meeting, MeetingEvent};
use domain::room::RoomEvent;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection, Postgres};
use std::collections::HashMap;
use std::fmt::Write as _;
use uuid::Uuid;

/// A batch's events of one aggregate type, decoded, with their records, in log order.
pub(crate) type Decoded<'b, E> = Vec<(&'b RecordedEvent, E)>;

/// A batch's events decoded once for every projection.
pub(crate) struct DecodedBatch<'b> {
    pub meetings: Decoded<'b, MeetingEvent>,
    pub rooms: Decoded<'b, RoomEvent>,
}

impl<'b> DecodedBatch<'b> {
    pub(crate) fn decode(
        batch: impl IntoIterator<Item = &'b RecordedEvent>,
        upcasters: &[Box<dyn cqrs_es::persist::EventUpcaster>],
    ) -> Result<Self, ProjectionError> {
        let (mut meetings, mut rooms) = (vec![], vec![]);
        for recorded in batch {
            if let Some(event) = recorded.event_of::<Meeting>(upcasters)? {
                meetings.push((recorded, event));
            } else if let Some(event) = recorded.event_of::<domain::room::Room>(upcasters)? {
                rooms.push((recorded, event));
            }
        }
        Ok(Self { meetings, rooms })
    }
}

/// The events of `events` after `checkpoint` (a batch is in log order).
pub(crate) fn after<'e, 'b, E>(events: &'e [(&'b RecordedEvent, E)], checkpoint: LogCursor) -> &'e [(&'b RecordedEvent, E)] {
    &events[events.partition_point(|(recorded, _)| recorded.cursor() <= checkpoint)..]
}

/// What one projection of a batch leaves for the next ones in the same transaction: the
/// meetings `meeting_details` brought up to the end of the batch (written to `meeting_view`
/// as they are here), so that `calendar` and `reminders` need not read back and decode what
/// is being written.
#[derive(Default)]
pub(crate) struct BatchMemo {
    pub meetings: HashMap<Uuid, Meeting>,
}

impl BatchMemo {
    /// The meetings `ids` as `meeting_view` has them at the end of the batch. A meeting
    /// `meeting_details` did not touch in this batch (it had seen its events already: a
    /// rebuild of another projection) is read from the table, and kept for the next
    /// projection. Meetings with no row are left out.
    pub(crate) async fn meetings_of(
        &mut self,
        conn: &mut PgConnection,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, &Meeting)>, ProjectionError> {
        let unseen: Vec<Uuid> = ids.iter().filter(|id| !self.meetings.contains_key(id)).copied().collect();
        if !unseen.is_empty() {
            for (id, meeting, _) in meeting_details::stored(conn, &unseen).await? {
                self.meetings.insert(id, meeting);
            }
        }
        Ok(ids.iter().filter_map(|id| self.meetings.get(id).map(|meeting| (*id, meeting))).collect())
    }
}

/// The writes of one batch, sent as one statement: each projection adds its data-modifying
/// common table expressions, and [`BatchWrites::execute`] runs them under a final query.
///
/// Parts of one statement see the same snapshot and none sees another's changes, so no
/// part may read a table another part writes, and two parts writing one table must touch
/// different rows (as `calendar`'s delete and upsert do).
#[derive(Default)]
pub(crate) struct BatchWrites {
    ctes: Vec<String>,
    arguments: PgArguments,
}

impl BatchWrites {
    /// Adds `ctes` (`name as (…), name as (…)`, names unique in the batch), whose parameters
    /// are numbered from `$1` as if the part were a statement of its own; bind them in order
    /// on the returned [`Part`].
    pub(crate) fn add(&mut self, ctes: &str) -> Part<'_> {
        self.ctes.push(renumbered(ctes, self.arguments.len()));
        Part { writes: self }
    }

    /// Runs every part, then `query` (which may read the parts' `returning` rows), as one
    /// statement, and returns the first column of the query's one row.
    pub(crate) async fn execute<O>(self, conn: &mut PgConnection, query: &str) -> Result<O, ProjectionError>
    where
        O: Send + Unpin + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    {
        let mut sql = String::new();
        if !self.ctes.is_empty() {
            let _ = write!(sql, "with {} ", self.ctes.join(", "));
        }
        sql.push_str(query);
        Ok(sqlx::query_scalar_with::<Postgres, O, _>(&sql, self.arguments).fetch_one(&mut *conn).await?)
    }
}

/// One part of a batch's statement, taking its parameters in order.
pub(crate) struct Part<'w> {
    writes: &'w mut BatchWrites,
}

impl Part<'_> {
    pub(crate) fn bind<'q, T>(self, value: T) -> Result<Self, ProjectionError>
    where
        T: 'q + sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres>,
    {
        self.writes.arguments.add(value).map_err(|error| ProjectionError::Database(sqlx::Error::Encode(error)))?;
        Ok(self)
    }
}

/// `sql` with every parameter `$n` made `$(n + by)`. Projection SQL has no dollar quoting,
/// so every `$` followed by digits is a parameter.
fn renumbered(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let n: usize = rest[..digits].parse().expect("a run of ASCII digits is a number");
            let _ = write!(out, "{}", n + by);
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The distinct UUIDs of the aggregates of a batch's events that `keep` picks, sorted. Ids
/// that are not UUIDs were never written by veche and are left out.
pub(crate) fn distinct_ids<E>(events: &[(&RecordedEvent, E)], keep: impl Fn(&E) -> bool) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> =
        events.iter().filter(|(_, event)| keep(event)).filter_map(|(recorded, _)| recorded.aggregate_id.parse().ok()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A batch's events keyed by their aggregate id as a UUID, and the distinct ids, sorted. Ids
/// that are not UUIDs were never written by veche and are left out.
pub(crate) fn keyed_by_uuid<'e, 'b, E>(
    events: &'e [(&'b RecordedEvent, E)],
) -> (Vec<(Uuid, &'b RecordedEvent, &'e E)>, Vec<Uuid>) {
    let ids = distinct_ids(events, |_| true);
    let keyed = events
        .iter()
        .filter_map(|(recorded, event)| recorded.aggregate_id.parse().ok().map(|id| (id, *recorded, event)))
        .collect();
    (keyed, ids)
}

#[cfg(test)]
mod tests {
    use super::renumbered;

    #[test]
    fn a_part_s_parameters_follow_those_of_the_parts_before_it() {
        assert_eq!(renumbered("a as (select $1, $2::text[], $10)", 3), "a as (select $4, $5::text[], $13)");
    }

    #[test]
    fn a_dollar_sign_without_digits_is_left_as_it_is() {
        assert_eq!(renumbered("select '$' || $1, $", 1), "select '$' || $2, $");
    }
}
