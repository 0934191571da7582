//! The report.

use super::*;

pub(crate) fn fmt_ms(p: Option<Percentiles>, pick: fn(&Percentiles) -> f64) -> String {
    p.map(|p| format!("{:.2}", pick(&p))).unwrap_or_else(|| "–".into())
}

pub(crate) fn met(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**no**"
    }
}

pub(crate) fn render(report: &Report, args: &Args) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# veche benchmark\n");
    if let Some(m) = &report.machine {
        let _ = writeln!(out, "Machine: {} CPUs, Linux {}, {}\n", m.cpus, m.kernel, m.postgres);
    }
    let _ = writeln!(
        out,
        "Run: `--events {} --seconds {} --users {}`; PostgreSQL durable (fsync, synchronous_commit on).\n",
        args.events, args.seconds, args.users
    );

    if !report.raw.is_empty() {
        let _ = writeln!(
            out,
            "## 1. Raw append (postgres-es: load + commit `MeetingScheduled`, load + commit `MeetingRescheduled`)\n"
        );
        let _ = writeln!(out, "| clients | events/s | meetings scheduled/s | events | errors |");
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
        for r in &report.raw {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.0} | {} | {} |",
                r.clients,
                r.events_per_s(),
                r.meetings_per_s(),
                r.events,
                r.errors
            );
        }
        let _ = writeln!(out);
    }

    if !report.http.is_empty() {
        let _ = writeln!(out, "## 2. HTTP API (`POST /api/meetings` + `PUT /api/meetings/{{id}}/schedule`)\n");
        let _ = writeln!(
            out,
            "| clients | commands/s | meetings scheduled/s | API events/s vs raw | latency p50 ms | latency p99 ms | latency max ms | errors (non-2xx) |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        for h in &report.http {
            let raw = report.raw.iter().find(|r| r.clients == h.clients).map(|r| r.events_per_s());
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.0} | {} | {} | {} | {} | {} |",
                h.clients,
                h.commands_per_s(),
                h.scheduled_per_s(),
                raw.map(|raw| format!("{:.0} %", 100.0 * h.commands_per_s() / raw)).unwrap_or_else(|| "–".into()),
                fmt_ms(h.latency, |p| p.p50),
                fmt_ms(h.latency, |p| p.p99),
                fmt_ms(h.latency, |p| p.max),
                h.errors
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "CPU per command (the parties share the cores; their sum over the elapsed time is the load):\n");
        let _ = writeln!(out, "| clients | CPU per command | cores busy |");
        let _ = writeln!(out, "|---:|---|---:|");
        for h in &report.http {
            if let Some(cpu) = &h.cpu {
                let busy: Duration = cpu.parties.iter().map(|(_, spent)| *spent).sum();
                let per_command = cpu.per_unit_us(h.commands);
                let _ = writeln!(out, "| {} | {per_command} | {:.2} |", h.clients, busy.as_secs_f64() / h.elapsed.as_secs_f64());
            }
        }
        let _ = writeln!(out);
        if let Some(lag) = &report.lag {
            let clients = CLIENT_LEVELS[CLIENT_LEVELS.len() - 1];
            let _ = writeln!(
                out,
                "Projection lag at {clients} clients (command acknowledged → every projection past its position):\n"
            );
            let _ = writeln!(out, "| commands | p50 ms | p99 ms | max ms | timeouts (> {} s) |", LAG_TIMEOUT.as_secs());
            let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |\n",
                lag.measured,
                fmt_ms(lag.latency, |p| p.p50),
                fmt_ms(lag.latency, |p| p.p99),
                fmt_ms(lag.latency, |p| p.max),
                lag.timeouts
            );
        }
    }

    if let Some(w) = &report.week {
        let _ = writeln!(out, "## 3. Week query over {} events, {} users\n", w.events, w.users);
        let _ = writeln!(out, "| step | figure |");
        let _ = writeln!(out, "|---|---:|");
        let _ = writeln!(
            out,
            "| bulk insert (SQL) | {:.1} s ({:.0} events/s) |",
            w.insert.as_secs_f64(),
            w.events as f64 / w.insert.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "| projector catch-up (batch 1000) | {:.1} s ({:.0} events/s) |",
            w.projector.as_secs_f64(),
            w.events as f64 / w.projector.as_secs_f64()
        );
        let _ = writeln!(out, "| calendar entries | {} |\n", w.calendar_rows);
        let _ = writeln!(
            out,
            "| one week, {WEEK_QUERIES} queries, {WEEK_QUERY_CLIENTS} clients | p50 ms | p99 ms | max ms | meetings per answer | errors |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        let _ = writeln!(
            out,
            "| `GET /api/calendar` | {} | {} | {} | {:.1} | {} |",
            fmt_ms(w.http, |p| p.p50),
            fmt_ms(w.http, |p| p.p99),
            fmt_ms(w.http, |p| p.max),
            w.http_mean_meetings,
            w.http_errors
        );
        let _ = writeln!(
            out,
            "| `projections::queries::calendar` (SQL) | {} | {} | {} | {:.1} | {} |\n",
            fmt_ms(w.sql, |p| p.p50),
            fmt_ms(w.sql, |p| p.p99),
            fmt_ms(w.sql, |p| p.max),
            w.sql_mean_meetings,
            w.sql_errors
        );
    }

    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "| target | measured | met |");
    let _ = writeln!(out, "|---|---:|---|");
    let top = CLIENT_LEVELS[CLIENT_LEVELS.len() - 1];
    if let Some(h) = report.http.iter().find(|h| h.clients == top) {
        let _ = writeln!(
            out,
            "| ≥ {TARGET_SCHEDULED_PER_S:.0} scheduled meetings/s through HTTP at {top} clients | {:.0} | {} |",
            h.scheduled_per_s(),
            met(h.scheduled_per_s() >= TARGET_SCHEDULED_PER_S)
        );
        if let Some(raw) = report.raw.iter().find(|r| r.clients == top) {
            let share = 100.0 * h.commands_per_s() / raw.events_per_s();
            let _ = writeln!(
                out,
                "| API events/s ≥ {TARGET_API_SHARE_OF_RAW:.0} % of raw at {top} clients | {share:.0} % | {} |",
                met(share >= TARGET_API_SHARE_OF_RAW)
            );
        }
    }
    if let Some(p) = report.lag.as_ref().and_then(|l| l.latency) {
        let _ = writeln!(
            out,
            "| projection lag p99 ≤ {TARGET_LAG_P99_MS:.0} ms | {:.1} ms | {} |",
            p.p99,
            met(p.p99 <= TARGET_LAG_P99_MS)
        );
    }
    if let Some(p) = report.week.as_ref().and_then(|w| w.http) {
        let _ = writeln!(
            out,
            "| week query p99 ≤ {TARGET_WEEK_P99_MS:.0} ms at 1M events (HTTP; this run: {} events) | {:.2} ms | {} |",
            args.events,
            p.p99,
            met(p.p99 <= TARGET_WEEK_P99_MS)
        );
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\n## Errors\n");
        for error in &report.errors {
            let _ = writeln!(out, "- {}", error.replace('\n', " "));
        }
    }
    out
}
