//! `--format jsonl`: one JSON object per file, on its own line, so a batch can be read (or
//! cut short with `head`) line by line while it runs.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use speech_emotion::classify::Segment;
use speech_emotion::decision::State;

use super::{Batch, Exporter};
use crate::audio_file::FileOutcome;
use crate::model_source::ModelId;

pub struct JsonLines<'a>(pub Batch<'a>);

#[derive(Serialize)]
struct FileLine<'a> {
    path: &'a str,
    state: State,
    label: Option<&'a str>,
    confidence: f32,
    speech: bool,
    calibrated: bool,
    duration_s: f64,
    probabilities: BTreeMap<&'a str, f32>,
    /// Empty unless the file was truncated or damaged (decoded as far as it goes).
    warnings: &'a [String],
    model: &'a ModelId,
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

impl Exporter for JsonLines<'_> {
    fn header(&self, _out: &mut dyn Write) -> Result<()> {
        Ok(())
    }

    /// One JSON line per file.
    fn file(&self, out: &mut dyn Write, path: &str, outcome: &FileOutcome) -> Result<()> {
        let Batch { labels, model, with_segments } = self.0;
        let result = &outcome.result;
        let line = FileLine {
            path,
            state: result.state,
            label: result.label.as_deref(),
            confidence: result.confidence,
            speech: result.speech,
            calibrated: result.calibrated,
            duration_s: result.duration_s,
            probabilities: by_label(labels, &result.probabilities),
            warnings: &outcome.warnings,
            model,
            segments: with_segments.then(|| result.segments.iter().map(|s| segment_line(labels, s)).collect()),
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
        Ok(())
    }
}
