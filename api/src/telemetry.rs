//! Logs and metrics set-up, in one place.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// Installs the `tracing` subscriber: `VECHE_LOG` (or `RUST_LOG`) filters, default
/// `info`; `VECHE_LOG_FORMAT=json` writes one JSON object per line for log shippers.
pub fn init_tracing() {
    let filter = std::env::var("VECHE_LOG").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(EnvFilter::new(filter)).with_writer(std::io::stderr);
    let _ =
        if std::env::var("VECHE_LOG_FORMAT").as_deref() == Ok("json") { builder.json().try_init() } else { builder.try_init() };
}

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder (installed on first use: the `metrics` facade
/// has one global recorder, and tests start several apps in one process).
pub fn metrics_handle() -> PrometheusHandle {
    METRICS
        .get_or_init(|| {
            let latency_buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &latency_buckets)
                .expect("the buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Folds the histograms' raw samples into their buckets every few seconds. A recorder
/// built with `build_recorder` does it only when scraped, so a node nobody scrapes would keep
/// every request's and command's sample (8 bytes each) for as long as it runs.
pub async fn run_metrics_upkeep(handle: PrometheusHandle, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => handle.run_upkeep(),
        }
    }
}
