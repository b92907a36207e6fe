//! The discovery walk (behaviour document 5.3, 5.5): from the include
//! pattern's literal root, depth-first pre-order, entries in byte-wise sorted
//! order, directories matched with a trailing `/`, and subtrees that cannot
//! match never read.

use std::cell::OnceCell;
use std::ffi::{OsStr, OsString};
use std::fs::{self, FileType};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::glob::{Cursor, Pattern, clean};

/// How the walk treats special directories.
#[derive(Clone, Copy, Debug, Default)]
pub struct WalkOptions {
    /// Skip dot-directories and virtualenvs below the root (D9, pytest).
    pub skip_hidden_and_venvs: bool,
}

/// What a walk found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalkOutput {
    /// The matching files, in walk order.
    pub files: Vec<String>,
    /// Problems met on the way; the walk went on after each.
    pub warnings: Vec<String>,
    /// Matching files whose path is not UTF-8, bad bytes written `\xNN`:
    /// they cannot be named to a runner or to Test Engine, and the caller
    /// refuses them rather than drop them (D36).
    pub unnamable: Vec<String>,
}

/// A directory on the current walk path.
struct Frame {
    /// Its path as output (`.` for a root of `./`); a name that is not
    /// UTF-8 has its bad bytes written `\xNN`.
    out: String,
    /// Its path on disk.
    fs: PathBuf,
    /// Whether `out` is its path exactly: every name on it is UTF-8.
    exact: bool,
    /// The cursor after its path relative to the root, with a trailing `/`.
    cursor: Cursor,
    /// Its entries, sorted, and the next one to visit.
    entries: Vec<(OsString, FileType)>,
    next: usize,
    /// Its device and inode, computed only when a symlink needs them (D10).
    id: OnceCell<Option<(u64, u64)>>,
}

struct Walker<'a> {
    base: &'a Path,
    include: &'a Pattern,
    exclude: &'a Pattern,
    options: WalkOptions,
    out: WalkOutput,
}

/// Walks the tree below `base` for `include`, leaving out `exclude`.
/// Output paths are relative to `base` when the pattern is (without `./`),
/// absolute when it is.
pub fn walk(base: &Path, include: &Pattern, exclude: &Pattern, options: WalkOptions) -> WalkOutput {
    let mut walker = Walker {
        base,
        include,
        exclude,
        options,
        out: WalkOutput::default(),
    };
    match include.start() {
        None => walker.literal(),
        Some(cursor) => walker.tree(cursor),
    }
    walker.out
}

impl Walker<'_> {
    fn fs_path(&self, out: &str) -> PathBuf {
        self.base.join(out)
    }

    fn warn_at(&mut self, path: &str, err: &io::Error) {
        self.out
            .warnings
            .push(format!("Error walking at path \"{path}\": {err}"));
    }

    fn excluded(&self, path: &str) -> bool {
        !self.exclude.as_str().is_empty() && self.exclude.matches(path)
    }

    /// An all-literal pattern is one path: it is stat'ed, not walked.
    fn literal(&mut self) {
        let path = clean(self.include.root());
        match fs::metadata(self.fs_path(&path)) {
            Err(err) => self.warn_at(&path, &err),
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                if !self.excluded(&path) {
                    self.out.files.push(path);
                }
            }
        }
    }

    fn tree(&mut self, start: Cursor) {
        let root = clean(self.include.root());
        // The start directory is offered to the exclude pattern and the
        // node_modules rule like any other directory.
        if self.excluded(&root) || base_name(&root) == "node_modules" {
            return;
        }
        let fs = self.fs_path(&root);
        let Some(entries) = self.read_dir(&fs, &root) else {
            return;
        };
        let mut stack = vec![Frame {
            out: root,
            fs,
            exact: true,
            cursor: start,
            entries,
            next: 0,
            id: OnceCell::new(),
        }];
        while let Some(frame) = stack.last_mut() {
            let Some((name, file_type)) = frame.entries.get(frame.next).cloned() else {
                stack.pop();
                continue;
            };
            frame.next += 1;
            let entry = Entry {
                out: join(&frame.out, &escaped(&name)),
                fs: frame.fs.join(&name),
                exact: frame.exact && name.to_str().is_some(),
            };
            let name = escaped(&name);
            let parent = frame.cursor.clone();
            if file_type.is_dir() {
                if let Some(child) = self.enter_dir(&parent, &name, entry) {
                    stack.push(child);
                }
            } else if file_type.is_symlink() {
                if let Some(child) = self.symlink(&parent, &name, entry, &stack) {
                    stack.push(child);
                }
            } else {
                let cursor = self.include.feed(&parent, &name);
                if self.include.is_accepting(&cursor) && !self.excluded(&entry.out) {
                    self.found(entry);
                }
            }
        }
    }

    /// A matching file: a target, or refused when its path is not UTF-8.
    fn found(&mut self, entry: Entry) {
        if entry.exact {
            self.out.files.push(entry.out);
        } else {
            self.out.unnamable.push(entry.out);
        }
    }

    /// Decides whether to descend into directory `name` at `entry`.
    fn enter_dir(&mut self, parent: &Cursor, name: &str, entry: Entry) -> Option<Frame> {
        if self.options.skip_hidden_and_venvs && name.starts_with('.') {
            return None;
        }
        let cursor = self.include.feed(parent, &format!("{name}/"));
        if self.include.is_dead(&cursor) || self.excluded(&entry.out) || name == "node_modules" {
            return None;
        }
        let entries = self.read_dir(&entry.fs, &entry.out)?;
        if self.options.skip_hidden_and_venvs
            && entries
                .iter()
                .any(|(n, t)| n == "pyvenv.cfg" && !t.is_dir())
        {
            return None;
        }
        Some(Frame {
            out: entry.out,
            fs: entry.fs,
            exact: entry.exact,
            cursor,
            entries,
            next: 0,
            id: OnceCell::new(),
        })
    }

    /// A symlink is never a directory for matching. A link to a file is
    /// collected when it matches; a link to a directory is walked as that
    /// directory (D10: unless it leads back onto the current walk path).
    fn symlink(
        &mut self,
        parent: &Cursor,
        name: &str,
        entry: Entry,
        stack: &[Frame],
    ) -> Option<Frame> {
        let as_file = self.include.feed(parent, name);
        let as_dir = self.include.feed(&as_file, "/");
        if self.include.is_dead(&as_file) {
            return None;
        }
        let meta = match fs::metadata(&entry.fs) {
            Ok(meta) => meta,
            // A link that matches but leads nowhere readable (dangling, or
            // a target bktec may not read) is listed, as the Go client lists
            // it: the runner then fails on it loudly, where dropping it
            // could leave its tests unrun and the job green (D42).
            Err(err) if self.include.is_accepting(&as_file) && !self.excluded(&entry.out) => {
                self.out.warnings.push(format!(
                    "\"{}\" is a symbolic link that cannot be followed ({err}); it is listed, and the test command will meet it",
                    entry.out
                ));
                self.found(entry);
                return None;
            }
            Err(err) => {
                self.warn_at(&entry.out, &err);
                return None;
            }
        };
        if !meta.is_dir() {
            if self.include.is_accepting(&as_file) && !self.excluded(&entry.out) {
                self.found(entry);
            }
            return None;
        }
        if self.include.is_dead(&as_dir)
            || self.excluded(&entry.out)
            || name == "node_modules"
            || (self.options.skip_hidden_and_venvs && name.starts_with('.'))
        {
            return None;
        }
        let target = (meta.dev(), meta.ino());
        let on_path = stack.iter().any(|frame| {
            *frame
                .id
                .get_or_init(|| fs::metadata(&frame.fs).ok().map(|m| (m.dev(), m.ino())))
                == Some(target)
        });
        if on_path {
            self.out.warnings.push(format!(
                "Skipping symlink \"{}\": it leads back to a directory already being walked (a symlink cycle)",
                entry.out
            ));
            return None;
        }
        let mut frame = self.enter_dir(parent, name, entry)?;
        frame.id = OnceCell::from(Some(target));
        Some(frame)
    }

    /// The entries of directory `fs` (shown as `path`), sorted by name
    /// bytes; a read error is a warning and the walk goes on.
    fn read_dir(&mut self, fs: &Path, path: &str) -> Option<Vec<(OsString, FileType)>> {
        let read = fs::read_dir(fs).and_then(|entries| {
            entries
                .map(|e| e.and_then(|e| Ok((e.file_name(), e.file_type()?))))
                .collect::<io::Result<Vec<_>>>()
        });
        match read {
            Ok(mut entries) => {
                entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                Some(entries)
            }
            Err(err) => {
                self.warn_at(path, &err);
                None
            }
        }
    }
}

/// An entry below a frame: its path as output and on disk.
struct Entry {
    /// As output (see [`Frame::out`]).
    out: String,
    /// On disk.
    fs: PathBuf,
    /// Whether `out` is its path exactly.
    exact: bool,
}

/// A name as text: a name that is not UTF-8 has its bad bytes written
/// `\xNN`, so that it can be shown and matched, though never named.
fn escaped(name: &OsStr) -> String {
    let mut text = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// `dir/name`, for a clean `dir`.
fn join(dir: &str, name: &str) -> String {
    match dir {
        "." => name.to_string(),
        "/" => format!("/{name}"),
        _ => format!("{dir}/{name}"),
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
