#!/usr/bin/env bash
# Builds the abi3 wheel with maturin, installs it into a fresh virtualenv (no access to
# the source tree), imports `zaby` there and runs a MockTransport round trip.
# Usage: python/scripts/check_wheel.sh   (MATURIN and PYTHON may point at other binaries)
set -euo pipefail
cd "$(dirname "$0")/.."

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
cd "$work"  # make sure the installed package is imported, not the source tree
"$work/venv/bin/python" - <<'PY'
import asyncio

import zaby
from zaby import MockResponse, MockTransport, Zaby

assert zaby.__file__ and "site-packages" in zaby.__file__, zaby.__file__


async def main() -> None:
    transport = MockTransport([MockResponse("GET", "/health", json_body={"status": "ok"})])
    async with Zaby(api_key="test-key", transport=transport) as client:
        assert await client.health.check() == {"status": "ok"}
    sent = transport.requests[0]
    assert (sent.method, sent.path, sent.headers["x-zaby-api-key"]) == ("GET", "/health", "test-key")


asyncio.run(main())
print(f"wheel OK: zaby {zaby.__version__}")
PY
