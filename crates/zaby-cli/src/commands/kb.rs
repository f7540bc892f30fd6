//! `zaby kb …`: knowledge bases — create, upload files with a progress bar each, search.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use zaby::Zaby;

use crate::cli::KbCmd;
use crate::error::{CliError, CliResult};
use crate::output::{DIM, GREEN, Out, outln, text};

/// Pause between two reads of an ingestion job.
const JOB_POLL: Duration = Duration::from_millis(200);
/// Longest wait for one file's ingestion.
const JOB_WAIT: Duration = Duration::from_secs(300);

pub(crate) async fn run(z: &Zaby, cmd: KbCmd, out: Out) -> CliResult {
    match cmd {
        KbCmd::Create { name } => {
            let kb = z.knowledge_bases().create(json!({ "name": name })).json().await?;
            out.show(&kb, |o| {
                format!("{} knowledge base {} ({})", o.paint(GREEN, "created"), text(&kb, "slug"), text(&kb, "id"))
            });
        }
        KbCmd::Upload { kb, files } => upload(z, out, &kb, &files).await?,
        KbCmd::Search { kb, query, top_k } => {
            let found = z.knowledge_bases().retrieve(&kb, json!({ "query": query, "topK": top_k })).json().await?;
            out.show(&found, |o| {
                let items = found["items"].as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    return format!("nothing found for {query:?}");
                }
                let lines: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let score = c["score"].as_f64().unwrap_or_default();
                        let head =
                            o.paint(crate::output::BOLD, &format!("{}. {} ({score:.3})", i + 1, text(c, "title")));
                        format!("{head}\n   {}", text(c, "content").replace('\n', "\n   "))
                    })
                    .collect();
                lines.join("\n")
            });
        }
    }
    Ok(())
}

/// Every file, one after the other: its bar counts the bytes sent, then follows the
/// ingestion job until the document is searchable. `--json` prints the final jobs.
async fn upload(z: &Zaby, out: Out, kb: &str, files: &[std::path::PathBuf]) -> CliResult {
    // Read everything first so a missing file fails before anything is uploaded.
    let mut docs = Vec::new();
    for path in files {
        let content = std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
        docs.push((path.as_path(), content));
    }
    let bars = MultiProgress::new();
    if out.json {
        bars.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template("{prefix:20!} [{bar:25}] {bytes:>9}/{total_bytes:<9} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let mut jobs = Vec::new();
    for (path, content) in docs {
        let bar = bars.add(ProgressBar::new(content.len() as u64).with_style(style.clone()));
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        bar.set_prefix(name.clone());
        bar.set_message("uploading");
        let input = json!({ "title": name, "filename": name, "fileType": file_type(path), "content": content });
        // The bar counts the bytes of the request body (the file in its JSON envelope).
        let sent = Arc::new(AtomicU64::new(0));
        let report = {
            let (bar, sent) = (bar.clone(), sent.clone());
            move |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
                sent.store(done, Ordering::Relaxed);
            }
        };
        let doc = z.knowledge_bases().upload_text_document(kb, input).on_upload_progress(report).json().await?;
        let sent = sent.load(Ordering::Relaxed);
        let job = follow_job(z, kb, &text(&doc, "jobId"), &bar).await?;
        let status = text(&job, "status");
        if status != "COMPLETED" {
            bar.abandon_with_message(status.clone());
            let why = job["error"]["message"].as_str().unwrap_or("no reason given");
            return Err(CliError::Failed(format!("ingestion of {name} ended {status}: {why}")));
        }
        bar.finish_with_message(out.paint(GREEN, "ready"));
        // Without a terminal the bars are not drawn: the finished bar as a line instead.
        if !out.json && bar.is_hidden() {
            let id = out.paint(DIM, &text(&doc, "id"));
            outln!("{} {name}: {sent} bytes sent, ingestion {status} {id}", out.paint(GREEN, "ready"));
        }
        jobs.push(job);
    }
    if out.json {
        out.json(&Value::Array(jobs));
    }
    Ok(())
}

async fn follow_job(z: &Zaby, kb: &str, job_id: &str, bar: &ProgressBar) -> CliResult<Value> {
    let deadline = tokio::time::Instant::now() + JOB_WAIT;
    loop {
        let job = z.knowledge_bases().get_job(kb, job_id).json().await?;
        let status = text(&job, "status");
        if matches!(status.as_str(), "COMPLETED" | "FAILED" | "CANCELLED") {
            return Ok(job);
        }
        let progress = job["progress"].as_f64().unwrap_or_default() * 100.0;
        bar.set_message(format!("ingesting: {status} {progress:.0}%"));
        if tokio::time::Instant::now() > deadline {
            return Err(CliError::Failed(format!(
                "ingestion job {job_id} is still {status} after {} s",
                JOB_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(JOB_POLL).await;
    }
}

/// The document type the server knows for this file name (`docs/api/types.md` `FileType`).
fn file_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("md" | "markdown") => "MD",
        Some("html" | "htm") => "HTML",
        Some("json") => "JSON",
        Some("csv") => "CSV",
        _ => "TXT",
    }
}
