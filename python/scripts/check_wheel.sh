#!/usr/bin/env bash
# Builds the abi3 wheel with maturin, installs it into a fresh virtualenv (no access to
# the source tree), imports `zaby` there and runs a MockTransport round trip.
# Usage: python/scripts/check_wheel.sh   (MATURIN and PYTHON may point at other binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(cd .. && pwd)

MATURIN=${MATURIN:-maturin}
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$MATURIN" build --profile ci --out "$work/dist"
wheel=$(ls "$work"/dist/zaby-*.whl)
case "$wheel" in
  *-cp310-abi3-*) ;;
  *) echo "expected one abi3 (cp310) wheel, got: $wheel" >&2; exit 1 ;;
esac

"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel"
# From outside the source tree, so the installed package is the one imported.
(cd "$work" && "$work/venv/bin/python" "$root/scripts/smoke/python.py" "wheel")
