//! A spike is not a leak: allocate 5,000,000 small objects, drop them, and watch the
//! allocator hand its arenas back to the OS. Then contrast a workload that plateaus
//! (it reuses the same memory every repetition) with one that truly leaks (a hidden
//! global list keeps growing).
//!
//! `cargo run --release -p mrt --example spike_plateau`

use mrt::object::{Error, Runtime};
use mrt::observe::{MemoryMonitor, Verdict};

const SPIKE: usize = 5_000_000;

fn mib(bytes: usize) -> String {
    format!("{:8.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Resident set size of this process, from /proc (None where unavailable).
fn rss() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn report(rt: &Runtime, label: &str) {
    let s = rt.heap_stats();
    println!(
        "{label:<28} in use {}  held {}  arenas {:>6}  returned to OS {}  RSS {}",
        mib(s.bytes_in_use),
        mib(s.bytes_held),
        s.arenas,
        mib(s.bytes_returned_to_os as usize),
        rss().map_or("n/a".into(), mib)
    );
}

fn main() -> Result<(), Error> {
    let rt = Runtime::new();
    report(&rt, "start");

    // The spike: 5,000,000 two-item tuples (of small ints: no allocation for the ints).
    let list = rt.list()?;
    for i in 0..SPIKE as i64 {
        let t = rt.tuple(&[&rt.int(i)?, &rt.int(-i)?])?;
        list.append(&t)?;
    }
    report(&rt, "5,000,000 tuples alive");
    drop(list);
    report(&rt, "after dropping them");
    let s = rt.heap_stats();
    println!(
        "  -> {:.2}% of the peak is still held by the allocator (peak {})\n",
        100.0 * s.bytes_held as f64 / s.peak_bytes_held as f64,
        mib(s.peak_bytes_held).trim()
    );

    // Plateau vs leak: sixteen repetitions of the same work, each workload in a runtime
    // of its own. The plateau workload drops everything it made; the leaky one forgets
    // one small list per ten items in a cache reachable from its globals dict. After each
    // repetition a memory monitor gets a sample (bytes, and objects by type).
    let plateau = Runtime::new();
    let leaky = Runtime::new();
    let cache = leaky.list()?;
    leaky.globals()?.set_item(&leaky.str("cache")?, &cache)?;
    let (mut plateau_monitor, mut leak_monitor) = (MemoryMonitor::new(), MemoryMonitor::new());
    println!("repetition   plateau: held after     leak: held after");
    for rep in 1..=16 {
        {
            let work = plateau.list()?;
            for i in 0..100_000 {
                let item = plateau.list()?;
                item.append(&plateau.int(i)?)?;
                work.append(&item)?;
            }
        }
        {
            let work = leaky.list()?;
            for i in 0..100_000 {
                let item = leaky.list()?;
                item.append(&leaky.int(i)?)?;
                work.append(&item)?;
                if i % 10 == 0 {
                    cache.append(&item)?; // the leak: a cache nobody empties
                }
            }
        }
        plateau.collect();
        leaky.collect();
        plateau_monitor.record(mrt::sample(&plateau));
        leak_monitor.record(mrt::sample(&leaky));
        println!(
            "{rep:>10}   {}        {}",
            mib(plateau.heap_stats().bytes_held),
            mib(leaky.heap_stats().bytes_held)
        );
    }
    println!(
        "\nThe plateau column stays flat: the allocator reuses the same pools every time.\n\
         The leak column grows by the same amount every repetition: 10,000 lists a round\n\
         reachable from the globals dict. The monitors say so (first 3 samples are warm-up):\n"
    );
    println!("plateau: {}", plateau_monitor.verdict());
    println!("leak:    {}", leak_monitor.verdict());
    if let Verdict::Growing { top_types, .. } = leak_monitor.verdict()
        && let Some((t, n)) = top_types.first()
    {
        println!(
            "\n=> the leak is {n:.0} '{t}' objects per repetition (examples/leak_hunt finds the site)"
        );
    }
    Ok(())
}
