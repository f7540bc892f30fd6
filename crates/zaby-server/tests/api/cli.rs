//! The binary: `--version` and the admin subcommands, then the server accepting
//! what they created.

use std::process::Command;

use serde_json::json;

fn cli(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zaby-server"))
        .current_dir(dir)
        .env_remove("ZABY_BOOTSTRAP_API_KEY")
        .env_remove("ZABY_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("run zaby-server");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, _) = cli(d, &["--version"]);
    assert!(ok && out.contains(env!("CARGO_PKG_VERSION")), "{out}");
    // First use creates the default tenant and prints its key once.
    let (ok, tenants, err) = cli(d, &["tenants", "list"]);
    assert!(ok, "{err}");
    let key_file = d.join(".zaby/dev-api-key");
    let bootstrap_key = std::fs::read_to_string(&key_file).unwrap().trim().to_string();
    assert!(bootstrap_key.starts_with("zaby_pk_"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(tenants.contains("(default)"), "{tenants}");
    let (ok, again, _) = cli(d, &["tenants", "list"]);
    assert!(ok && !again.contains("zaby_pk_"), "the key is shown once");
    let (ok, tenant, err) = cli(d, &["tenants", "create", "--name", "acme"]);
    assert!(ok, "{err}");
    let (ok, key, err) = cli(
        d,
        &[
            "keys",
            "create",
            "--tenant",
            &tenant,
            "--scopes",
            "managed-agents:manage,provisioning:manage",
            "--expires-in",
            "1h",
        ],
    );
    assert!(ok && key.starts_with("zaby_pk_"), "{err}");
    let (ok, scoped, _) = cli(d, &["keys", "create", "--tenant", &tenant, "--scopes", "mcp:invoke"]);
    assert!(ok);
    let (ok, listing, _) = cli(d, &["keys", "list", "--tenant", &tenant]);
    assert!(ok && !listing.contains(&key), "secrets are never listed");
    assert_eq!(listing.lines().count(), 2);
    let scoped_id = listing.lines().find(|l| l.contains("mcp:invoke")).unwrap().split('\t').next().unwrap().to_string();
    let (ok, _, _) = cli(d, &["keys", "revoke", &scoped_id]);
    assert!(ok);
    let (ok, _, err) = cli(d, &["keys", "create", "--tenant", &tenant, "--scopes", "everything"]);
    assert!(!ok && err.contains("unknown scope"));
    let (ok, _, _) = cli(d, &["keys", "create", "--tenant", "no-such-tenant"]);
    assert!(!ok);
    let (ok, token, err) =
        cli(d, &["tokens", "issue-tenant", "--tenant", &tenant, "--user", "bob", "--ttl-seconds", "600"]);
    assert!(ok, "{err}");
    let (ok, _, _) =
        cli(d, &["tokens", "issue-tenant", "--tenant", &tenant, "--user", "bob", "--ttl-seconds", "90000"]);
    assert!(!ok, "ttl is bounded to 86400");
    let (ok, rotated, err) = cli(d, &["signing-keys", "rotate"]);
    assert!(ok && rotated.contains("new signing key"), "{err}");

    // The server on the same state accepts the key and the token (signed before rotation).
    let settings = zaby_server::Settings {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", d.join(".zaby/zaby.db").display()),
        state_dir: d.join(".zaby"),
        ..zaby_server::Settings::default()
    };
    let server = zaby_server::start(settings).await.unwrap();
    let config = zaby::ZabyGlobalConfig {
        api_origin: Some(format!("http://{}", server.addr)),
        retries: Some(zaby::config::Retries::Count(0)),
        ..Default::default()
    };
    let z = zaby::Zaby::builder().api_key(key.clone()).config(config.clone()).build().unwrap();
    z.agents().create(json!({"slug": "acme-bot", "name": "Acme"})).json().await.unwrap();
    let s = zaby::Zaby::builder().api_key(scoped).config(config.clone()).build().unwrap();
    let e = s.agents().list(None).json().await.unwrap_err();
    assert_eq!(e.status(), Some(401), "revoked key");
    let t = zaby::Zaby::builder().access_token(token).config(config.clone()).build().unwrap();
    let listed = t.tenant_agents().list(None).json().await.unwrap();
    assert_eq!(listed["total"], 1, "same tenant as the key");
    let b = zaby::Zaby::builder().api_key(bootstrap_key).config(config).build().unwrap();
    assert_eq!(b.agents().list(None).json().await.unwrap()["total"], 0, "default tenant sees nothing of acme");
    server.shutdown().await;
}

/// A zero that would leave the server unable to serve stops it before it starts,
/// naming the setting, whether it comes from the environment or the config file.
#[test]
fn settings_that_would_disable_the_server_stop_it() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ZABY_MAX_CONNECTIONS", "ZABY_HEADER_READ_TIMEOUT_MS", "ZABY_MAX_OBJECT_BYTES", "ZABY_MAX_PAGE_BYTES"]
    {
        let out = Command::new(env!("CARGO_BIN_EXE_zaby-server"))
            .current_dir(dir.path())
            .env(name, "0")
            .arg("serve")
            .output()
            .expect("run zaby-server");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}=0 started");
        assert!(stderr.contains(&format!("error: {name} must be at least 1")), "{name}: {stderr}");
    }
    std::fs::write(dir.path().join("zaby-server.toml"), "max_page_bytes = 0\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_zaby-server")).current_dir(dir.path()).arg("serve").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: ZABY_MAX_PAGE_BYTES must be at least 1"));
}
