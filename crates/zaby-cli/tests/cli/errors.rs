//! Error output and exit codes: 2 for usage errors, 1 for API errors, and
//! `error: <message> (<code>, request <id>)` on stderr.

use std::process::Output;

use crate::dev::{Dev, zaby_command};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn errors_and_exit_codes() {
    let dev = Dev::start();

    // An API error names message, code and request id, and exits 1.
    let missing = dev.run(&["runs", "get", "no-such-run"]);
    let err = stderr(&missing);
    assert_eq!(missing.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: ") && err.contains(" (NOT_FOUND, request "), "{err}");
    assert!(missing.stdout.is_empty(), "nothing on stdout");

    let refused = dev.command(&["agents", "list"]).env("ZABY_API_KEY", "zaby_pk_notthekeynotthekey").output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("(UNAUTHORIZED, request "), "{}", stderr(&refused));
    // `status` says the key is refused, and exits 1.
    let status = dev.command(&["status"]).env("ZABY_API_KEY", "zaby_pk_notthekeynotthekey").output().unwrap();
    assert_eq!(status.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&status.stdout).contains("refused"));

    // Usage errors exit 2: unknown command, missing argument, bad JSON, unreadable file.
    for args in [
        &["agents", "frobnicate"][..],
        &["agents", "create", "--slug", "x"],
        &["mcp", "call", "zaby-builtin", "sum", "not json"],
        &["mcp", "call", "zaby-builtin", "sum", "[1]"],
        &["agents", "create", "--slug", "x", "--name", "X", "--instructions", "@missing.txt"],
        &["kb", "upload", "kb", "missing.md"],
    ] {
        let out = dev.run(args);
        assert_eq!(out.status.code(), Some(2), "zaby {args:?}: {}", stderr(&out));
        assert!(stderr(&out).starts_with("error"), "zaby {args:?}: {}", stderr(&out));
    }

    // Nothing configured and no local server key in this folder: a usage error that
    // points at `zaby dev`.
    let empty = tempfile::tempdir().unwrap();
    let lost = zaby_command(empty.path()).args(["agents", "list"]).output().unwrap();
    assert_eq!(lost.status.code(), Some(2));
    assert!(stderr(&lost).contains("zaby dev"), "{}", stderr(&lost));
    // An origin without a key is one too.
    let half =
        zaby_command(empty.path()).args(["agents", "list"]).env("ZABY_API_ORIGIN", &dev.origin).output().unwrap();
    assert_eq!(half.status.code(), Some(2));
    // In the folder of `zaby dev`, its key file is used (origin 127.0.0.1:9080, which
    // this test's server does not listen on: refused there, exit 1).
    let local = zaby_command(dev.dir.path()).args(["agents", "list"]).output().unwrap();
    assert_eq!(local.status.code(), Some(1));
    let why = stderr(&local);
    assert!(why.contains("(CONNECTION_ERROR)") || why.contains("(UNAUTHORIZED, request "), "{why}");
    // The flags win over the environment.
    let flags = dev
        .command(&["agents", "list", "--json", "--api-key", &dev.key])
        .env("ZABY_API_KEY", "zaby_pk_notthekeynotthekey")
        .output()
        .unwrap();
    assert!(flags.status.success(), "{}", stderr(&flags));

    // Help has examples; completions are scripts for the shell.
    let help = dev.text(&["--help"]);
    assert!(help.contains("Examples:") && help.contains("zaby chat helper --message"), "{help}");
    assert!(dev.text(&["agents", "deploy", "--help"]).contains("Example: zaby agents deploy helper --wait"));
    assert!(dev.text(&["completions", "bash"]).contains("_zaby()"));
    assert!(dev.text(&["completions", "zsh"]).contains("#compdef zaby"));
    assert!(dev.text(&["completions", "fish"]).contains("complete -c zaby"));

    // A reader that stops early (`zaby completions bash | head -1`) is no crash.
    let mut piped = dev.command(&["completions", "bash"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    drop(piped.stdout.take());
    assert!(piped.wait().unwrap().success());
}
