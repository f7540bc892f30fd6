//! Runtime tokens: minting (E25), rotation (E26, E27) and playground tokens
//! (E14, E15, E118). Each token is an HS256 JWT whose `sub` is a grant.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zaby::types::{
    DeploymentStatus, ExternalAppStatus, PlaygroundRuntimeTokenInput, PolicyStatus, RotateByUniqueIdInput,
    RotateRuntimeTokenInput, RuntimeScope, RuntimeTokenChannel, RuntimeTokenCreateInput, TokenFamilyStatus,
};

use crate::error::{ApiError, ApiResult};
use crate::services::idempotency::{self, IdemKey, Operation, Owner, Scope};
use crate::services::{Caller, Ctx};
use crate::storage::apps::{self as app_store, AppRow, BindingRow};
use crate::storage::deployments::{self as dep_store, DeploymentRow};
use crate::storage::policies::{self as policy_store, PolicyRow};
use crate::storage::sql::Conn;
use crate::storage::tokens::{self as store, FamilyRow, GrantDoc, GrantRow, GrantUser};
use crate::util::clock::now_ms;
use crate::util::crypto::sha256_hex;
use crate::util::ids::{new_id, random_hex};
use crate::util::input::Problems;

const DEFAULT_TTL: i64 = 600;
const DEFAULT_ROTATE_BEFORE: i64 = 60;
const ID_MAX: usize = 100;
const USER_MAX: usize = 500;
const TTL_MAX: i64 = 86_400;

/// A token as issued: the grant it stands for, the signed JWT and the rotation hint
/// (the wire's `RuntimeTokenResponse`).
pub(crate) struct Issued {
    pub(crate) token: String,
    pub(crate) grant: GrantRow,
    pub(crate) rotate_after_seconds: Option<i64>,
}

/// An issued token, and whether it is the replay of the one an earlier request with
/// the same `requestId` got (docs/idempotency.md: the same token again).
pub(crate) struct Minted {
    pub(crate) issued: Issued,
    pub(crate) replayed: bool,
}

/// What an idempotency record keeps of an issued token: enough to answer the same
/// token again. The token is a bearer credential, so it is kept sealed with the
/// secrets key like every other stored secret; `token` in the clear is only read, from
/// records written before sealing (they expire with the idempotency window).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    grant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_sealed: Option<String>,
    #[serde(default, skip_serializing)]
    token: Option<String>,
    rotate_after_seconds: Option<i64>,
}

/// A runtime token's claims (`docs/authentication.md`): the grant (`sub`) and its
/// tenant, family, app, deployment, session, channel and scopes. Reading one needs
/// only what the checks use; the rest take defaults.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RuntimeClaims {
    pub(crate) iss: String,
    /// The grant's id.
    pub(crate) sub: String,
    #[serde(default)]
    jti: String,
    #[serde(default)]
    iat: i64,
    #[serde(default)]
    exp: i64,
    pub(crate) ten: String,
    #[serde(default)]
    fam: String,
    #[serde(default)]
    app: Option<String>,
    #[serde(default)]
    dep: String,
    #[serde(default)]
    ses: String,
    #[serde(default)]
    chn: String,
    #[serde(default)]
    scp: Vec<String>,
    /// Tenant and built-in MCP tokens name an audience; a runtime token has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) aud: Option<Value>,
}

/// A mint body (E25, E14, E118) once checked.
struct MintInput {
    deployment_id: String,
    end_user: GrantUser,
    channel: Option<RuntimeTokenChannel>,
    token_family_id: Option<String>,
    scopes: Option<Vec<String>>,
    ttl_seconds: Option<i64>,
    max_uses: Option<i64>,
}

/// E25's body as a playground body, and its `quotaPolicyId` (empty when not given):
/// `PlaygroundRuntimeTokenInput` is `RuntimeTokenCreateInput` without `externalAppId`
/// and `quotaPolicyId`, so the one reads as the other through its JSON, with no
/// member list written twice.
fn split_create(mut i: RuntimeTokenCreateInput) -> ApiResult<(String, PlaygroundRuntimeTokenInput)> {
    let policy_id = std::mem::take(&mut i.quota_policy_id);
    let mut json = fingerprint(&i)?;
    if let Some(map) = json.as_object_mut() {
        map.remove("externalAppId");
        map.remove("quotaPolicyId");
    }
    let playground = serde_json::from_value(json)
        .map_err(|e| ApiError::internal("the token body could not be read back").with_cause(e.to_string()))?;
    Ok((policy_id, playground))
}

/// What the catalogue cannot say about a mint body: lengths, ranges, one of
/// `uniqueId` / `externalUserId`, a non-empty scope list.
fn check_mint(p: &mut Problems, i: PlaygroundRuntimeTokenInput) -> MintInput {
    p.text("deploymentId", &i.deployment_id, ID_MAX, false);
    for (field, value) in [("uniqueId", &i.unique_id), ("externalUserId", &i.external_user_id)] {
        if let Some(v) = value {
            p.text(field, v, USER_MAX, false);
        }
    }
    if i.unique_id.is_none() && i.external_user_id.is_none() {
        p.add("externalUserId", "is required when uniqueId is absent");
    }
    for (field, value, max) in [
        ("externalSessionId", &i.external_session_id, USER_MAX),
        ("externalConversationId", &i.external_conversation_id, USER_MAX),
        ("displayName", &i.display_name, USER_MAX),
        ("emailHash", &i.email_hash, USER_MAX),
        ("locale", &i.locale, ID_MAX),
        ("timezone", &i.timezone, ID_MAX),
        ("dpopJkt", &i.dpop_jkt, USER_MAX),
    ] {
        if let Some(v) = value {
            p.text(field, v, max, true);
        }
    }
    if let Some(id) = &i.token_family_id {
        p.text("tokenFamilyId", id, ID_MAX, false);
    }
    if i.scopes.as_ref().is_some_and(Vec::is_empty) {
        p.add("scopes", "must name at least one scope");
    }
    if let Some(ttl) = i.ttl_seconds {
        p.range("ttlSeconds", ttl, 1, TTL_MAX);
    }
    if let Some(uses) = i.max_uses {
        p.range("maxUses", uses, 1, i64::MAX / 2);
    }
    MintInput {
        end_user: GrantUser {
            unique_id_hash: i.unique_id.as_deref().map(sha256_hex),
            external_user_id: i.external_user_id,
            external_session_id: i.external_session_id,
            external_conversation_id: i.external_conversation_id,
            display_name: i.display_name,
            email_hash: i.email_hash,
            locale: i.locale,
            timezone: i.timezone,
            dpop_jkt: i.dpop_jkt,
            metadata: i.metadata.unwrap_or_default(),
        },
        deployment_id: i.deployment_id,
        channel: i.channel,
        token_family_id: i.token_family_id,
        scopes: i.scopes.map(|s| unique_scopes(&s)),
        ttl_seconds: i.ttl_seconds,
        max_uses: i.max_uses,
    }
}

/// The scopes in the order given, each once.
fn unique_scopes(scopes: &[RuntimeScope]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(scopes.len());
    for s in scopes {
        if !out.iter().any(|o| o == s.as_str()) {
            out.push(s.as_str().to_string());
        }
    }
    out
}

fn all_scopes() -> Vec<String> {
    RuntimeScope::VALUES.iter().map(|s| s.to_string()).collect()
}

/// The input as JSON, which the idempotency key fingerprints.
fn fingerprint<T: Serialize>(input: &T) -> ApiResult<Value> {
    serde_json::to_value(input)
        .map_err(|e| ApiError::internal("the token body could not be read back").with_cause(e.to_string()))
}

/// The token an earlier request with the same key got, or `None` for a new request.
async fn replay(ctx: &Ctx, conn: &mut Conn, tenant_id: &str, idem: &Option<IdemKey>) -> ApiResult<Option<Minted>> {
    let Some(stored) = idempotency::claim(conn, idem, ctx.settings.idempotency_ttl_s).await? else {
        return Ok(None);
    };
    let unreadable = |e: String| ApiError::internal("a stored token answer could not be read").with_cause(e);
    let record: Record = serde_json::from_value(stored).map_err(|e| unreadable(e.to_string()))?;
    let grant = store::get_grant(conn, tenant_id, &record.grant_id)
        .await?
        .ok_or_else(|| unreadable(format!("grant {} is gone", record.grant_id)))?;
    let token = match (record.token_sealed, record.token) {
        (Some(sealed), _) => {
            let plain = ctx.runs.secrets.open(&sealed).map_err(|e| unreadable(e.to_string()))?;
            String::from_utf8(plain).map_err(|e| unreadable(e.to_string()))?
        }
        (None, Some(legacy)) => legacy,
        (None, None) => return Err(unreadable("the record holds no token".into())),
    };
    let issued = Issued { token, grant, rotate_after_seconds: record.rotate_after_seconds };
    Ok(Some(Minted { issued, replayed: true }))
}

/// Records the issued token under the key, in the transaction that issued it.
async fn remember(ctx: &Ctx, conn: &mut Conn, idem: &Option<IdemKey>, issued: &Issued) -> ApiResult<()> {
    let record = Record {
        grant_id: issued.grant.id.clone(),
        token_sealed: Some(ctx.runs.secrets.seal(issued.token.as_bytes())),
        token: None,
        rotate_after_seconds: issued.rotate_after_seconds,
    };
    idempotency::complete(conn, idem, 201, &fingerprint(&record)?).await
}

/// What a new grant is made of.
struct Issue<'a> {
    tenant_id: &'a str,
    app: Option<&'a AppRow>,
    deployment_id: &'a str,
    policy: Option<&'a PolicyRow>,
    family_id: Option<String>,
    session_id: Option<String>,
    end_user: GrantUser,
    channel: String,
    scopes: Vec<String>,
    ttl_seconds: i64,
    max_uses: Option<i64>,
    requested_ttl: Option<i64>,
    requested_max_uses: Option<i64>,
}

/// Creates the family (if needed), session and grant, and signs the token.
async fn issue(ctx: &Ctx, conn: &mut Conn, spec: Issue<'_>) -> ApiResult<Issued> {
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
                status: TokenFamilyStatus::Active.as_str().into(),
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
    let doc = GrantDoc {
        end_user: spec.end_user,
        requested_ttl_seconds: spec.requested_ttl,
        requested_max_uses: spec.requested_max_uses,
    };
    let grant = GrantRow {
        id: new_id(),
        tenant_id: spec.tenant_id.to_string(),
        family_id,
        external_app_id: spec.app.map(|a| a.id.clone()),
        deployment_id: spec.deployment_id.to_string(),
        policy_id: spec.policy.map(|p| p.id.clone()),
        session_id,
        channel: spec.channel,
        scopes: spec.scopes,
        max_uses: spec.max_uses,
        used_count: 0,
        expires_at: now + spec.ttl_seconds * 1000,
        doc,
        created_at: now,
        revoked_at: None,
        revoke_reason: None,
    };
    store::insert_grant(conn, &grant).await?;
    let claims = RuntimeClaims {
        iss: crate::services::auth::ISSUER.into(),
        sub: grant.id.clone(),
        jti: new_id(),
        iat: now / 1000,
        exp: grant.expires_at / 1000,
        ten: grant.tenant_id.clone(),
        fam: grant.family_id.clone(),
        app: grant.external_app_id.clone(),
        dep: grant.deployment_id.clone(),
        ses: grant.session_id.clone(),
        chn: grant.channel.clone(),
        scp: grant.scopes.clone(),
        aud: None,
    };
    let token = ctx.signer.sign(&claims).await?;
    let rotate_after_seconds = spec.policy.and_then(|p| {
        p.doc.auto_rotate_enabled.then(|| {
            let before = p.doc.rotate_before_expiry_seconds.unwrap_or(DEFAULT_ROTATE_BEFORE);
            (spec.ttl_seconds - before).max(0)
        })
    });
    Ok(Issued { token, grant, rotate_after_seconds })
}

/// Deployments that tokens may be minted for (`docs/api/runtime-tokens.md`).
fn check_mintable(d: &DeploymentRow) -> ApiResult<()> {
    use DeploymentStatus::{Active, Pending, Superseded};
    match d.status.parse() {
        Ok(Pending | Active | Superseded) => Ok(()),
        _ => Err(ApiError::conflict(
            "DEPLOYMENT_NOT_ACTIVE",
            format!("tokens cannot be minted for a {} deployment", d.status),
        )
        .with_details(json!({ "status": d.status }))),
    }
}

/// An external app's tokens are minted and used only while it is ACTIVE.
pub(crate) fn check_app_active(app: &AppRow) -> ApiResult<()> {
    if app.status != ExternalAppStatus::Active.as_str() {
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
    if p.status != PolicyStatus::Active.as_str() {
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
        Some(f)
            if f.status == TokenFamilyStatus::Active.as_str()
                && f.app_key == app_key
                && f.deployment_id == deployment_id =>
        {
            Ok(f)
        }
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
    let policy_ttl = policy.doc.token_ttl_seconds;
    let mut ttl = requested_ttl.or(policy_ttl).or(app.doc.token_ttl_seconds).unwrap_or(DEFAULT_TTL);
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
    let policy_uses = policy.doc.max_uses_per_token;
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

fn channel_or_server(channel: Option<RuntimeTokenChannel>) -> String {
    channel.unwrap_or(RuntimeTokenChannel::Server).as_str().to_string()
}

/// E25. The body is checked once the app is found (an unknown app is a 404 whatever
/// the body holds); an empty `quotaPolicyId` is one not given.
pub(crate) async fn mint(
    ctx: &Ctx,
    caller: &Caller,
    app_id: &str,
    input: ApiResult<RuntimeTokenCreateInput>,
) -> ApiResult<Minted> {
    let mut tx = ctx.db.write().await?;
    let app = super::apps::load(tx.conn(), &caller.tenant_id, app_id).await?;
    let input = input?;
    let idem = idempotency::key(scope_of(caller, Operation::MintToken, app_id), &fingerprint(&input)?)?;
    if let Some(replayed) = replay(ctx, tx.conn(), &caller.tenant_id, &idem).await? {
        return Ok(replayed);
    }
    let (policy_id, input) = split_create(input)?;
    let mut p = Problems::default();
    if !policy_id.is_empty() {
        p.text("quotaPolicyId", &policy_id, ID_MAX, false);
    }
    let input = check_mint(&mut p, input);
    p.finish()?;
    if policy_id.is_empty() {
        return Err(ApiError::unprocessable("QUOTA_POLICY_REQUIRED", "quotaPolicyId", "is required"));
    }
    let deployment = load_deployment_ref(tx.conn(), &caller.tenant_id, &input.deployment_id).await?;
    let binding = load_binding(tx.conn(), &app, &deployment.id).await?;
    let policy = load_policy(tx.conn(), &caller.tenant_id, &policy_id, &app.id, &deployment.id).await?;
    let (ttl, max_uses) = limits(input.ttl_seconds, input.max_uses, &policy, &app, false)?;
    if let Some(fid) = &input.token_family_id {
        check_family(tx.conn(), &caller.tenant_id, fid, &app.id, &deployment.id).await?;
    }
    check_app_active(&app)?;
    check_mintable(&deployment)?;
    let channel = channel_or_server(input.channel);
    check_channel(&binding, &channel)?;
    let issued = issue(
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
    remember(ctx, tx.conn(), &idem, &issued).await?;
    tx.commit().await?;
    Ok(Minted { issued, replayed: false })
}

/// E14 / E118: the body is checked once the agent is found.
pub(crate) async fn playground(
    ctx: &Ctx,
    caller: &Caller,
    agent_id: &str,
    input: ApiResult<PlaygroundRuntimeTokenInput>,
) -> ApiResult<Minted> {
    let mut tx = ctx.db.write().await?;
    let agent = crate::services::agents::load(tx.conn(), &caller.tenant_id, agent_id).await?;
    let input = input?;
    let idem = idempotency::key(scope_of(caller, Operation::MintPlaygroundToken, agent_id), &fingerprint(&input)?)?;
    if let Some(replayed) = replay(ctx, tx.conn(), &caller.tenant_id, &idem).await? {
        return Ok(replayed);
    }
    let mut p = Problems::default();
    let input = check_mint(&mut p, input);
    p.finish()?;
    let deployment = load_deployment_ref(tx.conn(), &caller.tenant_id, &input.deployment_id).await?;
    if deployment.agent_id != agent.id {
        return Err(ApiError::invalid("deploymentId", "is not a deployment of this agent"));
    }
    if let Some(fid) = &input.token_family_id {
        check_family(tx.conn(), &caller.tenant_id, fid, "", &deployment.id).await?;
    }
    check_mintable(&deployment)?;
    let ttl = input.ttl_seconds.unwrap_or(DEFAULT_TTL);
    let issued = issue(
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
            channel: channel_or_server(input.channel),
            scopes: input.scopes.unwrap_or_else(all_scopes),
            ttl_seconds: ttl,
            max_uses: input.max_uses,
            requested_ttl: input.ttl_seconds,
            requested_max_uses: input.max_uses,
        },
    )
    .await?;
    remember(ctx, tx.conn(), &idem, &issued).await?;
    tx.commit().await?;
    Ok(Minted { issued, replayed: false })
}

/// E15: a playground token for the newest ACTIVE deployment and a generated user.
pub(crate) async fn playground_default(ctx: &Ctx, caller: &Caller, agent_id: &str) -> ApiResult<Issued> {
    let mut tx = ctx.db.write().await?;
    let agent = crate::services::agents::load(tx.conn(), &caller.tenant_id, agent_id).await?;
    let deployment = crate::services::deployments::newest_active(tx.conn(), &caller.tenant_id, &agent.id).await?;
    let issued = issue(
        ctx,
        tx.conn(),
        Issue {
            tenant_id: &caller.tenant_id,
            app: None,
            deployment_id: &deployment.id,
            policy: None,
            family_id: None,
            session_id: None,
            end_user: GrantUser {
                external_user_id: Some(format!("playground-{}", random_hex(4))),
                ..Default::default()
            },
            channel: channel_or_server(None),
            scopes: all_scopes(),
            ttl_seconds: DEFAULT_TTL,
            max_uses: None,
            requested_ttl: None,
            requested_max_uses: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

/// E27: successor of a token in the same family; the previous grant is revoked.
pub(crate) async fn rotate(ctx: &Ctx, caller: &Caller, input: RotateRuntimeTokenInput) -> ApiResult<Minted> {
    let mut tx = ctx.db.write().await?;
    let idem = idempotency::key(scope_of(caller, Operation::RotateToken, ""), &fingerprint(&input)?)?;
    if let Some(replayed) = replay(ctx, tx.conn(), &caller.tenant_id, &idem).await? {
        return Ok(replayed);
    }
    let mut p = Problems::default();
    p.text("previousToken", &input.previous_token, 8192, false);
    p.finish()?;
    let unknown = || ApiError::unauthorized("previousToken was not issued by this server");
    let claims = ctx.signer.verify::<RuntimeClaims>(&input.previous_token).await?.ok_or_else(unknown)?;
    if claims.ten != caller.tenant_id {
        return Err(unknown());
    }
    let old = store::get_grant(tx.conn(), &caller.tenant_id, &claims.sub).await?.ok_or_else(unknown)?;
    let family = store::get_family(tx.conn(), &caller.tenant_id, &old.family_id).await?.ok_or_else(unknown)?;
    if old.revoked_at.is_some() || family.status != TokenFamilyStatus::Active.as_str() {
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
    let (requested_ttl, requested_uses) = (old.doc.requested_ttl_seconds, old.doc.requested_max_uses);
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
    let issued = issue(
        ctx,
        tx.conn(),
        Issue {
            tenant_id: &caller.tenant_id,
            app: app.as_ref(),
            deployment_id: &deployment.id,
            policy: policy.as_ref(),
            family_id: Some(family.id.clone()),
            session_id: Some(old.session_id.clone()),
            end_user: old.doc.end_user.clone(),
            channel: old.channel.clone(),
            scopes: old.scopes.clone(),
            ttl_seconds: ttl,
            max_uses,
            requested_ttl,
            requested_max_uses: requested_uses,
        },
    )
    .await?;
    remember(ctx, tx.conn(), &idem, &issued).await?;
    tx.commit().await?;
    Ok(Minted { issued, replayed: false })
}

fn revoked() -> ApiError {
    ApiError::new(
        http::StatusCode::UNAUTHORIZED,
        "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED",
        "the runtime token has been revoked",
    )
}

/// E26: rotate from the app's side by end-user `uniqueId`. The body is checked once
/// the app is found.
pub(crate) async fn rotate_by_unique_id(
    ctx: &Ctx,
    caller: &Caller,
    app_id: &str,
    input: ApiResult<RotateByUniqueIdInput>,
) -> ApiResult<Minted> {
    let mut tx = ctx.db.write().await?;
    let app = super::apps::load(tx.conn(), &caller.tenant_id, app_id).await?;
    let input = input?;
    let idem = idempotency::key(scope_of(caller, Operation::RotateTokenByUniqueId, app_id), &fingerprint(&input)?)?;
    if let Some(replayed) = replay(ctx, tx.conn(), &caller.tenant_id, &idem).await? {
        return Ok(replayed);
    }
    let mut p = Problems::default();
    p.text("deploymentId", &input.deployment_id, ID_MAX, false);
    p.text("uniqueId", &input.unique_id, USER_MAX, false);
    for (field, value) in [("tokenFamilyId", &input.token_family_id), ("quotaPolicyId", &input.quota_policy_id)] {
        if let Some(v) = value {
            p.text(field, v, ID_MAX, false);
        }
    }
    p.finish()?;
    let deployment = load_deployment_ref(tx.conn(), &caller.tenant_id, &input.deployment_id).await?;
    let binding = load_binding(tx.conn(), &app, &deployment.id).await?;
    let unique_hash = sha256_hex(&input.unique_id);
    let family = match &input.token_family_id {
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
    let Some(policy_id) = input.quota_policy_id.or_else(|| newest.as_ref().and_then(|g| g.policy_id.clone())) else {
        return Err(ApiError::unprocessable(
            "QUOTA_POLICY_REQUIRED",
            "quotaPolicyId",
            "is required (the family has no earlier grant to copy it from)",
        ));
    };
    let policy = load_policy(tx.conn(), &caller.tenant_id, &policy_id, &app.id, &deployment.id).await?;
    let mut end_user = newest.as_ref().map(|g| g.doc.end_user.clone()).unwrap_or_default();
    end_user.unique_id_hash = Some(unique_hash);
    let requested_ttl = newest.as_ref().and_then(|g| g.doc.requested_ttl_seconds);
    let requested_uses = newest.as_ref().and_then(|g| g.doc.requested_max_uses);
    let (ttl, max_uses) = limits(requested_ttl, requested_uses, &policy, &app, true)?;
    let channel = newest.as_ref().map(|g| g.channel.clone()).unwrap_or_else(|| channel_or_server(None));
    let scopes = newest.as_ref().map(|g| g.scopes.clone()).unwrap_or_else(all_scopes);
    check_app_active(&app)?;
    check_mintable(&deployment)?;
    check_channel(&binding, &channel)?;
    if let Some(fam) = &family {
        store::revoke_family_grants(tx.conn(), &fam.id, "rotated", now_ms()).await?;
    }
    let issued = issue(
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
    remember(ctx, tx.conn(), &idem, &issued).await?;
    tx.commit().await?;
    Ok(Minted { issued, replayed: false })
}

#[cfg(test)]
mod tests {
    use super::{Record, RuntimeClaims};
    use serde_json::json;

    #[test]
    fn runtime_claims_keep_their_form_and_read_only_what_the_checks_need() {
        let claims = RuntimeClaims {
            iss: "zaby".into(),
            sub: "g1".into(),
            jti: "j1".into(),
            iat: 1,
            exp: 2,
            ten: "t1".into(),
            fam: "f1".into(),
            app: None,
            dep: "d1".into(),
            ses: "s1".into(),
            chn: "web".into(),
            scp: vec!["managed-agents:runtime:run".into()],
            aud: None,
        };
        // As the server signed them before the claims were typed: every member, in this order.
        assert_eq!(
            serde_json::to_string(&claims).unwrap(),
            r#"{"iss":"zaby","sub":"g1","jti":"j1","iat":1,"exp":2,"ten":"t1","fam":"f1","app":null,"dep":"d1","ses":"s1","chn":"web","scp":["managed-agents:runtime:run"]}"#
        );
        let tenant: RuntimeClaims =
            serde_json::from_value(json!({"iss": "zaby", "sub": "u1", "ten": "t1", "aud": "zaby-tenant"})).unwrap();
        assert!(tenant.aud.is_some(), "a tenant token is told apart by its audience");
        assert!(serde_json::from_value::<RuntimeClaims>(json!({"iss": "zaby", "ten": "t1"})).is_err(), "no grant");
    }

    #[test]
    fn an_idempotency_record_keeps_the_token_sealed_and_still_reads_an_older_clear_one() {
        let record = Record {
            grant_id: "g1".into(),
            token_sealed: Some("v1:nonce:ciphertext".into()),
            token: Some("eyJ.secret.jwt".into()),
            rotate_after_seconds: None,
        };
        let stored = serde_json::to_value(&record).unwrap();
        assert_eq!(stored, json!({"grantId": "g1", "tokenSealed": "v1:nonce:ciphertext", "rotateAfterSeconds": null}));
        let older: Record =
            serde_json::from_value(json!({"grantId": "g1", "token": "eyJ.old", "rotateAfterSeconds": 60})).unwrap();
        assert_eq!((older.token.as_deref(), older.token_sealed), (Some("eyJ.old"), None));
    }
}
