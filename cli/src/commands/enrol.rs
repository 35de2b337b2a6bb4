//! `enrol`: a CSV of the person's own labelled clips (`path,label`, paths relative to the
//! CSV, as for `evaluate`) → a personal profile JSON for `--profile`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use speech_emotion::audio::decode_file;
use speech_emotion::model::EmotionModel;
use speech_emotion::profile::ProfileBuilder;

use crate::manifest;
use crate::pathname::shown;
use crate::progress::say;
use crate::read::{read_capped, MAX_CSV_BYTES};

pub fn enrol(model: &mut EmotionModel, csv_path: &Path, output: &Path) -> Result<()> {
    let bytes = read_capped(csv_path, MAX_CSV_BYTES, "CSV")?;
    let rows = manifest::parse(&bytes, "label").map_err(|e| anyhow::anyhow!("{}: {e}", shown(csv_path)))?;
    let base = csv_path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut builder = ProfileBuilder::new(model)?;
    for row in &rows {
        let path: PathBuf = base.join(&row.path);
        let context = || format!("{} line {}: {}", shown(csv_path), row.line, shown(&path));
        let audio = decode_file(&path).with_context(context)?;
        builder.enrol(&audio.to_mono().with_context(context)?, f64::from(audio.sample_rate), &row.label).with_context(context)?;
    }
    let profile = builder.finish(model).context("enrolment")?;
    let json = profile.to_json();
    std::fs::write(output, &json).with_context(|| format!("cannot write {}", shown(output)))?;
    let labels: Vec<String> =
        profile.labels.iter().map(|l| format!("{} ({} clips, {:.1} s of speech)", l.label, l.clips, l.speech_seconds)).collect();
    say(&format!(
        "wrote {} ({} bytes) for model {}: {}{}",
        profile.id,
        json.len(),
        profile.model_name,
        labels.join(", "),
        if profile.calibration.is_some() { "; the neutral clips are its calibration" } else { "; no neutral clips, so no calibration" }
    ));
    Ok(())
}
