"""One call through the installed `zaby` package and its MockTransport.

Run from outside the source tree (scripts/check-install, scripts/check-dist) so the
installed package is the one imported; its native module is loaded by the import.
"""

import asyncio
import sys

import zaby
from zaby import MockResponse, MockTransport, Zaby

assert "site-packages" in (zaby.__file__ or ""), zaby.__file__


async def main() -> None:
    transport = MockTransport([MockResponse("GET", "/health", json_body={"status": "ok"})])
    async with Zaby(api_key="k", transport=transport) as client:
        assert await client.health.check() == {"status": "ok"}
    sent = transport.requests[0]
    assert (sent.method, sent.path, sent.headers["x-zaby-api-key"]) == ("GET", "/health", "k")


asyncio.run(main())
print(f"{sys.argv[1] if len(sys.argv) > 1 else 'zaby'}: zaby {zaby.__version__} OK")
