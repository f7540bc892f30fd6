//! Runtime tokens: minting (E25), rotation (E26, E27) and playground tokens
//! (E14, E15, E118). Each token is an HS256 JWT whose `sub` is a grant.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::services::idempotency::{self, Operation, Owner, Scope};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::apps::{self as app_store, AppRow, BindingRow};
use crate::storage::deployments::{self as dep_store, DeploymentRow};
use crate::storage::policies::{self as policy_store, PolicyRow};
use crate::storage::sql::Conn;
use crate::storage::tokens::{self as store, FamilyRow, GrantRow};
use crate::util::clock::{iso, now_ms};
use crate::util::crypto::sha256_hex;
use crate::util::ids::{new_id, random_hex};
use crate::util::input::Fields;

pub const RUNTIME_SCOPES: &[&str] = &[
    "managed-agents:runtime:run",
    "managed-agents:runtime:stream",
    "managed-agents:runtime:feedback",
    "managed-agents:runtime:approve",
];
pub const CHANNELS: &[&str] = &["web", "mobile", "server", "support", "embedded"];
const DEFAULT_TTL: i64 = 600;
const DEFAULT_ROTATE_BEFORE: i64 = 60;

/// The end user a token is minted for. Only the hash of `uniqueId` is kept.
#[derive(Debug, Clone, Default)]
struct EndUser {
    unique_id_hash: Option<String>,
    external_user_id: Option<String>,
    external_session_id: Option<String>,
    external_conversation_id: Option<String>,
    display_name: Option<String>,
    email_hash: Option<String>,
    locale: Option<String>,
    timezone: Option<String>,
    dpop_jkt: Option<String>,
    metadata: Value,
}

impl EndUser {
    /// The family key: `uniqueId`, else `externalUserId`.
    fn user_key(&self) -> String {
        match (&self.unique_id_hash, &self.external_user_id) {
            (Some(h), _) => format!("u:{h}"),
            (None, Some(e)) => format!("e:{e}"),
            (None, None) => String::new(),
        }
    }

    fn session_key(&self) -> String {
        self.external_session_id.clone().or_else(|| self.external_conversation_id.clone()).unwrap_or_default()
    }

    fn from_grant(doc: &Value) -> Self {
        let s = |k: &str| doc[k].as_str().map(str::to_string);
        EndUser {
            unique_id_hash: s("uniqueIdHash"),
            external_user_id: s("externalUserId"),
            external_session_id: s("externalSessionId"),
            external_conversation_id: s("externalConversationId"),
            display_name: s("displayName"),
            email_hash: s("emailHash"),
            locale: s("locale"),
            timezone: s("timezone"),
            dpop_jkt: s("dpopJkt"),
            metadata: doc.get("metadata").cloned().unwrap_or_else(|| json!({})),
        }
    }
}

/// Parsed mint body (E25, E14, E118).
struct MintInput {
    deployment_id: String,
    quota_policy_id: Option<String>,
    end_user: EndUser,
    channel: Option<String>,
    token_family_id: Option<String>,
    scopes: Option<Vec<String>>,
    ttl_seconds: Option<i64>,
    max_uses: Option<i64>,
}

fn parse_scopes(f: &mut Fields) -> Option<Vec<String>> {
    let scopes = f.opt_str_list("scopes", 100)?;
    if scopes.is_empty() {
        f.error("scopes", "must name at least one scope");
    }
    for (i, s) in scopes.iter().enumerate() {
        if !RUNTIME_SCOPES.contains(&s.as_str()) {
            f.error(&format!("scopes.{i}"), format!("must be one of {}", RUNTIME_SCOPES.join(", ")));
        }
    }
    let mut unique = scopes;
    unique.dedup();
    Some(unique)
}

fn parse_mint(body: &Value) -> ApiResult<MintInput> {
    let mut f = Fields::new(body);
    let deployment_id = f.req_str("deploymentId", 100);
    let quota_policy_id = f.opt_str("quotaPolicyId", 100);
    let unique_id = f.opt_str("uniqueId", 500);
    let external_user_id = f.opt_str("externalUserId", 500);
    if unique_id.is_none() && external_user_id.is_none() && !f.has_errors_for(&["uniqueId", "externalUserId"]) {
        f.error("externalUserId", "is required when uniqueId is absent");
    }
    let end_user = EndUser {
        unique_id_hash: unique_id.as_deref().map(sha256_hex),
        external_user_id,
        external_session_id: f.opt_text("externalSessionId", 500),
        external_conversation_id: f.opt_text("externalConversationId", 500),
        display_name: f.opt_text("displayName", 500),
        email_hash: f.opt_text("emailHash", 500),
        locale: f.opt_text("locale", 100),
        timezone: f.opt_text("timezone", 100),
        dpop_jkt: f.opt_text("dpopJkt", 500),
        metadata: f.opt_object("metadata").unwrap_or_else(|| json!({})),
    };
    let channel = f.opt_enum("channel", CHANNELS);
    let token_family_id = f.opt_str("tokenFamilyId", 100);
    let scopes = parse_scopes(&mut f);
    let ttl_seconds = f.opt_int("ttlSeconds", 1, 86_400);
    let max_uses = f.opt_int("maxUses", 1, i64::MAX / 2);
    f.finish()?;
    Ok(MintInput {
        deployment_id: deployment_id.unwrap_or_default(),
        quota_policy_id,
        end_user,
        channel,
        token_family_id,
        scopes,
        ttl_seconds,
        max_uses,
    })
}

/// What a new grant is made of.
struct Issue<'a> {
    tenant_id: &'a str,
    app: Option<&'a AppRow>,
    deployment_id: &'a str,
    policy: Option<&'a PolicyRow>,
    family_id: Option<String>,
    session_id: Option<String>,
    end_user: EndUser,
    channel: String,
    scopes: Vec<String>,
    ttl_seconds: i64,
    max_uses: Option<i64>,
    requested_ttl: Option<i64>,
    requested_max_uses: Option<i64>,
}

/// Creates the family (if needed), session and grant, signs the token, and
/// returns the `RuntimeTokenResponse`.
async fn issue(ctx: &Ctx, conn: &mut Conn, spec: Issue<'_>) -> ApiResult<Value> {
    let now = now_ms();
    let app_key = spec.app.map(|a| a.id.clone()).unwrap_or_default();
    let user_key = spec.end_user.user_key();
    let family_id = match spec.family_id {
        Some(id) => id,
        None => {
            let candidate = FamilyRow {
                id: new_id(),
                tenant_id: spec.tenant_id.to_string(),
                app_key: app_key.clone(),
                external_app_id: spec.app.map(|a| a.id.clone()),
                deployment_id: spec.deployment_id.to_string(),
                user_key: user_key.clone(),
                status: "ACTIVE".into(),
                name: spec.end_user.external_user_id.clone(),
                unique_id_hash: spec.end_user.unique_id_hash.clone(),
                external_user_id: spec.end_user.external_user_id.clone(),
                created_at: now,
                updated_at: now,
                revoked_at: None,
                revoke_reason: None,
            };
            store::insert_or_get_active_family(conn, &candidate).await?.id
        }
    };
    let session_id = match spec.session_id {
        Some(s) => s,
        None => {
            store::ensure_session(
                conn,
                spec.tenant_id,
                &app_key,
                spec.deployment_id,
                &user_key,
                &spec.end_user.session_key(),
                now,
            )
            .await?
        }
    };
    let eu = &spec.end_user;
    let grant = GrantRow {
        id: new_id(),
        tenant_id: spec.tenant_id.to_string(),
        family_id: family_id.clone(),
        external_app_id: spec.app.map(|a| a.id.clone()),
        deployment_id: spec.deployment_id.to_string(),
        policy_id: spec.policy.map(|p| p.id.clone()),
        session_id: session_id.clone(),
        channel: spec.channel.clone(),
        scopes: spec.scopes.clone(),
        max_uses: spec.max_uses,
        used_count: 0,
        expires_at: now + spec.ttl_seconds * 1000,
        doc: json!({
            "uniqueIdHash": eu.unique_id_hash, "externalUserId": eu.external_user_id,
            "externalSessionId": eu.external_session_id, "externalConversationId": eu.external_conversation_id,
            "displayName": eu.display_name, "emailHash": eu.email_hash, "locale": eu.locale,
            "timezone": eu.timezone, "dpopJkt": eu.dpop_jkt, "metadata": eu.metadata,
            "requestedTtlSeconds": spec.requested_ttl, "requestedMaxUses": spec.requested_max_uses,
        }),
        created_at: now,
        revoked_at: None,
        revoke_reason: None,
    };
    store::insert_grant(conn, &grant).await?;
    let claims = json!({
        "iss": crate::services::auth::ISSUER,
        "sub": grant.id,
        "jti": new_id(),
        "iat": now / 1000,
        "exp": grant.expires_at / 1000,
        "ten": grant.tenant_id,
        "fam": family_id,
        "app": grant.external_app_id,
        "dep": grant.deployment_id,
        "ses": session_id,
        "chn": grant.channel,
        "scp": grant.scopes,
    });
    let token = ctx.signer.sign(&claims).await?;
    let rotate_after = spec.policy.and_then(|p| {
        (p.doc["autoRotateEnabled"] == true).then(|| {
            let before = p.int("rotateBeforeExpirySeconds").unwrap_or(DEFAULT_ROTATE_BEFORE);
            (spec.ttl_seconds - before).max(0)
        })
    });
    Ok(json!({
        "token": token,
        "tokenType": "Bearer",
        "expiresAt": iso(grant.expires_at),
        "scopes": grant.scopes,
        "grantId": grant.id,
        "tokenFamilyId": family_id,
        "quotaPolicyId": grant.policy_id,
        "uniqueIdHash": eu.unique_id_hash,
        "rotateAfterSeconds": rotate_after,
        "remainingUses": grant.max_uses,
        "agentSessionId": session_id,
        "externalAppId": grant.external_app_id,
        "deploymentId": grant.deployment_id,
    }))
}

/// Deployments that tokens may be minted for (`docs/api/runtime-tokens.md`).
fn check_mintable(d: &DeploymentRow) -> ApiResult<()> {
    match d.status.as_str() {
        "PENDING" | "ACTIVE" | "SUPERSEDED" => Ok(()),
        other => Err(ApiError::conflict(
            "DEPLOYMENT_NOT_ACTIVE",
            format!("tokens cannot be minted for a {other} deployment"),
        )
        .with_details(json!({ "status": other }))),
    }
}

fn check_app_active(app: &AppRow) -> ApiResult<()> {
    if app.status != "ACTIVE" {
        return Err(ApiError::forbidden("EXTERNAL_APP_INACTIVE", "the external app is INACTIVE"));
    }
    Ok(())
}

fn check_channel(binding: &BindingRow, channel: &str) -> ApiResult<()> {
    let browser = matches!(channel, "web" | "mobile" | "embedded");
    let allowed = if browser { binding.allow_browser_runtime } else { binding.allow_server_runtime };
    if !allowed {
        return Err(ApiError::forbidden(
            "RUNTIME_CHANNEL_NOT_ALLOWED",
            format!("the deployment binding does not allow the '{channel}' channel"),
        ));
    }
    Ok(())
}

async fn load_binding(conn: &mut Conn, app: &AppRow, deployment_id: &str) -> ApiResult<BindingRow> {
    app_store::get_binding(conn, &app.id, deployment_id).await?.ok_or_else(|| {
        ApiError::unprocessable("DEPLOYMENT_NOT_BOUND", "deploymentId", "is not bound to the external app")
    })
}

async fn load_deployment_ref(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<DeploymentRow> {
    dep_store::get(conn, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::invalid("deploymentId", "does not name a deployment of this tenant"))
}

/// The policy must exist, be ACTIVE and belong to this app and deployment.
async fn load_policy(
    conn: &mut Conn,
    tenant_id: &str,
    id: &str,
    app_id: &str,
    deployment_id: &str,
) -> ApiResult<PolicyRow> {
    let mismatch = |m: &str| ApiError::unprocessable("QUOTA_POLICY_MISMATCH", "quotaPolicyId", m);
    let p = policy_store::get(conn, tenant_id, id)
        .await?
        .ok_or_else(|| mismatch("does not name a runtime token policy"))?;
    if p.status != "ACTIVE" {
        return Err(mismatch("names an INACTIVE policy"));
    }
    if p.external_app_id != app_id || p.deployment_id != deployment_id {
        return Err(mismatch("belongs to another external app or deployment"));
    }
    Ok(p)
}

/// A given `tokenFamilyId` must be ACTIVE and belong to the same app and deployment.
async fn check_family(
    conn: &mut Conn,
    tenant_id: &str,
    id: &str,
    app_key: &str,
    deployment_id: &str,
) -> ApiResult<FamilyRow> {
    let fam = store::get_family(conn, tenant_id, id).await?;
    match fam {
        Some(f) if f.status == "ACTIVE" && f.app_key == app_key && f.deployment_id == deployment_id => Ok(f),
        Some(_) => Err(ApiError::invalid(
            "tokenFamilyId",
            "must name an ACTIVE family of the same external app and deployment",
        )),
        None => Err(ApiError::invalid("tokenFamilyId", "does not name a token family")),
    }
}

/// TTL and max uses under a policy (`docs/api/runtime-tokens.md` minting rules).
fn limits(
    requested_ttl: Option<i64>,
    requested_uses: Option<i64>,
    policy: &PolicyRow,
    app: &AppRow,
    clamp: bool,
) -> ApiResult<(i64, Option<i64>)> {
    let policy_ttl = policy.int("tokenTtlSeconds");
    let mut ttl = requested_ttl.or(policy_ttl).or(app.token_ttl_seconds()).unwrap_or(DEFAULT_TTL);
    if let Some(max) = policy_ttl
        && ttl > max
    {
        if clamp || requested_ttl.is_none() {
            ttl = max;
        } else {
            return Err(ApiError::invalid(
                "ttlSeconds",
                &format!("must not exceed the policy's tokenTtlSeconds ({max})"),
            ));
        }
    }
    let policy_uses = policy.int("maxUsesPerToken");
    let mut uses = requested_uses.or(policy_uses);
    if let (Some(u), Some(max)) = (uses, policy_uses)
        && u > max
    {
        if clamp {
            uses = Some(max);
        } else {
            return Err(ApiError::invalid("maxUses", &format!("must not exceed the policy's maxUsesPerToken ({max})")));
        }
    }
    Ok((ttl, uses))
}

fn scope_of<'a>(caller: &'a Caller, operation: Operation, resource: &'a str) -> Scope<'a> {
    Scope { owner: Owner::Tenant(&caller.tenant_id), operation, resource }
}

/// E25.
pub async fn mint(ctx: &Ctx, caller: &Caller, app_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let app = super::apps::load(tx.conn(), &caller.tenant_id, app_id).await?;
    let idem = idempotency::key(scope_of(caller, Operation::MintToken, app_id), body)?;
    if let Some(replay) = idempotency::claim(tx.conn(), &idem, ctx.settings.idempotency_ttl_s).await? {
        return Ok(replay);
    }
    let input = parse_mint(body)?;
    let Some(policy_id) = input.quota_policy_id.clone() else {
        return Err(ApiError::unprocessable("QUOTA_POLICY_REQUIRED", "quotaPolicyId", "is required"));
    };
    let deployment = load_deployment_ref(tx.conn(), &caller.tenant_id, &input.deployment_id).await?;
    let binding = load_binding(tx.conn(), &app, &deployment.id).await?;
    let policy = load_policy(tx.conn(), &caller.tenant_id, &policy_id, &app.id, &deployment.id).await?;
    let (ttl, max_uses) = limits(input.ttl_seconds, input.max_uses, &policy, &app, false)?;
    if let Some(fid) = &input.token_family_id {
        check_family(tx.conn(), &caller.tenant_id, fid, &app.id, &deployment.id).await?;
    }
    check_app_active(&app)?;
    check_mintable(&deployment)?;
    let channel = input.channel.clone().unwrap_or_else(|| "server".into());
    check_channel(&binding, &channel)?;
    let out = issue(
        ctx,
        tx.conn(),
        Issue {
            tenant_id: &caller.tenant_id,
            app: Some(&app),
            deployment_id: &deployment.id,
            policy: Some(&policy),
            family_id: input.token_family_id,
            session_id: None,
            end_user: input.end_user,
            channel,
            scopes: input.scopes.unwrap_or_else(all_scopes),
            ttl_seconds: ttl,
            max_uses,
            requested_ttl: input.ttl_seconds,
            requested_max_uses: input.max_uses,
        },
    )
    .await?;
    idempotency::complete(tx.conn(), &idem, 201, &out).await?;
    tx.commit().await?;
    Ok(Outcome::Created(out))
}

fn all_scopes() -> Vec<String> {
    RUNTIME_SCOPES.iter().map(|s| s.to_string()).collect()
}

/// E14 / E118.
pub async fn playground(ctx: &Ctx, caller: &Caller, agent_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let agent = crate::services::agents::load(tx.conn(), &caller.tenant_id, agent_id).await?;
    let idem = idempotency::key(scope_of(caller, Operation::MintPlaygroundToken, agent_id), body)?;
    if let Some(replay) = idempotency::claim(tx.conn(), &idem, ctx.settings.idempotency_ttl_s).await? {
        return Ok(replay);
    }
    let input = parse_mint(body)?;
    let deployment = load_deployment_ref(tx.conn(), &caller.tenant_id, &input.deployment_id).await?;
    if deployment.agent_id != agent.id {
        return Err(ApiError::invalid("deploymentId", "is not a deployment of this agent"));
    }
    if let Some(fid) = &input.token_family_id {
        check_family(tx.conn(), &caller.tenant_id, fid, "", &deployment.id).await?;
    }
    check_mintable(&deployment)?;
    let ttl = input.ttl_seconds.unwrap_or(DEFAULT_TTL);
    let out = issue(
        ctx,
        tx.conn(),
        Issue {
            tenant_id: &caller.tenant_id,
            app: None,
            deployment_id: &deployment.id,
            policy: None,
            family_id: input.token_family_id,
            session_id: None,
            end_user: input.end_user,
            channel: input.channel.unwrap_or_else(|| "server".into()),
            scopes: input.scopes.unwrap_or_else(all_scopes),
            ttl_seconds: ttl,
            max_uses: input.max_uses,
            requested_ttl: input.ttl_seconds,
            requested_max_uses: input.max_uses,
        },
    )
    .await?;
    idempotency::complete(tx.conn(), &idem, 201, &out).await?;
    tx.commit().await?;
    Ok(Outcome::Created(out))
}

/// E15: a playground token for the newest ACTIVE deployment and a generated user.
pub async fn playground_default(ctx: &Ctx, caller: &Caller, agent_id: &str) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let agent = crate::services::agents::load(tx.conn(), &caller.tenant_id, agent_id).await?;
    let deployment = crate::services::deployments::newest_active(tx.conn(), &caller.tenant_id, &agent.id).await?;
    let out = issue(
        ctx,
        tx.conn(),
        Issue {
            tenant_id: &caller.tenant_id,
            app: None,
            deployment_id: &deployment.id,
            policy: None,
            family_id: None,
            session_id: None,
            end_user: EndUser {
                external_user_id: Some(format!("playground-{}", random_hex(4))),
                metadata: json!({}),
                ..Default::default()
            },
            channel: "server".into(),
            scopes: all_scopes(),
            ttl_seconds: DEFAULT_TTL,
            max_uses: None,
            requested_ttl: None,
            requested_max_uses: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Ok(out))
}

/// E27: successor of a token in the same family; the previous grant is revoked.
pub async fn rotate(ctx: &Ctx, caller: &Caller, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let idem = idempotency::key(scope_of(caller, Operation::RotateToken, ""), body)?;
    if let Some(replay) = idempotency::claim(tx.conn(), &idem, ctx.settings.idempotency_ttl_s).await? {
        return Ok(replay);
    }
    let mut f = Fields::new(body);
    let previous = f.req_str("previousToken", 8192);
    f.finish()?;
    let previous = previous.unwrap_or_default();
    let unknown = || ApiError::unauthorized("previousToken was not issued by this server");
    let claims = ctx.signer.verify(&previous).await?.ok_or_else(unknown)?;
    if claims["ten"].as_str() != Some(caller.tenant_id.as_str()) {
        return Err(unknown());
    }
    let grant_id = claims["sub"].as_str().ok_or_else(unknown)?;
    let old = store::get_grant(tx.conn(), &caller.tenant_id, grant_id).await?.ok_or_else(unknown)?;
    let family = store::get_family(tx.conn(), &caller.tenant_id, &old.family_id).await?.ok_or_else(unknown)?;
    if old.revoked_at.is_some() || family.status != "ACTIVE" {
        return Err(revoked());
    }
    let app = match &old.external_app_id {
        Some(id) => Some(super::apps::load(tx.conn(), &caller.tenant_id, id).await.map_err(|_| unknown())?),
        None => None,
    };
    let deployment = dep_store::get(tx.conn(), &caller.tenant_id, &old.deployment_id).await?.ok_or_else(unknown)?;
    let (policy, binding) = match &app {
        Some(app) => {
            let binding = load_binding(tx.conn(), app, &deployment.id).await?;
            let pid = old.policy_id.clone().unwrap_or_default();
            let policy = load_policy(tx.conn(), &caller.tenant_id, &pid, &app.id, &deployment.id).await?;
            (Some(policy), Some(binding))
        }
        None => (None, None),
    };
    let requested_ttl = old.doc["requestedTtlSeconds"].as_i64();
    let requested_uses = old.doc["requestedMaxUses"].as_i64();
    let (ttl, max_uses) = match (&policy, &app) {
        (Some(p), Some(a)) => limits(requested_ttl, requested_uses, p, a, true)?,
        _ => (requested_ttl.unwrap_or(DEFAULT_TTL), requested_uses),
    };
    if let Some(a) = &app {
        check_app_active(a)?;
    }
    check_mintable(&deployment)?;
    if let Some(b) = &binding {
        check_channel(b, &old.channel)?;
    }
    store::revoke_grant(tx.conn(), &caller.tenant_id, &old.id, Some("rotated"), now_ms()).await?;
    let out = issue(
        ctx,
        tx.conn(),
        Issue {
            tenant_id: &caller.tenant_id,
            app: app.as_ref(),
            deployment_id: &deployment.id,
            policy: policy.as_ref(),
            family_id: Some(family.id.clone()),
            session_id: Some(old.session_id.clone()),
            end_user: EndUser::from_grant(&old.doc),
            channel: old.channel.clone(),
            scopes: old.scopes.clone(),
            ttl_seconds: ttl,
            max_uses,
            requested_ttl,
            requested_max_uses: requested_uses,
        },
    )
    .await?;
    idempotency::complete(tx.conn(), &idem, 201, &out).await?;
    tx.commit().await?;
    Ok(Outcome::Created(out))
}

fn revoked() -> ApiError {
    ApiError::new(
        http::StatusCode::UNAUTHORIZED,
        "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED",
        "the runtime token has been revoked",
    )
}

/// E26: rotate from the app's side by end-user `uniqueId`.
pub async fn rotate_by_unique_id(ctx: &Ctx, caller: &Caller, app_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let app = super::apps::load(tx.conn(), &caller.tenant_id, app_id).await?;
    let idem = idempotency::key(scope_of(caller, Operation::RotateTokenByUniqueId, app_id), body)?;
    if let Some(replay) = idempotency::claim(tx.conn(), &idem, ctx.settings.idempotency_ttl_s).await? {
        return Ok(replay);
    }
    let mut f = Fields::new(body);
    let deployment_id = f.req_str("deploymentId", 100);
    let unique_id = f.req_str("uniqueId", 500);
    let family_id = f.opt_str("tokenFamilyId", 100);
    let policy_id = f.opt_str("quotaPolicyId", 100);
    f.finish()?;
    let deployment = load_deployment_ref(tx.conn(), &caller.tenant_id, &deployment_id.unwrap_or_default()).await?;
    let binding = load_binding(tx.conn(), &app, &deployment.id).await?;
    let unique_hash = sha256_hex(&unique_id.unwrap_or_default());
    let family = match &family_id {
        Some(fid) => Some(check_family(tx.conn(), &caller.tenant_id, fid, &app.id, &deployment.id).await?),
        None => {
            store::active_family(tx.conn(), &caller.tenant_id, &app.id, &deployment.id, &format!("u:{unique_hash}"))
                .await?
        }
    };
    let newest = match &family {
        Some(fam) => store::newest_grant_of_family(tx.conn(), &fam.id).await?,
        None => None,
    };
    let Some(policy_id) = policy_id.or_else(|| newest.as_ref().and_then(|g| g.policy_id.clone())) else {
        return Err(ApiError::unprocessable(
            "QUOTA_POLICY_REQUIRED",
            "quotaPolicyId",
            "is required (the family has no earlier grant to copy it from)",
        ));
    };
    let policy = load_policy(tx.conn(), &caller.tenant_id, &policy_id, &app.id, &deployment.id).await?;
    let mut end_user = newest
        .as_ref()
        .map(|g| EndUser::from_grant(&g.doc))
        .unwrap_or_else(|| EndUser { metadata: json!({}), ..Default::default() });
    end_user.unique_id_hash = Some(unique_hash);
    let requested_ttl = newest.as_ref().and_then(|g| g.doc["requestedTtlSeconds"].as_i64());
    let requested_uses = newest.as_ref().and_then(|g| g.doc["requestedMaxUses"].as_i64());
    let (ttl, max_uses) = limits(requested_ttl, requested_uses, &policy, &app, true)?;
    let channel = newest.as_ref().map(|g| g.channel.clone()).unwrap_or_else(|| "server".into());
    let scopes = newest.as_ref().map(|g| g.scopes.clone()).unwrap_or_else(all_scopes);
    check_app_active(&app)?;
    check_mintable(&deployment)?;
    check_channel(&binding, &channel)?;
    if let Some(fam) = &family {
        store::revoke_family_grants(tx.conn(), &fam.id, "rotated", now_ms()).await?;
    }
    let out = issue(
        ctx,
        tx.conn(),
        Issue {
            tenant_id: &caller.tenant_id,
            app: Some(&app),
            deployment_id: &deployment.id,
            policy: Some(&policy),
            family_id: family.as_ref().map(|f| f.id.clone()),
            session_id: newest.as_ref().map(|g| g.session_id.clone()),
            end_user,
            channel,
            scopes,
            ttl_seconds: ttl,
            max_uses,
            requested_ttl,
            requested_max_uses: requested_uses,
        },
    )
    .await?;
    idempotency::complete(tx.conn(), &idem, 201, &out).await?;
    tx.commit().await?;
    Ok(Outcome::Created(out))
}
