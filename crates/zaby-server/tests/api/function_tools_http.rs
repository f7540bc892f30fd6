//! Function tools run over HTTP (docs/function-tools.md): the agent's signing secret,
//! shown once and rotated.

use serde_json::json;
use zaby_server::testing::sql::{Arg, scalar_i64};

use crate::common::{TestServer, expect_err};
use crate::on_both;

on_both!(the_secret_is_shown_once_and_rotated);

async fn the_secret_is_shown_once_and_rotated(s: TestServer) {
    let z = s.zaby();
    let a = z.agents().create(json!({"slug": "secret-once", "name": "secret-once"})).json().await.unwrap();
    let secret = a["functionToolSecret"].as_str().expect("the secret is in the create answer").to_string();
    let id = a["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
    let got = z.agents().get(&id).json().await.unwrap();
    assert!(got.get("functionToolSecret").is_none(), "{got}");
    let listed = z.agents().list(json!({})).json().await.unwrap();
    assert!(listed["items"].as_array().unwrap().iter().all(|a| a.get("functionToolSecret").is_none()));
    let updated = z.agents().update(&id, json!({"name": "renamed"})).json().await.unwrap();
    assert!(updated.get("functionToolSecret").is_none(), "{updated}");
    let rotated = z.agents().update(&id, json!({"rotateFunctionToolSecret": true})).json().await.unwrap();
    let new_secret = rotated["functionToolSecret"].as_str().unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    let quiet = z.agents().update(&id, json!({"rotateFunctionToolSecret": false})).json().await.unwrap();
    assert!(quiet.get("functionToolSecret").is_none(), "{quiet}");
    expect_err(z.agents().update(&id, json!({"rotateFunctionToolSecret": "yes"})).json(), 422, "VALIDATION_ERROR")
        .await;
    // Stored sealed: one row for the agent, and neither secret in it in the clear.
    let mut conn = s.ctx().db.read().await.unwrap();
    let rows = "SELECT COUNT(*) FROM agent_tool_secrets WHERE agent_id = $1";
    assert_eq!(scalar_i64(&mut conn, rows, vec![Arg::from(&id)]).await.unwrap(), 1);
    let clear = "SELECT COUNT(*) FROM agent_tool_secrets WHERE secret_sealed LIKE $1 OR previous_secret_sealed LIKE $1";
    for text in [secret.as_str(), new_secret] {
        let pattern = format!("%{}%", text.trim_start_matches("whsec_"));
        let found = scalar_i64(&mut conn, clear, vec![Arg::from(&pattern)]).await.unwrap();
        assert_eq!(found, 0, "a secret is stored in the clear");
    }
    drop(conn);
    // A deleted agent's secrets go with it.
    z.agents().delete(&id, None).json().await.unwrap();
    let mut conn = s.ctx().db.read().await.unwrap();
    assert_eq!(scalar_i64(&mut conn, rows, vec![Arg::from(&id)]).await.unwrap(), 0);
}
