//! `speech-emotion`: classify audio files and evaluate the model on a labelled set.

mod evaluate;
mod manifest;
mod output;
mod pathname;
mod progress;
mod read;
mod walk;
mod workers;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use speech_emotion::audio::{downmix, DecodeStream};
use speech_emotion::calibration::CalibrationBuilder;
use speech_emotion::classify::{ClipClassifier, ClipOptions};
use speech_emotion::features::SpeakerProfile;
use speech_emotion::fingerprint::model_fingerprint;
use speech_emotion::model::{EmotionModel, EMBEDDED_METADATA, EMBEDDED_ONNX};

use output::{FileOutcome, ModelId};
use pathname::shown;
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
    /// Seconds between the starts of consecutive model windows within a file: at least
    /// 0.01, at most the model's window (2.99 s for the built-in model) [default: 1, or the
    /// window if that is shorter].
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_segment_hop)]
    segment_hop: Option<f64>,
    /// A sample of the speaker's ordinary, calm speech (10–20 s; repeat to join several
    /// files): every file is then heard relative to that voice.
    #[arg(long = "calibration", global = true, value_name = "FILE")]
    calibration: Vec<PathBuf>,
    /// Files classified at once, each worker with its own model (default: one per core; at
    /// most four per core, and at most one per file).
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
            say(&format!("error: {}", output::error_text(&e)));
            ExitCode::FAILURE
        }
    }
}

/// The shortest hop: one feature frame (10 ms); a shorter one would give the same windows.
const MIN_SEGMENT_HOP_S: f64 = 0.01;

/// `--segment-hop`: a finite number of seconds, at least [`MIN_SEGMENT_HOP_S`]. The most is
/// the model's window (checked once the model is loaded, in `run`): a longer hop leaves
/// audio between windows that is never heard (`1e9` judged a 20-minute file on its first
/// window alone).
fn parse_segment_hop(text: &str) -> Result<f64, String> {
    let hop: f64 = text.trim().parse().map_err(|_| "expected a number of seconds, e.g. 0.5".to_string())?;
    if !hop.is_finite() || hop < MIN_SEGMENT_HOP_S {
        return Err(format!("expected a finite number of seconds of at least {MIN_SEGMENT_HOP_S} (one feature frame)"));
    }
    Ok(hop)
}

/// The hop asked for, or the default: one second, or the model's window if it is shorter. A
/// hop longer than the window is a usage error (exit 2), like any other bad argument.
fn segment_hop(asked: Option<f64>, window_s: f64) -> f64 {
    match asked {
        None => window_s.min(1.0),
        Some(hop) if hop <= window_s + 1e-9 => hop,
        Some(hop) => Cli::command()
            .error(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "invalid value '{hop}' for '--segment-hop <SECONDS>': longer than the model's {window_s} s window, \
                     so the audio between windows would never be heard (at most {window_s})"
                ),
            )
            .exit(),
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let source = ModelSource::read(cli.model.as_deref(), cli.metadata.as_deref())?;
    let (mut model, model_id) = source.load()?;
    let segment_hop_seconds = segment_hop(cli.segment_hop, model.metadata().window_seconds());
    let calibration = calibration_profile(&mut model, &cli.calibration)?;
    let options = ClipOptions { segment_hop_seconds, calibration };
    let threads = workers::worker_count(cli.threads.map(usize::from));
    let load_another = || source.load().map(|(model, _)| model);
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

/// The model's bytes, read once (each worker builds its own model from them), with the
/// path it came from.
struct ModelSource {
    onnx: std::borrow::Cow<'static, [u8]>,
    json: std::borrow::Cow<'static, str>,
    path: Option<PathBuf>,
}

impl ModelSource {
    /// The embedded model, or `model` with its metadata (default: the model path with a
    /// `.json` extension), each read whole within the limits of [`read`].
    fn read(model: Option<&Path>, metadata: Option<&Path>) -> Result<Self> {
        let Some(model_path) = model else {
            return Ok(Self { onnx: EMBEDDED_ONNX.into(), json: EMBEDDED_METADATA.into(), path: None });
        };
        let metadata_path = metadata.map(Path::to_path_buf).unwrap_or_else(|| model_path.with_extension("json"));
        let onnx = read::read_capped(model_path, read::MAX_MODEL_BYTES, "model")?;
        let json = read::read_text_capped(&metadata_path, read::MAX_METADATA_BYTES, "metadata")?;
        Ok(Self { onnx: onnx.into(), json: json.into(), path: Some(model_path.to_path_buf()) })
    }

    /// The model and its identity (name and fingerprint of the bytes it was built from).
    fn load(&self) -> Result<(EmotionModel, ModelId)> {
        let model = EmotionModel::from_bytes(&self.onnx, &self.json).with_context(|| match &self.path {
            Some(path) => format!("cannot load model {}", shown(path)),
            None => "cannot load the built-in model".to_string(),
        })?;
        let id = ModelId { name: model.metadata().name.clone(), fingerprint: model_fingerprint(&self.onnx, &self.json) };
        Ok((model, id))
    }
}

/// The speaker profile of the calibration files, joined, or `None` without any. Each file is
/// decoded packet by packet into the engine's calibration, so memory does not grow with it.
fn calibration_profile(model: &mut EmotionModel, files: &[PathBuf]) -> Result<Option<SpeakerProfile>> {
    let mut calibration: Option<CalibrationBuilder> = None;
    for path in files {
        let context = || format!("calibration file {}", shown(path));
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
    // The caller names the path; the messages here say what is wrong with it.
    if path.is_dir() {
        bail!("is a folder, not an audio file");
    }
    let mut decoder = DecodeStream::open(path)?;
    let mut clip: Option<ClipClassifier> = None;
    while let Some(chunk) = decoder.next_chunk()? {
        let classifier = match &mut clip {
            Some(open) => open,
            None => clip.insert(ClipClassifier::new(model.metadata(), f64::from(chunk.sample_rate), options)?),
        };
        classifier.push(model, &downmix(chunk.samples, chunk.channels)?)?;
    }
    let warnings = decoder.finish()?;
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
            let path = shown(&files[i]);
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
                    progress.message(&format!("error: {path}: {}", output::error_text(&e)));
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
