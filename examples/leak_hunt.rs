//! Hunting a leak with mrt's observability tools (design §6, docs/observability.md).
//!
//! A toy request handler runs 40 rounds of 250 requests. Each request builds a session
//! instance and a request dict that refer to each other (a cycle: the collector frees
//! it) and a response list, and drops them — except that an "audit" helper quietly
//! appends one `AuditEntry` per request to a list hidden in the globals.
//! Three tools find it without reading the code:
//!
//! 1. census growth (objgraph's `growth`): which types keep passing their peak;
//! 2. tracemalloc snapshots `compare_to`: which line allocates what stays;
//! 3. the memory monitor's verdict over per-round samples: leak or plateau, how fast,
//!    which type and site.
//!
//! It then writes the monitor's memory timeline and the GC pause histogram as SVG into
//! `target/leak_hunt/` (under `$CARGO_TARGET_DIR` when set).
//!
//! `cargo run --release -p mrt --example leak_hunt`

use std::path::PathBuf;

use mrt::object::{ClassId, ClassSpec, Error, Runtime};
use mrt::observe::svg::{self, CollectionMark};
use mrt::observe::{KeyType, MemoryMonitor, Verdict};
use mrt::tracemalloc;

const ROUNDS: usize = 40;
const REQUESTS: i64 = 250;

struct App {
    session: ClassId,
    entry: ClassId,
}

/// `server.py:handle` — one request.
fn handle(rt: &Runtime, app: &App, id: i64) -> Result<(), Error> {
    tracemalloc::push_frame(rt, "server.py", 12, "handle");
    let session = rt.instance(&app.session)?;
    session.setattr("user", &rt.str(&format!("user-{}", id % 97))?)?;
    let request = rt.dict()?;
    request.set_item(&rt.intern("path")?, &rt.str(&format!("/items/{id}"))?)?;
    request.set_item(&rt.intern("session")?, &session)?;
    session.setattr("request", &request)?; // a cycle, left to the collector
    tracemalloc::set_line(rt, 15).ok();
    let body = rt.list()?;
    for i in 0..8 {
        body.append(&rt.float(i as f64 * 0.5)?)?;
    }
    audit(rt, app, id, &request)?;
    tracemalloc::pop_frame(rt).ok();
    Ok(())
}

/// `audit.py:record` — the leak: one dict per request into a list nobody empties.
fn audit(rt: &Runtime, app: &App, id: i64, request: &mrt::object::Obj<'_>) -> Result<(), Error> {
    tracemalloc::push_frame(rt, "audit.py", 42, "record");
    let globals = rt.globals()?;
    let key = rt.intern("_audit_log")?;
    let log = match globals.get_item(&key) {
        Ok(l) => l,
        Err(_) => {
            let l = rt.list()?;
            globals.set_item(&key, &l)?;
            l
        }
    };
    let entry = rt.instance(&app.entry)?;
    entry.setattr("id", &rt.int(id)?)?;
    entry.setattr("path", &request.get_item(&rt.intern("path")?)?)?;
    log.append(&entry)?;
    tracemalloc::pop_frame(rt).ok();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = Runtime::new();
    mrt::record_gc_pauses(&rt);
    tracemalloc::start(&rt, 4)?;
    let app = App {
        session: rt.define_class(ClassSpec::new("Session").slots(&["user", "request"]))?,
        entry: rt.define_class(ClassSpec::new("AuditEntry").slots(&["id", "path"]))?,
    };
    let mut monitor = MemoryMonitor::new();
    let mut marks = Vec::new();
    let mut seen = rt.get_stats().map(|g| g.collections);
    let mut baseline = None;
    mrt::growth(&rt, 0); // every type's current count is the first peak
    for round in 0..ROUNDS {
        for r in 0..REQUESTS {
            handle(&rt, &app, round as i64 * REQUESTS + r)?;
        }
        rt.collect();
        monitor.record(mrt::sample(&rt));
        let stats = rt.get_stats();
        for (g, st) in stats.iter().enumerate() {
            if st.collections > seen[g] {
                marks.push(CollectionMark {
                    x: round as f64,
                    generation: g as u8,
                });
            }
        }
        seen = stats.map(|g| g.collections);
        if round == 4 {
            baseline = Some(tracemalloc::take_snapshot(&rt)?);
        }
        if round == 9 || round == ROUNDS - 1 {
            println!(
                "census growth after round {} (objgraph's growth):",
                round + 1
            );
            for g in mrt::growth(&rt, 3) {
                println!("  {g}");
            }
        }
    }

    println!("\ntop 3 differences since round 5 (tracemalloc compare_to, by line):");
    let now = tracemalloc::take_snapshot(&rt)?;
    if let Some(old) = &baseline {
        for d in now.compare_to(old, KeyType::Lineno).iter().take(3) {
            println!("  {d}");
        }
    }
    let leaked = now
        .statistics(KeyType::Traceback)
        .into_iter()
        .next()
        .map(|s| s.traceback.format(None, false).join("\n"));
    if let Some(tb) = leaked {
        println!("\nbiggest traceback:\n{tb}");
    }

    println!(
        "\nmonitor verdict over {} rounds:\n{}",
        ROUNDS,
        monitor.verdict()
    );
    if let Verdict::Growing {
        top_types,
        top_sites,
        ..
    } = monitor.verdict()
        && let (Some((t, n)), Some((s, b))) = (top_types.first(), top_sites.first())
    {
        println!("=> {n:.0} more '{t}' objects per round; {b:.0} bytes more per round at {s}");
    }

    println!("\n{}", mrt::memory_report(&rt));

    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("leak_hunt");
    std::fs::create_dir_all(&dir)?;
    let timeline = dir.join("timeline.svg");
    std::fs::write(&timeline, svg::monitor_timeline(&monitor, &marks))?;
    let pauses = dir.join("gc_pauses.svg");
    let recorded = mrt::gc_pauses(&rt).ok_or("pause recorder not installed")?;
    std::fs::write(&pauses, svg::pause_histogram(&recorded.pauses))?;
    println!("wrote {}\nwrote {}", timeline.display(), pauses.display());
    Ok(())
}
