//! Mailboxes in an S3-compatible object store (Garage, MinIO, AWS S3), shared by any
//! number of relay processes: nothing lives in a relay but caches, so an organisation
//! runs as many as it needs behind one name (`docs/relay-cluster.md`).
//!
//! Objects, under the configured prefix:
//!
//! - `m/<mailbox>/tokens-<deposit hash>-<collect hash>`: empty, the two tokens'
//!   hashes in hex in its name, so the one listing a relay makes of a mailbox it has
//!   not seen yet gives its tokens and its usage together (an older relay wrote
//!   `m/<mailbox>/tokens` holding the 64 bytes; it is still read);
//! - `m/<mailbox>/u/<upload>/length-<n>`: an upload that declared `n` bytes;
//! - `m/<mailbox>/u/<upload>/<offset, 20 digits>`: a chunk received at that offset;
//! - `m/<mailbox>/b/<upload>/<n>`: the upload is a bundle of `n` bytes, to collect.
//!   Empty when the bundle is in its chunks; the bundle itself when it came whole in
//!   the request that created its upload (a bundle of one chunk: one PUT).
//!
//! Each chunk is an object of its own, written whole by one PUT: a relay or a store
//! node that dies mid-chunk leaves the chunk absent and the offset true. An upload's
//! offset is how far its chunks cover from byte 0 without a gap, so a chunk sent
//! twice (a retry that reached another relay) overlaps and changes nothing. A bundle
//! stays in its chunks; its marker is written before its last chunk, so a listed
//! bundle whose last chunk is missing is refused as incomplete (the depositor
//! resumes it) rather than lost. Removing a bundle removes its marker first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::store::{MailboxId, Tokens};

/// Positive token lookups kept per relay process (tokens never change).
const TOKEN_CACHE: usize = 100_000;
/// How long a mailbox's usage, listed from the store, is trusted by this relay (with
/// what it added since): a quota is checked against a listing at most this old, so
/// deposits through other relays in that time are not yet counted.
const USAGE_FRESH: Duration = Duration::from_secs(10);

/// A mailbox's deposit and collect tokens' hashes.
type TokenHashes = ([u8; 32], [u8; 32]);

pub(crate) struct Objects {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    tokens: Mutex<HashMap<MailboxId, TokenHashes>>,
    /// Per mailbox: when listed, and (bytes, count) since.
    usage: Mutex<HashMap<MailboxId, (std::time::Instant, u64, usize)>>,
}

/// What an upload's objects say: its declared length and chunks (offset, size).
pub(crate) struct Upload {
    length: u64,
    chunks: Vec<(u64, u64)>,
}

impl Upload {
    /// Bytes held from 0 without a gap.
    pub(crate) fn offset(&self) -> u64 {
        let mut end = 0u64;
        for &(at, size) in &self.chunks {
            if at > end {
                break;
            }
            end = end.max(at.saturating_add(size));
        }
        end.min(self.length)
    }
}

fn io(e: object_store::Error) -> std::io::Error {
    match e {
        object_store::Error::NotFound { .. } => std::io::ErrorKind::NotFound.into(),
        // The store's own words can name paths, and so mailboxes: never passed on.
        _ => std::io::Error::other("the object store refused or failed"),
    }
}

fn not_found() -> std::io::Error {
    std::io::ErrorKind::NotFound.into()
}

impl Objects {
    /// Mailboxes in `store`, under `prefix` (segments of `[a-z0-9_-]`, or empty).
    pub(crate) fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> anyhow::Result<Self> {
        let prefix = prefix.trim_matches('/');
        let ok = prefix.split('/').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        });
        if !prefix.is_empty() && !ok {
            anyhow::bail!("the object prefix may hold only a-z, 0-9, '-', '_' and '/'");
        }
        Ok(Self {
            store,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            tokens: Mutex::default(),
            usage: Mutex::default(),
        })
    }

    /// Lists the mailboxes' folder once, so a wrong endpoint, bucket or key fails at
    /// start with the store's own words (which name no mailbox here).
    pub(crate) async fn check(&self) -> anyhow::Result<()> {
        self.store
            .list_with_delimiter(Some(&self.path("")))
            .await
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("the object store cannot be used: {e}"))
    }

    fn path(&self, rest: &str) -> Path {
        Path::from(format!("{}m/{rest}", self.prefix))
    }

    fn mailbox(&self, id: &MailboxId) -> String {
        id.to_hex()
    }

    /// Every object under `dir`, as (name relative to it, size, last modified).
    async fn list(&self, dir: &str) -> std::io::Result<Vec<(String, u64, SystemTime)>> {
        let base = self.path(dir);
        let skip = base.as_ref().len() + 1;
        self.store
            .list(Some(&base))
            .map_ok(|m| {
                let name = m.location.as_ref().get(skip..).unwrap_or("").to_owned();
                (name, m.size, SystemTime::from(m.last_modified))
            })
            .try_collect()
            .await
            .map_err(io)
    }

    async fn put(&self, rest: &str, bytes: Bytes) -> std::io::Result<()> {
        self.store
            .put(&self.path(rest), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(io)
    }

    async fn delete(&self, rest: &str) -> std::io::Result<()> {
        match self.store.delete(&self.path(rest)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(io(e)),
        }
    }

    pub(crate) async fn create(&self, id: MailboxId, tokens: &Tokens) -> std::io::Result<()> {
        let hex = |b: &[u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let name = format!(
            "{}/tokens-{}-{}",
            self.mailbox(&id),
            hex(&tokens.deposit),
            hex(&tokens.collect)
        );
        self.put(&name, Bytes::new()).await?;
        // This relay knows the new mailbox already: its tokens, and that it is empty.
        self.remember(id, Some((tokens.deposit, tokens.collect)), (0, 0));
        Ok(())
    }

    pub(crate) async fn tokens(&self, id: &MailboxId) -> std::io::Result<TokenHashes> {
        if let Some(t) = self.lock_tokens().get(id) {
            return Ok(*t);
        }
        let (tokens, usage) = self.survey(id).await?;
        if let Some(t) = tokens {
            // Nothing is cached of a mailbox that does not exist: probing ids fills
            // no cache.
            self.remember(*id, tokens, usage);
            return Ok(t);
        }
        // A mailbox an older relay created.
        let bytes = self
            .store
            .get(&self.path(&format!("{}/tokens", self.mailbox(id))))
            .await
            .map_err(io)?
            .bytes()
            .await
            .map_err(io)?;
        let (d, c) = bytes.split_at_checked(32).ok_or_else(not_found)?;
        let t: TokenHashes = (
            d.try_into().map_err(|_| not_found())?,
            c.get(..32)
                .and_then(|c| c.try_into().ok())
                .ok_or_else(not_found)?,
        );
        self.remember(*id, Some(t), usage);
        Ok(t)
    }

    /// Caches what a listing (or a creation) said of a mailbox.
    fn remember(&self, id: MailboxId, tokens: Option<TokenHashes>, (bytes, count): (u64, usize)) {
        if let Some(t) = tokens {
            let mut cache = self.lock_tokens();
            if cache.len() >= TOKEN_CACHE {
                cache.clear();
            }
            cache.insert(id, t);
        }
        let mut cache = self.lock_usage();
        if cache.len() >= TOKEN_CACHE {
            cache.clear();
        }
        cache.insert(id, (std::time::Instant::now(), bytes, count));
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<MailboxId, TokenHashes>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_usage(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<MailboxId, (std::time::Instant, u64, usize)>> {
        self.usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts an upload this relay just began into the mailbox's usage.
    pub(crate) fn note_added(&self, id: &MailboxId, length: u64) {
        if let Some(u) = self.lock_usage().get_mut(id) {
            u.1 = u.1.saturating_add(length);
            u.2 = u.2.saturating_add(1);
        }
    }

    /// Bytes held or promised (bundles and declared upload lengths), and how many:
    /// listed from the store, or as listed less than [`USAGE_FRESH`] ago with what
    /// this relay added since.
    pub(crate) async fn usage(&self, id: &MailboxId) -> std::io::Result<(u64, usize)> {
        if let Some(&(at, bytes, count)) = self.lock_usage().get(id)
            && at.elapsed() < USAGE_FRESH
        {
            return Ok((bytes, count));
        }
        let (tokens, listed) = self.survey(id).await?;
        self.remember(*id, tokens, listed);
        Ok(listed)
    }

    /// One listing of a mailbox: its tokens' hashes (when named in an object) and
    /// its usage.
    async fn survey(&self, id: &MailboxId) -> std::io::Result<(Option<TokenHashes>, (u64, usize))> {
        let mut tokens = None;
        let mut bundles = HashSet::new();
        let mut bytes = 0u64;
        let mut count = 0usize;
        let mut declared = Vec::new();
        for (name, _, _) in self.list(&self.mailbox(id)).await? {
            let parts: Vec<&str> = name.split('/').collect();
            match parts.as_slice() {
                [named] if named.starts_with("tokens-") => tokens = token_names(named),
                ["b", upload, n] => {
                    bytes = bytes.saturating_add(n.parse().unwrap_or(0));
                    count += 1;
                    bundles.insert((*upload).to_owned());
                }
                ["u", upload, len] => {
                    if let Some(n) = len.strip_prefix("length-") {
                        declared.push(((*upload).to_owned(), n.parse::<u64>().unwrap_or(0)));
                    }
                }
                _ => {}
            }
        }
        for (upload, n) in declared {
            if !bundles.contains(&upload) {
                bytes = bytes.saturating_add(n);
                count += 1;
            }
        }
        Ok((tokens, (bytes, count)))
    }

    pub(crate) async fn begin_upload(
        &self,
        id: &MailboxId,
        upload: &str,
        length: u64,
    ) -> std::io::Result<()> {
        self.put(
            &format!("{}/u/{upload}/length-{length}", self.mailbox(id)),
            Bytes::new(),
        )
        .await
    }

    /// The upload's length and chunks, in offset order; not found without a length.
    pub(crate) async fn upload(&self, id: &MailboxId, upload: &str) -> std::io::Result<Upload> {
        let mut length = None;
        let mut chunks = Vec::new();
        for (name, size, _) in self
            .list(&format!("{}/u/{upload}", self.mailbox(id)))
            .await?
        {
            if let Some(n) = name.strip_prefix("length-") {
                length = n.parse::<u64>().ok();
            } else if let Ok(at) = name.parse::<u64>() {
                chunks.push((at, size));
            }
        }
        chunks.sort_unstable();
        Ok(Upload {
            length: length.ok_or_else(not_found)?,
            chunks,
        })
    }

    /// A bundle that came whole: one object, listed and read as it is.
    pub(crate) async fn put_whole(
        &self,
        id: &MailboxId,
        upload: &str,
        bytes: Bytes,
    ) -> std::io::Result<()> {
        let n = bytes.len();
        self.put(&format!("{}/b/{upload}/{n}", self.mailbox(id)), bytes)
            .await
    }

    /// (bytes received, declared length); a bundle that came whole is complete.
    pub(crate) async fn upload_state(
        &self,
        id: &MailboxId,
        upload: &str,
    ) -> std::io::Result<(u64, u64)> {
        match self.upload(id, upload).await {
            Ok(u) => Ok((u.offset(), u.length)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match self.bundle(id, upload).await? {
                    Some((n, true)) => Ok((n, n)),
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Stores `bytes` at `offset`; the chunk that completes the upload writes the
    /// bundle's marker first. Returns the new offset.
    pub(crate) async fn append(
        &self,
        id: &MailboxId,
        upload: &str,
        offset: u64,
        length: u64,
        bytes: Bytes,
    ) -> std::io::Result<u64> {
        let now = offset + bytes.len() as u64;
        let mailbox = self.mailbox(id);
        if now == length {
            self.put(&format!("{mailbox}/b/{upload}/{length}"), Bytes::new())
                .await?;
        }
        self.put(&format!("{mailbox}/u/{upload}/{offset:020}"), bytes)
            .await?;
        Ok(now)
    }

    /// Removes an upload's objects, its length first (so it is no upload at once).
    async fn remove_upload(&self, mailbox: &str, upload: &str) -> std::io::Result<()> {
        let mut names = self.list(&format!("{mailbox}/u/{upload}")).await?;
        names.sort_by_key(|(n, _, _)| !n.starts_with("length-"));
        for (name, _, _) in names {
            self.delete(&format!("{mailbox}/u/{upload}/{name}")).await?;
        }
        Ok(())
    }

    pub(crate) async fn drop_upload(&self, id: &MailboxId, upload: &str) -> std::io::Result<()> {
        // A bundle is not an upload any more: the collect token removes it.
        if self.bundle(id, upload).await?.is_some() {
            return Err(not_found());
        }
        self.upload(id, upload).await?;
        self.remove_upload(&self.mailbox(id), upload).await
    }

    /// A bundle's size, and whether its marker is the bundle itself.
    async fn bundle(&self, id: &MailboxId, blob: &str) -> std::io::Result<Option<(u64, bool)>> {
        Ok(self
            .list(&format!("{}/b/{blob}", self.mailbox(id)))
            .await?
            .into_iter()
            .find_map(|(n, size, _)| {
                let n: u64 = n.parse().ok()?;
                Some((n, size == n))
            }))
    }

    pub(crate) async fn blobs(&self, id: &MailboxId) -> std::io::Result<Vec<(String, u64)>> {
        let mut out: Vec<(String, u64)> = self
            .list(&format!("{}/b", self.mailbox(id)))
            .await?
            .into_iter()
            .filter_map(|(name, _, _)| {
                let (upload, n) = name.split_once('/')?;
                Some((upload.to_owned(), n.parse().ok()?))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// A bundle to read: its size and chunks. A bundle whose chunks do not cover it
    /// yet (its depositor was cut after the marker) is refused as incomplete.
    pub(crate) async fn open_blob(&self, id: &MailboxId, blob: &str) -> std::io::Result<Chunks> {
        let mailbox = self.mailbox(id);
        let (size, whole) = self.bundle(id, blob).await?.ok_or_else(not_found)?;
        if whole {
            return Ok(Chunks {
                store: self.store.clone(),
                size,
                chunks: vec![(0, size, self.path(&format!("{mailbox}/b/{blob}/{size}")))],
            });
        }
        let upload = self.upload(id, blob).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => std::io::ErrorKind::WouldBlock.into(),
            _ => e,
        })?;
        if upload.length != size || upload.offset() < size {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        Ok(Chunks {
            store: self.store.clone(),
            size,
            chunks: upload
                .chunks
                .into_iter()
                .map(|(at, n)| (at, n, self.path(&format!("{mailbox}/u/{blob}/{at:020}"))))
                .collect(),
        })
    }

    pub(crate) async fn drop_blob(&self, id: &MailboxId, blob: &str) -> std::io::Result<()> {
        // Listed afresh at the next deposit.
        self.lock_usage().remove(id);
        let mailbox = self.mailbox(id);
        let (size, _) = self.bundle(id, blob).await?.ok_or_else(not_found)?;
        self.delete(&format!("{mailbox}/b/{blob}/{size}")).await?;
        self.remove_upload(&mailbox, blob).await
    }

    /// Removes every bundle and upload whose newest object is older than `ttl`, and
    /// chunks left by a removal that was cut.
    pub(crate) async fn sweep(&self, ttl: Duration) -> std::io::Result<usize> {
        let now = SystemTime::now();
        // (mailbox, upload) -> newest change, bundle marker.
        let mut seen: BTreeMap<(String, String), (SystemTime, Option<String>)> = BTreeMap::new();
        for (name, _, modified) in self.list("").await? {
            let parts: Vec<&str> = name.split('/').collect();
            let (mailbox, upload, marker) = match parts.as_slice() {
                [m, "u", u, _] => (*m, *u, None),
                [m, "b", u, n] => (*m, *u, Some((*n).to_owned())),
                _ => continue,
            };
            let e = seen
                .entry((mailbox.to_owned(), upload.to_owned()))
                .or_insert((modified, None));
            e.0 = e.0.max(modified);
            if marker.is_some() {
                e.1 = marker;
            }
        }
        let mut removed = 0;
        for ((mailbox, upload), (newest, marker)) in seen {
            let old = now.duration_since(newest).is_ok_and(|age| age > ttl);
            if !old {
                continue;
            }
            if let Some(n) = marker {
                self.delete(&format!("{mailbox}/b/{upload}/{n}")).await?;
            }
            self.remove_upload(&mailbox, &upload).await?;
            removed += 1;
        }
        Ok(removed)
    }
}

/// The two hashes a `tokens-<hex>-<hex>` object's name holds.
fn token_names(name: &str) -> Option<TokenHashes> {
    let (d, c) = name.strip_prefix("tokens-")?.split_once('-')?;
    let read = |h: &str| -> Option<[u8; 32]> {
        if h.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(h.get(i * 2..i * 2 + 2)?, 16).ok()?;
        }
        Some(out)
    };
    Some((read(d)?, read(c)?))
}

/// A bundle's chunks, read as one byte range.
pub(crate) struct Chunks {
    store: Arc<dyn ObjectStore>,
    size: u64,
    /// (offset in the bundle, size, object).
    chunks: Vec<(u64, u64, Path)>,
}

impl Chunks {
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Bytes `range` of the bundle, streamed a chunk at a time.
    pub(crate) fn body(self, range: Range<u64>) -> Body {
        // Each piece: (chunk offset, range within that chunk). Overlapping chunks
        // (a retried chunk) are read from where the previous one ended.
        let spans: Vec<(u64, u64)> = self.chunks.iter().map(|(at, n, _)| (*at, *n)).collect();
        let pieces: Vec<(Path, Range<u64>)> = pieces(&spans, range)
            .into_iter()
            .filter_map(|(i, r)| Some((self.chunks.get(i)?.2.clone(), r)))
            .collect();
        let store = self.store;
        let stream = futures_util::stream::iter(pieces).then(move |(path, r)| {
            let store = store.clone();
            async move { store.get_range(&path, r).await.map_err(io) }
        });
        Body::from_stream(stream)
    }
}

/// Which bytes of which chunk make up `range` of a bundle: (chunk index, range
/// within that chunk), in order. Chunks are (offset, size), sorted by offset; where
/// two overlap, reading goes on from where the previous one ended.
fn pieces(chunks: &[(u64, u64)], range: Range<u64>) -> Vec<(usize, Range<u64>)> {
    let mut out = Vec::new();
    let mut at = range.start;
    for (i, &(start, size)) in chunks.iter().enumerate() {
        let end = start.saturating_add(size);
        if at >= range.end || start > at {
            break;
        }
        if end <= at {
            continue;
        }
        let to = end.min(range.end);
        out.push((i, (at - start)..(to - start)));
        at = to;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hashes_read_back_from_the_objects_name() {
        let d = "ab".repeat(32);
        let c = "0f".repeat(32);
        assert_eq!(
            token_names(&format!("tokens-{d}-{c}")),
            Some(([0xab; 32], [0x0f; 32]))
        );
        for bad in [
            format!("tokens-{d}"),
            format!("tokens-{d}-{}", &c[..62]),
            format!("tokens-{d}-{}zz", &c[..62]),
            "tokens".to_owned(),
        ] {
            assert_eq!(token_names(&bad), None, "{bad}");
        }
    }

    fn upload(length: u64, chunks: &[(u64, u64)]) -> Upload {
        Upload {
            length,
            chunks: chunks.to_vec(),
        }
    }

    #[test]
    fn the_offset_is_how_far_the_chunks_cover_without_a_gap() {
        assert_eq!(upload(10, &[]).offset(), 0);
        assert_eq!(upload(10, &[(0, 4), (4, 3)]).offset(), 7);
        // A gap stops it; what lies past the gap is not counted.
        assert_eq!(upload(10, &[(0, 4), (5, 5)]).offset(), 4);
        assert_eq!(upload(10, &[(2, 8)]).offset(), 0);
        // A chunk sent twice, or a longer retry over a shorter one, overlaps.
        assert_eq!(upload(10, &[(0, 4), (0, 6), (4, 2)]).offset(), 6);
        // Never past the declared length.
        assert_eq!(upload(10, &[(0, 12)]).offset(), 10);
    }

    #[test]
    fn a_range_is_read_across_chunks_and_overlaps_are_read_once() {
        let chunks = [(0, 4), (4, 4), (8, 2)];
        assert_eq!(
            pieces(&chunks, 0..10),
            vec![(0, 0..4), (1, 0..4), (2, 0..2)]
        );
        assert_eq!(pieces(&chunks, 3..9), vec![(0, 3..4), (1, 0..4), (2, 0..1)]);
        assert_eq!(pieces(&chunks, 5..6), vec![(1, 1..2)]);
        assert!(pieces(&chunks, 10..10).is_empty());
        // (0, 6) overlaps (4, 4): the second is read from byte 6 of the bundle on.
        assert_eq!(pieces(&[(0, 6), (4, 4)], 0..8), vec![(0, 0..6), (1, 2..4)]);
        // A gap ends the read (an incomplete bundle is refused before this).
        assert_eq!(pieces(&[(0, 2), (3, 2)], 0..5), vec![(0, 0..2)]);
    }
}
