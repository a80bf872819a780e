//! Hand-rolled SVG plots: the memory timeline and the GC pause histogram.
//!
//! No dependency: an [`Svg`] buffer with the handful of elements the plots need, text
//! escaped for XML, numbers rounded to 0.1 px. Both plots take plain values (the runtime, the
//! [`MemoryMonitor`]'s samples, the collector's pause log) and accept
//! empty or non-finite input — they then draw empty axes with "no data".

use std::fmt::Write as _;

use super::monitor::{MemoryMonitor, Sample, Verdict};
use super::trend::theil_sen;

/// Plot size and margins, in pixels.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 58.0;
/// Baseline of the legend row, between the title and the plot.
const LEGEND_Y: f64 = 42.0;
const BOTTOM: f64 = 52.0;

/// Series colours (colour-blind safe, Okabe–Ito).
const LIVE: &str = "#0072B2";
const HELD: &str = "#E69F00";
const TREND: &str = "#000000";
/// One colour per GC generation.
const GENERATION: [&str; 3] = ["#009E73", "#D55E00", "#CC79A7"];

/// Escape text for XML content and attribute values.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// An SVG document being written.
#[derive(Debug)]
pub struct Svg {
    out: String,
}

impl Svg {
    /// A `width × height` document with a white background and `title` for accessibility.
    pub fn new(width: f64, height: f64, title: &str) -> Self {
        let mut out = String::new();
        let _ = write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n<title>{t}</title>\n<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n",
            w = px(width),
            h = px(height),
            t = escape_xml(title)
        );
        Svg { out }
    }

    /// A line segment.
    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = writeln!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"/>",
            px(x1),
            px(y1),
            px(x2),
            px(y2),
            escape_xml(stroke),
            px(width)
        );
    }

    /// A dashed line segment, tagged with `class`.
    pub fn dashed_line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, class: &str) {
        let _ = writeln!(
            self.out,
            "<line class=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>",
            escape_xml(class),
            px(x1),
            px(y1),
            px(x2),
            px(y2),
            escape_xml(stroke)
        );
    }

    /// A polyline through `points`, tagged with `class` so readers (and tests) can find it.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, class: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{},{}", px(x), px(y)))
            .collect();
        let _ = writeln!(
            self.out,
            "<polyline class=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>",
            escape_xml(class),
            pts.join(" "),
            escape_xml(stroke)
        );
    }

    /// A filled rectangle.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, class: &str) {
        let _ = writeln!(
            self.out,
            "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
            escape_xml(class),
            px(x),
            px(y),
            px(w.max(0.0)),
            px(h.max(0.0)),
            escape_xml(fill)
        );
    }

    /// A downward triangle marker centred on `x` with its tip at `y`.
    pub fn marker(&mut self, x: f64, y: f64, fill: &str, class: &str, tooltip: &str) {
        let _ = writeln!(
            self.out,
            "<path class=\"{}\" d=\"M{} {} l-4 -7 h8 z\" fill=\"{}\"><title>{}</title></path>",
            escape_xml(class),
            px(x),
            px(y),
            escape_xml(fill),
            escape_xml(tooltip)
        );
    }

    /// Text; `anchor` is `start`, `middle` or `end`.
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, content: &str) {
        let _ = writeln!(
            self.out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>",
            px(x),
            px(y),
            escape_xml(anchor),
            escape_xml(content)
        );
    }

    /// Text rotated -90° about its anchor (y-axis titles).
    pub fn vertical_text(&mut self, x: f64, y: f64, content: &str) {
        let _ = writeln!(
            self.out,
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" transform=\"rotate(-90 {x} {y})\">{}</text>",
            escape_xml(content),
            x = px(x),
            y = px(y)
        );
    }

    /// Close the document.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// A coordinate rounded to 0.1 px (`0` for non-finite input, so output stays valid).
fn px(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Bytes with a binary unit for axis labels: `0 B`, `512 KiB`, `1.5 MiB`.
pub fn format_bytes(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes;
    let mut unit = 0;
    while v.abs() >= 1024.0 && unit < units.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    let num = if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    };
    format!("{num} {}", units[unit])
}

/// Durations for axis labels: `10 µs`, `2.5 ms`, `1 s`.
pub fn format_seconds(s: f64) -> String {
    let (v, unit) = if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else if s >= 1e-6 {
        (s * 1e6, "µs")
    } else {
        (s * 1e9, "ns")
    };
    let rounded = (v * 10.0).round() / 10.0;
    if rounded == rounded.trunc() {
        format!("{} {unit}", rounded as i64)
    } else {
        format!("{rounded:.1} {unit}")
    }
}

/// Up to ~`target` "nice" tick values covering `[0, max]`: steps of 1, 2, 5 × 10^k, or for
/// bytes 1, 2, 4, 8 … × 2^(10u) so labels read `256 KiB`, `512 KiB`, `1 MiB`.
fn ticks(max: f64, target: usize, bytes: bool) -> Vec<f64> {
    if !(max > 0.0 && max.is_finite()) {
        return vec![0.0];
    }
    let raw = max / target.max(1) as f64;
    let step = if bytes {
        // Smallest power of two ≥ raw: in a binary unit every power of two is a round label.
        2f64.powf(raw.log2().ceil()).max(1.0)
    } else {
        let mag = 10f64.powf(raw.log10().floor());
        [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * mag)
    };
    let n = (max / step).ceil() as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

/// One point of the memory timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimelinePoint {
    /// Repetition number or seconds since start.
    pub x: f64,
    /// Bytes in live blocks.
    pub live_bytes: u64,
    /// Bytes the allocator holds.
    pub held_bytes: u64,
}

/// A collection on the timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CollectionMark {
    /// When (same axis as [`TimelinePoint::x`]).
    pub x: f64,
    /// Generation collected (0, 1 or 2; higher is drawn as 2).
    pub generation: u8,
}

/// Timeline points from monitor samples, `x` = repetition number.
pub fn points_from_samples(samples: &[Sample]) -> Vec<TimelinePoint> {
    samples
        .iter()
        .enumerate()
        .map(|(i, s)| TimelinePoint {
            x: i as f64,
            live_bytes: s.live_bytes,
            held_bytes: s.held_bytes,
        })
        .collect()
}

/// The memory timeline: live and held bytes as lines over `x`, collections as markers
/// along the bottom, y ticks in binary units.
pub fn timeline(points: &[TimelinePoint], collections: &[CollectionMark], x_label: &str) -> String {
    timeline_with(points, collections, x_label, &Overlay::default())
}

/// What [`monitor_timeline`] draws on top of the plain timeline.
#[derive(Default)]
struct Overlay {
    /// Title; "Memory timeline" when empty.
    title: String,
    /// Shade `x < warmup_until` as the ignored warm-up.
    warmup_until: Option<f64>,
    /// A fitted line `(x0, y0) → (x1, y1)`.
    trend: Option<((f64, f64), (f64, f64))>,
}

/// The monitor's samples as a timeline (x = repetition), with the warm-up shaded, the
/// verdict in the title and, for a leak, the Theil–Sen line fitted to the window dashed.
pub fn monitor_timeline(monitor: &MemoryMonitor, collections: &[CollectionMark]) -> String {
    let samples = monitor.samples();
    let points = points_from_samples(samples);
    let verdict = monitor.verdict();
    let headline = verdict
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let window = monitor.window();
    let start = samples.len() - window.len();
    let trend = match verdict {
        Verdict::Growing { .. } => {
            let live: Vec<f64> = window.iter().map(|s| s.live_bytes as f64).collect();
            theil_sen(&live).map(|(slope, intercept)| {
                let end = (live.len() - 1) as f64;
                (
                    (start as f64, intercept),
                    (start as f64 + end, intercept + slope * end),
                )
            })
        }
        _ => None,
    };
    let warmup = monitor.config().warmup.min(samples.len());
    let overlay = Overlay {
        title: format!("Memory timeline — {headline}"),
        warmup_until: (warmup > 0).then_some(warmup as f64 - 0.5),
        trend,
    };
    timeline_with(&points, collections, "repetition", &overlay)
}

fn timeline_with(
    points: &[TimelinePoint],
    collections: &[CollectionMark],
    x_label: &str,
    overlay: &Overlay,
) -> String {
    let title = if overlay.title.is_empty() {
        "Memory timeline"
    } else {
        overlay.title.as_str()
    };
    let mut svg = Svg::new(WIDTH, HEIGHT, title);
    let points: Vec<TimelinePoint> = points.iter().copied().filter(|p| p.x.is_finite()).collect();
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    svg.text(WIDTH / 2.0, 20.0, "middle", title);
    let x_min = points.iter().map(|p| p.x).fold(f64::INFINITY, f64::min);
    let x_max = points.iter().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max);
    let y_max = points
        .iter()
        .map(|p| p.live_bytes.max(p.held_bytes) as f64)
        .fold(0.0, f64::max);
    let y_ticks = ticks(y_max, 5, true);
    let y_top = y_ticks.last().copied().filter(|t| *t > 0.0).unwrap_or(1.0);
    let (x_lo, x_hi) = if points.is_empty() {
        (0.0, 1.0)
    } else if x_max > x_min {
        (x_min, x_max)
    } else {
        (x_min - 0.5, x_min + 0.5)
    };
    let sx = |x: f64| LEFT + (x - x_lo) / (x_hi - x_lo) * plot_w;
    let sy = |y: f64| TOP + plot_h - y / y_top * plot_h;

    if let Some(until) = overlay.warmup_until.filter(|u| u.is_finite() && *u > x_lo) {
        let right = sx(until.min(x_hi));
        svg.rect(LEFT, TOP, right - LEFT, plot_h, "#f0f0f0", "warmup");
        svg.text(LEFT + 4.0, TOP + plot_h - 6.0, "start", "warm-up");
    }
    // Grid and y axis.
    for t in &y_ticks {
        svg.line(LEFT, sy(*t), LEFT + plot_w, sy(*t), "#e0e0e0", 1.0);
        svg.text(LEFT - 6.0, sy(*t) + 4.0, "end", &format_bytes(*t));
    }
    let x_ticks: Vec<f64> = ticks(x_hi - x_lo, 8, false)
        .into_iter()
        .map(|t| t + x_lo)
        .filter(|t| *t <= x_hi + 1e-9)
        .collect();
    for t in &x_ticks {
        svg.line(
            sx(*t),
            TOP + plot_h,
            sx(*t),
            TOP + plot_h + 5.0,
            "#444",
            1.0,
        );
        let label = if (t - t.round()).abs() < 1e-9 {
            format!("{}", t.round() as i64)
        } else {
            format!("{t:.2}")
        };
        svg.text(sx(*t), TOP + plot_h + 18.0, "middle", &label);
    }
    svg.line(LEFT, TOP, LEFT, TOP + plot_h, "#444", 1.0);
    svg.line(LEFT, TOP + plot_h, LEFT + plot_w, TOP + plot_h, "#444", 1.0);
    svg.text(LEFT + plot_w / 2.0, HEIGHT - 12.0, "middle", x_label);
    svg.vertical_text(18.0, TOP + plot_h / 2.0, "bytes");

    if points.is_empty() {
        svg.text(LEFT + plot_w / 2.0, TOP + plot_h / 2.0, "middle", "no data");
    } else {
        let held: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (sx(p.x), sy(p.held_bytes as f64)))
            .collect();
        let live: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (sx(p.x), sy(p.live_bytes as f64)))
            .collect();
        svg.polyline(&held, HELD, "series-held");
        svg.polyline(&live, LIVE, "series-live");
        if let Some(((x0, y0), (x1, y1))) = overlay.trend {
            svg.dashed_line(sx(x0), sy(y0), sx(x1), sy(y1), TREND, "trend");
        }
        for c in collections
            .iter()
            .filter(|c| c.x.is_finite() && c.x >= x_lo && c.x <= x_hi)
        {
            let g = usize::from(c.generation.min(2));
            svg.marker(
                sx(c.x),
                TOP + plot_h - 1.0,
                GENERATION[g],
                "collection",
                &format!("gen {g} collection at {}", c.x),
            );
        }
    }

    // Legend, in a row above the plot so it never hides data.
    let mut lx = LEFT;
    let ly = LEGEND_Y;
    let mut legend: Vec<(&str, String)> =
        vec![(LIVE, "live bytes".into()), (HELD, "held bytes".into())];
    if overlay.trend.is_some() {
        legend.push((TREND, "live trend (Theil–Sen)".into()));
    }
    let gens: std::collections::BTreeSet<usize> = collections
        .iter()
        .map(|c| usize::from(c.generation.min(2)))
        .collect();
    legend.extend(
        gens.into_iter()
            .map(|g| (GENERATION[g], format!("gen {g} collection"))),
    );
    for (colour, label) in legend {
        svg.rect(lx, ly - 9.0, 12.0, 10.0, colour, "legend");
        svg.text(lx + 16.0, ly, "start", &label);
        lx += 30.0 + 7.0 * label.chars().count() as f64;
    }
    svg.finish()
}

/// Log-scale bucket bounds, 4 per decade (1, 1.8, 3.2, 5.6 × 10^k), covering `[lo, hi]`.
fn log_bounds(lo: f64, hi: f64) -> Vec<f64> {
    let per_decade = 4.0;
    let start = (lo.log10() * per_decade).floor() as i32;
    let end = (hi.log10() * per_decade).floor() as i32 + 1;
    (start..=end)
        .map(|k| 10f64.powf(f64::from(k) / per_decade))
        .collect()
}

/// The GC pause histogram: `pauses[g]` are generation `g`'s pause times in seconds.
/// Log-scale buckets (4 per decade), one bar colour per generation side by side, a legend.
pub fn pause_histogram(pauses: &[Vec<f64>]) -> String {
    let mut svg = Svg::new(WIDTH, HEIGHT, "GC pause times");
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    svg.text(WIDTH / 2.0, 20.0, "middle", "GC pause times");
    let valid: Vec<Vec<f64>> = pauses
        .iter()
        .map(|g| {
            g.iter()
                .copied()
                .filter(|p| p.is_finite() && *p > 0.0)
                .collect()
        })
        .collect();
    let all = valid.iter().flatten().copied();
    let lo = all.clone().fold(f64::INFINITY, f64::min);
    let hi = all.fold(f64::NEG_INFINITY, f64::max);
    let bounds = if lo.is_finite() {
        log_bounds(lo, hi)
    } else {
        vec![1e-6, 1e-5, 1e-4, 1e-3]
    };
    let buckets = bounds.len() - 1;
    let counts: Vec<Vec<u64>> = valid
        .iter()
        .map(|g| {
            let mut c = vec![0u64; buckets];
            for &p in g {
                // bucket k holds [bounds[k], bounds[k+1])
                let k = bounds
                    .partition_point(|&b| b <= p)
                    .saturating_sub(1)
                    .min(buckets - 1);
                c[k] += 1;
            }
            c
        })
        .collect();
    let max_count = counts.iter().flatten().copied().max().unwrap_or(0);
    let y_ticks = ticks(max_count as f64, 5, false);
    let y_top = y_ticks.last().copied().filter(|t| *t > 0.0).unwrap_or(1.0);
    let sy = |y: f64| TOP + plot_h - y / y_top * plot_h;
    let slot = plot_w / buckets as f64;

    for t in &y_ticks {
        svg.line(LEFT, sy(*t), LEFT + plot_w, sy(*t), "#e0e0e0", 1.0);
        svg.text(LEFT - 6.0, sy(*t) + 4.0, "end", &format!("{}", *t as u64));
    }
    for (k, b) in bounds.iter().enumerate() {
        let x = LEFT + k as f64 * slot;
        // Label decades only (10 µs, 100 µs, 1 ms …); the other bounds get a short tick.
        let decade = (b.log10() - b.log10().round()).abs() < 1e-9;
        let tick = if decade { 6.0 } else { 3.0 };
        svg.line(x, TOP + plot_h, x, TOP + plot_h + tick, "#444", 1.0);
        if decade {
            svg.text(x, TOP + plot_h + 19.0, "middle", &format_seconds(*b));
        }
    }
    svg.line(LEFT, TOP, LEFT, TOP + plot_h, "#444", 1.0);
    svg.line(LEFT, TOP + plot_h, LEFT + plot_w, TOP + plot_h, "#444", 1.0);
    svg.text(
        LEFT + plot_w / 2.0,
        HEIGHT - 12.0,
        "middle",
        "pause (log scale)",
    );
    svg.vertical_text(18.0, TOP + plot_h / 2.0, "collections");

    let gens = counts.len().max(1);
    let bar_w = (slot * 0.8) / gens as f64;
    for (g, c) in counts.iter().enumerate() {
        let colour = GENERATION[g.min(2)];
        for (k, &n) in c.iter().enumerate().filter(|(_, n)| **n > 0) {
            let x = LEFT + k as f64 * slot + slot * 0.1 + g as f64 * bar_w;
            // At least 2 px, so one slow collection stays visible next to thousands.
            let h = (sy(0.0) - sy(n as f64)).max(2.0);
            svg.rect(x, sy(0.0) - h, bar_w, h, colour, &format!("bar-gen{g}"));
        }
    }
    if max_count == 0 {
        svg.text(LEFT + plot_w / 2.0, TOP + plot_h / 2.0, "middle", "no data");
    }
    let mut lx = LEFT;
    for (g, v) in valid.iter().enumerate() {
        svg.rect(
            lx,
            LEGEND_Y - 9.0,
            12.0,
            10.0,
            GENERATION[g.min(2)],
            "legend",
        );
        let label = format!("gen {g} ({} collections)", v.len());
        svg.text(lx + 16.0, LEGEND_Y, "start", &label);
        lx += 170.0;
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::xml_check::check;

    const MIB: u64 = 1 << 20;

    fn leak_points() -> (Vec<TimelinePoint>, Vec<CollectionMark>) {
        let points = (0..50)
            .map(|i| TimelinePoint {
                x: i as f64,
                live_bytes: 20 * MIB + i * 300 * 1024,
                held_bytes: 24 * MIB + i * 320 * 1024,
            })
            .collect();
        let marks = (0..50)
            .filter(|i| i % 3 == 0)
            .map(|i| CollectionMark {
                x: i as f64,
                generation: if i % 30 == 0 {
                    2
                } else if i % 9 == 0 {
                    1
                } else {
                    0
                },
            })
            .collect();
        (points, marks)
    }

    #[test]
    fn timeline_is_well_formed_and_has_the_series() {
        let (points, marks) = leak_points();
        let doc = timeline(&points, &marks, "repetition");
        let elements = check(&doc).unwrap();
        let live = elements
            .iter()
            .find(|e| e.attr("class") == Some("series-live"))
            .unwrap();
        assert_eq!(live.attr("points").unwrap().split(' ').count(), 50);
        assert!(
            elements
                .iter()
                .any(|e| e.attr("class") == Some("series-held"))
        );
        assert_eq!(
            elements
                .iter()
                .filter(|e| e.attr("class") == Some("collection"))
                .count(),
            marks.len()
        );
        let texts: Vec<&str> = elements
            .iter()
            .filter(|e| e.name == "text")
            .map(|e| e.text.as_str())
            .collect();
        assert!(texts.contains(&"32 MiB"), "{texts:?}");
        assert!(texts.contains(&"gen 2 collection"));
        assert!(texts.contains(&"repetition"));
        // A sample for eyeballing (render with rsvg-convert); not needed for the test.
        let _ = std::fs::write(std::env::temp_dir().join("mrt-observe-timeline.svg"), &doc);
    }

    #[test]
    fn monitor_timeline_shows_warmup_verdict_and_trend() {
        let mut leak = MemoryMonitor::new();
        let mut flat = MemoryMonitor::new();
        for i in 0..40u64 {
            let warm = if i < 3 { i * 2 * MIB } else { 6 * MIB };
            leak.record(Sample::new(
                warm + 10 * MIB + i * 200 * 1024,
                warm + 14 * MIB + i * 256 * 1024,
            ));
            flat.record(Sample::new(
                warm + 10 * MIB + (i % 3) * 1024,
                warm + 14 * MIB,
            ));
        }
        let doc = monitor_timeline(
            &leak,
            &[CollectionMark {
                x: 5.0,
                generation: 0,
            }],
        );
        let elements = check(&doc).unwrap();
        let title = &elements.iter().find(|e| e.name == "title").unwrap().text;
        assert!(
            title.starts_with("Memory timeline — growing: 200 KiB per repetition"),
            "{title}"
        );
        let trend = elements
            .iter()
            .find(|e| e.attr("class") == Some("trend"))
            .unwrap();
        assert!(trend.attr("stroke-dasharray").is_some());
        assert!(elements.iter().any(|e| e.attr("class") == Some("warmup")));
        let _ = std::fs::write(std::env::temp_dir().join("mrt-observe-monitor.svg"), &doc);

        let doc = monitor_timeline(&flat, &[]);
        let elements = check(&doc).unwrap();
        assert!(
            elements
                .iter()
                .any(|e| e.name == "title" && e.text.starts_with("Memory timeline — plateau"))
        );
        assert!(!elements.iter().any(|e| e.attr("class") == Some("trend")));
        // An empty monitor: not enough data, still a valid document.
        let doc = monitor_timeline(&MemoryMonitor::new(), &[]);
        assert!(
            check(&doc)
                .unwrap()
                .iter()
                .any(|e| e.text.contains("not enough data"))
        );
    }

    #[test]
    fn pause_histogram_is_well_formed_with_a_bar_colour_per_generation() {
        let mut rng = crate::script::SplitMix64::new(9);
        let mut draw = |scale: f64, n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| scale * (1.0 + (rng.next_u64() % 1000) as f64 / 100.0))
                .collect()
        };
        let pauses = vec![draw(20e-6, 400), draw(300e-6, 40), draw(8e-3, 5)];
        let doc = pause_histogram(&pauses);
        let elements = check(&doc).unwrap();
        for (g, colour) in GENERATION.iter().enumerate() {
            let bars: Vec<_> = elements
                .iter()
                .filter(|e| e.attr("class") == Some(&format!("bar-gen{g}")))
                .collect();
            assert!(!bars.is_empty(), "gen {g}");
            assert!(bars.iter().all(|b| b.attr("fill") == Some(*colour)));
        }
        let texts: Vec<&str> = elements
            .iter()
            .filter(|e| e.name == "text")
            .map(|e| e.text.as_str())
            .collect();
        assert!(
            texts.contains(&"gen 0 (400 collections)") && texts.contains(&"gen 2 (5 collections)"),
            "{texts:?}"
        );
        for decade in ["100 µs", "1 ms", "10 ms"] {
            assert!(texts.contains(&decade), "{decade} missing from {texts:?}");
        }
        // A sample for eyeballing (render with rsvg-convert); not needed for the test.
        let _ = std::fs::write(std::env::temp_dir().join("mrt-observe-pauses.svg"), &doc);
    }

    #[test]
    fn empty_and_degenerate_input_do_not_panic() {
        for doc in [
            timeline(&[], &[], "t"),
            timeline(
                &[TimelinePoint {
                    x: 3.0,
                    live_bytes: 0,
                    held_bytes: 0,
                }],
                &[CollectionMark {
                    x: 3.0,
                    generation: 9,
                }],
                "t",
            ),
            timeline(
                &[TimelinePoint {
                    x: f64::NAN,
                    live_bytes: 5,
                    held_bytes: 5,
                }],
                &[],
                "t",
            ),
            pause_histogram(&[]),
            pause_histogram(&[vec![], vec![f64::NAN, -1.0, 0.0]]),
            pause_histogram(&[vec![1e-3; 10]]),
        ] {
            let elements = check(&doc).unwrap();
            assert_eq!(elements[0].name, "svg");
        }
        assert!(timeline(&[], &[], "t").contains(">no data<"));
    }

    #[test]
    fn text_is_escaped_and_labels_read_well() {
        let doc = timeline(&[], &[], "<x & \"y\"> \u{1}");
        let elements = check(&doc).unwrap();
        assert!(elements.iter().any(|e| e.text == "<x & \"y\"> "));
        assert_eq!(format_bytes(0.0), "0 B");
        assert_eq!(format_bytes(1536.0 * 1024.0), "1.5 MiB");
        assert_eq!(format_bytes(512.0 * 1024.0), "512 KiB");
        assert_eq!(format_seconds(2.5e-3), "2.5 ms");
        assert_eq!(format_seconds(1e-5), "10 µs");
        assert_eq!(
            ticks(10.0 * 1024.0 * 1024.0, 5, true).last().copied(),
            Some(10.0 * 1024.0 * 1024.0)
        );
        assert_eq!(
            ticks(11.0 * 1024.0 * 1024.0, 5, true).last().copied(),
            Some(12.0 * 1024.0 * 1024.0)
        );
        assert_eq!(
            ticks(47.0, 8, false),
            vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
        );
        assert_eq!(px(f64::NAN), "0");
        let pts = points_from_samples(&[Sample::new(1, 2), Sample::new(3, 4)]);
        assert_eq!(
            pts[1],
            TimelinePoint {
                x: 1.0,
                live_bytes: 3,
                held_bytes: 4
            }
        );
    }
}
