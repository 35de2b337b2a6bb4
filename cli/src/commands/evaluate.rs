//! `evaluate`: classify every row of a labelled CSV and report UA, WA, recall and the
//! confusion matrix — only when at least one file was scored.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde::Serialize;

use speech_emotion::classify::{ClipOptions, ClipResult};
use speech_emotion::metrics::ConfusionMatrix;

use crate::audio_file::classify_path;
use crate::errors::error_text;
use crate::manifest;
use crate::model_source::ModelId;
use crate::pathname::shown;
use crate::progress::Progress;
use crate::read;
use crate::workers::Workers;

/// Dataset label → model label index: explicit `--map`s first, then an exact
/// (case-insensitive) match, then the model metadata's `label_aliases` (e.g. calm → neutral).
struct LabelMap {
    labels: Vec<String>,
    explicit: BTreeMap<String, String>,
}

impl LabelMap {
    fn new(labels: &[String], aliases: &BTreeMap<String, String>, maps: &[String]) -> Result<Self> {
        let mut explicit: BTreeMap<String, String> =
            aliases.iter().map(|(from, to)| (from.to_ascii_lowercase(), to.to_ascii_lowercase())).collect();
        for map in maps {
            let Some((from, to)) = map.split_once('=') else {
                bail!("--map expects FROM=TO, got \"{map}\"");
            };
            if !labels.iter().any(|l| l.eq_ignore_ascii_case(to.trim())) {
                bail!("--map {map}: \"{to}\" is not a model label (labels: {})", labels.join(", "));
            }
            explicit.insert(from.trim().to_ascii_lowercase(), to.trim().to_ascii_lowercase());
        }
        Ok(Self { labels: labels.to_vec(), explicit })
    }

    fn index(&self, label: &str) -> Option<usize> {
        let label = label.trim().to_ascii_lowercase();
        let find = |name: &str| self.labels.iter().position(|l| l.eq_ignore_ascii_case(name));
        if let Some(to) = self.explicit.get(&label) {
            return find(to);
        }
        find(&label)
    }
}

/// The label `evaluate` scores: the model's top label (an index into `labels`), `None` when
/// no speech was found (a miss).
fn predicted_index(labels: &[String], result: &ClipResult) -> Result<Option<usize>> {
    match result.label.as_deref() {
        None => Ok(None),
        Some(label) => match labels.iter().position(|l| l == label) {
            Some(i) => Ok(Some(i)),
            None => bail!("the model gave a label \"{label}\" it does not list"),
        },
    }
}

#[derive(Serialize)]
struct Report<'a> {
    csv: String,
    model: &'a ModelId,
    evaluated: u64,
    skipped_unknown_label: BTreeMap<String, u64>,
    failed: Vec<(String, String)>,
    /// Files scored although truncated or damaged: (path, warning).
    warnings: Vec<(String, String)>,
    unweighted_accuracy: f64,
    weighted_accuracy: f64,
    recall: BTreeMap<&'a str, Option<f64>>,
    support: BTreeMap<&'a str, u64>,
    confusion_matrix: &'a ConfusionMatrix,
}

pub struct Request<'a> {
    pub csv_path: &'a Path,
    pub label_column: &'a str,
    pub maps: &'a [String],
    pub json: bool,
}

pub fn evaluate(pool: &mut Workers, model_id: &ModelId, request: &Request, options: &ClipOptions) -> Result<()> {
    let csv_path = request.csv_path;
    let labels = pool.labels();
    let label_map = LabelMap::new(&labels, &pool.model.metadata().label_aliases, request.maps)?;
    let base = csv_path.parent().unwrap_or(Path::new("."));
    let bytes = read::read_capped(csv_path, read::MAX_CSV_BYTES, "CSV")?;
    let rows = manifest::parse(&bytes, request.label_column).map_err(|e| anyhow!("{}: {e}", shown(csv_path)))?;
    drop(bytes);
    let mut items: Vec<(PathBuf, usize)> = Vec::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    for row in rows {
        match label_map.index(&row.label) {
            Some(truth) => items.push((base.join(&row.path), truth)),
            None => *skipped.entry(row.label).or_default() += 1,
        }
    }
    if items.is_empty() {
        bail!("no rows of {} have a label the model knows ({})", shown(csv_path), labels.join(", "));
    }

    let mut matrix = ConfusionMatrix::new(labels.clone());
    let mut failed = Vec::new();
    let mut warnings = Vec::new();
    let progress = Progress::new(items.len());
    let delivered = pool.run_in_order(
        items.len(),
        |model, i| classify_path(model, &items[i].0, options),
        |i, outcome| {
            progress.inc();
            let (path, truth) = (shown(&items[i].0), items[i].1);
            match outcome.and_then(|o| {
                let predicted = predicted_index(&labels, &o.result)?;
                Ok((o, predicted))
            }) {
                Ok((outcome, predicted)) => {
                    matrix.add(truth, predicted);
                    for warning in outcome.warnings {
                        progress.message(&format!("warning: {path}: {warning}"));
                        warnings.push((path.clone(), warning));
                    }
                }
                Err(e) => {
                    let why = error_text(&e);
                    progress.message(&format!("error: {path}: {why}"));
                    failed.push((path, why));
                }
            }
            Ok(())
        },
    );
    progress.finish();
    delivered?;
    let scores = matrix.scores();
    let n_failed = failed.len();
    if scores.total == 0 {
        // Every file failed: a UA of 0 % would look like a (terrible) result. It is not one.
        bail!(
            "none of the {} files could be classified (see the errors above), so there is no accuracy to report",
            items.len()
        );
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if request.json {
        let report = Report {
            csv: shown(csv_path),
            model: model_id,
            evaluated: scores.total,
            skipped_unknown_label: skipped,
            failed,
            warnings,
            unweighted_accuracy: scores.unweighted_accuracy,
            weighted_accuracy: scores.weighted_accuracy,
            recall: labels.iter().map(String::as_str).zip(scores.recall.iter().copied()).collect(),
            support: labels.iter().map(String::as_str).zip(scores.support.iter().copied()).collect(),
            confusion_matrix: &matrix,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        writeln!(out, "model: {model_id}")?;
        writeln!(out, "evaluated {} files from {}", scores.total, shown(csv_path))?;
        for (label, count) in &skipped {
            writeln!(out, "skipped {count} rows with label \"{label}\" (not a model label; use --map)")?;
        }
        for (path, error) in &failed {
            writeln!(out, "failed: {path}: {error}")?;
        }
        for (path, warning) in &warnings {
            writeln!(out, "warning: {path}: {warning}")?;
        }
        writeln!(out, "unweighted accuracy (UA): {:.2} %", 100.0 * scores.unweighted_accuracy)?;
        writeln!(out, "weighted accuracy (WA):   {:.2} %", 100.0 * scores.weighted_accuracy)?;
        writeln!(out, "recall per class:")?;
        for ((label, recall), support) in labels.iter().zip(&scores.recall).zip(&scores.support) {
            match recall {
                Some(r) => writeln!(out, "  {label:>10}: {:6.2} %  (n = {support})", 100.0 * r)?,
                None => writeln!(out, "  {label:>10}:      -   (n = 0)")?,
            }
        }
        writeln!(out, "confusion matrix (rows: true, columns: predicted):")?;
        write!(out, "{}", matrix.to_table())?;
    }
    out.flush()?;
    if n_failed > 0 {
        bail!("{n_failed} files could not be classified; the scores above leave them out");
    }
    Ok(())
}
