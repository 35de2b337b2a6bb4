#!/usr/bin/env bash
# Record what the shipped model predicts for a few shared clips, with the native CLI.
# tests/model.rs replays these and fails if the embedded model or the pipeline changes.
# Run after exporting a new model (training/train.py), then review and commit the diff.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
R=../shared/data/ravdess
clips=(
  "$R/Actor_01/03-01-01-01-01-01-01.flac"   # neutral
  "$R/Actor_03/03-01-05-02-01-01-03.flac"   # angry, strong
  "$R/Actor_08/03-01-03-02-02-01-08.flac"   # happy, strong
  "$R/Actor_12/03-01-04-01-01-02-12.flac"   # sad
  "$R/Actor_17/03-01-02-01-02-01-17.flac"   # calm
  "$R/Actor_22/03-01-05-01-01-01-22.flac"   # angry
)
cargo run --quiet -p speech-emotion-cli -- classify "${clips[@]}" --format jsonl > tests/golden/model_expectations.jsonl
cat tests/golden/model_expectations.jsonl
# The 8-class model, offered on the page beside the embedded one.
cargo run --quiet -p speech-emotion-cli -- --model models/emotion8.onnx classify "${clips[@]}" --format jsonl \
  > tests/golden/model_expectations_emotion8.jsonl
cat tests/golden/model_expectations_emotion8.jsonl
