//! `speech-emotion`: classify audio files and evaluate the model on a labelled set.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use speech_emotion::audio::{decode_file, resample};
use speech_emotion::calibration::speaker_profile;
use speech_emotion::decision::State;
use speech_emotion::features::SpeakerProfile;
use speech_emotion::classify::{classify_clip, ClipOptions, ClipResult, Segment};
use speech_emotion::metrics::ConfusionMatrix;
use speech_emotion::model::EmotionModel;

#[derive(Parser)]
#[command(name = "speech-emotion", version, about = "Speech emotion recognition, entirely on this device")]
struct Cli {
    /// An ONNX model to use instead of the embedded one.
    #[arg(long, global = true, value_name = "MODEL.onnx")]
    model: Option<PathBuf>,
    /// Metadata JSON for --model (default: the model path with a .json extension).
    #[arg(long, global = true, value_name = "MODEL.json", requires = "model")]
    metadata: Option<PathBuf>,
    /// Seconds between the starts of consecutive model windows within a file.
    #[arg(long, global = true, default_value_t = 1.0)]
    segment_hop: f64,
    /// A sample of the speaker's ordinary, calm speech (10–20 s; repeat to join several
    /// files): every file is then heard relative to that voice.
    #[arg(long = "calibration", global = true, value_name = "FILE")]
    calibration: Vec<PathBuf>,
    /// Files classified at once, each worker with its own model (default: one per core).
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Classify audio files (WAV, FLAC) or every such file under the given folders.
    Classify {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
        /// Also print the per-segment timeline (one row per model window).
        #[arg(long)]
        segments: bool,
    },
    /// Evaluate on a CSV with columns `path,label` (paths relative to the CSV).
    Evaluate {
        csv: PathBuf,
        /// Column holding the true label.
        #[arg(long, default_value = "label")]
        label_column: String,
        /// Map a dataset label onto a model label, e.g. `--map calm=neutral` (repeatable).
        #[arg(long = "map", value_name = "FROM=TO")]
        maps: Vec<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the model's labels and metadata.
    Info,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Jsonl,
    Csv,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let mut model = load_model(cli.model.as_deref(), cli.metadata.as_deref())?;
    let calibration = calibration_profile(&model, &cli.calibration)?;
    let options = ClipOptions { segment_hop_seconds: cli.segment_hop, calibration };
    let threads = cli.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    let load_another = || load_model(cli.model.as_deref(), cli.metadata.as_deref());
    let mut pool = Workers { model: &mut model, load_another: &load_another, threads };
    match cli.command {
        Command::Classify { paths, format, segments } => classify(&mut pool, &paths, format, segments, &options),
        Command::Evaluate { csv, label_column, maps, json } => {
            evaluate(&mut pool, &csv, &label_column, &maps, json, &options)
        }
        Command::Info => {
            println!("{}", serde_json::to_string_pretty(pool.model.metadata())?);
            Ok(())
        }
    }
}

fn load_model(model: Option<&Path>, metadata: Option<&Path>) -> Result<EmotionModel> {
    let Some(model_path) = model else {
        return Ok(EmotionModel::embedded()?);
    };
    let metadata_path = metadata.map(Path::to_path_buf).unwrap_or_else(|| model_path.with_extension("json"));
    let onnx = std::fs::read(model_path).with_context(|| format!("cannot read model {}", model_path.display()))?;
    let json = std::fs::read_to_string(&metadata_path)
        .with_context(|| format!("cannot read metadata {}", metadata_path.display()))?;
    EmotionModel::from_bytes(&onnx, &json).with_context(|| format!("cannot load model {}", model_path.display()))
}

/// The speaker profile of the calibration files, joined, or `None` without any.
fn calibration_profile(model: &EmotionModel, files: &[PathBuf]) -> Result<Option<SpeakerProfile>> {
    if files.is_empty() {
        return Ok(None);
    }
    let rate = model.metadata().sample_rate();
    let mut joined = Vec::new();
    for path in files {
        let audio = decode_file(path).with_context(|| format!("calibration file {}", path.display()))?;
        joined.extend(resample(&audio.to_mono()?, audio.sample_rate, rate)?);
    }
    let profile = speaker_profile(model.metadata(), &joined, rate as f64).context("calibration")?;
    Ok(Some(profile))
}

fn classify_path(model: &mut EmotionModel, path: &Path, options: &ClipOptions) -> Result<ClipResult> {
    let audio = decode_file(path)?;
    let mono = audio.to_mono()?;
    Ok(classify_clip(model, &mono, audio.sample_rate as f64, options)?)
}

/// Classifies many files on several cores. A tract plan's state is mutable, so each worker
/// owns a model, loaded once; files are handed out one at a time so a long file does not
/// hold up the rest. Scoped threads rather than rayon: "one model per worker, loaded once"
/// is all that is needed, and rayon's `map_init` would load one per work split.
struct Workers<'a> {
    model: &'a mut EmotionModel,
    load_another: &'a (dyn Fn() -> Result<EmotionModel> + Sync),
    threads: usize,
}

impl Workers<'_> {
    fn labels(&self) -> Vec<String> {
        self.model.labels().to_vec()
    }

    /// One result per file, in the order of `files`.
    fn classify_all(&mut self, files: &[PathBuf], options: &ClipOptions, bar: &ProgressBar) -> Result<Vec<Result<ClipResult>>> {
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<Result<ClipResult>>>> = files.iter().map(|_| Mutex::new(None)).collect();
        let work = |model: &mut EmotionModel| {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let result = classify_path(model, path, options);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                bar.inc(1);
            }
        };
        let helpers = self.threads.min(files.len()).saturating_sub(1);
        let load_another = self.load_another;
        let main_model = &mut *self.model;
        std::thread::scope(|scope| -> Result<()> {
            let spawned: Vec<_> = (0..helpers)
                .map(|_| {
                    scope.spawn(|| -> Result<()> {
                        let mut model = load_another()?;
                        work(&mut model);
                        Ok(())
                    })
                })
                .collect();
            work(main_model);
            for handle in spawned {
                handle.join().map_err(|_| anyhow!("a worker thread panicked"))??;
            }
            Ok(())
        })?;
        Ok(results
            .into_iter()
            .map(|slot| slot.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every file was handed out"))
            .collect())
    }
}

/// Audio files among `paths`, expanding folders recursively, in a stable order.
fn collect_audio_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn is_audio(path: &Path) -> bool {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        matches!(ext.as_str(), "wav" | "wave" | "flac")
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out)?;
            } else if is_audio(&path) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone()); // named explicitly: try it whatever its extension
        }
    }
    Ok(files)
}

fn progress_bar(len: usize) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} files, {elapsed} elapsed, ~{eta} left") {
        bar.set_style(style);
    }
    if len < 20 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

#[derive(Serialize)]
struct FileLine<'a> {
    path: String,
    state: State,
    label: Option<&'a str>,
    confidence: f32,
    speech: bool,
    calibrated: bool,
    duration_s: f64,
    probabilities: BTreeMap<&'a str, f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    segments: Option<Vec<SegmentLine<'a>>>,
}

#[derive(Serialize)]
struct SegmentLine<'a> {
    start_s: f64,
    end_s: f64,
    speech: bool,
    speech_probability: f32,
    label: Option<&'a str>,
    probabilities: BTreeMap<&'a str, f32>,
}

fn by_label<'a>(labels: &'a [String], probabilities: &[f32]) -> BTreeMap<&'a str, f32> {
    labels.iter().map(String::as_str).zip(probabilities.iter().copied()).collect()
}

fn classify(
    pool: &mut Workers,
    paths: &[PathBuf],
    format: Format,
    with_segments: bool,
    options: &ClipOptions,
) -> Result<()> {
    let files = collect_audio_files(paths)?;
    if files.is_empty() {
        bail!("no WAV or FLAC files found in the given paths");
    }
    let labels = pool.labels();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Format::Csv = format {
        let mut header = vec!["path", "segment_start_s", "segment_end_s", "speech", "label", "confidence"];
        header.extend(labels.iter().map(String::as_str));
        writeln!(out, "{}", header.join(","))?;
    }
    let bar = progress_bar(files.len());
    let results = pool.classify_all(&files, options, &bar)?;
    bar.finish_and_clear();
    let mut failures = 0usize;
    for (path, result) in files.iter().zip(results) {
        match result {
            Ok(result) => match format {
                Format::Jsonl => {
                    let line = FileLine {
                        path: path.display().to_string(),
                        state: result.state,
                        label: result.label.as_deref(),
                        confidence: result.confidence,
                        speech: result.speech,
                        calibrated: result.calibrated,
                        duration_s: result.duration_s,
                        probabilities: by_label(&labels, &result.probabilities),
                        segments: with_segments.then(|| {
                            result.segments.iter().map(|s| segment_line(&labels, s)).collect()
                        }),
                    };
                    writeln!(out, "{}", serde_json::to_string(&line)?)?;
                }
                Format::Csv => {
                    let csv_row = |start: &str, end: &str, speech: bool, label: Option<&str>, p: &[f32]| {
                        let confidence = p.iter().copied().fold(0.0f32, f32::max);
                        let mut row = vec![
                            csv_field(&path.display().to_string()),
                            start.to_string(),
                            end.to_string(),
                            speech.to_string(),
                            csv_field(label.unwrap_or("")),
                            format!("{confidence:.6}"),
                        ];
                        row.extend(p.iter().map(|v| format!("{v:.6}")));
                        row.join(",")
                    };
                    writeln!(out, "{}", csv_row("", "", result.speech, result.label.as_deref(), &result.probabilities))?;
                    if with_segments {
                        for s in &result.segments {
                            let (start, end) = (format!("{:.2}", s.start_s), format!("{:.2}", s.end_s));
                            writeln!(out, "{}", csv_row(&start, &end, s.speech, s.label.as_deref(), &s.probabilities))?;
                        }
                    }
                }
            },
            Err(e) => {
                failures += 1;
                eprintln!("error: {}: {e:#}", path.display());
            }
        }
    }
    if failures > 0 {
        bail!("{failures} of {} files could not be classified", files.len());
    }
    Ok(())
}

fn segment_line<'a>(labels: &'a [String], s: &'a Segment) -> SegmentLine<'a> {
    SegmentLine {
        start_s: s.start_s,
        end_s: s.end_s,
        speech: s.speech,
        speech_probability: s.speech_probability,
        label: s.label.as_deref(),
        probabilities: by_label(labels, &s.probabilities),
    }
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value.to_string() }
}

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

#[derive(Serialize)]
struct Report<'a> {
    csv: String,
    evaluated: u64,
    skipped_unknown_label: BTreeMap<String, u64>,
    failed: Vec<(String, String)>,
    unweighted_accuracy: f64,
    weighted_accuracy: f64,
    recall: BTreeMap<&'a str, Option<f64>>,
    support: BTreeMap<&'a str, u64>,
    confusion_matrix: &'a ConfusionMatrix,
}

fn evaluate(
    pool: &mut Workers,
    csv_path: &Path,
    label_column: &str,
    maps: &[String],
    json: bool,
    options: &ClipOptions,
) -> Result<()> {
    let labels = pool.labels();
    let label_map = LabelMap::new(&labels, &pool.model.metadata().label_aliases, maps)?;
    let base = csv_path.parent().unwrap_or(Path::new("."));
    let mut reader = csv::Reader::from_path(csv_path).with_context(|| format!("cannot read {}", csv_path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers.iter().position(|h| h.trim() == name).with_context(|| {
            format!("{} has no \"{name}\" column (columns: {})", csv_path.display(), headers.iter().collect::<Vec<_>>().join(", "))
        })
    };
    let (path_col, label_col) = (column("path")?, column(label_column)?);
    let mut items = Vec::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("malformed CSV {}", csv_path.display()))?;
        let (path, label) = (record.get(path_col).unwrap_or(""), record.get(label_col).unwrap_or(""));
        match label_map.index(label) {
            Some(truth) => items.push((base.join(path), truth)),
            None => *skipped.entry(label.trim().to_string()).or_default() += 1,
        }
    }
    if items.is_empty() {
        bail!("no rows of {} have a label the model knows ({})", csv_path.display(), labels.join(", "));
    }

    let mut matrix = ConfusionMatrix::new(labels.clone());
    let mut failed = Vec::new();
    let bar = progress_bar(items.len());
    let paths: Vec<PathBuf> = items.iter().map(|(path, _)| path.clone()).collect();
    let results = pool.classify_all(&paths, options, &bar)?;
    bar.finish_and_clear();
    for ((path, truth), result) in items.iter().zip(results) {
        match result {
            Ok(result) => {
                let predicted = result.label.map(|label| {
                    labels.iter().position(|l| *l == label).expect("label comes from the model")
                });
                matrix.add(*truth, predicted);
            }
            Err(e) => failed.push((path.display().to_string(), format!("{e:#}"))),
        }
    }
    let scores = matrix.scores();
    let n_failed = failed.len();
    if json {
        let report = Report {
            csv: csv_path.display().to_string(),
            evaluated: scores.total,
            skipped_unknown_label: skipped,
            failed,
            unweighted_accuracy: scores.unweighted_accuracy,
            weighted_accuracy: scores.weighted_accuracy,
            recall: labels.iter().map(String::as_str).zip(scores.recall.iter().copied()).collect(),
            support: labels.iter().map(String::as_str).zip(scores.support.iter().copied()).collect(),
            confusion_matrix: &matrix,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("evaluated {} files from {}", scores.total, csv_path.display());
        for (label, count) in &skipped {
            println!("skipped {count} rows with label \"{label}\" (not a model label; use --map)");
        }
        for (path, error) in &failed {
            println!("failed: {path}: {error}");
        }
        println!("unweighted accuracy (UA): {:.2} %", 100.0 * scores.unweighted_accuracy);
        println!("weighted accuracy (WA):   {:.2} %", 100.0 * scores.weighted_accuracy);
        println!("recall per class:");
        for ((label, recall), support) in labels.iter().zip(&scores.recall).zip(&scores.support) {
            match recall {
                Some(r) => println!("  {label:>10}: {:6.2} %  (n = {support})", 100.0 * r),
                None => println!("  {label:>10}:      -   (n = 0)"),
            }
        }
        println!("confusion matrix (rows: true, columns: predicted):");
        print!("{}", matrix.to_table());
    }
    if n_failed > 0 {
        bail!("{n_failed} files could not be classified; the scores above leave them out");
    }
    Ok(())
}
