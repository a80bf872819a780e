//! [`Filter`]: keep or drop traces by file name pattern and line (Python's
//! `tracemalloc.Filter`, without domains), and the `fnmatch` matcher it uses.

use super::frame::{Frame, Traceback};

/// A trace filter for [`Snapshot::filter_traces`](super::Snapshot::filter_traces).
///
/// Semantics as Python: the pattern is matched against a frame's file with `fnmatch`
/// (`*` any run, `?` one character, `[seq]`/`[!seq]` sets and ranges; `/` is not special,
/// matching is case-sensitive as on POSIX). With `all_frames` false only the most recent frame
/// is looked at; with it, any frame of the traceback may match. An inclusive filter keeps the
/// traces that match; an exclusive one drops them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Keep matching traces (true) or drop them (false).
    pub inclusive: bool,
    /// `fnmatch` pattern over file names.
    pub filename_pattern: String,
    /// Only this line, or any line.
    pub lineno: Option<u32>,
    /// Look at every frame, not just the most recent.
    pub all_frames: bool,
}

impl Filter {
    /// A filter on the most recent frame's file, any line.
    pub fn new(inclusive: bool, filename_pattern: &str) -> Self {
        Filter {
            inclusive,
            filename_pattern: filename_pattern.to_owned(),
            lineno: None,
            all_frames: false,
        }
    }

    /// Restrict to one line.
    pub fn lineno(mut self, line: u32) -> Self {
        self.lineno = Some(line);
        self
    }

    /// Match any frame of the traceback.
    pub fn all_frames(mut self, all: bool) -> Self {
        self.all_frames = all;
        self
    }

    fn frame_matches(&self, frame: &Frame) -> bool {
        fnmatch(&frame.file, &self.filename_pattern) && self.lineno.is_none_or(|l| l == frame.line)
    }

    /// Whether the filter lets a trace with `traceback` through (Python's `Filter._match`).
    pub fn matches(&self, traceback: &Traceback) -> bool {
        let hit = if self.all_frames {
            traceback.frames().iter().any(|f| self.frame_matches(f))
        } else {
            self.frame_matches(traceback.most_recent())
        };
        hit == self.inclusive
    }
}

/// Shell-style match of the whole `name` against `pattern`, like Python's
/// `fnmatch.fnmatchcase`. An unclosed `[` matches itself. Iterative with backtracking to the
/// last `*` (linear memory, no recursion).
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    let pat: Vec<char> = pattern.chars().collect();
    let (mut n, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None; // (pattern index after '*', name index)
    while n < name.len() {
        if p < pat.len() {
            match pat[p] {
                '*' => {
                    star = Some((p + 1, n));
                    p += 1;
                    continue;
                }
                '?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_set(&pat, p, name[n]) {
                        if matched {
                            p = next;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == '[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                c if c == name[n] => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                p = sp;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == '*')
}

/// Match `c` against the set starting at `pat[open] == '['`. Returns whether it matched
/// and the index after `]`, or `None` if the set is unclosed (then `[` is a literal).
fn match_set(pat: &[char], open: usize, c: char) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negate = matches!(pat.get(i), Some('!'));
    if negate {
        i += 1;
    }
    // A ']' right after '[' or '[!' is a member, as in Python.
    let start = i;
    let mut matched = false;
    loop {
        let &ch = pat.get(i)?;
        if ch == ']' && i > start {
            return Some((matched != negate, i + 1));
        }
        if pat.get(i + 1) == Some(&'-') && pat.get(i + 2).is_some_and(|&hi| hi != ']') {
            let hi = pat[i + 2];
            matched |= ch <= c && c <= hi;
            i += 3;
        } else {
            matched |= ch == c;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::snapshot::{Snapshot, Trace};

    #[test]
    fn fnmatch_like_python() {
        let yes = [
            ("abc", "abc"),
            ("abc", "a*"),
            ("abc", "*c"),
            ("abc", "a?c"),
            ("a/b/c.py", "*.py"),
            ("a/b/c.py", "a*c.py"),
            ("", "*"),
            ("abc", "***"),
            ("b", "[abc]"),
            ("d", "[!abc]"),
            ("m", "[a-z]"),
            ("]", "[]]"),
            ("[x", "[x"),
            ("aXbXc", "a*b*c"),
            ("mississippi", "*ss*ss*ppi"),
        ];
        for (name, pat) in yes {
            assert!(fnmatch(name, pat), "{name} ~ {pat}");
        }
        let no = [
            ("abc", "ab"),
            ("abc", "abcd"),
            ("abc", "?"),
            ("a", "[!a]"),
            ("A", "[a-z]"),
            ("abc", "*b"),
            ("x", ""),
            ("mississippi", "*ss*ss*ss*"),
        ];
        for (name, pat) in no {
            assert!(!fnmatch(name, pat), "{name} !~ {pat}");
        }
    }

    fn trace(frames: &[(&str, u32)]) -> Trace {
        Trace {
            size: 1,
            weight: 1.0,
            traceback: Traceback::new(frames.iter().map(|&(f, l)| Frame::new(f, l, "f")).collect()),
        }
    }

    fn files(s: &Snapshot) -> Vec<String> {
        s.traces()
            .iter()
            .map(|t| t.traceback.most_recent().to_string())
            .collect()
    }

    #[test]
    fn filter_traces_like_python() {
        let snap = Snapshot::new(
            vec![
                trace(&[("a.py", 1), ("main.py", 9)]),
                trace(&[("a.py", 2), ("main.py", 9)]),
                trace(&[("b.py", 1), ("a.py", 7)]),
                trace(&[("<frozen importlib>", 3)]),
            ],
            2,
            None,
        );
        assert_eq!(snap.filter_traces(&[]).traces().len(), 4);
        // Inclusive on the most recent frame.
        assert_eq!(
            files(&snap.filter_traces(&[Filter::new(true, "a.py")])),
            ["a.py:1", "a.py:2"]
        );
        // … with a line.
        assert_eq!(
            files(&snap.filter_traces(&[Filter::new(true, "a.py").lineno(2)])),
            ["a.py:2"]
        );
        // … any frame.
        assert_eq!(
            files(&snap.filter_traces(&[Filter::new(true, "a.py").all_frames(true)])),
            ["a.py:1", "a.py:2", "b.py:1"]
        );
        // Exclusive: drop importlib (Python docs' classic example).
        assert_eq!(
            snap.filter_traces(&[Filter::new(false, "<frozen importlib>")])
                .traces()
                .len(),
            3
        );
        // Exclusive with all_frames drops traces with any matching frame.
        assert_eq!(
            files(&snap.filter_traces(&[Filter::new(false, "main.py").all_frames(true)])),
            ["b.py:1", "<frozen importlib>:3"]
        );
        // Includes are OR-ed, excludes AND-ed.
        let f = [
            Filter::new(true, "a.py"),
            Filter::new(true, "b.py"),
            Filter::new(false, "a.py").lineno(1),
        ];
        assert_eq!(files(&snap.filter_traces(&f)), ["a.py:2", "b.py:1"]);
    }
}
