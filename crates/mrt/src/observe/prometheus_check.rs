//! A strict checker of the Prometheus text exposition format (0.0.4), independent of the
//! [`prometheus`](super::prometheus) writer so tests do not grade the writer with itself.
//!
//! Checked: comment lines are `# HELP name text`, `# TYPE name type` or free comments;
//! each family has at most one HELP and one TYPE and its TYPE comes before its samples;
//! every sample belongs to a declared family (`name`, or `name_bucket`/`_sum`/`_count` of
//! a histogram) and the family's samples are contiguous; metric and label names are valid,
//! label values are quoted with only `\\`, `\"`, `\n` escapes, no label appears twice;
//! values parse as floats (`+Inf`, `-Inf`, `NaN` included), an optional timestamp is an
//! integer; counters are non-negative; no series (name + label set) appears twice;
//! histogram series have `le` on every bucket, bounds increasing and ending in `+Inf`,
//! cumulative counts non-decreasing, and `_count` equal to the `+Inf` bucket.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::prometheus::{is_valid_label_name, is_valid_metric_name};

/// A grammar violation, with its 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckError {
    /// 1-based line number (0 for whole-text problems found at the end).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for CheckError {}

/// One parsed sample.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedSample {
    /// Sample name (`family` or `family_bucket` …).
    pub name: String,
    /// Labels in written order, values unescaped.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

/// One parsed family.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedFamily {
    /// Family name.
    pub name: String,
    /// Unescaped HELP text (empty if none).
    pub help: String,
    /// The TYPE keyword (`counter`, `gauge`, `histogram`, `summary`, `untyped`).
    pub kind: String,
    /// Its samples in order.
    pub samples: Vec<ParsedSample>,
}

/// Parsed labels, in written order.
type LabelPairs = Vec<(String, String)>;

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, CheckError> {
    Err(CheckError {
        line,
        message: message.into(),
    })
}

/// Parse and check `text`; returns the families in order.
pub fn check(text: &str) -> Result<Vec<ParsedFamily>, CheckError> {
    let mut families: Vec<ParsedFamily> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut helps: BTreeMap<String, String> = BTreeMap::new();
    let mut finished: BTreeSet<usize> = BTreeSet::new();
    let mut current: Option<usize> = None;
    let mut series: BTreeSet<(String, Vec<(String, String)>)> = BTreeSet::new();

    let body = text.strip_suffix('\n').unwrap_or(text);
    if !text.is_empty() && !text.ends_with('\n') {
        return err(
            body.split('\n').count(),
            "the exposition must end with a newline",
        );
    }
    for (i, line) in body.split('\n').enumerate() {
        let n = i + 1;
        if text.is_empty() {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim_start_matches([' ', '\t']);
            if let Some(rest) = comment.strip_prefix("HELP ") {
                let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
                if !is_valid_metric_name(name) {
                    return err(n, format!("invalid metric name {name:?} in HELP"));
                }
                if helps.contains_key(name) {
                    return err(n, format!("second HELP for {name}"));
                }
                if index
                    .get(name)
                    .is_some_and(|f| finished.contains(f) || !families[*f].samples.is_empty())
                {
                    return err(n, format!("HELP for {name} after its samples"));
                }
                let help = unescape(help, false).map_err(|m| CheckError {
                    line: n,
                    message: m,
                })?;
                helps.insert(name.to_owned(), help.clone());
                if let Some(&f) = index.get(name) {
                    families[f].help = help;
                }
            } else if let Some(rest) = comment.strip_prefix("TYPE ") {
                let (name, kind) = rest.split_once(' ').ok_or(CheckError {
                    line: n,
                    message: "TYPE without a type".into(),
                })?;
                let kind = kind.trim_end();
                if !is_valid_metric_name(name) {
                    return err(n, format!("invalid metric name {name:?} in TYPE"));
                }
                if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                    return err(n, format!("unknown metric type {kind:?}"));
                }
                if index.contains_key(name) {
                    return err(n, format!("second TYPE for {name}"));
                }
                let clash = families.iter().any(|f| {
                    sample_names(&f.name, &f.kind).contains(&name.to_owned())
                        || sample_names(name, kind).contains(&f.name)
                });
                if clash {
                    return err(
                        n,
                        format!("family {name} clashes with an earlier family's samples"),
                    );
                }
                if let Some(c) = current.take() {
                    finished.insert(c);
                }
                index.insert(name.to_owned(), families.len());
                families.push(ParsedFamily {
                    name: name.to_owned(),
                    help: helps.get(name).cloned().unwrap_or_default(),
                    kind: kind.to_owned(),
                    samples: Vec::new(),
                });
            }
            continue;
        }
        let sample = parse_sample(line).map_err(|m| CheckError {
            line: n,
            message: m,
        })?;
        let family = families
            .iter()
            .position(|f| sample_names(&f.name, &f.kind).contains(&sample.name))
            .ok_or(CheckError {
                line: n,
                message: format!("sample {} belongs to no declared family", sample.name),
            })?;
        if finished.contains(&family) || current.is_some_and(|c| c != family) {
            return err(
                n,
                format!("samples of {} are not contiguous", families[family].name),
            );
        }
        current = Some(family);
        let kind = families[family].kind.as_str();
        if kind == "counter" && (sample.value.is_nan() || sample.value < 0.0) {
            return err(
                n,
                format!("counter {} has value {}", sample.name, sample.value),
            );
        }
        let is_bucket = kind == "histogram" && sample.name.ends_with("_bucket");
        let has_le = sample.labels.iter().any(|(k, _)| k == "le");
        if is_bucket != has_le && kind == "histogram" {
            return err(
                n,
                "a histogram's le label belongs on exactly its _bucket samples",
            );
        }
        let mut key: Vec<(String, String)> = sample.labels.clone();
        key.sort();
        if !series.insert((sample.name.clone(), key)) {
            return err(n, format!("duplicate series {}", sample.name));
        }
        families[family].samples.push(sample);
    }
    for f in &families {
        if f.kind == "histogram" {
            check_histogram(f).map_err(|m| CheckError {
                line: 0,
                message: format!("histogram {}: {m}", f.name),
            })?;
        }
    }
    Ok(families)
}

fn sample_names(family: &str, kind: &str) -> Vec<String> {
    match kind {
        "histogram" => vec![
            format!("{family}_bucket"),
            format!("{family}_sum"),
            format!("{family}_count"),
        ],
        "summary" => vec![
            family.to_owned(),
            format!("{family}_sum"),
            format!("{family}_count"),
        ],
        _ => vec![family.to_owned()],
    }
}

fn check_histogram(f: &ParsedFamily) -> Result<(), String> {
    // label set without `le` → (buckets (le, count) in order, sum, count)
    type Series = (Vec<(f64, f64)>, Option<f64>, Option<f64>);
    let mut by_series: BTreeMap<Vec<(String, String)>, Series> = BTreeMap::new();
    for s in &f.samples {
        let mut labels: Vec<(String, String)> = s
            .labels
            .iter()
            .filter(|(k, _)| k != "le")
            .cloned()
            .collect();
        labels.sort();
        let entry = by_series.entry(labels).or_default();
        if s.name.ends_with("_bucket") {
            let le = s
                .labels
                .iter()
                .find(|(k, _)| k == "le")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            let le = parse_float(le).ok_or(format!("le {le:?} is not a float"))?;
            entry.0.push((le, s.value));
        } else if s.name.ends_with("_sum") {
            entry.1 = Some(s.value);
        } else {
            entry.2 = Some(s.value);
        }
    }
    for (labels, (buckets, sum, count)) in by_series {
        let at = format!("{labels:?}");
        if buckets.is_empty() {
            return Err(format!("series {at} has no buckets"));
        }
        if buckets
            .windows(2)
            .any(|w| w[0].0.partial_cmp(&w[1].0) != Some(std::cmp::Ordering::Less))
        {
            return Err(format!("series {at}: le bounds not increasing"));
        }
        if buckets
            .windows(2)
            .any(|w| w[0].1.is_nan() || w[1].1.is_nan() || w[0].1 > w[1].1)
        {
            return Err(format!("series {at}: bucket counts not cumulative"));
        }
        let (last_le, last_count) = buckets[buckets.len() - 1];
        if last_le != f64::INFINITY {
            return Err(format!("series {at}: last bucket is not le=\"+Inf\""));
        }
        if sum.is_none() {
            return Err(format!("series {at}: no _sum"));
        }
        match count {
            Some(c) if c == last_count => {}
            Some(c) => {
                return Err(format!(
                    "series {at}: _count {c} != +Inf bucket {last_count}"
                ));
            }
            None => return Err(format!("series {at}: no _count")),
        }
    }
    Ok(())
}

/// A float as the format allows: Go's `ParseFloat` spellings, incl. `+Inf`, `-Inf`, `NaN`.
fn parse_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ if s.is_empty()
            || s.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
        {
            None
        }
        _ => s.parse().ok(),
    }
}

/// Undo escaping: `\\`, `\n`, and (in label values) `\"`; any other escape is an error.
fn unescape(s: &str, quotes: bool) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if quotes => out.push('"'),
            Some(other) => return Err(format!("invalid escape \\{other}")),
            None => return Err("dangling backslash".into()),
        }
    }
    Ok(out)
}

fn parse_sample(line: &str) -> Result<ParsedSample, String> {
    let name_end = line.find(['{', ' ', '\t']).unwrap_or(line.len());
    let name = &line[..name_end];
    if !is_valid_metric_name(name) {
        return Err(format!("invalid metric name {name:?}"));
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(after)?;
        labels = parsed;
        rest = after;
    }
    let mut fields = rest.split([' ', '\t']).filter(|f| !f.is_empty());
    let value = fields.next().ok_or("sample without a value")?;
    let value = parse_float(value).ok_or(format!("value {value:?} is not a float"))?;
    if let Some(ts) = fields.next() {
        ts.parse::<i64>()
            .map_err(|_| format!("timestamp {ts:?} is not an integer"))?;
    }
    if fields.next().is_some() {
        return Err("trailing text after the timestamp".into());
    }
    Ok(ParsedSample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Parse `name="value",…}` (after the `{`); returns the labels and the text after `}`.
fn parse_labels(mut s: &str) -> Result<(LabelPairs, &str), String> {
    let mut labels: Vec<(String, String)> = Vec::new();
    loop {
        s = s.trim_start_matches([' ', '\t']);
        if let Some(after) = s.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = s.find('=').ok_or("label without '='")?;
        let name = s[..eq].trim_end_matches([' ', '\t']);
        if !is_valid_label_name(name) {
            return Err(format!("invalid label name {name:?}"));
        }
        if labels.iter().any(|(n, _)| n == name) {
            return Err(format!("label {name} twice"));
        }
        let after = s[eq + 1..].trim_start_matches([' ', '\t']);
        let body = after
            .strip_prefix('"')
            .ok_or(format!("value of label {name} is not quoted"))?;
        // Find the closing quote: the first '"' not escaped.
        let mut end = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or(format!("unterminated value of label {name}"))?;
        let value = unescape(&body[..end], true)?;
        labels.push((name.to_owned(), value));
        s = body[end + 1..].trim_start_matches([' ', '\t']);
        if let Some(after) = s.strip_prefix(',') {
            s = after;
        } else if !s.starts_with('}') {
            return Err("expected ',' or '}' after a label".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(text: &str) -> usize {
        check(text).unwrap_err().line
    }

    #[test]
    fn accepts_valid_text_with_timestamps_comments_and_specials() {
        let text = "\
# a free comment
# HELP x_total Things.\\\\ done
# TYPE x_total counter
x_total{a=\"1\",b=\"q\\\"\\n\\\\\"} 3 1700000000000
x_total{a=\"2\"} +Inf

# TYPE g gauge
g -Inf
# TYPE h histogram
h_bucket{le=\"1\"} 1
h_bucket{le=\"+Inf\"} 2
h_sum 3.5
h_count 2
";
        let f = check(text).unwrap();
        assert_eq!(f[0].help, "Things.\\ done");
        assert_eq!(
            f[0].samples[0].labels[1],
            ("b".to_owned(), "q\"\n\\".to_owned())
        );
        assert_eq!(f[1].samples[0].value, f64::NEG_INFINITY);
        assert_eq!(f[2].samples.len(), 4);
        assert_eq!(check("").unwrap(), vec![]);
    }

    #[test]
    fn rejects_violations_with_their_line() {
        // Undeclared family.
        assert_eq!(line_of("x 1\n"), 1);
        // No trailing newline.
        assert!(check("# TYPE x gauge\nx 1").is_err());
        // Bad names, values, escapes, quoting.
        assert_eq!(line_of("# TYPE x gauge\nx{1a=\"v\"} 1\n"), 2);
        assert_eq!(line_of("# TYPE x gauge\nx{__a=\"v\"} 1\n"), 2);
        assert_eq!(line_of("# TYPE x gauge\nx one\n"), 2);
        assert_eq!(line_of("# TYPE x gauge\nx{a=\"\\t\"} 1\n"), 2);
        assert_eq!(line_of("# TYPE x gauge\nx{a=v} 1\n"), 2);
        assert_eq!(line_of("# TYPE x gauge\nx{a=\"v\" 1\n"), 2);
        assert_eq!(line_of("# TYPE x gauge\nx{a=\"v\",a=\"w\"} 1\n"), 2);
        assert_eq!(line_of("# TYPE x gauge\nx 1 2.5\n"), 2);
        assert_eq!(line_of("# TYPE 9x gauge\n"), 1);
        assert_eq!(line_of("# TYPE x widget\n"), 1);
        // Duplicates and ordering.
        assert_eq!(line_of("# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n"), 3);
        assert_eq!(line_of("# TYPE x gauge\n# TYPE x gauge\n"), 2);
        assert_eq!(line_of("# HELP x a\n# HELP x b\n"), 2);
        assert_eq!(line_of("# TYPE x gauge\n# TYPE y gauge\ny 1\nx 1\n"), 4);
        assert_eq!(line_of("# TYPE x gauge\nx 1\n# HELP x late\n"), 3);
        assert_eq!(line_of("# TYPE c counter\nc -1\n"), 2);
        assert_eq!(line_of("# TYPE h histogram\n# TYPE h_sum gauge\n"), 2);
        // Histogram shape.
        let h = |body: &str| {
            check(&format!("# TYPE h histogram\n{body}"))
                .unwrap_err()
                .message
        };
        assert!(h("h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n").contains("+Inf"));
        assert!(
            h("h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n")
                .contains("cumulative")
        );
        assert!(h("h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n").contains("increasing"));
        assert!(h("h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n").contains("_count"));
        assert!(h("h_bucket{le=\"+Inf\"} 1\nh_count 1\n").contains("_sum"));
        assert!(h("h_bucket 1\n").contains("le"));
        assert!(h("h_sum{le=\"1\"} 1\n").contains("le"));
        assert!(
            CheckError {
                line: 3,
                message: "m".into()
            }
            .to_string()
            .starts_with("line 3")
        );
    }
}
