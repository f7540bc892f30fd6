"""Validates the OpenAPI document a live zaby-server serves against the OpenAPI 3.1
schema (openapi-spec-validator), and checks it is usable by generators: every
operation has a summary, credentials, and a schema for its body and answers. A few
real answers (success and error) are checked against the schemas the document gives.

    ZABY_SERVER_BIN=target/ci/zaby-server .venv/bin/python tests/openapi/validate.py

`make openapi-check` runs it with the pinned validator of python/requirements-dev.txt.
The server is started the way the Python end-to-end suite starts it (its _servers.py).
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from _servers import start_servers  # noqa: E402


def problems_of(doc: dict) -> list[str]:
    """What a client generator would miss, operation by operation."""
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            if not op.get("summary") or op["summary"].startswith(op.get("x-endpoint-id", "?")):
                found.append(f"{where}: no human summary")
            if "security" not in op:
                found.append(f"{where}: no security requirement")
            for status, answer in op["responses"].items():
                media = answer.get("content") if "$ref" not in answer else {"ref": {"schema": answer}}
                if not media or any(not m.get("schema") for m in media.values()):
                    found.append(f"{where}: answer {status} has no schema")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if "requestBody" in op and not (body and body.get("schema")):
                found.append(f"{where}: request body has no schema")
    return found


def call(origin: str, api_key: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"x-zaby-api-key": api_key, "content-type": "application/json"}
    req = urllib.request.Request(origin + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def answer_problems(doc: dict, origin: str, api_key: str) -> list[str]:
    """Real answers that the document's schemas do not describe."""
    agents = "/api/v1/provisioning/agentic-os/agents"
    # (method, path template, path sent, body)
    calls = [
        ("GET", "/health", "/health", None),
        ("POST", agents, agents, {"slug": "openapi-check", "name": "OpenAPI check"}),
        ("GET", agents, agents, None),
        ("GET", agents + "/{agentId}", agents + "/no-such-agent", None),
        ("POST", agents, agents, {"slug": ""}),
    ]
    found = []
    for method, template, path, body in calls:
        status, answer = call(origin, api_key, method, path, body)
        spec = doc["paths"][template][method.lower()]
        documented = spec["responses"].get(str(status))
        if documented is None:
            found.append(f"{method} {path}: status {status} is not documented")
            continue
        if "$ref" in documented:
            documented = doc["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
        schema = dict(documented["content"]["application/json"]["schema"], components=doc["components"])
        for err in Draft202012Validator(schema).iter_errors(answer):
            found.append(f"{method} {path} ({status}): {list(err.absolute_path)} {err.message}")
    return found


def main() -> int:
    servers = start_servers()
    try:
        with urllib.request.urlopen(f"{servers.a.origin}/openapi.json", timeout=30) as resp:
            content_type = resp.headers.get("content-type", "")
            doc = json.load(resp)
        live = answer_problems(doc, servers.a.origin, servers.api_key)
    finally:
        servers.stop()
    if not content_type.startswith("application/json"):
        print(f"/openapi.json answered content-type {content_type!r}", file=sys.stderr)
        return 1
    validate(doc)  # raises with the failing part of the document
    found = problems_of(doc) + live
    for problem in found:
        print(problem, file=sys.stderr)
    operations = sum(len(item) for item in doc["paths"].values())
    schemas = len(doc["components"]["schemas"])
    print(f"/openapi.json: valid OpenAPI {doc['openapi']}, {operations} operations, {schemas} schemas")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
