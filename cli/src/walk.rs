//! Which files to classify: the paths named, with folders expanded recursively.
//!
//! The walk follows symbolic links (a linked folder of recordings is common) with `walkdir`
//! (≥ 2.5.1), which notices a link back to a folder being walked, or to any folder above the
//! one given, and skips it instead of recursing until `ELOOP`. Files are kept once per canonical path, so two links to the same folder,
//! or a file named twice, are classified once. An entry that cannot be read (a folder
//! without permission, a dangling link) is reported and the walk goes on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::pathname::shown;

/// What the walk found.
#[derive(Debug, Default)]
pub struct Found {
    /// Files to classify, in a stable order (arguments in order, folders sorted by name).
    pub files: Vec<PathBuf>,
    /// Entries that could not be read: reported, and the exit status says so.
    pub unreadable: Vec<String>,
    /// Links that lead back into a folder already being walked: skipped, not an error.
    pub loops: Vec<String>,
}

/// File name endings taken from a folder (the engine's list, shared with the Python package).
pub use speech_emotion::audio::AUDIO_EXTENSIONS;

fn is_audio(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    AUDIO_EXTENSIONS.contains(&ext.as_str())
}

pub fn collect_audio_files(paths: &[PathBuf]) -> Found {
    let mut found = Found::default();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut seen_dirs: HashSet<PathBuf> = HashSet::new();
    // A file whose canonical path cannot be found (missing) is kept: decoding reports it.
    let mut add = |found: &mut Found, path: PathBuf| {
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.insert(key) {
            found.files.push(path);
        }
    };
    for path in paths {
        if !path.is_dir() {
            add(&mut found, path.clone()); // named explicitly: try it whatever its extension
            continue;
        }
        let mut walk = walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name().into_iter();
        while let Some(entry) = walk.next() {
            match entry {
                Ok(entry) if entry.file_type().is_dir() => {
                    // Each real folder once: links to the same folder from several places
                    // would otherwise multiply the walk (exponentially, for stacked links).
                    let key = std::fs::canonicalize(entry.path()).unwrap_or_else(|_| entry.path().to_path_buf());
                    if !seen_dirs.insert(key) {
                        walk.skip_current_dir();
                    }
                }
                Ok(entry) => {
                    // Only regular files: a FIFO or device named `.wav` would block or never end.
                    if entry.file_type().is_file() && is_audio(entry.path()) {
                        add(&mut found, entry.into_path());
                    }
                }
                Err(e) => {
                    let at = shown(e.path().unwrap_or(path));
                    match e.loop_ancestor() {
                        Some(ancestor) => found.loops.push(format!("{at} links back to {}", shown(ancestor))),
                        None => {
                            let why = e.io_error().map_or_else(|| e.to_string(), ToString::to_string);
                            found.unreadable.push(format!("{at}: {why}"));
                        }
                    }
                }
            }
        }
    }
    found
}
