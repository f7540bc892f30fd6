"""``RuntimeTokenResponse`` as a dataclass (API.md §4.5); SDK methods return the dict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["RuntimeTokenResponse"]

_WIRE = {
    "token": "token",
    "tokenType": "token_type",
    "expiresAt": "expires_at",
    "scopes": "scopes",
    "grantId": "grant_id",
    "tokenFamilyId": "token_family_id",
    "quotaPolicyId": "quota_policy_id",
    "uniqueIdHash": "unique_id_hash",
    "rotateAfterSeconds": "rotate_after_seconds",
    "remainingUses": "remaining_uses",
    "agentSessionId": "agent_session_id",
    "externalAppId": "external_app_id",
    "deploymentId": "deployment_id",
}


@dataclass
class RuntimeTokenResponse:
    """A minted runtime token: hand ``token`` to ``ZabyRuntime``."""

    token: str
    token_type: str = "Bearer"
    expires_at: str | None = None
    scopes: list[str] | None = None
    grant_id: str | None = None
    token_family_id: str | None = None
    quota_policy_id: str | None = None
    unique_id_hash: str | None = None
    rotate_after_seconds: int | None = None
    remaining_uses: int | None = None
    agent_session_id: str | None = None
    external_app_id: str | None = None
    deployment_id: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RuntimeTokenResponse:
        """Builds one from the response dict (camelCase keys; unknown keys ignored)."""
        if not isinstance(d, Mapping):
            raise TypeError(f"from_dict() takes a mapping, got {type(d).__name__}")
        token = d.get("token")
        if not isinstance(token, str) or not token:
            raise ValueError("a runtime token response needs a non-empty 'token'")
        kwargs = {py: d[wire] for wire, py in _WIRE.items() if wire in d and d[wire] is not None}
        if "scopes" in kwargs:
            kwargs["scopes"] = list(kwargs["scopes"])
        return cls(**kwargs)
