//! `classify`: every audio file named or found under the folders named, one result each on
//! stdout in the order found (in the `--format` chosen), problems on stderr, and an exit
//! status that says whether every file was classified.

use std::path::PathBuf;

use anyhow::{bail, Result};

use speech_emotion::classify::ClipOptions;

use crate::audio_file::classify_path;
use crate::errors::error_text;
use crate::export::{Batch, Format};
use crate::model_source::ModelId;
use crate::pathname::shown;
use crate::progress::{say, Progress};
use crate::walk;
use crate::workers::Workers;

pub fn classify(
    pool: &mut Workers,
    model_id: &ModelId,
    paths: &[PathBuf],
    format: Format,
    with_segments: bool,
    options: &ClipOptions,
) -> Result<()> {
    let found = walk::collect_audio_files(paths);
    for skipped in &found.loops {
        say(&format!("note: skipped {skipped} (a folder already being walked)"));
    }
    for problem in &found.unreadable {
        say(&format!("error: cannot read {problem}"));
    }
    let files = &found.files;
    if files.is_empty() {
        bail!("no audio files ({}) found in the given paths", walk::AUDIO_EXTENSIONS.join(", "));
    }
    let labels = pool.labels();
    let exporter = format.exporter(Batch { labels: &labels, model: model_id, with_segments });
    let stdout = std::io::stdout();
    exporter.header(&mut stdout.lock())?;
    let progress = Progress::new(files.len());
    let mut failures = 0usize;
    let delivered = pool.run_in_order(
        files.len(),
        |model, i| classify_path(model, &files[i], options),
        |i, outcome| {
            progress.inc();
            let path = shown(&files[i]);
            match outcome {
                Ok(outcome) => {
                    for warning in &outcome.warnings {
                        progress.message(&format!("warning: {path}: {warning}"));
                    }
                    exporter.file(&mut stdout.lock(), &path, &outcome)
                }
                Err(e) => {
                    failures += 1;
                    progress.message(&format!("error: {path}: {}", error_text(&e)));
                    Ok(())
                }
            }
        },
    );
    progress.finish();
    delivered?;
    let mut problems = Vec::new();
    if failures > 0 {
        problems.push(format!("{failures} of {} files could not be classified", files.len()));
    }
    match found.unreadable.len() {
        0 => {}
        1 => problems.push("1 unreadable entry".into()),
        n => problems.push(format!("{n} unreadable entries")),
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("; "));
    }
    Ok(())
}
