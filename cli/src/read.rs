//! Files the CLI reads whole (the model, its metadata, the `evaluate` CSV): each has a size
//! limit, checked before reading and enforced while reading, and must be a regular file. A
//! device (`/dev/zero`), a FIFO or a folder is refused by name instead of blocking or filling
//! memory until the allocator aborts.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::pathname::shown;

/// The model and metadata limits are the engine's (one home: `EmotionModel::from_files` reads
/// with the same ones).
pub use speech_emotion::model::{MAX_METADATA_BYTES, MAX_MODEL_BYTES};
/// The `evaluate` CSV: 64 MiB is about half a million rows of 128 bytes, ten times the
/// largest corpus used here (the three shared corpora together have under 8,000 rows).
pub const MAX_CSV_BYTES: u64 = 64 << 20;

/// "64 MiB", "1 MiB", "17 bytes".
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 { format!("{:.0} MiB", bytes as f64 / f64::from(1 << 20)) } else { format!("{bytes} bytes") }
}

/// The whole file at `path`, which must be a regular file of at most `limit` bytes. `what`
/// names it in messages ("model", "metadata", "CSV").
pub fn read_capped(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let shown = shown(path);
    // Checked before opening: opening a FIFO blocks until a writer comes.
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {what} {shown}"))?;
    refuse_non_regular(&meta, &shown, what)?;
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {what} {shown}"))?;
    // The path may have been replaced between the two looks; the open file is what counts.
    let meta = file.metadata().with_context(|| format!("cannot read {what} {shown}"))?;
    refuse_non_regular(&meta, &shown, what)?;
    let too_big = |size: &str| format!("{what} {shown} is {size}: at most {} is read", size_text(limit));
    if meta.len() > limit {
        bail!(too_big(&size_text(meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // One byte past the limit tells a file that grew while being read from one that fits.
    (&mut file).take(limit + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {what} {shown}"))?;
    if bytes.len() as u64 > limit {
        bail!(too_big("larger than that (it grew while being read)"));
    }
    Ok(bytes)
}

/// [`read_capped`] as text: the metadata JSON. A leading byte-order mark is dropped.
pub fn read_text_capped(path: &Path, limit: u64, what: &str) -> Result<String> {
    let bytes = read_capped(path, limit, what)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!("{what} {} is not UTF-8 text (invalid byte at offset {})", shown(path), e.utf8_error().valid_up_to())
    })?;
    Ok(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text))
}

fn refuse_non_regular(meta: &std::fs::Metadata, shown: &str, what: &str) -> Result<()> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let is = if kind.is_dir() { "a folder" } else { "not a regular file (a device, pipe or socket)" };
    bail!("{what} {shown} is {is}: expected a {what} file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size_text(MAX_MODEL_BYTES), "64 MiB");
        assert_eq!(size_text(MAX_METADATA_BYTES), "1 MiB");
        assert_eq!(size_text(MAX_CSV_BYTES), "64 MiB");
        assert_eq!(size_text(17), "17 bytes");
    }

    #[cfg(unix)]
    #[test]
    fn devices_folders_and_big_files_are_refused_before_reading() {
        let err = read_capped(Path::new("/dev/zero"), MAX_CSV_BYTES, "CSV").unwrap_err().to_string();
        assert_eq!(err, "CSV /dev/zero is not a regular file (a device, pipe or socket): expected a CSV file");
        let err = read_capped(Path::new("/"), MAX_CSV_BYTES, "CSV").unwrap_err().to_string();
        assert_eq!(err, "CSV / is a folder: expected a CSV file");
        let dir = std::env::temp_dir().join(format!("se-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("big.csv");
        std::fs::write(&file, vec![b'x'; 2000]).unwrap();
        let err = read_capped(&file, 1000, "CSV").unwrap_err().to_string();
        assert!(err.ends_with("big.csv is 2000 bytes: at most 1000 bytes is read"), "{err}");
        assert_eq!(read_capped(&file, 2000, "CSV").unwrap().len(), 2000);
        std::fs::write(&file, "\u{feff}{}").unwrap();
        assert_eq!(read_text_capped(&file, 10, "metadata").unwrap(), "{}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
