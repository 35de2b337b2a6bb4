//! Reading a model or its metadata from files: whole, with a size limit checked before
//! reading, regular files only.

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// The largest model file [`read_model_file`] reads: the shipped models are about 80 KB, and a
/// model that runs live in a browser tab is a few MB at most.
pub const MAX_MODEL_BYTES: u64 = 64 << 20;

/// The largest metadata file [`read_metadata_file`] reads: the shipped ones are about 3 KB.
pub const MAX_METADATA_BYTES: u64 = 1 << 20;

/// Reads a whole file of at most `limit` bytes. The size is checked before reading, and the
/// read itself stops one byte past the limit, so neither a huge (or sparse) file nor one that
/// grows while it is read, nor a device such as `/dev/zero`, can exhaust memory; folders,
/// devices and pipes are refused before they are opened for reading. Errors are
/// [`Error::Io`] naming the path (and the limit, `what` saying what the file is for).
pub fn read_file_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let fail = |error: std::io::Error| Error::Io { path: path.display().to_string(), error };
    let other = |message: String| fail(std::io::Error::other(message));
    let too_big = |size: String| {
        other(format!("{size} is more than a {what} may be ({}); is this the right file?", format_bytes(limit)))
    };
    let info = std::fs::metadata(path).map_err(fail)?;
    if info.is_dir() {
        return Err(other(format!("this is a folder, not a {what}")));
    }
    if !info.is_file() {
        return Err(other(format!("not a regular file (a device, pipe or socket), so not a {what}")));
    }
    if info.len() > limit {
        return Err(too_big(format_bytes(info.len())));
    }
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut bytes = Vec::with_capacity(info.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(fail)?;
    if bytes.len() as u64 > limit {
        return Err(too_big("the file grew while it was read and".into()));
    }
    Ok(bytes)
}

/// "64 MiB", "1.5 GiB", "812 bytes".
fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 { format!("{value} {}", UNITS[unit]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// Reads an ONNX model file (at most [`MAX_MODEL_BYTES`]; see [`read_file_limited`]).
pub fn read_model_file(path: &Path) -> Result<Vec<u8>> {
    read_file_limited(path, MAX_MODEL_BYTES, "model file (.onnx)")
}

/// Reads a model metadata file (at most [`MAX_METADATA_BYTES`]; see [`read_file_limited`]),
/// which must be UTF-8 text.
pub fn read_metadata_file(path: &Path) -> Result<String> {
    let bytes = read_file_limited(path, MAX_METADATA_BYTES, "metadata file (.json)")?;
    String::from_utf8(bytes).map_err(|e| Error::Metadata(format!("{}: not UTF-8 text ({e})", path.display())))
}

