"""Configuration precedence, environment variables, configure_zaby and RequestOptions."""

from __future__ import annotations

import pytest

import zaby
from zaby import (
    DEFAULT_ZABY_API_ORIGIN,
    LOCAL_ZABY_API_ORIGIN,
    MockTransport,
    RequestOptions,
    RetryPolicy,
    Zaby,
    ZabyGlobalConfig,
    ZabyRuntime,
    configure_zaby,
    resolve_zaby_config,
)


def test_defaults() -> None:
    c = resolve_zaby_config()
    assert (c.environment, c.api_origin, c.timeout_ms, c.user_agent, c.tenant_id) == (
        "production", DEFAULT_ZABY_API_ORIGIN, 30000, None, None,
    )
    # Retries unset: the public SDKs' shape (`docs/configuration.md`, amended 2026-12-06).
    assert c.retries.attempts == 0
    assert c.retries.retry_methods == []
    assert c.retries.retry_statuses == []
    assert callable(c.retries.backoff_ms)
    assert [c.retries.backoff_ms(i) for i in range(6)] == [100, 200, 400, 800, 1000, 1000]


def test_a_retry_count_resolves_to_the_default_methods_and_statuses() -> None:
    r = resolve_zaby_config(ZabyGlobalConfig(retries=2)).retries
    assert (r.attempts, r.retry_methods, r.retry_statuses) == (2, ["GET", "HEAD", "OPTIONS"], [408, 429, 500, 502, 503, 504])
    assert callable(r.backoff_ms) and r.backoff_ms(0) == 100


def test_precedence_instance_global_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZABY_ENVIRONMENT", "local")
    assert resolve_zaby_config().api_origin == LOCAL_ZABY_API_ORIGIN
    monkeypatch.setenv("ZABY_API_ORIGIN", "https://env.example/")
    # An explicit origin at any level beats an environment preset, even an instance one.
    assert resolve_zaby_config(ZabyGlobalConfig(environment="local")).api_origin == "https://env.example"
    configure_zaby(api_origin="https://global.example", timeout_ms=5)
    assert resolve_zaby_config().api_origin == "https://global.example"
    c = resolve_zaby_config(ZabyGlobalConfig(api_origin="http://inst.example//", timeout_ms=7))
    assert (c.api_origin, c.timeout_ms) == ("http://inst.example", 7)
    assert resolve_zaby_config().timeout_ms == 5


def test_empty_env_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZABY_API_ORIGIN", "")
    monkeypatch.setenv("ZABY_ENVIRONMENT", "")
    assert resolve_zaby_config().api_origin == DEFAULT_ZABY_API_ORIGIN


def test_configure_merges_and_keywords_win() -> None:
    configure_zaby(ZabyGlobalConfig(environment="local", user_agent="ua/1"))
    configure_zaby(tenant_id="t1")  # keeps the earlier fields
    c = resolve_zaby_config()
    assert (c.environment, c.user_agent, c.tenant_id) == ("local", "ua/1", "t1")
    configure_zaby(ZabyGlobalConfig(user_agent="from-object", timeout_ms=9), user_agent="from-keyword")
    c = resolve_zaby_config()
    assert (c.user_agent, c.timeout_ms) == ("from-keyword", 9)
    zaby.reset_zaby_config_for_tests()
    assert resolve_zaby_config().user_agent is None


def test_configure_rejects_unknown_keywords() -> None:
    with pytest.raises(TypeError, match="timeout"):
        configure_zaby(timeout=5)
    with pytest.raises(TypeError):
        configure_zaby({"environment": "local"})  # type: ignore[arg-type]


async def test_config_is_resolved_at_construction() -> None:
    transport = MockTransport()
    configure_zaby(api_origin="https://first.example", user_agent="agent/1", tenant_id="g-tenant")
    z = Zaby(api_key="k", transport=transport)
    configure_zaby(api_origin="https://second.example")
    transport.set_response("GET", "/health", 200, {})
    await z.health.check()
    sent = transport.requests[0]
    assert sent.url == "https://first.example/health"
    assert sent.headers["user-agent"] == "agent/1"
    assert sent.headers["x-tenant-id"] == "g-tenant"
    assert z.config.api_origin == "https://first.example"


async def test_constructor_tenant_wins_and_runtime_never_sends_it() -> None:
    transport = MockTransport()
    configure_zaby(tenant_id="from-config")
    transport.set_response("GET", "/health", 200, {})
    await Zaby(api_key="k", tenant_id="ctor", transport=transport).health.check()
    assert transport.requests[0].headers["x-tenant-id"] == "ctor"
    transport.set_response("POST", "/api/v1/agent-runtime/runs", 201, {})
    await ZabyRuntime(token="t", transport=transport).runs.start({"input": "hi"})
    headers = transport.requests[1].headers
    assert "x-tenant-id" not in headers and "x-zaby-api-key" not in headers
    assert headers["authorization"] == "Bearer t"
    assert headers["user-agent"].startswith("zaby-python/")


async def test_request_options_and_keywords(client: Zaby, transport: MockTransport) -> None:
    for _ in range(3):
        transport.set_response("GET", "/health", 200, {})
    await client.health.check(options=RequestOptions(request_id="from-options"))
    await client.health.check(request_id="kw", options=RequestOptions(request_id="from-options"))
    await client.health.check()
    ids = [r.headers.get("x-request-id") for r in transport.requests]
    assert ids == ["from-options", "kw", None]
    with pytest.raises(TypeError):
        await client.health.check(options={"request_id": "x"})  # type: ignore[arg-type]
    with pytest.raises(zaby.ZabyError) as info:
        await client.health.check(timeout_ms=0)
    assert info.value.code == "INVALID_ARGUMENT"


def test_retry_policy_in_config() -> None:
    c = resolve_zaby_config(ZabyGlobalConfig(retries=RetryPolicy(attempts=2, retry_methods=["post"], backoff_ms=lambda a: 7 * a)))
    assert c.retries.attempts == 2 and c.retries.retry_methods == ["POST"]
    assert c.retries.retry_statuses == [408, 429, 500, 502, 503, 504]
    assert c.retries.backoff_ms is not None and c.retries.backoff_ms(3) == 21
    assert resolve_zaby_config(ZabyGlobalConfig(retries=-4)).retries.attempts == 0
    assert resolve_zaby_config(ZabyGlobalConfig(retries=3)).retries.attempts == 3
    with pytest.raises(TypeError):
        resolve_zaby_config(ZabyGlobalConfig(retries="3"))  # type: ignore[arg-type]


def test_runtime_token_response_from_dict() -> None:
    from zaby import RuntimeTokenResponse

    wire = {
        "token": "eyJ", "tokenType": "Bearer", "expiresAt": "2026-06-24T12:00:00.000Z", "scopes": ["a"],
        "grantId": "g", "tokenFamilyId": "f", "quotaPolicyId": None, "uniqueIdHash": "h",
        "rotateAfterSeconds": 60, "remainingUses": 3, "agentSessionId": "s", "externalAppId": "e",
        "deploymentId": "d", "unknownField": 1,
    }
    t = RuntimeTokenResponse.from_dict(wire)
    assert t == RuntimeTokenResponse(
        token="eyJ", token_type="Bearer", expires_at="2026-06-24T12:00:00.000Z", scopes=["a"], grant_id="g",
        token_family_id="f", quota_policy_id=None, unique_id_hash="h", rotate_after_seconds=60,
        remaining_uses=3, agent_session_id="s", external_app_id="e", deployment_id="d",
    )
    assert RuntimeTokenResponse.from_dict({"token": "x"}).token_type == "Bearer"
    with pytest.raises(ValueError):
        RuntimeTokenResponse.from_dict({"tokenType": "Bearer"})
