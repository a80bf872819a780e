//! Frames and tracebacks: what a traced allocation remembers about where it happened.
//!
//! The host names each piece of code once — [`CodeTable::intern`] turns a `(file, function)`
//! pair into a [`CodeId`] — and then pushes [`RawFrame`]s (`CodeId` + current line, 8 bytes)
//! as it executes. A traced allocation copies the top `nframes` raw frames, most recent first
//! (the order of CPython's `_tracemalloc`), and the tracer interns that array, so a trace costs
//! one `u32`. Only a [`Snapshot`](super::Snapshot) resolves ids into the owned, comparable
//! values [`Frame`] and [`Traceback`], which stay valid after the tracer is cleared or dropped.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use super::fxhash::FxHashMap;

/// The file and function name Python's tracemalloc reports when no frame is known.
pub const UNKNOWN: &str = "<unknown>";

/// An interned `(file, function)` pair; ids are dense and never reused by a [`CodeTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeId(u32);

impl CodeId {
    /// The id that stands for "no frame" (`<unknown>:0`), used when the frame stack is empty.
    pub const UNKNOWN: CodeId = CodeId(u32::MAX);

    /// The dense index of this id.
    pub fn index(self) -> u32 {
        self.0
    }
}

/// One entry of the host's frame stack: which code and which line in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RawFrame {
    /// The code (file and function) executing.
    pub code: CodeId,
    /// The line being executed.
    pub line: u32,
}

impl RawFrame {
    /// The frame a trace gets when the host pushed none (Python's `<unknown>:0`).
    pub const UNKNOWN: RawFrame = RawFrame {
        code: CodeId::UNKNOWN,
        line: 0,
    };
}

/// The interning table of `(file, function)` pairs. Append-only: ids stay valid for the
/// table's lifetime, so the host can keep them in its own code objects.
#[derive(Default, Debug)]
pub struct CodeTable {
    codes: Vec<(Arc<str>, Arc<str>)>,
    /// file → function → id; two levels so a lookup needs no allocation.
    index: FxHashMap<Arc<str>, FxHashMap<Arc<str>, CodeId>>,
}

impl CodeTable {
    /// An empty table (allocates nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `(file, function)`, interning the pair on first use.
    pub fn intern(&mut self, file: &str, function: &str) -> CodeId {
        if let Some(&id) = self
            .index
            .get(file)
            .and_then(|by_function| by_function.get(function))
        {
            return id;
        }
        // `u32::MAX` is the UNKNOWN sentinel; a table of 4 billion codes is not a use case,
        // so saturate onto the sentinel rather than panic.
        let id = match u32::try_from(self.codes.len()) {
            Ok(i) if i != u32::MAX => CodeId(i),
            _ => return CodeId::UNKNOWN,
        };
        let file: Arc<str> = self
            .index
            .get_key_value(file)
            .map_or_else(|| Arc::from(file), |(k, _)| k.clone());
        let function: Arc<str> = Arc::from(function);
        self.codes.push((file.clone(), function.clone()));
        self.index.entry(file).or_default().insert(function, id);
        id
    }

    /// Number of interned pairs.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether nothing was interned yet.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The `(file, function)` of `id`; `<unknown>` for [`CodeId::UNKNOWN`] or a foreign id.
    pub fn resolve(&self, id: CodeId) -> (Arc<str>, Arc<str>) {
        match self.codes.get(id.0 as usize) {
            Some((file, function)) => (file.clone(), function.clone()),
            None => {
                // Rare (an allocation with no frame pushed): a fresh Arc is fine.
                let unknown: Arc<str> = Arc::from(UNKNOWN);
                (unknown.clone(), unknown)
            }
        }
    }

    /// Resolve a raw frame into an owned [`Frame`].
    pub fn frame(&self, raw: RawFrame) -> Frame {
        let (file, function) = self.resolve(raw.code);
        Frame {
            file,
            line: raw.line,
            function,
        }
    }

    /// Approximate heap bytes used by the table (for `get_tracemalloc_memory`).
    pub fn heap_bytes(&self) -> usize {
        let strings: usize = self.codes.iter().map(|(f, g)| f.len() + g.len() + 32).sum();
        strings
            + self.codes.capacity() * size_of::<(Arc<str>, Arc<str>)>()
            + self.index.capacity() * (size_of::<Arc<str>>() + 48)
            + self.codes.len() * (size_of::<Arc<str>>() + size_of::<CodeId>() + 8)
    }
}

/// A frame of a traceback: file, line and function (Python's `tracemalloc.Frame` plus the
/// function name). Ordered like Python's frame tuple: by file, then line (then function).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Frame {
    /// Source file name.
    pub file: Arc<str>,
    /// Line number (1-based; 0 when unknown, and in `filename` statistics).
    pub line: u32,
    /// Function name.
    pub function: Arc<str>,
}

impl Frame {
    /// A frame from borrowed parts.
    pub fn new(file: &str, line: u32, function: &str) -> Self {
        Frame {
            file: Arc::from(file),
            line,
            function: Arc::from(function),
        }
    }
}

impl fmt::Display for Frame {
    /// `file:line`, like Python's `Frame.__str__`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The frames where a block was allocated, **most recent first** (at most the tracer's
/// `nframes`). Cheap to clone (shared). Equality and hashing are by value.
///
/// Ordering and `Display` follow Python's `tracemalloc.Traceback`, whose public sequence is
/// oldest first: tracebacks compare as their oldest-first frame sequences, and `Display`
/// shows the oldest frame (Python's `str(traceback)` is `str(traceback[0])`). For `lineno`
/// and `filename` statistics there is one frame, so the distinction vanishes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Traceback {
    frames: Arc<[Frame]>,
}

impl Traceback {
    /// A traceback from frames given most recent first. An empty input becomes Python's
    /// `<unknown>:0`, so a traceback always has a frame.
    pub fn new(frames: Vec<Frame>) -> Self {
        if frames.is_empty() {
            return Traceback {
                frames: Arc::from(vec![Frame::new(UNKNOWN, 0, UNKNOWN)]),
            };
        }
        Traceback {
            frames: Arc::from(frames),
        }
    }

    /// The frames, most recent first.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// The most recent frame (where the allocation itself happened).
    pub fn most_recent(&self) -> &Frame {
        // Invariant: `new` never builds an empty traceback.
        &self.frames[0]
    }

    /// The oldest frame kept.
    pub fn oldest(&self) -> &Frame {
        &self.frames[self.frames.len() - 1]
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Always false: a traceback has at least the `<unknown>` frame.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Lines like Python's `Traceback.format()`: `  File "f", line n, in function`, oldest
    /// first unless `most_recent_first`; `limit` keeps the most recent `limit` frames.
    /// (Python prints no function but the source line below; the tracer has no sources.)
    pub fn format(&self, limit: Option<usize>, most_recent_first: bool) -> Vec<String> {
        let keep = limit.unwrap_or(self.frames.len()).min(self.frames.len());
        let mut frames: Vec<&Frame> = self.frames[..keep].iter().collect();
        if !most_recent_first {
            frames.reverse();
        }
        frames
            .into_iter()
            .map(|f| format!("  File \"{}\", line {}, in {}", f.file, f.line, f.function))
            .collect()
    }
}

impl Ord for Traceback {
    fn cmp(&self, other: &Self) -> Ordering {
        self.frames.iter().rev().cmp(other.frames.iter().rev())
    }
}

impl PartialOrd for Traceback {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Traceback {
    /// The oldest frame as `file:line`, like Python's `str(traceback)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.oldest(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable_and_dense() {
        let mut t = CodeTable::new();
        let a = t.intern("a.py", "f");
        let b = t.intern("a.py", "g");
        assert_eq!(a, t.intern("a.py", "f"));
        assert_ne!(a, b);
        assert_eq!((a.index(), b.index()), (0, 1));
        assert_eq!(t.len(), 2);
        let (file, function) = t.resolve(b);
        assert_eq!((&*file, &*function), ("a.py", "g"));
        let unknown = t.frame(RawFrame::UNKNOWN);
        assert_eq!(unknown, Frame::new(UNKNOWN, 0, UNKNOWN));
        assert!(t.heap_bytes() > 0);
    }

    #[test]
    fn traceback_order_display_and_format_follow_python() {
        let recent = Frame::new("b.py", 7, "inner");
        let old = Frame::new("a.py", 3, "outer");
        let tb = Traceback::new(vec![recent.clone(), old.clone()]);
        assert_eq!(tb.most_recent(), &recent);
        assert_eq!(tb.oldest(), &old);
        assert_eq!(tb.to_string(), "a.py:3");
        assert_eq!(
            tb.format(None, false),
            vec![
                "  File \"a.py\", line 3, in outer",
                "  File \"b.py\", line 7, in inner"
            ]
        );
        assert_eq!(
            tb.format(Some(1), true),
            vec!["  File \"b.py\", line 7, in inner"]
        );
        // Compared oldest first: ("a.py",3),("b.py",7) < ("a.py",3),("c.py",1).
        let other = Traceback::new(vec![Frame::new("c.py", 1, "x"), old]);
        assert!(tb < other);
        let empty = Traceback::new(Vec::new());
        assert_eq!(empty.to_string(), "<unknown>:0");
        assert!(!empty.is_empty());
    }
}
