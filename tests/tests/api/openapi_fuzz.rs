//! The HTTP API driven from its own OpenAPI document by schemathesis (PyPI), bounded in
//! examples: no answer is a server error, every answer conforms to the document's status
//! codes, and the read models still move afterwards.

use reqwest::Method;
use serde_json::json;
use veche_tests::app::{spawn_app, user, TestApp};

/// The schemathesis command `tests/install-deps.sh schemathesis` installs (with pip, for
/// the Python first on PATH).
fn schemathesis() -> std::path::PathBuf {
    let prefix =
        std::process::Command::new("python3").args(["-c", "import sys; print(sys.prefix)"]).output().expect("python3 runs");
    let path = std::path::Path::new(String::from_utf8_lossy(&prefix.stdout).trim()).join("bin/schemathesis");
    assert!(path.exists(), "schemathesis is missing: run `bash tests/install-deps.sh schemathesis`");
    path
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_the_read_models_still_move() {
    let app = spawn_app().await;
    let ann = user("ann");
    // Something to find: a meeting of the caller's.
    app.schedule(&ann, &[&user("bob")], json!({})).await;
    let report = tempfile::tempdir().unwrap();
    let base = app.base.clone();
    let token = ann.token.clone();
    let dir = report.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(schemathesis())
            .arg("run")
            .arg(format!("{base}/api/openapi.json"))
            .args(["--url", &base])
            .args(["--checks", "not_a_server_error,status_code_conformance"])
            .args(["--max-examples", "25", "--seed", "20261207", "--workers", "1", "--request-timeout", "10"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            // An event stream never ends; its own tests read it.
            .args(["--exclude-path", "/api/calendar/stream"])
            .arg("--report-dir")
            .arg(&dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}\n{}", String::from_utf8_lossy(&output.stderr));

    let scheduled = app.schedule(&ann, &[], json!({"title": "After the fuzzing"})).await;
    let (id, position) = (scheduled["meeting"]["id"].as_str().unwrap(), scheduled["position"].as_i64().unwrap());
    let (status, _) = TestApp::json(
        app.request(Method::GET, &format!("/api/meetings/{id}?after_position={position}"), &ann).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, 200, "the projector still follows the log");
    app.stop().await;
}
