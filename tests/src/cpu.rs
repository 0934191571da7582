//! CPU time spent by each party of a benchmark, read from `/proc`, so that a report can say
//! where the cores went (veche, its load clients, PostgreSQL, ...) and not only how fast.
//!
//! The parties of one run share the machine's cores, so throughput moves with whatever else
//! runs; CPU time per command moves much less, which makes it the figure to compare builds by.

use std::time::Duration;

/// `/proc` reports times in USER_HZ, which the kernel ABI fixes at 100 on every architecture
/// Linux exposes it to user space (`sysconf(_SC_CLK_TCK)`).
const TICKS_PER_SECOND: u64 = 100;

/// Where CPU time is counted.
#[derive(Debug, Clone)]
pub enum Party {
    /// The threads of this process whose name starts with the prefix (a tokio runtime's
    /// `thread_name`).
    ThreadsNamed(&'static str),
    /// The threads of this process that no `ThreadsNamed` party of the same meter claims.
    OtherThreads,
    /// A process and its children (PostgreSQL's postmaster and backends).
    ProcessTree(u32),
}

/// Reads the CPU time of named parties; [`CpuMeter::since`] gives each one's share of a span.
#[derive(Debug, Clone)]
pub struct CpuMeter {
    parties: Vec<(String, Party)>,
}

/// CPU time used by each party up to one instant.
#[derive(Debug, Clone)]
pub struct CpuSample {
    ticks: Vec<u64>,
}

/// CPU time each party used between two samples.
#[derive(Debug, Clone)]
pub struct CpuSpent {
    pub parties: Vec<(String, Duration)>,
}

impl CpuMeter {
    pub fn new(parties: Vec<(&str, Party)>) -> Self {
        Self { parties: parties.into_iter().map(|(name, party)| (name.to_string(), party)).collect() }
    }

    pub fn sample(&self) -> CpuSample {
        let threads = own_threads();
        let claimed = |name: &str| {
            self.parties.iter().any(|(_, party)| matches!(party, Party::ThreadsNamed(prefix) if name.starts_with(prefix)))
        };
        let ticks = self
            .parties
            .iter()
            .map(|(_, party)| match party {
                Party::ThreadsNamed(prefix) => {
                    threads.iter().filter(|(name, _)| name.starts_with(prefix)).map(|(_, ticks)| ticks).sum()
                }
                Party::OtherThreads => threads.iter().filter(|(name, _)| !claimed(name)).map(|(_, ticks)| ticks).sum(),
                Party::ProcessTree(root) => process_tree_ticks(*root),
            })
            .collect();
        CpuSample { ticks }
    }

    pub fn since(&self, before: &CpuSample) -> CpuSpent {
        let now = self.sample();
        let parties = self
            .parties
            .iter()
            .zip(now.ticks.iter().zip(&before.ticks))
            .map(|((name, _), (now, before))| (name.clone(), ticks_to_duration(now.saturating_sub(*before))))
            .collect();
        CpuSpent { parties }
    }
}

impl CpuSpent {
    /// Each party's CPU per unit of work, in µs, as "name a µs, name b µs".
    pub fn per_unit_us(&self, units: u64) -> String {
        self.parties
            .iter()
            .map(|(name, spent)| format!("{name} {:.0} µs", spent.as_secs_f64() * 1e6 / units.max(1) as f64))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The CPU time of one party, by name.
    pub fn of(&self, name: &str) -> Duration {
        self.parties.iter().find(|(party, _)| party == name).map(|(_, spent)| *spent).unwrap_or_default()
    }
}

fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

/// (name, user + system ticks) of every thread of this process.
fn own_threads() -> Vec<(String, u64)> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| {
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            let (name, fields) = split_stat(&stat)?;
            Some((name.to_string(), cpu_ticks(&fields)?))
        })
        .collect()
}

/// User + system ticks of a process and of its living children (their exited children's
/// time is in `cutime`/`cstime`, which PostgreSQL's short-lived workers add to the postmaster).
fn process_tree_ticks(root: u32) -> u64 {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return 0;
    };
    processes
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let (_, fields) = split_stat(&stat)?;
            // Fields after the name start at the state (field 3 of proc(5)): ppid is field 4.
            let parent: u32 = fields.get(1)?.parse().ok()?;
            if pid != root && parent != root {
                return None;
            }
            let reaped: u64 =
                if pid == root { fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()? } else { 0 };
            Some(cpu_ticks(&fields)? + reaped)
        })
        .sum()
}

/// The command name and the fields after it; the name is in parentheses and may hold spaces.
fn split_stat(stat: &str) -> Option<(&str, Vec<&str>)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    Some((&stat[open + 1..close], stat[close + 1..].split_whitespace().collect()))
}

/// utime + stime: fields 14 and 15 of proc(5), the 12th and 13th after the name.
fn cpu_ticks(fields: &[&str]) -> Option<u64> {
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_named_thread_is_counted_for_its_party_and_not_for_the_others() {
        let meter = CpuMeter::new(vec![("busy", Party::ThreadsNamed("cpu-test-busy")), ("rest", Party::OtherThreads)]);
        let before = meter.sample();
        std::thread::Builder::new()
            .name("cpu-test-busy".into())
            .spawn(|| {
                let started = std::time::Instant::now();
                let mut x = 0u64;
                while started.elapsed() < Duration::from_millis(300) {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                }
                // Stay alive while the meter reads this thread's time.
                std::thread::sleep(Duration::from_millis(200));
            })
            .unwrap();
        std::thread::sleep(Duration::from_millis(400));
        let spent = meter.since(&before);
        assert!(spent.of("busy") >= Duration::from_millis(200), "{spent:?}");
        assert!(spent.of("rest") < Duration::from_millis(150), "{spent:?}");
    }
}
