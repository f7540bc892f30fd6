"""The zaby-server processes a suite run talks to.

SQLite mode starts one server. PostgreSQL mode starts two replicas, A and B, on
one database: management clients use A, runtime clients use B.
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

STARTUP_DEADLINE_S = 60.0
STOP_DEADLINE_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    origin: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        p = self.process
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@dataclass
class Servers:
    """`a` serves management clients, `b` runtime clients (the same server on SQLite)."""

    mode: str
    binary: str
    api_key: str
    a: Server
    b: Server
    workdir: Path
    all: list[Server] = field(default_factory=list)
    _tenant_id: str | None = None

    _logs: str | None = None

    def stop(self) -> None:
        """Stops the servers, keeps their logs in memory and removes the temp dir."""
        for s in self.all:
            s.stop()
        if self._logs is None:
            self._logs = "\n".join(f"===== zaby-server {s.name} ({s.origin}) =====\n{s.log()}" for s in self.all)
            shutil.rmtree(self.workdir, ignore_errors=True)

    def logs(self) -> str:
        self.stop()
        return self._logs or ""

    def cli(self, *args: str) -> str:
        """Runs an admin command of the binary on the suite's database; returns stdout."""
        env = dict(self.a.env, RUST_LOG="warn")
        out = subprocess.run([self.binary, *args], env=env, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"zaby-server {args[0]} {args[1]} failed: {out.stderr}")
        return out.stdout.strip()

    def tenant_id(self) -> str:
        """The default tenant (the one the bootstrap API key belongs to)."""
        if self._tenant_id is None:
            listing = self.cli("tenants", "list")
            line = next(line for line in listing.splitlines() if "(default)" in line)
            self._tenant_id = line.split()[0]
        return self._tenant_id

    def builtin_mcp_token(self) -> str:
        """A token for `/mcp/builtin`: HS256 over the claims the server's own MCP client
        sends, signed with ZABY_JWT_SECRET under its key id (the first 16 hex digits of
        its SHA-256)."""
        secret = self.a.env["ZABY_JWT_SECRET"].encode()
        now = int(time.time())
        header = {"alg": "HS256", "typ": "JWT", "kid": hashlib.sha256(secret).hexdigest()[:16]}
        claims = {"iss": "zaby-server", "ten": self.tenant_id(), "aud": "zaby-builtin", "iat": now, "exp": now + 300}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def tenant_token(self, user: str) -> str:
        """A tenant access token minted by the admin CLI (`tokens issue-tenant`)."""
        return self.cli("tokens", "issue-tenant", "--tenant", self.tenant_id(), "--user", user, "--ttl-seconds", "3600")


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if the pytest process dies without stopping it."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    assert server.process is not None
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"zaby-server {server.name} exited at start:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.origin}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"zaby-server {server.name} not healthy after {STARTUP_DEADLINE_S}s:\n{server.log()}")
        time.sleep(0.1)


def _start(binary: str, name: str, workdir: Path, database_url: str, shared: dict[str, str]) -> Server:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    state = workdir / f"state-{name}"
    state.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "ZABY_LISTEN": f"127.0.0.1:{port}",
        "ZABY_PUBLIC_ORIGIN": origin,
        "ZABY_DATABASE_URL": database_url,
        "ZABY_STATE_DIR": str(state),
        "RUST_LOG": os.environ.get("RUST_LOG", "info"),
        "NO_COLOR": "1",
        # Marks the process as this `make test` run's (tests/support/check-leaks.sh).
        "ZABY_TEST_RUN": os.environ.get("ZABY_TEST_RUN", ""),
        **shared,
    }
    log_path = workdir / f"server-{name}.log"
    server = Server(name, origin, env, log_path)
    with open(log_path, "wb") as log:
        server.process = subprocess.Popen(
            [binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, preexec_fn=_die_with_parent
        )
    _wait_healthy(server)
    return server


def start_servers() -> Servers:
    binary = os.environ.get("ZABY_SERVER_BIN", "")
    if not binary:
        raise RuntimeError(
            "ZABY_SERVER_BIN is not set: point it at a zaby-server binary (`make server` builds "
            "target/ci/zaby-server; `make e2e-python` sets it)"
        )
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"ZABY_SERVER_BIN={binary} is not an executable file")
    mode = os.environ.get("ZABY_E2E_BACKEND", "sqlite")
    workdir = Path(tempfile.mkdtemp(prefix="zaby-e2e-python-"))
    api_key = f"zaby_pk_e2e_{secrets.token_hex(16)}"
    shared = {
        "ZABY_BOOTSTRAP_API_KEY": api_key,
        # Replicas must share the key that seals secrets and signing keys.
        "ZABY_SECRETS_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        # The suite acts as the operator: with a known signing secret it can mint the
        # token the built-in MCP server accepts, to register that server as an external one.
        "ZABY_JWT_SECRET": secrets.token_hex(32),
        "ZABY_PROVISIONING_DELAY_MS": "100",
        # Knowledge jobs stay QUEUED this long, so a test can cancel one before it runs.
        "ZABY_JOB_DELAY_MS": "2000",
    }
    started: list[Server] = []
    try:
        if mode == "sqlite":
            url = f"sqlite://{workdir / 'zaby.db'}"
            a = _start(binary, "A", workdir, url, shared)
            started.append(a)
            b = a
        elif mode == "postgres":
            url = os.environ.get("ZABY_E2E_POSTGRES_URL", "")
            if not url:
                raise RuntimeError("ZABY_E2E_BACKEND=postgres needs ZABY_E2E_POSTGRES_URL (a fresh database)")
            # A first, so the migrations and the bootstrap key are in place for B.
            a = _start(binary, "A", workdir, url, shared)
            started.append(a)
            b = _start(binary, "B", workdir, url, shared)
            started.append(b)
        else:
            raise RuntimeError(f"ZABY_E2E_BACKEND must be sqlite or postgres, not {mode!r}")
    except BaseException:
        for s in started:
            s.stop()
        raise
    return Servers(mode, binary, api_key, a, b, workdir, started)
