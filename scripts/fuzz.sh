#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/fuzz_targets/): decode, resample_mfcc, stream_push,
# model_load, metadata (model metadata JSON), manifest (the `evaluate` CSV) and profile_json
# (a personal profile file). Not part of
# the test command: fuzzing is open-ended.
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 600 s, all targets)
#   FUZZ_RUNS=10000000 bash scripts/fuzz.sh 7200 decode       (stop at N executions or the time)
# The corpus in fuzz/corpus/TARGET (not in git) is kept between runs: each run goes on
# from what the last one found. Run two targets at once on two cores, never while
# benchmarking.
# libFuzzer needs nightly compiler flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them, since a nightly toolchain cannot be downloaded here. The sanitizer is off
# (ASan needs a nightly std): safe Rust's panics, overflows (debug assertions are on) and
# aborts are what is caught. Crashes land in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH" RUSTC_BOOTSTRAP=1
seconds=${1:-600}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(decode resample_mfcc stream_push model_load metadata manifest profile_json)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz --version 0.13.2

# Seed corpora from real files, so the fuzzer starts from valid structure.
mkdir -p fuzz/corpus/decode fuzz/corpus/model_load
for f in ../shared/data/ravdess/Actor_01/03-01-0{1,5}-01-01-01-01.flac; do [ -f "$f" ] && cp -n "$f" fuzz/corpus/decode/; done
sox -n -r 8000 -c 2 -b 16 fuzz/corpus/decode/tone.wav synth 0.05 sine 440 2>/dev/null || true
# A real profile (the CLI's enrol on two RAVDESS clips of each of two emotions) seeds profile_json.
mkdir -p fuzz/corpus/profile_json
if [ ! -f fuzz/corpus/profile_json/enrolled.json ] && [ -d ../shared/data/ravdess ]; then
  cargo build --quiet  # the workspace build (a -p build would change feature unification)
  seed_csv=$(mktemp --suffix=.csv)
  printf 'path,label\n' >"$seed_csv"
  for n in 01-01-01 01-01-02 05-02-01 05-02-02; do
    printf '%s,%s\n' "$PWD/../shared/data/ravdess/Actor_01/03-01-${n:0:2}-${n:3:2}-${n:6:2}-01-01.flac" "$([ "${n:0:2}" = 01 ] && echo neutral || echo angry)" >>"$seed_csv"
  done
  target/debug/speech-emotion enrol -o fuzz/corpus/profile_json/enrolled.json "$seed_csv"
fi
mkdir -p fuzz/corpus/metadata fuzz/corpus/manifest
cp -n models/emotion4.json models/emotion8.json fuzz/corpus/metadata/
printf 'path,emotion\nActor_01/03-01-01-01-01-01-01.wav,neutral\nclips/b.flac, happy \n' >fuzz/corpus/manifest/plain.csv
printf '\xef\xbb\xbfid,"path",emotion,note\r\n1,"a, b.wav",sad,"said ""no"""\r\n2,"multi\nline.wav",angry,\r\n' \
  >fuzz/corpus/manifest/quoted.csv

log=fuzz/results.md
for target in "${targets[@]}"; do
  cargo fuzz build --sanitizer none --release "$target"
  echo "== $target: $seconds s"
  extra=()
  [ -n "${FUZZ_RUNS:-}" ] && extra+=(-runs="$FUZZ_RUNS")
  # Whole RAVDESS clips as seeds would make every decode input ~100 KB; 16 KB keeps
  # headers, several FLAC frames and many WAV blocks, at several times the speed.
  [ "$target" = decode ] && extra+=(-max_len=16384)
  # A CSV of 1 KB has ~20 rows: every quoting, line-ending and error state of the parser
  # (and neither size fills the csv reader's 8 KB buffer); a 4 KB input, libFuzzer's
  # default limit, takes 1.5 times as long as a 1 KB one.
  [ "$target" = manifest ] && extra+=(-max_len=1024)
  # Tokens the parsers compare against (field names, JSON and CSV syntax): without a
  # sanitizer libFuzzer does not see string comparisons, so they are given to it.
  [ -f "fuzz/$target.dict" ] && extra+=(-dict="fuzz/$target.dict")
  start=$(date +%s)
  cargo fuzz run --sanitizer none --release "$target" -- -max_total_time="$seconds" -print_final_stats=1 \
    -rss_limit_mb=4096 -timeout=30 "${extra[@]}" 2>&1 | tee "fuzz/$target.log" | grep -E "^(#[0-9]+.*(DONE|pulse)|stat::|==|SUMMARY|panicked)" || true
  runs=$(awk '/stat::number_of_executed_units/ {n = $2} END {print n}' "fuzz/$target.log")
  # The time it really took ("Done N runs in S second(s)"); a run that stopped early (a
  # crash, or a signal from outside: "run interrupted") has no such line, so the wall time.
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "fuzz/$target.log" | tail -n 1)
  took="${took:-$(($(date +%s) - start))} s"
  grep -q 'libFuzzer: run interrupted' "fuzz/$target.log" && took="$took, interrupted"
  crashes=$(ls fuzz/artifacts/"$target" 2>/dev/null | wc -l)
  printf '| %s | %s | %s | %s | %s |\n' "$(date -u +%F)" "$target" "${runs:-?}" "$took" "$crashes" | tee -a "$log"
done
