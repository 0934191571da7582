//! Percentiles for the benchmarks' reports.

/// p50, p99 and the maximum of a sample, in the sample's unit.
#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles; `None` for an empty sample.
    pub fn of(mut sample: Vec<f64>) -> Option<Self> {
        if sample.is_empty() {
            return None;
        }
        sample.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let rank = ((q * sample.len() as f64).ceil() as usize).clamp(1, sample.len());
            sample[rank - 1]
        };
        Some(Self { p50: at(0.50), p95: at(0.95), p99: at(0.99), max: sample[sample.len() - 1] })
    }
}
