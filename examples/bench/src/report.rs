//! The one table the harness prints (Markdown, so BENCHMARKS.md can quote it as is).

use std::fmt::Write as _;
use std::time::Duration;

use crate::realtime::Fanout;
use crate::wrk::Outcome;

pub struct Row {
    pub name: String,
    pub ours: Outcome,
    pub theirs: Option<Outcome>,
}

pub struct Report {
    cores: usize,
    smoke: bool,
    duration: Duration,
    subscribers: usize,
    pub rows: Vec<Row>,
    pub ceiling: Option<Outcome>,
    /// (ours, PocketBase)
    pub startup: Option<(Duration, Duration)>,
    pub idle: Option<(u64, u64)>,
    pub loaded: Option<(u64, u64)>,
    pub fanout_rss: Option<(u64, u64)>,
    pub fanout: Option<(Fanout, Fanout)>,
    pub generator: Vec<(String, Duration)>,
    pub notes: Vec<String>,
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 { format!("{:.2}x", a / b) } else { "-".into() }
}

fn lat(o: &Outcome) -> String {
    format!("{:.2} / {:.2}", o.p50_ms, o.p99_ms)
}

fn errors(o: &Outcome) -> String {
    if o.errors > 0 { format!(" ({} failed)", o.errors) } else { String::new() }
}

impl Report {
    pub fn new(cores: usize, smoke: bool, duration: Duration, subscribers: usize) -> Self {
        Self {
            cores,
            smoke,
            duration,
            subscribers,
            rows: Vec::new(),
            ceiling: None,
            startup: None,
            idle: None,
            loaded: None,
            fanout_rss: None,
            fanout: None,
            generator: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn render(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{} cores; wrk, one thread, 64 connections (8 for auth-with-password), {} s per scenario and server{}; \
             latencies p50 / p99 in ms.\n",
            self.cores,
            self.duration.as_secs(),
            if self.smoke { "; SMOKE RUN (tiny data, numbers meaningless)" } else { "" }
        );
        for n in &self.notes {
            let _ = writeln!(t, "- {n}");
        }
        t.push('\n');
        let ceiling = self.ceiling.map_or(0.0, |c| c.rps);
        t.push_str("| scenario | pbgen req/s | PocketBase req/s | ratio | pbgen p50 / p99 | PocketBase p50 / p99 | pbgen / ceiling |\n");
        t.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
        if let Some(c) = &self.ceiling {
            let _ = writeln!(
                t,
                "| ceiling: bare axum route, one SQLite row as JSON | {:.0}{} | | | {} | | 1.00 |",
                c.rps,
                errors(c),
                lat(c)
            );
        }
        for r in &self.rows {
            let (theirs, rat, tl) = match &r.theirs {
                Some(th) => (format!("{:.0}{}", th.rps, errors(th)), ratio(r.ours.rps, th.rps), lat(th)),
                None => (String::new(), String::new(), String::new()),
            };
            let _ = writeln!(
                t,
                "| {} | {:.0}{} | {theirs} | {rat} | {} | {tl} | {} |",
                r.name,
                r.ours.rps,
                errors(&r.ours),
                lat(&r.ours),
                if ceiling > 0.0 { format!("{:.2}", r.ours.rps / ceiling) } else { "-".into() }
            );
        }
        t.push_str("\n| measure (lower is better) | pbgen | PocketBase | pbgen / PocketBase |\n|---|---:|---:|---:|\n");
        if let Some((fo, ft)) = &self.fanout {
            let _ = writeln!(
                t,
                "| realtime fan-out: {} SSE subscribers, one create, until all have it (p50 / all) | {} / {} | {} / {} | {} |",
                self.subscribers,
                ms(fo.p50),
                ms(fo.all),
                ms(ft.p50),
                ms(ft.all),
                ratio(fo.all.as_secs_f64(), ft.all.as_secs_f64())
            );
            let _ = writeln!(
                t,
                "| realtime: connecting and subscribing {} clients | {} | {} | {} |",
                self.subscribers,
                ms(fo.setup),
                ms(ft.setup),
                ratio(fo.setup.as_secs_f64(), ft.setup.as_secs_f64())
            );
        }
        let mem = |t: &mut String, label: &str, v: Option<(u64, u64)>| {
            if let Some((o, p)) = v {
                let _ = writeln!(t, "| {label} | {} | {} | {} |", mib(o), mib(p), ratio(o as f64, p as f64));
            }
        };
        mem(&mut t, "RSS idle (after start-up)", self.idle);
        mem(&mut t, "RSS peak under the HTTP scenarios", self.loaded);
        mem(&mut t, &format!("RSS with {} realtime subscribers", self.subscribers), self.fanout_rss);
        if let Some((o, p)) = self.startup {
            let _ = writeln!(
                t,
                "| start-up until /api/health answers (median of 3) | {} | {} | {} |",
                ms(o),
                ms(p),
                ratio(o.as_secs_f64(), p.as_secs_f64())
            );
        }
        if !self.generator.is_empty() {
            t.push_str("\n| generator | time |\n|---|---:|\n");
            for (label, d) in &self.generator {
                let _ = writeln!(t, "| {label} | {} |", ms(*d));
            }
        }
        t
    }
}
