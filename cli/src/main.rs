//! `speech-emotion`: classify audio files and evaluate the model on a labelled set.

mod evaluate;
mod output;
mod progress;
mod walk;
mod workers;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use speech_emotion::audio::{downmix, DecodeStream};
use speech_emotion::calibration::CalibrationBuilder;
use speech_emotion::classify::{ClipClassifier, ClipOptions};
use speech_emotion::features::SpeakerProfile;
use speech_emotion::fingerprint::model_fingerprint;
use speech_emotion::model::{EmotionModel, EMBEDDED_METADATA, EMBEDDED_ONNX};

use output::{FileOutcome, ModelId};
use progress::{say, Progress};
use workers::Workers;

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

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`… | head -1`): stop quietly, as standard tools do.
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("error: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let (mut model, model_id) = load_model(cli.model.as_deref(), cli.metadata.as_deref())?;
    let calibration = calibration_profile(&mut model, &cli.calibration)?;
    let options = ClipOptions { segment_hop_seconds: cli.segment_hop, calibration };
    let threads = cli.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    let load_another = || load_model(cli.model.as_deref(), cli.metadata.as_deref()).map(|(model, _)| model);
    let mut pool = Workers { model: &mut model, load_another: &load_another, threads };
    match cli.command {
        Command::Classify { paths, format, segments } => classify(&mut pool, &model_id, &paths, format, segments, &options),
        Command::Evaluate { csv, label_column, maps, json } => {
            let request = evaluate::Request { csv_path: &csv, label_column: &label_column, maps: &maps, json };
            evaluate::evaluate(&mut pool, &model_id, &request, &options)
        }
        Command::Info => {
            let mut info = serde_json::to_value(pool.model.metadata())?;
            if let Some(object) = info.as_object_mut() {
                object.insert("fingerprint".into(), model_id.fingerprint.clone().into());
                // How a stream runs this model: incremental, or the whole window and why.
                object.insert("streaming_mode".into(), serde_json::to_value(pool.model.streaming_mode())?);
            }
            writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&info)?)?;
            Ok(())
        }
    }
}

/// The model and its identity (name and fingerprint of the bytes it was built from).
fn load_model(model: Option<&Path>, metadata: Option<&Path>) -> Result<(EmotionModel, ModelId)> {
    let Some(model_path) = model else {
        let model = EmotionModel::embedded()?;
        let id = ModelId { name: model.metadata().name.clone(), fingerprint: model_fingerprint(EMBEDDED_ONNX, EMBEDDED_METADATA) };
        return Ok((model, id));
    };
    let metadata_path = metadata.map(Path::to_path_buf).unwrap_or_else(|| model_path.with_extension("json"));
    let onnx = std::fs::read(model_path).with_context(|| format!("cannot read model {}", model_path.display()))?;
    let json = std::fs::read_to_string(&metadata_path)
        .with_context(|| format!("cannot read metadata {}", metadata_path.display()))?;
    let model = EmotionModel::from_bytes(&onnx, &json).with_context(|| format!("cannot load model {}", model_path.display()))?;
    let id = ModelId { name: model.metadata().name.clone(), fingerprint: model_fingerprint(&onnx, &json) };
    Ok((model, id))
}

/// The speaker profile of the calibration files, joined, or `None` without any. Each file is
/// decoded packet by packet into the engine's calibration, so memory does not grow with it.
fn calibration_profile(model: &mut EmotionModel, files: &[PathBuf]) -> Result<Option<SpeakerProfile>> {
    let mut calibration: Option<CalibrationBuilder> = None;
    for path in files {
        let context = || format!("calibration file {}", path.display());
        let mut decoder = DecodeStream::open(path).with_context(context)?;
        let mut first = true;
        while let Some(chunk) = decoder.next_chunk().with_context(context)? {
            let rate = f64::from(chunk.sample_rate);
            let builder = match &mut calibration {
                Some(open) => {
                    if first {
                        open.next_source(model, rate)?;
                    }
                    open
                }
                None => calibration.insert(CalibrationBuilder::new(model.metadata(), rate)?),
            };
            first = false;
            builder.push(model, &downmix(chunk.samples, chunk.channels)?).with_context(context)?;
        }
        decoder.finish().with_context(context)?;
    }
    let Some(calibration) = calibration else { return Ok(None) };
    Ok(Some(calibration.finish(model).context("calibration")?))
}

/// Decodes packet by packet into the classifier, so memory does not grow with the length
/// of the recording; keeps what a truncated or damaged file holds, with warnings.
fn classify_path(model: &mut EmotionModel, path: &Path, options: &ClipOptions) -> Result<FileOutcome> {
    let mut decoder = DecodeStream::open(path)?;
    let mut clip: Option<ClipClassifier> = None;
    while let Some(chunk) = decoder.next_chunk().with_context(|| path.display().to_string())? {
        let classifier = match &mut clip {
            Some(open) => open,
            None => clip.insert(ClipClassifier::new(model.metadata(), f64::from(chunk.sample_rate), options)?),
        };
        classifier.push(model, &downmix(chunk.samples, chunk.channels)?)?;
    }
    let warnings = decoder.finish().with_context(|| path.display().to_string())?;
    let classifier = clip.context("no audio decoded")?;
    let result = classifier.finish(model)?;
    Ok(FileOutcome { result, warnings: warnings.iter().map(ToString::to_string).collect() })
}

fn classify(
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
    let stdout = std::io::stdout();
    if let Format::Csv = format {
        output::write_csv_header(&mut stdout.lock(), &labels)?;
    }
    let progress = Progress::new(files.len());
    let mut failures = 0usize;
    let delivered = pool.run_in_order(
        files.len(),
        |model, i| classify_path(model, &files[i], options),
        |i, outcome| {
            progress.inc();
            let path = files[i].display().to_string();
            match outcome {
                Ok(outcome) => {
                    for warning in &outcome.warnings {
                        progress.message(&format!("warning: {path}: {warning}"));
                    }
                    let mut out = stdout.lock();
                    match format {
                        Format::Jsonl => output::write_jsonl(&mut out, &path, &outcome, &labels, model_id, with_segments),
                        Format::Csv => output::write_csv(&mut out, &path, &outcome, model_id, with_segments),
                    }
                }
                Err(e) => {
                    failures += 1;
                    progress.message(&format!("error: {path}: {e:#}"));
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
