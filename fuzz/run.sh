#!/usr/bin/env bash
# Fuzz Tern with cargo-fuzz (libFuzzer, nightly Rust).
#   fuzz/run.sh [SECONDS] [TARGET...]  fuzz each target (all by default) for SECONDS
#                                      (default 60), starting from the committed
#                                      corpus; new inputs go to fuzz/target/corpus/,
#                                      crashes to fuzz/artifacts/TARGET/.
#   fuzz/run.sh --replay               build every target and run the committed corpus
#                                      once (what .ci/run does, so targets cannot rot).
# Needs: rustup's nightly toolchain and `cargo install cargo-fuzz`.
set -euo pipefail
cd "$(dirname "$0")"
TARGETS=(qmp_stream hmp_line decode cli images jit_diff)
command -v cargo-fuzz >/dev/null || { echo "fuzz/run.sh: cargo-fuzz not found (cargo install cargo-fuzz)" >&2; exit 1; }
# Guest serial output and hello-world's greetings go to stdout: keep them out of the log.
RUN=(cargo +nightly fuzz run --release)

if [[ "${1:-}" == "--replay" ]]; then
  cargo +nightly fuzz build --release
  for t in "${TARGETS[@]}"; do
    n=$(ls corpus/"$t" | wc -l)
    "${RUN[@]}" "$t" corpus/"$t" -- -runs=0 >/dev/null 2>target/replay-"$t".log ||
      { cat target/replay-"$t".log >&2; echo "fuzz: $t failed on its corpus" >&2; exit 1; }
    echo "fuzz replay: $t: $n inputs, no failure"
  done
  exit 0
fi

secs=${1:-60}
shift || true
(($#)) && TARGETS=("$@")
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p target/corpus/"$t" artifacts/"$t"
  log=target/fuzz-"$t".log
  if "${RUN[@]}" "$t" target/corpus/"$t" corpus/"$t" -- -max_total_time="$secs" -rss_limit_mb=4096 \
       -artifact_prefix=artifacts/"$t"/ >/dev/null 2>"$log"; then
    result="no crash"
  else
    result="FAILED (see $log and artifacts/$t/)"
    status=1
  fi
  # "Done N runs" at a normal end; after a crash, the last status line "#N ...".
  runs=$(grep -ao 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' ||
         grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  echo "fuzz: $t: ${secs}s, $runs executions, corpus $(ls target/corpus/"$t" | wc -l) inputs, $result"
done
exit $status
