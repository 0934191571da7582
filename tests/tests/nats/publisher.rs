//! The publisher: every event of the log reaches `VECHE_EVENTS` once and in order, through
//! NATS outages, relay restarts, a stream that lost its tail, and a change of leader.

use super::*;
use crate::asyncapi::assert_matches_its_schema;

#[tokio::test]
async fn every_appended_event_reaches_the_stream_once_in_order_as_a_cloudevent() {
    // Given a running publisher
    let fixture = Fixture::start().await;
    let publisher = fixture.spawn_publisher().await;
    // When 20 meetings are scheduled, moved and renamed concurrently
    let meetings = fixture.schedule_meetings(20).await;
    // Then the stream holds each of the 60 events once, in order
    let nats = fixture.nats_server.connect().await;
    let messages = wait_for_stream(&nats, meetings.len() * EVENTS_PER_MEETING).await;
    assert_complete_and_ordered(&messages, fixture.event_count().await);
    // and each is a CloudEvent whose headers agree with it and whose data has its schema
    for message in &messages {
        let event = &message.event;
        assert_eq!(event.specversion, "1.0");
        assert_eq!(message.msg_id, event.id);
        assert_eq!(event.id, format!("Meeting/{}/{}", event.subject, event.sequence));
        assert_eq!(event.position, message.position_header.to_string());
        assert_eq!(event.source, format!("urn:veche:meeting:{}", event.subject));
        assert_eq!(event.actor.as_deref(), Some("user-ann"));
        assert!(meetings.iter().any(|id| id.to_string() == event.subject));
        assert_matches_its_schema(&message.json);
    }
    let types: std::collections::BTreeSet<&str> = messages.iter().map(|m| m.event.event_type.as_str()).collect();
    assert_eq!(
        types.into_iter().collect::<Vec<_>>(),
        [
            "org.veche.meeting.MeetingDetailsChanged.v1",
            "org.veche.meeting.MeetingRescheduled.v1",
            "org.veche.meeting.MeetingScheduled.v1"
        ]
    );
    publisher.stop().await;
    fixture.stop().await;
}

#[tokio::test]
async fn events_appended_while_nats_is_down_are_published_once_it_is_back() {
    // Given a publisher that published the first meetings
    let mut fixture = Fixture::start().await;
    let publisher = fixture.spawn_publisher().await;
    fixture.schedule_meetings(5).await;
    wait_for_stream(&fixture.nats_server.connect().await, 5 * EVENTS_PER_MEETING).await;
    // When NATS goes down, meetings are scheduled meanwhile, and NATS comes back later
    fixture.nats_server.stop().await;
    fixture.schedule_meetings(5).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    fixture.nats_server.restart().await;
    // Then the stream has every event once, in order
    let nats = fixture.nats_server.connect().await;
    let messages = wait_for_stream(&nats, 10 * EVENTS_PER_MEETING).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_complete_and_ordered(&stream_messages(&nats).await, fixture.event_count().await);
    assert_eq!(messages.len(), 30);
    publisher.stop().await;
    fixture.stop().await;
}

#[tokio::test]
async fn a_restarted_publisher_publishes_nothing_twice_even_from_an_old_checkpoint() {
    // Given a publisher that published ten meetings and stopped
    let fixture = Fixture::start().await;
    let publisher = fixture.spawn_publisher().await;
    fixture.schedule_meetings(10).await;
    let nats = fixture.nats_server.connect().await;
    wait_for_stream(&nats, 10 * EVENTS_PER_MEETING).await;
    publisher.stop().await;
    // and whose checkpoint was lost (a crash between JetStream's ack and the checkpoint)
    sqlx::query("update publisher_checkpoint set transaction_id = 0, position = 0").execute(&fixture.pool).await.unwrap();
    // When a publisher starts again and more meetings are scheduled
    let publisher = fixture.spawn_publisher().await;
    fixture.schedule_meetings(2).await;
    // Then the stream holds every event once
    let messages = wait_for_stream(&nats, 12 * EVENTS_PER_MEETING).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_complete_and_ordered(&stream_messages(&nats).await, fixture.event_count().await);
    assert_eq!(messages.len(), 36);
    publisher.stop().await;
    fixture.stop().await;
}

#[tokio::test]
async fn a_stream_that_lost_its_tail_is_refilled_from_postgresql() {
    // Given a publisher that published five meetings, and a copy of NATS's store then
    let mut fixture = Fixture::start().await;
    let publisher = fixture.spawn_publisher().await;
    fixture.schedule_meetings(5).await;
    wait_for_stream(&fixture.nats_server.connect().await, 15).await;
    fixture.nats_server.stop().await;
    let store_then = fixture.nats_server.copy_store();
    fixture.nats_server.restart().await;
    // and five more meetings published and checkpointed after it
    fixture.schedule_meetings(5).await;
    wait_for_stream(&fixture.nats_server.connect().await, 30).await;
    let head = projections::global_log::head(&fixture.pool).await.unwrap();
    let checkpoint = || async {
        let (transaction, position) =
            sqlx::query_as::<_, (i64, i64)>("select transaction_id, position from publisher_checkpoint")
                .fetch_one(&fixture.pool)
                .await
                .unwrap();
        projections::global_log::LogCursor::new(transaction, position)
    };
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while checkpoint().await < head {
        assert!(tokio::time::Instant::now() < deadline, "the checkpoint reaches the head");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // When NATS crashes and comes back with only the older store (acknowledged messages
    // lost), while no publisher runs
    publisher.stop().await;
    fixture.nats_server.stop().await;
    fixture.nats_server.restore_store(&store_then);
    fixture.nats_server.restart().await;
    let nats = fixture.nats_server.connect().await;
    assert_eq!(stream_messages(&nats).await.len(), 15, "the restarted NATS lost the last 15 messages");
    // Then a publisher that starts publishes the lost events again, once each, in order
    let publisher = fixture.spawn_publisher().await;
    wait_for_stream(&nats, 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_complete_and_ordered(&stream_messages(&nats).await, fixture.event_count().await);
    // And when it happens again under a running publisher, it notices the reconnection
    // and refills the stream as well
    fixture.nats_server.stop().await;
    fixture.nats_server.restore_store(&store_then);
    fixture.nats_server.restart().await;
    fixture.schedule_meetings(1).await;
    let nats = fixture.nats_server.connect().await;
    wait_for_stream(&nats, 33).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_complete_and_ordered(&stream_messages(&nats).await, fixture.event_count().await);
    publisher.stop().await;
    fixture.stop().await;
}

#[tokio::test]
async fn of_two_publishers_one_leads_and_the_other_takes_over_when_it_dies() {
    // Given two publishers (two nodes) on the same database and NATS
    let fixture = Fixture::start().await;
    let first = fixture.spawn_publisher().await;
    eventually("the first publisher leads", || first.is_leading()).await;
    let second = fixture.spawn_publisher().await;
    // When events are appended
    fixture.schedule_meetings(5).await;
    let nats = fixture.nats_server.connect().await;
    wait_for_stream(&nats, 15).await;
    // Then only the first leads
    assert!(first.is_leading() && !second.is_leading(), "exactly one publisher leads");
    // When the leader dies
    first.kill().await;
    // Then the second takes over within seconds and publishes what comes next
    let took_over = tokio::time::Instant::now();
    eventually("the second publisher takes over", || second.is_leading()).await;
    assert!(took_over.elapsed() < Duration::from_secs(5), "took {:?} to take over", took_over.elapsed());
    fixture.schedule_meetings(5).await;
    wait_for_stream(&nats, 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_complete_and_ordered(&stream_messages(&nats).await, fixture.event_count().await);
    second.stop().await;
    fixture.stop().await;
}
