//! `speech-emotion`: classify audio files and evaluate the model on a labelled set.
//!
//! This file is the command line only: the arguments, the set-up every command shares (the
//! model, `--segment-hop`, `--calibration`, the workers), which command runs, and the exit
//! code. Each command is a module of `commands/`; `classify`'s formats are in `export/`.

mod audio_file;
mod commands;
mod errors;
mod export;
mod manifest;
mod model_source;
mod pathname;
mod progress;
mod read;
mod walk;
mod workers;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};

use speech_emotion::classify::ClipOptions;

use commands::{classify, enrol, evaluate, info};
use export::Format;
use model_source::ModelSource;
use progress::say;
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
    /// A personal profile made by `enrol` for this model: every result then mixes in how
    /// this person sounds, and says `"personal": true` with the profile's id.
    #[arg(long, global = true, value_name = "PROFILE.json")]
    profile: Option<PathBuf>,
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
    /// Make a personal profile from the person's own labelled clips: a CSV with columns
    /// `path,label` (paths relative to the CSV), at least 2 emotions with 2 clips each.
    Enrol {
        csv: PathBuf,
        /// Where to write the profile (JSON).
        #[arg(short, long, value_name = "PROFILE.json")]
        output: PathBuf,
    },
    /// Print the model's labels and metadata.
    Info,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`… | head -1`): stop quietly, as standard tools do.
        Err(e) if errors::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("error: {}", errors::error_text(&e)));
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
        None => window_s.min(speech_emotion::defaults::SEGMENT_HOP_SECONDS),
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
    let calibration = audio_file::calibration_profile(&mut model, &cli.calibration)?;
    let profile = cli.profile.as_deref().map(|path| read_profile(&model, path)).transpose()?;
    let options = ClipOptions { segment_hop_seconds, calibration, profile };
    let threads = workers::worker_count(cli.threads.map(usize::from));
    let load_another = || source.load().map(|(model, _)| model);
    let mut pool = Workers { model: &mut model, load_another: &load_another, threads };
    match cli.command {
        Command::Classify { paths, format, segments } => {
            classify::classify(&mut pool, &model_id, &paths, format, segments, &options)
        }
        Command::Evaluate { csv, label_column, maps, json } => {
            let request = evaluate::Request { csv_path: &csv, label_column: &label_column, maps: &maps, json };
            evaluate::evaluate(&mut pool, &model_id, &request, &options)
        }
        Command::Enrol { csv, output } => enrol::enrol(pool.model, &csv, &output),
        Command::Info => info::info(pool.model),
    }
}

/// `--profile`: read with a size cap and checked against the model.
fn read_profile(model: &speech_emotion::EmotionModel, path: &std::path::Path) -> Result<speech_emotion::PersonalProfile> {
    use anyhow::Context;
    let limit = speech_emotion::profile::MAX_PROFILE_BYTES as u64;
    let bytes = read::read_capped(path, limit, "profile")?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("profile {} is not UTF-8 text", pathname::shown(path)))?;
    speech_emotion::PersonalProfile::from_json(&text, model).with_context(|| format!("profile {}", pathname::shown(path)))
}
