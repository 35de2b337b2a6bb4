//! The `evaluate` CSV: a `path` column and a label column, one row per file. Parsing lives
//! here on its own (only `std` and `csv`), so `fuzz/fuzz_targets/manifest.rs` calls the same
//! function the command does.
//!
//! - A leading UTF-8 byte-order mark (spreadsheet exports) is dropped.
//! - Column names are matched after trimming spaces; labels are trimmed, paths are not (a
//!   file name may start or end with a space).
//! - A path is taken as bytes: on Unix a file name that is not UTF-8 still names its file.
//!   A label that is not UTF-8 is read with U+FFFD for the bad bytes (it is then an unknown
//!   label, counted and skipped).
//! - Every row needs as many fields as the header; an empty path is an error naming its line.

use std::path::PathBuf;

/// One row of the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// As written in the CSV (relative paths are relative to the CSV's folder).
    pub path: PathBuf,
    /// Trimmed.
    pub label: String,
    /// 1-based line of the CSV where the row starts.
    pub line: u64,
}

/// The rows of a manifest whose label column is `label_column`, or what is wrong with it.
pub fn parse(bytes: &[u8], label_column: &str) -> Result<Vec<Row>, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let headers = reader.byte_headers().map_err(|e| format!("malformed CSV header: {e}"))?.clone();
    let names: Vec<String> = headers.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
    if names.iter().all(String::is_empty) {
        return Err(format!("the CSV is empty: expected a header naming a \"path\" and a \"{}\" column", label_column.trim()));
    }
    let column = |name: &str| {
        names.iter().position(|h| h == name).ok_or_else(|| {
            let listed = names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
            format!("no \"{name}\" column (columns: {listed})")
        })
    };
    let (path_col, label_col) = (column("path")?, column(label_column.trim())?);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(format!("malformed CSV: {e}")),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let path = record.get(path_col).unwrap_or_default();
        if path.is_empty() {
            return Err(format!("line {line}: the path is empty"));
        }
        let label = String::from_utf8_lossy(record.get(label_col).unwrap_or_default()).trim().to_string();
        rows.push(Row { path: path_from_bytes(path), label, line });
    }
    Ok(rows)
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_columns_bom_and_quoting() {
        let rows = parse(b"\xef\xbb\xbfid, path ,label\n1,a.wav, happy \n2,\"b,c.wav\",sad\n", "label").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].path.to_str().unwrap(), rows[0].label.as_str(), rows[0].line), ("a.wav", "happy", 2));
        assert_eq!((rows[1].path.to_str().unwrap(), rows[1].label.as_str(), rows[1].line), ("b,c.wav", "sad", 3));
        let err = parse(b"file,label\na.wav,sad\n", "label").unwrap_err();
        assert_eq!(err, "no \"path\" column (columns: \"file\", \"label\")");
        assert!(parse(b"path,label\na.wav\n", "label").unwrap_err().starts_with("malformed CSV"));
        assert_eq!(parse(b"path,label\na.wav,sad\n,happy\n", "label").unwrap_err(), "line 3: the path is empty");
        assert_eq!(parse(b"", "label").unwrap_err(), "the CSV is empty: expected a header naming a \"path\" and a \"label\" column");
    }

    #[cfg(unix)]
    #[test]
    fn a_path_that_is_not_utf8_is_kept_as_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let rows = parse(b"path,label\na\xff.wav,sad\n", "label").unwrap();
        assert_eq!(rows[0].path.as_os_str().as_bytes(), b"a\xff.wav");
    }
}
