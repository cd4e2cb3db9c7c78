//! Satchel's side of the relay: deposit a sealed bundle into a peer's mailbox
//! (resumable, a SHA-256 checksum per chunk), and list, download (resumable) and
//! delete what waits in this device's own. Through a SOCKS5 proxy when one is given,
//! with names resolved by the proxy (`socks5h`), and never a direct connection
//! then; no system proxy is ever used unasked. TLS through rustls, with the
//! platform's roots.
//!
//! The API is blocking (the CLI and the app's sync thread call it); underneath, each
//! request is an async reqwest request raced against the stop flag on a small tokio
//! runtime of the client's own. A stop drops the request, which closes its
//! connection at once, whatever the link is doing.

use std::future::Future;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use std::time::Duration;

use sha2::Digest;

/// Bytes sent per PATCH.
pub const CHUNK: usize = 1 << 20;

/// Why a relay request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The relay could not be reached, or the connection broke: try again later;
    /// an upload resumes where it stopped.
    #[error("the relay could not be reached: {0}")]
    Network(String),
    /// No such mailbox, or the token is not its.
    #[error("the relay knows no such mailbox, or the token is wrong")]
    NotFound,
    /// The mailbox is full, or the bundle larger than it may hold.
    #[error("the mailbox is full")]
    Full,
    /// Too many requests: wait a minute.
    #[error("the relay asks to wait before trying again")]
    RateLimited,
    /// Anything else the relay answered.
    #[error("the relay refused the request ({0})")]
    Refused(u16),
    /// The proxy address is not a SOCKS5 URL.
    #[error("the proxy must be socks5h://HOST:PORT")]
    BadProxy,
    /// The relay's address is not an `http://` or `https://` URL.
    #[error("the relay's address must be an https:// URL")]
    BadUrl,
    /// Registration refused: closed on this relay, or the token is wrong.
    #[error("the relay refused to make a mailbox: registration is closed or the token is wrong")]
    RegistrationRefused,
    /// Stopped on request (a lock, the panic key, Cancel).
    #[error("stopped")]
    Stopped,
    /// Reading the bundle to send, or writing the one received, failed.
    #[error("reading or writing the bundle failed: {0}")]
    Local(std::io::Error),
}

fn net(e: reqwest::Error) -> ClientError {
    // The URL (a mailbox id) is left out of what is said.
    ClientError::Network(e.without_url().to_string())
}

fn status(code: u16) -> ClientError {
    match code {
        404 => ClientError::NotFound,
        413 | 507 => ClientError::Full,
        403 => ClientError::RegistrationRefused,
        429 => ClientError::RateLimited,
        other => ClientError::Refused(other),
    }
}

/// A stop flag, raised from another thread: a transfer ends within one read.
pub type Stop = Option<Arc<AtomicBool>>;

fn stopped(stop: &Stop) -> bool {
    stop.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// A mailbox the relay made on request.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewMailbox {
    /// Its id, hex.
    pub mailbox: String,
    /// The deposit token.
    pub deposit: String,
    /// The collect token.
    pub collect: String,
}

/// Makes ring this process's TLS provider (the only one built in), once; anything
/// else in the process that builds a reqwest client needs it first.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A relay, as this device reaches it.
pub struct RelayClient {
    http: reqwest::Client,
    /// Taken only when the client is dropped.
    rt: Option<tokio::runtime::Runtime>,
    base: String,
    stop: Stop,
}

fn header_u64(r: &reqwest::Response, name: &str) -> Option<u64> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// What one request brought back, read whole on the thread that made it.
struct Answer {
    status: u16,
    offset: Option<u64>,
    length: Option<u64>,
    location: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    async fn read(mut r: reqwest::Response, limit: u64) -> Result<Self, ClientError> {
        let mut body = Vec::new();
        let status = r.status().as_u16();
        let (offset, length) = (
            header_u64(&r, "upload-offset"),
            header_u64(&r, "upload-length"),
        );
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        while let Some(piece) = r.chunk().await.map_err(net)? {
            if body.len() as u64 + piece.len() as u64 > limit {
                return Err(ClientError::Refused(status));
            }
            body.extend_from_slice(&piece);
        }
        Ok(Self {
            status,
            offset,
            length,
            location,
            body,
        })
    }
}

impl RelayClient {
    /// A client of the relay at `base` (`https://…`, or `http://` for a relay on a
    /// LAN or loopback), through `proxy` (`socks5h://HOST:PORT`) if given.
    pub fn new(base: &str, proxy: Option<&str>) -> Result<Self, ClientError> {
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ClientError::BadUrl);
        }
        install_tls_provider();
        let mut b = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(20))
            // One request carries at most a chunk: a link that stalls ends it.
            .timeout(Duration::from_secs(180))
            .user_agent("satchel");
        if let Some(p) = proxy {
            if !p.starts_with("socks5h://") {
                return Err(ClientError::BadProxy);
            }
            b = b.proxy(reqwest::Proxy::all(p).map_err(|_| ClientError::BadProxy)?);
        }
        // Two workers carry the connections of every request, however many
        // threads call in; the callers' own threads wait on the answers.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("relay-client")
            .enable_all()
            .build()
            .map_err(ClientError::Local)?;
        // reqwest's client is made inside the runtime it will run on.
        let http = {
            let _inside = rt.enter();
            b.build().map_err(net)?
        };
        Ok(Self {
            http,
            rt: Some(rt),
            base: base.trim_end_matches('/').to_owned(),
            stop: None,
        })
    }

    /// Every request from now on ends with [`ClientError::Stopped`] within 25 ms
    /// of `stop` being raised, even one stalled on a dead link: the request is
    /// dropped, and its connection closed.
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.stop = stop;
        self
    }

    fn mailbox(&self, mailbox: &str) -> String {
        format!("{}/v1/mailboxes/{mailbox}", self.base)
    }

    /// Sends what `build` makes and reads the answer whole (at most `limit` bytes
    /// of body), giving up as soon as the stop flag rises.
    fn send(
        &self,
        limit: u64,
        build: impl FnOnce(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Answer, ClientError> {
        if stopped(&self.stop) {
            return Err(ClientError::Stopped);
        }
        let request = build(&self.http);
        let answer = self.block_on(async move {
            let r = request.send().await.map_err(net)?;
            Answer::read(r, limit).await
        })?;
        // A flag raised while the answer came still wins: the caller stops here.
        if stopped(&self.stop) {
            return Err(ClientError::Stopped);
        }
        Ok(answer)
    }

    /// Runs `work` to its end, or until the stop flag rises (checked every 25 ms),
    /// whichever comes first; dropped at a stop. Without a flag, to its end.
    fn block_on<T: Send>(
        &self,
        work: impl Future<Output = Result<T, ClientError>> + Send,
    ) -> Result<T, ClientError> {
        let Some(stop) = self.stop.clone() else {
            return self.wait(work);
        };
        let raced = async move {
            let flag = async {
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            };
            tokio::select! {
                biased;
                () = flag => Err(ClientError::Stopped),
                r = work => r,
            }
        };
        self.wait(raced)
    }

    /// Runs `work` on the client's runtime and waits for it.
    fn wait<T: Send>(
        &self,
        work: impl Future<Output = Result<T, ClientError>> + Send,
    ) -> Result<T, ClientError> {
        let Some(rt) = &self.rt else {
            return Err(ClientError::Stopped);
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            // Called from inside some async runtime, which may not block: wait on
            // a thread of its own instead.
            std::thread::scope(|s| {
                s.spawn(|| rt.block_on(work))
                    .join()
                    .unwrap_or_else(|_| Err(ClientError::Network("the request failed".into())))
            })
        } else {
            rt.block_on(work)
        }
    }

    /// Asks the relay for a new mailbox with its registration `token`.
    pub fn register(&self, token: &str) -> Result<NewMailbox, ClientError> {
        let (url, auth) = (
            format!("{}/v1/mailboxes", self.base),
            format!("Bearer {}", token.trim()),
        );
        let a = self.send(64 * 1024, move |h| {
            h.post(url)
                .header("tus-resumable", crate::TUS_VERSION)
                .header("authorization", auth)
        })?;
        if a.status != 201 {
            return Err(status(a.status));
        }
        let m: NewMailbox =
            serde_json::from_slice(&a.body).map_err(|_| ClientError::Refused(201))?;
        if m.mailbox.len() != 64 || !m.mailbox.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ClientError::Refused(201));
        }
        Ok(m)
    }

    /// Deposits the `total` bytes of `source` into `mailbox` with its deposit
    /// `token`. `upload` is the location of a deposit cut earlier, to resume (from
    /// where the relay says it stands), or `None`; a new upload's location goes to
    /// `created` as soon as it exists, so a caller can keep it across a crash.
    /// Reports `(bytes the relay holds, bytes in all)`.
    #[allow(clippy::too_many_arguments)]
    pub fn deposit(
        &self,
        mailbox: &str,
        token: &str,
        source: &mut (impl Read + Seek),
        total: u64,
        upload: Option<&str>,
        created: &mut dyn FnMut(&str),
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), ClientError> {
        let auth = format!("Bearer {token}");
        let (url, mut offset) = match upload {
            Some(l) => {
                let url = format!("{}{l}", self.base);
                // Where the relay has it: from there on.
                let (u, au) = (url.clone(), auth.clone());
                let a = self.send(64 * 1024, move |h| {
                    h.head(u)
                        .header("tus-resumable", crate::TUS_VERSION)
                        .header("authorization", au)
                })?;
                if a.status != 200 {
                    return Err(status(a.status));
                }
                let offset = a.offset.ok_or(ClientError::Refused(200))?;
                if a.length.is_some_and(|l| l != total) {
                    // Not this bundle's upload: start again.
                    return Err(ClientError::Refused(409));
                }
                (url, offset)
            }
            None => {
                // Nothing on the relay yet: what follows is all sent by this call.
                progress(0, total);
                // A bundle that fits in one chunk travels in the request that
                // creates its upload (tus creation-with-upload): one round trip. Cut,
                // it is sent again whole, which is less than a chunk.
                let whole = if total <= CHUNK as u64 {
                    let mut piece = Vec::with_capacity(total as usize);
                    source
                        .seek(SeekFrom::Start(0))
                        .map_err(ClientError::Local)?;
                    source
                        .by_ref()
                        .take(total)
                        .read_to_end(&mut piece)
                        .map_err(ClientError::Local)?;
                    if piece.len() as u64 != total {
                        return Err(ClientError::Local(std::io::ErrorKind::UnexpectedEof.into()));
                    }
                    Some(piece)
                } else {
                    None
                };
                let (url, auth) = (format!("{}/uploads", self.mailbox(mailbox)), auth.clone());
                let a = self.send(64 * 1024, move |h| {
                    let r = h
                        .post(url)
                        .header("tus-resumable", crate::TUS_VERSION)
                        .header("authorization", auth)
                        .header("upload-length", total.to_string());
                    match whole {
                        Some(piece) => {
                            let sum = data_encoding::BASE64.encode(&sha2::Sha256::digest(&piece));
                            r.header("content-type", "application/offset+octet-stream")
                                .header("upload-checksum", format!("sha256 {sum}"))
                                .body(piece)
                        }
                        None => r,
                    }
                })?;
                if a.status != 201 {
                    return Err(status(a.status));
                }
                let l = a
                    .location
                    .filter(|l| l.starts_with("/v1/mailboxes/"))
                    .ok_or(ClientError::Refused(201))?;
                created(&l);
                // A new upload holds what the creation carried, or nothing.
                (format!("{}{l}", self.base), a.offset.unwrap_or(0))
            }
        };
        if offset > total {
            return Err(ClientError::Refused(409));
        }
        progress(offset, total);
        while offset < total {
            source
                .seek(SeekFrom::Start(offset))
                .map_err(ClientError::Local)?;
            let want = (total - offset).min(CHUNK as u64);
            let mut piece = Vec::with_capacity(CHUNK);
            source
                .by_ref()
                .take(want)
                .read_to_end(&mut piece)
                .map_err(ClientError::Local)?;
            if piece.len() as u64 != want {
                return Err(ClientError::Local(std::io::ErrorKind::UnexpectedEof.into()));
            }
            let sum = data_encoding::BASE64.encode(&sha2::Sha256::digest(&piece));
            let (u, au) = (url.clone(), auth.clone());
            let a = self.send(64 * 1024, move |h| {
                h.patch(u)
                    .header("tus-resumable", crate::TUS_VERSION)
                    .header("authorization", au)
                    .header("content-type", "application/offset+octet-stream")
                    .header("upload-offset", offset.to_string())
                    .header("upload-checksum", format!("sha256 {sum}"))
                    .body(piece)
            })?;
            if a.status != 204 {
                return Err(status(a.status));
            }
            offset = a.offset.ok_or(ClientError::Refused(204))?;
            progress(offset, total);
        }
        Ok(())
    }

    /// The bundles waiting in `mailbox`: (id, size).
    pub fn list(&self, mailbox: &str, token: &str) -> Result<Vec<(String, u64)>, ClientError> {
        let (url, auth) = (
            format!("{}/blobs", self.mailbox(mailbox)),
            format!("Bearer {token}"),
        );
        let a = self.send(4 << 20, move |h| h.get(url).header("authorization", auth))?;
        if a.status != 200 {
            return Err(status(a.status));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&a.body).map_err(|_| ClientError::Refused(200))?;
        Ok(v.get("blobs")
            .and_then(|b| b.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|b| {
                        let id = b.get("id")?.as_str()?;
                        // Ids go into paths and file names: hex only.
                        (id.len() <= 64
                            && !id.is_empty()
                            && id.bytes().all(|c| c.is_ascii_hexdigit()))
                        .then(|| Some((id.to_owned(), b.get("size")?.as_u64()?)))?
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Downloads a bundle of `size` bytes into `into`, a piece of [`CHUNK`] bytes
    /// per request, after the bytes it already holds from a download cut before.
    /// Reports `(bytes held, size)`.
    #[allow(clippy::too_many_arguments)]
    pub fn download(
        &self,
        mailbox: &str,
        token: &str,
        blob: &str,
        size: u64,
        into: &mut std::fs::File,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), ClientError> {
        let mut have = into.metadata().map_err(ClientError::Local)?.len();
        if have > size {
            into.set_len(0).map_err(ClientError::Local)?;
            have = 0;
        }
        into.seek(SeekFrom::Start(have))
            .map_err(ClientError::Local)?;
        progress(have, size);
        let url = format!("{}/blobs/{blob}", self.mailbox(mailbox));
        while have < size {
            let end = (have + CHUNK as u64).min(size) - 1;
            let (u, auth) = (url.clone(), format!("Bearer {token}"));
            let a = self.send(CHUNK as u64, move |h| {
                h.get(u)
                    .header("authorization", auth)
                    .header("range", format!("bytes={have}-{end}"))
            })?;
            if a.status != 206 {
                return Err(status(a.status));
            }
            if a.body.is_empty() || a.body.len() as u64 > end + 1 - have {
                return Err(ClientError::Refused(206));
            }
            into.write_all(&a.body).map_err(ClientError::Local)?;
            have += a.body.len() as u64;
            progress(have, size);
        }
        into.sync_all().map_err(ClientError::Local)?;
        Ok(())
    }

    /// Deletes a collected bundle.
    pub fn delete(&self, mailbox: &str, token: &str, blob: &str) -> Result<(), ClientError> {
        let (url, auth) = (
            format!("{}/blobs/{blob}", self.mailbox(mailbox)),
            format!("Bearer {token}"),
        );
        let a = self.send(64 * 1024, move |h| {
            h.delete(url).header("authorization", auth)
        })?;
        match a.status {
            204 => Ok(()),
            other => Err(status(other)),
        }
    }
}

impl Drop for RelayClient {
    /// Ends the client's runtime without waiting for it: a runtime dropped the usual
    /// way blocks, which an async caller may not do.
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}
