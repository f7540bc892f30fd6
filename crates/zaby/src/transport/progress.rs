//! Upload progress: the per-call callback of [`ZabyRequest::on_upload_progress`] and the
//! chunked body that reports through it.
//!
//! [`ZabyRequest::on_upload_progress`]: crate::ZabyRequest::on_upload_progress

use std::fmt;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use futures::Stream;

/// Size of the pieces a body is sent in when its progress is watched.
pub(crate) const UPLOAD_CHUNK: usize = 64 * 1024;

/// A callback told `(bytes_sent, bytes_total)` of the request body while it is sent.
/// Each attempt starts again at 0 (a retry sends the whole body again).
#[derive(Clone)]
pub struct UploadProgress(Arc<dyn Fn(u64, u64) + Send + Sync>);

impl UploadProgress {
    pub fn new(report: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        UploadProgress(Arc::new(report))
    }

    pub fn report(&self, sent: u64, total: u64) {
        (self.0)(sent, total)
    }

    /// `body` as a stream of [`UPLOAD_CHUNK`]-sized pieces: 0 is reported first, then the
    /// count as each piece is handed to the connection, ending at `body.len()`. The
    /// connection asks for a piece once the previous one is written, so the count runs
    /// at most one piece ahead of the socket. (A sized body is not polled past its
    /// length, so the last report cannot wait for the end of the stream.)
    pub fn chunked(&self, body: Bytes) -> impl Stream<Item = Bytes> + Send + 'static {
        let progress = self.clone();
        let total = body.len() as u64;
        progress.report(0, total);
        let mut offset = 0usize;
        futures::stream::poll_fn(move |_| {
            if offset == body.len() {
                return Poll::Ready(None);
            }
            let end = (offset + UPLOAD_CHUNK).min(body.len());
            let piece = body.slice(offset..end);
            offset = end;
            progress.report(offset as u64, total);
            Poll::Ready(Some(piece))
        })
    }
}

impl fmt::Debug for UploadProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UploadProgress(..)")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures::StreamExt;

    use super::*;

    #[tokio::test]
    async fn chunks_report_every_piece_and_end_at_the_length() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let progress = UploadProgress::new(move |sent, total| log.lock().unwrap().push((sent, total)));
        let body = Bytes::from(vec![7u8; UPLOAD_CHUNK * 2 + 10]);
        let pieces: Vec<Bytes> = progress.chunked(body.clone()).collect().await;
        assert_eq!(pieces.iter().map(Bytes::len).collect::<Vec<_>>(), [UPLOAD_CHUNK, UPLOAD_CHUNK, 10]);
        assert_eq!(pieces.concat(), body.to_vec());
        let total = body.len() as u64;
        let chunk = UPLOAD_CHUNK as u64;
        assert_eq!(*seen.lock().unwrap(), [(0, total), (chunk, total), (2 * chunk, total), (total, total)]);
    }

    #[tokio::test]
    async fn an_empty_body_reports_zero_of_zero_once() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let progress = UploadProgress::new(move |sent, total| log.lock().unwrap().push((sent, total)));
        let pieces: Vec<Bytes> = progress.chunked(Bytes::new()).collect().await;
        assert!(pieces.is_empty());
        assert_eq!(*seen.lock().unwrap(), [(0, 0)]);
    }
}
