//! The container's memory limit, from cgroups: "will we survive the container limit?"
//!
//! [`memory_limit_from_cgroup`] takes the filesystem root (`/` in production, a temporary
//! tree in tests) and:
//!
//! 1. reads `proc/self/cgroup` for the process's cgroup — `0::/path` for cgroup v2, a
//!    `N:…memory…:/path` line for the v1 memory controller;
//! 2. reads `proc/self/mountinfo` for where those hierarchies are mounted and which part of
//!    them the mount shows (its root field); without mountinfo it assumes the conventional
//!    `sys/fs/cgroup` (v2) and `sys/fs/cgroup/memory` (v1);
//! 3. maps the cgroup path into the mount (when the container has no cgroup namespace the
//!    host path does not exist inside it: then the mount point itself is the cgroup);
//! 4. walks from that directory up to the mount point reading `memory.max` (v2) or
//!    `memory.limit_in_bytes` (v1): the effective limit is the smallest one on the way,
//!    since a parent's limit binds its children.
//!
//! v2 is tried first, then v1 (hybrid hosts keep the memory controller on v1). "No limit" is
//! v2's `max` or v1's "unlimited" sentinel — `LONG_MAX` rounded down to the page size
//! (9223372036854771712 with 4 KiB pages); any value of 2^62 or more is taken as that.

use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Values at or above this are v1's "unlimited" sentinel (`PAGE_COUNTER_MAX × page size`).
pub const V1_UNLIMITED_THRESHOLD: u64 = 1 << 62;

/// Which cgroup version gave the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgroupVersion {
    /// The v1 memory controller (`memory.limit_in_bytes`).
    V1,
    /// The unified hierarchy (`memory.max`).
    V2,
}

/// A memory limit found in a cgroup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryLimit {
    /// The limit in bytes.
    pub bytes: u64,
    /// Which hierarchy.
    pub version: CgroupVersion,
    /// The file that set it (the process's cgroup or an ancestor).
    pub file: PathBuf,
    /// Current usage of the process's cgroup (`memory.current` / `memory.usage_in_bytes`),
    /// when readable: `bytes - usage` is the headroom.
    pub usage: Option<u64>,
}

/// Why no limit could be given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CgroupError {
    /// Limit files exist but none sets a limit (`max` / the v1 unlimited sentinel).
    NoLimit {
        /// The files read.
        looked_at: Vec<PathBuf>,
    },
    /// No cgroup memory limit file was found.
    NotFound {
        /// The places tried.
        looked_at: Vec<PathBuf>,
    },
    /// A file exists but could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The error, as text.
        error: String,
    },
    /// A file holds something that is not a limit.
    Parse {
        /// The file.
        path: PathBuf,
        /// What it holds (trimmed).
        content: String,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for CgroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CgroupError::NoLimit { looked_at } => write!(
                f,
                "no memory limit is set (\"max\" or the v1 unlimited value) in: {}",
                list(looked_at)
            ),
            CgroupError::NotFound { looked_at } => {
                write!(
                    f,
                    "no cgroup memory limit file found; looked at: {}",
                    list(looked_at)
                )
            }
            CgroupError::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            CgroupError::Parse { path, content } => {
                write!(
                    f,
                    "{} holds {content:?}, not a memory limit",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for CgroupError {}

/// The memory limit of this process's cgroup as seen from `/`.
pub fn memory_limit() -> Result<MemoryLimit, CgroupError> {
    memory_limit_from_cgroup(Path::new("/"))
}

/// The memory limit of the process's cgroup, reading the tree under `root` (see the module
/// docs for the procedure).
pub fn memory_limit_from_cgroup(root: &Path) -> Result<MemoryLimit, CgroupError> {
    let memberships = read_optional(&root.join("proc/self/cgroup"))?.unwrap_or_default();
    let mounts = read_optional(&root.join("proc/self/mountinfo"))?.map(|t| parse_mountinfo(&t));
    let (mut v2_path, mut v1_path) = (None, None);
    for line in memberships.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            v2_path = Some(path.to_owned());
        } else if controllers.split(',').any(|c| c == "memory") {
            v1_path = Some(path.to_owned());
        }
    }
    let mut looked_at = Vec::new();
    let mut unlimited = Vec::new();
    for version in [CgroupVersion::V2, CgroupVersion::V1] {
        let (limit_file, usage_file, cgroup_path, default_mount) = match version {
            CgroupVersion::V2 => ("memory.max", "memory.current", &v2_path, "sys/fs/cgroup"),
            CgroupVersion::V1 => (
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
                &v1_path,
                "sys/fs/cgroup/memory",
            ),
        };
        let mount = match &mounts {
            Some(m) => m
                .iter()
                .find(|m| m.version == version)
                .map(|m| (root.join(m.point.trim_start_matches('/')), m.root.clone())),
            None => Some((root.join(default_mount), "/".to_owned())),
        };
        let Some((mount_point, mount_root)) = mount else {
            continue;
        };
        let path = cgroup_path.as_deref().unwrap_or("/");
        let relative = path
            .strip_prefix(mount_root.as_str())
            .unwrap_or(path)
            .trim_start_matches('/');
        let mut dir = mount_point.join(relative);
        if !dir.is_dir() {
            dir = mount_point.clone();
        }
        let leaf = dir.clone();
        let mut best: Option<(u64, PathBuf)> = None;
        loop {
            let file = dir.join(limit_file);
            looked_at.push(file.clone());
            if let Some(text) = read_optional(&file)? {
                match parse_limit(&text, version) {
                    Some(Some(bytes)) => {
                        if best.as_ref().is_none_or(|(b, _)| bytes < *b) {
                            best = Some((bytes, file));
                        }
                    }
                    Some(None) => unlimited.push(file),
                    None => {
                        return Err(CgroupError::Parse {
                            path: file,
                            content: text.trim().to_owned(),
                        });
                    }
                }
            }
            if dir == mount_point || !dir.pop() || !dir.starts_with(&mount_point) {
                break;
            }
        }
        if let Some((bytes, file)) = best {
            let usage = read_optional(&leaf.join(usage_file))?.and_then(|t| t.trim().parse().ok());
            return Ok(MemoryLimit {
                bytes,
                version,
                file,
                usage,
            });
        }
    }
    if unlimited.is_empty() {
        Err(CgroupError::NotFound { looked_at })
    } else {
        Err(CgroupError::NoLimit {
            looked_at: unlimited,
        })
    }
}

/// `Some(Some(bytes))` for a limit, `Some(None)` for "no limit", `None` for garbage.
fn parse_limit(text: &str, version: CgroupVersion) -> Option<Option<u64>> {
    let t = text.trim();
    if version == CgroupVersion::V2 && t == "max" {
        return Some(None);
    }
    let bytes: u64 = t.parse().ok()?;
    Some(
        if version == CgroupVersion::V1 && bytes >= V1_UNLIMITED_THRESHOLD {
            None
        } else {
            Some(bytes)
        },
    )
}

/// A file's contents; `None` if it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, CgroupError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(None),
        Err(e) => Err(CgroupError::Io {
            path: path.to_owned(),
            error: e.to_string(),
        }),
    }
}

/// A cgroup mount from mountinfo.
#[derive(Debug, PartialEq)]
struct Mount {
    version: CgroupVersion,
    /// The part of the hierarchy the mount shows.
    root: String,
    /// Where it is mounted.
    point: String,
}

/// Cgroup mounts in `/proc/self/mountinfo` (`id parent dev root point opts [optional…] - fstype
/// source superopts`): `cgroup2`, and `cgroup` with the `memory` super option.
fn parse_mountinfo(text: &str) -> Vec<Mount> {
    let mut mounts = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == "-") else {
            continue;
        };
        if dash < 5 || fields.len() < dash + 4 {
            continue;
        }
        let (fstype, superopts) = (fields[dash + 1], fields[dash + 3]);
        let version = match fstype {
            "cgroup2" => CgroupVersion::V2,
            "cgroup" if superopts.split(',').any(|o| o == "memory") => CgroupVersion::V1,
            _ => continue,
        };
        mounts.push(Mount {
            version,
            root: unescape_octal(fields[3]),
            point: unescape_octal(fields[4]),
        });
    }
    mounts
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') as u32 * 64
                + (bytes[i + 2] - b'0') as u32 * 8
                + (bytes[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A temporary directory tree, removed on drop.
    struct Tree(PathBuf);

    impl Tree {
        fn new() -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "mrt-cgroup-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Tree(dir)
        }

        fn file(&self, path: &str, content: &str) -> &Self {
            let p = self.0.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
            self
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const V2_MOUNT: &str = "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";

    #[test]
    fn v2_with_a_cgroup_namespace() {
        let t = Tree::new();
        t.file("proc/self/cgroup", "0::/\n")
            .file("proc/self/mountinfo", V2_MOUNT)
            .file("sys/fs/cgroup/memory.max", "536870912\n")
            .file("sys/fs/cgroup/memory.current", "1048576\n");
        let limit = memory_limit_from_cgroup(&t.0).unwrap();
        assert_eq!(limit.bytes, 512 << 20);
        assert_eq!(limit.version, CgroupVersion::V2);
        assert_eq!(limit.file, t.0.join("sys/fs/cgroup/memory.max"));
        assert_eq!(limit.usage, Some(1 << 20));
    }

    #[test]
    fn v2_nested_takes_the_tightest_ancestor() {
        let t = Tree::new();
        t.file("proc/self/cgroup", "0::/kubepods/pod1/ctr\n")
            .file("proc/self/mountinfo", V2_MOUNT)
            .file("sys/fs/cgroup/kubepods/memory.max", "4294967296\n")
            .file("sys/fs/cgroup/kubepods/pod1/memory.max", "1073741824\n")
            .file("sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "max\n");
        let limit = memory_limit_from_cgroup(&t.0).unwrap();
        assert_eq!(limit.bytes, 1 << 30);
        assert_eq!(
            limit.file,
            t.0.join("sys/fs/cgroup/kubepods/pod1/memory.max")
        );
        assert_eq!(limit.usage, None);
    }

    #[test]
    fn v2_without_a_namespace_uses_the_mount_point() {
        let t = Tree::new();
        t.file("proc/self/cgroup", "0::/system.slice/docker-abc.scope\n")
            .file("proc/self/mountinfo", V2_MOUNT)
            .file("sys/fs/cgroup/memory.max", "268435456\n");
        assert_eq!(memory_limit_from_cgroup(&t.0).unwrap().bytes, 256 << 20);
    }

    #[test]
    fn v2_max_everywhere_is_no_limit_and_says_where() {
        let t = Tree::new();
        t.file("proc/self/cgroup", "0::/a\n")
            .file("proc/self/mountinfo", V2_MOUNT)
            .file("sys/fs/cgroup/a/memory.max", "max\n");
        let err = memory_limit_from_cgroup(&t.0).unwrap_err();
        assert_eq!(
            err,
            CgroupError::NoLimit {
                looked_at: vec![t.0.join("sys/fs/cgroup/a/memory.max")]
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("no memory limit is set")
                && text.contains("\"max\"")
                && text.contains("sys/fs/cgroup/a/memory.max"),
            "{text}"
        );
    }

    #[test]
    fn v1_memory_controller_with_mount_root_and_sentinel() {
        let t = Tree::new();
        let mountinfo = "40 30 0:35 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n41 30 0:36 / /sys/fs/cgroup/cpu ro - cgroup cgroup rw,cpu\n";
        t.file(
            "proc/self/cgroup",
            "5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n",
        )
        .file("proc/self/mountinfo", mountinfo)
        .file(
            "sys/fs/cgroup/memory/memory.limit_in_bytes",
            "9223372036854771712\n",
        );
        let err = memory_limit_from_cgroup(&t.0).unwrap_err();
        assert!(
            matches!(&err, CgroupError::NoLimit { looked_at } if looked_at.len() == 1),
            "{err:?}"
        );
        assert!(err.to_string().contains("unlimited"));
        t.file("sys/fs/cgroup/memory/memory.limit_in_bytes", "2147483648\n")
            .file("sys/fs/cgroup/memory/memory.usage_in_bytes", "12345\n");
        let limit = memory_limit_from_cgroup(&t.0).unwrap();
        assert_eq!(
            (limit.bytes, limit.version, limit.usage),
            (2 << 30, CgroupVersion::V1, Some(12345))
        );
    }

    #[test]
    fn hybrid_falls_back_to_v1_and_no_mountinfo_uses_defaults() {
        let t = Tree::new();
        t.file("proc/self/cgroup", "0::/\n7:memory:/\n")
            .file("sys/fs/cgroup/memory/memory.limit_in_bytes", "1000000\n");
        // No mountinfo: conventional paths. The v2 root has no memory.max.
        let limit = memory_limit_from_cgroup(&t.0).unwrap();
        assert_eq!((limit.bytes, limit.version), (1_000_000, CgroupVersion::V1));
    }

    #[test]
    fn nothing_found_and_garbage_are_errors() {
        let t = Tree::new();
        let err = memory_limit_from_cgroup(&t.0).unwrap_err();
        let CgroupError::NotFound { looked_at } = &err else {
            panic!("{err:?}")
        };
        assert!(looked_at.contains(&t.0.join("sys/fs/cgroup/memory.max")));
        assert!(looked_at.contains(&t.0.join("sys/fs/cgroup/memory/memory.limit_in_bytes")));
        assert!(
            err.to_string()
                .starts_with("no cgroup memory limit file found; looked at: ")
        );

        t.file("sys/fs/cgroup/memory.max", "lots\n");
        let err = memory_limit_from_cgroup(&t.0).unwrap_err();
        assert_eq!(
            err,
            CgroupError::Parse {
                path: t.0.join("sys/fs/cgroup/memory.max"),
                content: "lots".into()
            }
        );
        assert!(err.to_string().contains("not a memory limit"));
    }

    #[test]
    fn mountinfo_parsing_and_escapes() {
        let text = "30 24 0:26 / /sys/fs/cgroup rw shared:4 master:1 - cgroup2 cgroup2 rw\n\
                    31 24 0:27 /x\\040y /mnt/with\\040space rw - cgroup cgroup rw,memory,hierarchy\n\
                    32 24 8:1 / / rw - ext4 /dev/sda1 rw\n\
                    garbage line\n";
        let mounts = parse_mountinfo(text);
        assert_eq!(
            mounts,
            vec![
                Mount {
                    version: CgroupVersion::V2,
                    root: "/".into(),
                    point: "/sys/fs/cgroup".into()
                },
                Mount {
                    version: CgroupVersion::V1,
                    root: "/x y".into(),
                    point: "/mnt/with space".into()
                },
            ]
        );
    }

    /// On this machine (whatever it is) the call returns a limit or a typed error, never panics.
    #[test]
    fn the_real_root_does_not_panic() {
        match memory_limit() {
            Ok(limit) => assert!(limit.bytes > 0),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}
