//! Tokens of the built-in MCP server (`docs/server.md`): HS256 with the runtime-token
//! signing keys, claims `ten`, `aud: "zaby-builtin"` and `exp` 5 minutes ahead. Runs
//! mint them to call the server; the server verifies them.

use serde_json::json;

use crate::error::ApiResult;
use crate::services::Ctx;
use crate::util::clock::now_ms;

const AUDIENCE: &str = "zaby-builtin";
/// Lifetime of a built-in MCP token.
const TOKEN_TTL_S: i64 = 300;

/// Mints a built-in MCP token for a tenant.
pub async fn mint(ctx: &Ctx, tenant_id: &str) -> ApiResult<String> {
    let iat = now_ms() / 1000;
    ctx.signer
        .sign(&json!({
            "iss": crate::services::auth::ISSUER,
            "ten": tenant_id,
            "aud": AUDIENCE,
            "iat": iat,
            "exp": iat + TOKEN_TTL_S,
        }))
        .await
}

/// The tenant of a valid, unexpired built-in MCP token; else why it is refused.
pub(crate) async fn verify(ctx: &Ctx, token: &str) -> Result<String, String> {
    let claims = match ctx.signer.verify::<serde_json::Value>(token).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err("invalid built-in MCP token".into()),
        Err(e) => return Err(e.message),
    };
    if claims["aud"] != AUDIENCE {
        return Err("not a built-in MCP token".into());
    }
    if claims["exp"].as_i64().is_none_or(|exp| now_ms() / 1000 >= exp) {
        return Err("built-in MCP token has expired".into());
    }
    claims["ten"].as_str().map(str::to_string).ok_or_else(|| "invalid built-in MCP token".into())
}
