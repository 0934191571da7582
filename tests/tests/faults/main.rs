//! Faults with real processes: `veche serve` (its own PostgreSQL and nats-server) killed with
//! SIGKILL during a stream of commands and started again, and its PostgreSQL restarted
//! under load. Nothing acknowledged is lost, no request gets a 500, and a clean stop stops
//! every server the node runs, adopted or not.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};
use veche_tests::app::user;
use veche_tests::node::EmbeddedNode;

/// A data directory the `postgres` user can enter (veche runs PostgreSQL as it when root).
fn data_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new().prefix("veche-faults-").tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// What a stream of commands saw: the meetings acknowledged (201), and every answer's
/// status (0: no answer at all) with whether it carried `Retry-After`.
#[derive(Default)]
struct Seen {
    acknowledged: Vec<String>,
    answers: Vec<(u16, bool)>,
}

/// Four clients scheduling meetings back to back for `length`.
async fn stream_commands(base: String, length: Duration) -> Seen {
    let until = Instant::now() + length;
    let clients = (0..4).map(|client| {
        let base = base.clone();
        tokio::spawn(async move {
            let (http, organizer) = (reqwest::Client::new(), user(&format!("organizer{client}")));
            let mut seen = Seen::default();
            while Instant::now() < until {
                let body = serde_json::json!({"title": "Under fire", "start": "2036-12-01T10:00:00",
                    "end": "2036-12-01T11:00:00", "time_zone": "Europe/Berlin", "attendees": [{"email": "guest@example.org"}]});
                let sent = http.post(format!("{base}/api/meetings")).bearer_auth(&organizer.token).json(&body).send().await;
                match sent {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        seen.answers.push((status, response.headers().contains_key("retry-after")));
                        if status == 201 {
                            let value: serde_json::Value = response.json().await.unwrap_or_default();
                            seen.acknowledged.push(value["meeting"]["id"].as_str().unwrap_or_default().to_string());
                        }
                    }
                    Err(_) => {
                        seen.answers.push((0, false));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            seen
        })
    });
    let mut all = Seen::default();
    for seen in futures::future::join_all(clients).await {
        let seen = seen.unwrap();
        all.acknowledged.extend(seen.acknowledged);
        all.answers.extend(seen.answers);
    }
    all
}

async fn database_of(dir: &Path) -> sqlx::PgPool {
    let url = infrastructure::embedded_postgres::EmbeddedPostgres::running_url(dir).expect("the embedded cluster runs");
    sqlx::PgPool::connect(&url).await.unwrap()
}

/// Every acknowledged meeting is in the log, and the meetings' read model has each at the
/// version its events give (what a rebuild from zero would give), once the projector caught up.
async fn assert_nothing_acknowledged_is_lost(pool: &sqlx::PgPool, acknowledged: &[String]) {
    let logged: HashSet<String> =
        sqlx::query_scalar("select aggregate_id from events where aggregate_type = 'Meeting' and sequence = 1")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|id| !logged.contains(*id)).collect();
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let from_log: HashMap<String, i64> = sqlx::query_as(
            "select aggregate_id, max(sequence) from events where aggregate_type = 'Meeting' group by aggregate_id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        let projected: HashMap<String, i64> =
            sqlx::query_as::<_, (uuid::Uuid, i64)>("select meeting_id, version from meeting_view")
                .fetch_all(pool)
                .await
                .unwrap()
                .into_iter()
                .map(|(id, version)| (id.to_string(), version))
                .collect();
        if projected == from_log {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the read model does not match the log: {} rows against {}",
            projected.len(),
            from_log.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn pid_in(file: &Path) -> u32 {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines().next().unwrap().trim().parse().unwrap()
}

/// Whether the process runs (a zombie waiting for its parent to reap it has stopped).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
}

/// 1. A node runs its own PostgreSQL and nats-server; four clients schedule meetings.
/// 2. The node is killed with SIGKILL mid-stream; its servers are left running.
/// 3. A new node on the same data directory adopts them (restarts them as its own, and says
///    so), every acknowledged meeting is in the log and the read model equals the log.
/// 4. A clean stop of the new node stops both servers.
#[tokio::test]
async fn a_node_killed_mid_stream_loses_nothing_acknowledged_and_its_successor_adopts_and_stops_its_servers() {
    let dir = data_dir();
    let mut node = EmbeddedNode::start(dir.path()).await;
    let load = tokio::spawn(stream_commands(node.base.clone(), Duration::from_secs(3)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    node.kill();
    let seen = load.await.unwrap();
    assert!(seen.acknowledged.len() >= 10, "the stream ran: {} acknowledged", seen.acknowledged.len());
    let left_running = (pid_in(&dir.path().join("postgres/postmaster.pid")), pid_in(&dir.path().join("nats/nats-server.pid")));
    assert!(alive(left_running.0) && alive(left_running.1), "the dead node's servers run on");

    let successor = EmbeddedNode::start(dir.path()).await;
    let log = successor.log();
    assert!(log.contains("adopting the embedded PostgreSQL"), "{log}");
    assert!(log.contains("adopting the embedded nats-server"), "{log}");
    let pool = database_of(dir.path()).await;
    assert_nothing_acknowledged_is_lost(&pool, &seen.acknowledged).await;
    pool.close().await;

    let running = (pid_in(&dir.path().join("postgres/postmaster.pid")), pid_in(&dir.path().join("nats/nats-server.pid")));
    assert!(successor.stop().await.success());
    for pid in [left_running.0, left_running.1, running.0, running.1] {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(!alive(pid), "process {pid} outlived a clean stop: {state}");
    }
}

/// PostgreSQL restarted while four clients schedule meetings: they get 201 or 503 with
/// `Retry-After`, never a 500 or a dropped connection, and nothing acknowledged is lost.
#[tokio::test]
async fn postgresql_restarted_under_load_gives_503_with_retry_after_and_loses_nothing() {
    let dir = data_dir();
    let node = EmbeddedNode::start(dir.path()).await;
    let load = tokio::spawn(stream_commands(node.base.clone(), Duration::from_secs(6)));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cluster = dir.path().join("postgres");
    let pg_ctl = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap()
        .filter_map(|entry| Some(entry.ok()?.path().join("bin/pg_ctl")))
        .filter(|path| path.exists())
        .max()
        .expect("pg_ctl");
    let mut restart = std::process::Command::new(if running_as_root() { "runuser" } else { pg_ctl.to_str().unwrap() });
    if running_as_root() {
        restart.args(["-u", "postgres", "--"]).arg(&pg_ctl);
    }
    // The server pg_ctl starts keeps what it is given as output: a log file, not our pipe.
    let restarted = restart
        .arg("restart")
        .arg("-D")
        .arg(&cluster)
        .args(["-m", "fast", "-w", "-l"])
        .arg(dir.path().join("postgres.log"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(restarted.success());
    let seen = load.await.unwrap();

    let statuses: HashSet<u16> = seen.answers.iter().map(|(status, _)| *status).collect();
    let unavailable = seen.answers.iter().filter(|(status, _)| *status == 503).count();
    eprintln!("{} answers, {} acknowledged, {unavailable} told to retry", seen.answers.len(), seen.acknowledged.len());
    assert!(statuses.iter().all(|status| [201, 503].contains(status)), "answers: {statuses:?}");
    assert!(seen.answers.iter().filter(|(status, _)| *status == 503).all(|(_, retry_after)| *retry_after));
    let pool = database_of(dir.path()).await;
    assert_nothing_acknowledged_is_lost(&pool, &seen.acknowledged).await;
    pool.close().await;
    assert!(node.stop().await.success());
}

fn running_as_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}
