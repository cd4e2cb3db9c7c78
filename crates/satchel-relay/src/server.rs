//! The relay server: routes, limits, and the sweep of expired bundles.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use subtle::ConstantTimeEq;

use crate::store::Backend;
pub use crate::store::{MailboxId, Tokens};
use crate::token_hash;

/// Where mailboxes are kept.
#[derive(Debug, Clone)]
pub enum Storage {
    /// A folder on this machine: one relay.
    Folder(PathBuf),
    /// An S3-compatible object store, shared by every relay that names it, under a
    /// prefix (segments of `a-z`, `0-9`, `-`, `_`).
    Objects {
        /// The store.
        store: Arc<dyn object_store::ObjectStore>,
        /// Where in it.
        prefix: String,
    },
}

/// How the relay runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where mailboxes live.
    pub storage: Storage,
    /// Bytes a mailbox may hold (blobs and uploads in progress).
    pub quota_bytes: u64,
    /// Blobs and uploads a mailbox may hold.
    pub quota_blobs: usize,
    /// How long a blob or an unfinished upload is kept.
    pub ttl: Duration,
    /// Largest body of one request.
    pub max_chunk: usize,
    /// Requests per mailbox per minute.
    pub rate_per_minute: u32,
    /// Hash of the token that lets a client create a mailbox over HTTP; `None`: only
    /// the operator creates them (`satchel-relay mailbox create`).
    pub registration: Option<[u8; 32]>,
}

impl Config {
    /// Defaults for a small organisation's relay, storing in the folder `data`.
    pub fn new(data: PathBuf) -> Self {
        Self::with_storage(Storage::Folder(data))
    }

    /// Defaults for a small organisation's relay, storing in `storage`.
    pub fn with_storage(storage: Storage) -> Self {
        Self {
            storage,
            quota_bytes: 1 << 30,
            quota_blobs: 1000,
            ttl: Duration::from_secs(30 * 86_400),
            max_chunk: 8 << 20,
            rate_per_minute: 600,
            registration: None,
        }
    }
}

/// The relay's shared state.
pub struct Relay {
    cfg: Config,
    backend: Backend,
    locks: std::sync::Mutex<HashMap<MailboxId, Arc<tokio::sync::Mutex<()>>>>,
    rate: std::sync::Mutex<HashMap<MailboxId, (Instant, u32)>>,
    /// MiB of request bodies held at once (read, checked, being stored): what
    /// bounds the relay's memory, however many uploads come.
    bodies: tokio::sync::Semaphore,
}

/// The budget of [`Relay::bodies`], in MiB.
const BODIES_MIB: u32 = 64;

impl Relay {
    /// A relay over `cfg.storage` (a folder is created if missing).
    pub fn new(cfg: Config) -> anyhow::Result<Arc<Self>> {
        let backend = match &cfg.storage {
            Storage::Folder(data) => {
                std::fs::create_dir_all(data.join("m"))?;
                Backend::Files(crate::store::Store::new(data.join("m")))
            }
            Storage::Objects { store, prefix } => {
                Backend::Objects(crate::objects::Objects::new(store.clone(), prefix)?)
            }
        };
        Ok(Arc::new(Self {
            cfg,
            backend,
            locks: Default::default(),
            rate: Default::default(),
            bodies: tokio::sync::Semaphore::new(BODIES_MIB as usize),
        }))
    }

    fn store(&self) -> &Backend {
        &self.backend
    }

    /// Checks that the storage answers: a folder is there, an object store lets this
    /// relay list its prefix.
    pub async fn check_storage(&self) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Files(_) => Ok(()),
            Backend::Objects(o) => o.check().await,
        }
    }

    /// Creates a mailbox; returns its id and tokens (shown once, never stored).
    pub async fn create_mailbox(&self) -> anyhow::Result<(MailboxId, Tokens)> {
        self.backend.create().await
    }

    fn lock(&self, id: &MailboxId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(*id).or_default().clone()
    }

    fn within_rate(&self, id: &MailboxId) -> bool {
        let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let entry = rate.entry(*id).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= self.cfg.rate_per_minute
    }

    /// Removes blobs and unfinished uploads older than the TTL.
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        self.backend.sweep(self.cfg.ttl).await
    }
}

/// Why a request failed. The text is short and names nothing of the mailbox.
#[derive(Debug)]
pub struct Failure(StatusCode, &'static str);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut r = (self.0, self.1).into_response();
        tus_headers(r.headers_mut());
        r
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull {
            Failure(
                StatusCode::INSUFFICIENT_STORAGE,
                "the relay is out of space",
            )
        } else {
            Failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the relay could not store it",
            )
        }
    }
}

const NOT_FOUND: Failure = Failure(
    StatusCode::NOT_FOUND,
    "no such mailbox, or not with this token",
);

fn tus_headers(h: &mut HeaderMap) {
    h.insert(
        "tus-resumable",
        HeaderValue::from_static(crate::TUS_VERSION),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn bearer(h: &HeaderMap) -> Option<&str> {
    h.get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn number(h: &HeaderMap, name: &str) -> Option<u64> {
    let v = h.get(name)?.to_str().ok()?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// Which token a route needs.
#[derive(Clone, Copy)]
enum Need {
    Deposit,
    Collect,
}

/// The mailbox named in the path, if the request's token is the one `need`s, within
/// the rate limit. Unknown mailbox and wrong token look the same.
async fn authorise(
    relay: &Relay,
    id: &str,
    h: &HeaderMap,
    need: Need,
) -> Result<MailboxId, Failure> {
    let id = MailboxId::parse(id).ok_or(NOT_FOUND)?;
    let (deposit, collect) = relay.store().tokens(&id).await.map_err(|_| NOT_FOUND)?;
    let given = token_hash(bearer(h).ok_or(NOT_FOUND)?);
    let want = match need {
        Need::Deposit => deposit,
        Need::Collect => collect,
    };
    if !bool::from(given.ct_eq(&want)) {
        return Err(NOT_FOUND);
    }
    if !relay.within_rate(&id) {
        return Err(Failure(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests; try later",
        ));
    }
    Ok(id)
}

fn tus_version_ok(h: &HeaderMap) -> Result<(), Failure> {
    match h.get("tus-resumable").and_then(|v| v.to_str().ok()) {
        Some(crate::TUS_VERSION) => Ok(()),
        _ => Err(Failure(
            StatusCode::PRECONDITION_FAILED,
            "tus-resumable 1.0.0 required",
        )),
    }
}

async fn create_mailbox(
    State(relay): State<Arc<Relay>>,
    h: HeaderMap,
) -> Result<Response, Failure> {
    let Some(want) = relay.cfg.registration else {
        return Err(Failure(
            StatusCode::FORBIDDEN,
            "registration is closed on this relay",
        ));
    };
    let given = token_hash(bearer(&h).ok_or(Failure(
        StatusCode::FORBIDDEN,
        "registration token required",
    ))?);
    if !bool::from(given.ct_eq(&want)) {
        return Err(Failure(
            StatusCode::FORBIDDEN,
            "registration token required",
        ));
    }
    let (id, tokens) = relay.create_mailbox().await.map_err(|_| {
        Failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not create a mailbox",
        )
    })?;
    let body = serde_json::json!({
        "mailbox": id.to_hex(),
        "deposit": tokens.deposit_token,
        "collect": tokens.collect_token,
    });
    let mut r = (StatusCode::CREATED, axum::Json(body)).into_response();
    tus_headers(r.headers_mut());
    Ok(r)
}

async fn options_uploads(State(relay): State<Arc<Relay>>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    tus_headers(h);
    h.insert("tus-version", HeaderValue::from_static(crate::TUS_VERSION));
    h.insert(
        "tus-extension",
        HeaderValue::from_static("creation,creation-with-upload,checksum,termination"),
    );
    h.insert("tus-checksum-algorithm", HeaderValue::from_static("sha256"));
    if let Ok(v) = HeaderValue::from_str(&relay.cfg.quota_bytes.to_string()) {
        h.insert("tus-max-size", v);
    }
    r
}

/// Room for a body of at most `limit` bytes in the relay's budget, held until the
/// request ends; waits while the budget is spent.
async fn body_room(
    relay: &Relay,
    limit: usize,
) -> Result<tokio::sync::SemaphorePermit<'_>, Failure> {
    let mib = u32::try_from(limit.div_ceil(1 << 20))
        .unwrap_or(BODIES_MIB)
        .clamp(1, BODIES_MIB);
    relay
        .bodies
        .acquire_many(mib)
        .await
        .map_err(|_| Failure(StatusCode::SERVICE_UNAVAILABLE, "the relay is stopping"))
}

/// The body of a PATCH, or of a POST that carries its upload's first bytes: at most
/// `limit` bytes, whose SHA-256 must be the request's `Upload-Checksum`.
async fn checked_body(req: Request, limit: usize) -> Result<axum::body::Bytes, Failure> {
    let checksum = req
        .headers()
        .get("upload-checksum")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("sha256 "))
        .and_then(|b| data_encoding::BASE64.decode(b.as_bytes()).ok())
        .ok_or(Failure(
            StatusCode::BAD_REQUEST,
            "upload-checksum with sha256 required",
        ))?;
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| {
            Failure(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the chunk is larger than allowed",
            )
        })?;
    use sha2::Digest;
    if sha2::Sha256::digest(&bytes).as_slice() != checksum.as_slice() {
        return Err(Failure(
            StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
            "checksum mismatch",
        ));
    }
    Ok(bytes)
}

fn carries_bytes(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
        == Some("application/offset+octet-stream")
}

async fn create_upload(
    State(relay): State<Arc<Relay>>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, Failure> {
    let h = req.headers().clone();
    tus_version_ok(&h)?;
    let id = authorise(&relay, &id, &h, Need::Deposit).await?;
    let length = number(&h, "upload-length")
        .ok_or(Failure(StatusCode::BAD_REQUEST, "upload-length required"))?;
    // creation-with-upload: the first bytes (for a small bundle, all of them).
    let (first, _room) = if carries_bytes(&h) {
        let limit = usize::try_from(length)
            .unwrap_or(usize::MAX)
            .min(relay.cfg.max_chunk);
        let room = body_room(&relay, limit).await?;
        (Some(checked_body(req, limit).await?), Some(room))
    } else {
        (None, None)
    };
    let lock = relay.lock(&id);
    let _held = lock.lock().await;
    let store = relay.store();
    let (bytes, count) = store.usage(&id).await?;
    if count >= relay.cfg.quota_blobs {
        return Err(Failure(
            StatusCode::INSUFFICIENT_STORAGE,
            "the mailbox holds as many bundles as it may",
        ));
    }
    if length == 0 || bytes.saturating_add(length) > relay.cfg.quota_bytes {
        return Err(Failure(
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the mailbox may hold",
        ));
    }
    let (upload, offset) = match first {
        Some(b) if b.len() as u64 == length => (store.put_whole(&id, b).await?, length),
        Some(b) if !b.is_empty() => {
            let upload = store.begin_upload(&id, length).await?;
            let offset = store.append(&id, &upload, 0, length, b).await?;
            (upload, offset)
        }
        _ => (store.begin_upload(&id, length).await?, 0),
    };
    let mut r = StatusCode::CREATED.into_response();
    offset_headers(&mut r, offset, length);
    let location = format!("/v1/mailboxes/{}/uploads/{}", id.to_hex(), upload);
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

fn offset_headers(r: &mut Response, offset: u64, length: u64) {
    tus_headers(r.headers_mut());
    if let Ok(v) = HeaderValue::from_str(&offset.to_string()) {
        r.headers_mut().insert("upload-offset", v);
    }
    if let Ok(v) = HeaderValue::from_str(&length.to_string()) {
        r.headers_mut().insert("upload-length", v);
    }
}

async fn head_upload(
    State(relay): State<Arc<Relay>>,
    Path((id, upload)): Path<(String, String)>,
    h: HeaderMap,
) -> Result<Response, Failure> {
    tus_version_ok(&h)?;
    let id = authorise(&relay, &id, &h, Need::Deposit).await?;
    let (offset, length) = relay
        .store()
        .upload_state(&id, &upload)
        .await
        .map_err(|_| Failure(StatusCode::NOT_FOUND, "no such upload"))?;
    let mut r = StatusCode::OK.into_response();
    offset_headers(&mut r, offset, length);
    Ok(r)
}

async fn patch_upload(
    State(relay): State<Arc<Relay>>,
    Path((id, upload)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Failure> {
    let h = req.headers().clone();
    tus_version_ok(&h)?;
    let id = authorise(&relay, &id, &h, Need::Deposit).await?;
    if !carries_bytes(&h) {
        return Err(Failure(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type application/offset+octet-stream required",
        ));
    }
    let claimed = number(&h, "upload-offset")
        .ok_or(Failure(StatusCode::BAD_REQUEST, "upload-offset required"))?;
    if h.get("upload-checksum").is_none() {
        return Err(Failure(
            StatusCode::BAD_REQUEST,
            "upload-checksum with sha256 required",
        ));
    }
    // Room first, the mailbox's lock second (as a creation does): nothing holding
    // the lock ever waits for room that a waiter for the lock holds.
    let _room = body_room(&relay, relay.cfg.max_chunk).await?;
    let lock = relay.lock(&id);
    let _held = lock.lock().await;
    let store = relay.store();
    let (offset, length) = store
        .upload_state(&id, &upload)
        .await
        .map_err(|_| Failure(StatusCode::NOT_FOUND, "no such upload"))?;
    if claimed != offset {
        let mut r = Failure(
            StatusCode::CONFLICT,
            "upload-offset is not where the upload is",
        )
        .into_response();
        offset_headers(&mut r, offset, length);
        return Ok(r);
    }
    if offset == length {
        let mut r = Failure(StatusCode::CONFLICT, "the upload is complete").into_response();
        offset_headers(&mut r, offset, length);
        return Ok(r);
    }
    let room = usize::try_from(length - offset).unwrap_or(usize::MAX);
    let bytes = checked_body(req, room.min(relay.cfg.max_chunk)).await?;
    let now = store.append(&id, &upload, offset, length, bytes).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    offset_headers(&mut r, now, length);
    Ok(r)
}

async fn delete_upload(
    State(relay): State<Arc<Relay>>,
    Path((id, upload)): Path<(String, String)>,
    h: HeaderMap,
) -> Result<Response, Failure> {
    tus_version_ok(&h)?;
    let id = authorise(&relay, &id, &h, Need::Deposit).await?;
    let lock = relay.lock(&id);
    let _held = lock.lock().await;
    relay
        .store()
        .drop_upload(&id, &upload)
        .await
        .map_err(|_| Failure(StatusCode::NOT_FOUND, "no such upload"))?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    tus_headers(r.headers_mut());
    Ok(r)
}

async fn list_blobs(
    State(relay): State<Arc<Relay>>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Result<Response, Failure> {
    let id = authorise(&relay, &id, &h, Need::Collect).await?;
    let blobs: Vec<serde_json::Value> = relay
        .store()
        .blobs(&id)
        .await?
        .into_iter()
        .map(|(b, size)| serde_json::json!({ "id": b, "size": size }))
        .collect();
    let mut r = axum::Json(serde_json::json!({ "blobs": blobs })).into_response();
    tus_headers(r.headers_mut());
    Ok(r)
}

async fn get_blob(
    State(relay): State<Arc<Relay>>,
    Path((id, blob)): Path<(String, String)>,
    h: HeaderMap,
) -> Result<Response, Failure> {
    let id = authorise(&relay, &id, &h, Need::Collect).await?;
    // `Range: bytes=N-` resumes a download cut at N; `bytes=N-M` asks for a piece.
    let range = h
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(a, b)| {
            let a = a.parse::<u64>().ok()?;
            let b = if b.is_empty() {
                None
            } else {
                Some(b.parse::<u64>().ok().filter(|b| *b >= a)?)
            };
            Some((a, b))
        });
    let from = range.map(|(a, _)| a);
    let opened = relay.store().open_blob(&id, &blob).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::WouldBlock {
            Failure(
                StatusCode::CONFLICT,
                "the bundle is not complete yet; try later",
            )
        } else {
            Failure(StatusCode::NOT_FOUND, "no such bundle")
        }
    })?;
    let size = opened.size();
    let start = from.unwrap_or(0);
    if start > size {
        return Err(Failure(StatusCode::RANGE_NOT_SATISFIABLE, "past the end"));
    }
    // The last byte sent: the range's end, within the bundle.
    let end = range
        .and_then(|(_, b)| b)
        .map_or(size.saturating_sub(1), |b| b.min(size.saturating_sub(1)));
    let len = if size == 0 {
        0
    } else {
        end + 1 - start.min(end + 1)
    };
    let mut r = Response::new(opened.body(start..start + len).await?);
    *r.status_mut() = if from.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    tus_headers(r.headers_mut());
    let hs = r.headers_mut();
    hs.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        hs.insert(header::CONTENT_LENGTH, v);
    }
    if from.is_some()
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}"))
    {
        hs.insert(header::CONTENT_RANGE, v);
    }
    Ok(r)
}

async fn delete_blob(
    State(relay): State<Arc<Relay>>,
    Path((id, blob)): Path<(String, String)>,
    h: HeaderMap,
) -> Result<Response, Failure> {
    let id = authorise(&relay, &id, &h, Need::Collect).await?;
    let lock = relay.lock(&id);
    let _held = lock.lock().await;
    relay
        .store()
        .drop_blob(&id, &blob)
        .await
        .map_err(|_| Failure(StatusCode::NOT_FOUND, "no such bundle"))?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    tus_headers(r.headers_mut());
    Ok(r)
}

/// The relay's routes.
pub fn router(relay: Arc<Relay>) -> Router {
    let max = relay.cfg.max_chunk;
    Router::new()
        .route("/v1/mailboxes", post(create_mailbox))
        .route(
            "/v1/mailboxes/{id}/uploads",
            post(create_upload).options(options_uploads),
        )
        .route(
            "/v1/mailboxes/{id}/uploads/{upload}",
            get(|| async { StatusCode::METHOD_NOT_ALLOWED })
                .head(head_upload)
                .patch(patch_upload)
                .delete(delete_upload),
        )
        .route("/v1/mailboxes/{id}/blobs", get(list_blobs))
        .route(
            "/v1/mailboxes/{id}/blobs/{blob}",
            get(get_blob).delete(delete_blob),
        )
        .layer(DefaultBodyLimit::max(max))
        .layer(tower::limit::ConcurrencyLimitLayer::new(256))
        .with_state(relay)
}

/// Serves `relay` on `listener` until the process is stopped, sweeping expired
/// bundles every minute (or every quarter of the TTL, if shorter).
pub async fn serve(relay: Arc<Relay>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let sweeper = relay.clone();
    let every = (relay.cfg.ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let _ = sweeper.sweep().await;
        }
    });
    axum::serve(listener, router(relay)).await?;
    Ok(())
}
