"""``RuntimeTokenResponse`` as a typed object (docs/api/runtime-tokens.md); SDK methods return the dict."""

from __future__ import annotations

from ._record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
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


class RuntimeTokenResponse(Record):
    """A minted runtime token: hand ``token`` to ``ZabyRuntime``."""

    __slots__ = (
        "token",
        "token_type",
        "expires_at",
        "scopes",
        "grant_id",
        "token_family_id",
        "quota_policy_id",
        "unique_id_hash",
        "rotate_after_seconds",
        "remaining_uses",
        "agent_session_id",
        "external_app_id",
        "deployment_id",
    )

    token: str
    token_type: str
    expires_at: str | None
    scopes: list[str] | None
    grant_id: str | None
    token_family_id: str | None
    quota_policy_id: str | None
    unique_id_hash: str | None
    rotate_after_seconds: int | None
    remaining_uses: int | None
    agent_session_id: str | None
    external_app_id: str | None
    deployment_id: str | None

    def __init__(
        self,
        token: str,
        token_type: str = "Bearer",
        expires_at: str | None = None,
        scopes: list[str] | None = None,
        grant_id: str | None = None,
        token_family_id: str | None = None,
        quota_policy_id: str | None = None,
        unique_id_hash: str | None = None,
        rotate_after_seconds: int | None = None,
        remaining_uses: int | None = None,
        agent_session_id: str | None = None,
        external_app_id: str | None = None,
        deployment_id: str | None = None,
    ) -> None:
        self.token = token
        self.token_type = token_type
        self.expires_at = expires_at
        self.scopes = scopes
        self.grant_id = grant_id
        self.token_family_id = token_family_id
        self.quota_policy_id = quota_policy_id
        self.unique_id_hash = unique_id_hash
        self.rotate_after_seconds = rotate_after_seconds
        self.remaining_uses = remaining_uses
        self.agent_session_id = agent_session_id
        self.external_app_id = external_app_id
        self.deployment_id = deployment_id

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RuntimeTokenResponse:
        """Builds one from the response dict (camelCase keys; unknown keys ignored)."""
        from collections.abc import Mapping

        if not isinstance(d, Mapping):
            raise TypeError(f"from_dict() takes a mapping, got {type(d).__name__}")
        token = d.get("token")
        if not isinstance(token, str) or not token:
            raise ValueError("a runtime token response needs a non-empty 'token'")
        kwargs = {py: d[wire] for wire, py in _WIRE.items() if wire in d and d[wire] is not None}
        if "scopes" in kwargs:
            kwargs["scopes"] = list(kwargs["scopes"])
        return cls(**kwargs)
