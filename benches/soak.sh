#!/usr/bin/env bash
# QMP soak (opt-in): four clients at 1,000 commands/s in total for SECONDS
# (default 600) while the guest runs under the JIT; checks no reply is lost,
# resident memory stays flat and the guest slows by under 5%. See soak.py.
# Usage: benches/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec python3 benches/soak.py target/release/tern "${1:-600}"
