//! Where mailboxes live: a folder (one relay), or an object store that several
//! relays share (`crate::objects`).
//!
//! Mailboxes on the filesystem: `m/<mailbox id>/tokens` (the two tokens' hashes),
//! `m/<id>/u/<upload id>` (an upload's bytes so far) with `<upload id>.len` (its
//! declared length), and `m/<id>/b/<blob id>` (finished bundles). An upload becomes a
//! blob by a rename once its last byte is written and synced.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A mailbox's id: 32 random bytes, hex in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxId(pub [u8; 32]);

impl MailboxId {
    /// From 64 lowercase hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 64 {
            return None;
        }
        data_encoding::HEXLOWER
            .decode(text.as_bytes())
            .ok()
            .and_then(|b| b.try_into().ok())
            .map(Self)
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }
}

/// A mailbox's tokens: the hashes kept, and (when just made) the tokens themselves.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Hash of the deposit token.
    pub deposit: [u8; 32],
    /// Hash of the collect token.
    pub collect: [u8; 32],
    /// The deposit token, only when the mailbox was just created.
    pub deposit_token: String,
    /// The collect token, only when the mailbox was just created.
    pub collect_token: String,
}

/// An upload or blob id: 16 random bytes, hex.
fn valid_part(name: &str) -> bool {
    name.len() == 32
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

pub(crate) fn random_hex<const N: usize>() -> std::io::Result<String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(data_encoding::HEXLOWER.encode(&b))
}

fn not_found() -> std::io::Error {
    std::io::Error::from(std::io::ErrorKind::NotFound)
}

/// A fresh mailbox id and tokens.
fn new_mailbox() -> anyhow::Result<(MailboxId, Tokens)> {
    let mut id = [0u8; 32];
    getrandom::fill(&mut id).map_err(|e| anyhow::anyhow!("random: {e}"))?;
    let (deposit_token, collect_token) = (crate::new_token()?, crate::new_token()?);
    let tokens = Tokens {
        deposit: crate::token_hash(&deposit_token),
        collect: crate::token_hash(&collect_token),
        deposit_token,
        collect_token,
    };
    Ok((MailboxId(id), tokens))
}

/// Where the relay keeps mailboxes.
pub(crate) enum Backend {
    Files(Store),
    Objects(crate::objects::Objects),
}

/// A bundle opened to be read.
pub(crate) enum Blob {
    File(tokio::fs::File, u64),
    Chunks(crate::objects::Chunks),
}

impl Blob {
    pub(crate) fn size(&self) -> u64 {
        match self {
            Self::File(_, size) => *size,
            Self::Chunks(c) => c.size(),
        }
    }

    /// Bytes `range` of the bundle as a response body.
    pub(crate) async fn body(
        self,
        range: std::ops::Range<u64>,
    ) -> std::io::Result<axum::body::Body> {
        match self {
            Self::File(mut file, _) => {
                use tokio::io::{AsyncReadExt, AsyncSeekExt};
                file.seek(std::io::SeekFrom::Start(range.start)).await?;
                Ok(axum::body::Body::from_stream(
                    tokio_util::io::ReaderStream::new(file.take(range.end - range.start)),
                ))
            }
            Self::Chunks(c) => Ok(c.body(range)),
        }
    }
}

impl Backend {
    pub(crate) async fn create(&self) -> anyhow::Result<(MailboxId, Tokens)> {
        match self {
            Self::Files(s) => s.create(),
            Self::Objects(o) => {
                let (id, tokens) = new_mailbox()?;
                o.create(id, &tokens).await?;
                Ok((id, tokens))
            }
        }
    }

    /// The deposit and collect tokens' hashes.
    pub(crate) async fn tokens(&self, id: &MailboxId) -> std::io::Result<([u8; 32], [u8; 32])> {
        match self {
            Self::Files(s) => s.tokens(id).map(|t| (t.deposit, t.collect)),
            Self::Objects(o) => o.tokens(id).await,
        }
    }

    pub(crate) async fn usage(&self, id: &MailboxId) -> std::io::Result<(u64, usize)> {
        match self {
            Self::Files(s) => s.usage(id),
            Self::Objects(o) => o.usage(id).await,
        }
    }

    pub(crate) async fn begin_upload(
        &self,
        id: &MailboxId,
        length: u64,
    ) -> std::io::Result<String> {
        match self {
            Self::Files(s) => s.begin_upload(id, length),
            Self::Objects(o) => {
                let upload = random_hex::<16>()?;
                o.begin_upload(id, &upload, length).await?;
                o.note_added(id, length);
                Ok(upload)
            }
        }
    }

    /// A whole bundle in one go; returns its upload id (a bundle at once).
    pub(crate) async fn put_whole(
        &self,
        id: &MailboxId,
        bytes: axum::body::Bytes,
    ) -> std::io::Result<String> {
        let upload = random_hex::<16>()?;
        let length = bytes.len() as u64;
        match self {
            Self::Files(s) => {
                s.begin_upload_named(id, &upload, length)?;
                s.append(id, &upload, 0, length, &bytes)?;
            }
            Self::Objects(o) => {
                o.put_whole(id, &upload, bytes).await?;
                o.note_added(id, length);
            }
        }
        Ok(upload)
    }

    /// (bytes received, declared length).
    pub(crate) async fn upload_state(
        &self,
        id: &MailboxId,
        upload: &str,
    ) -> std::io::Result<(u64, u64)> {
        if !valid_part(upload) {
            return Err(not_found());
        }
        match self {
            Self::Files(s) => s.upload_state(id, upload),
            Self::Objects(o) => o.upload_state(id, upload).await,
        }
    }

    /// Stores `bytes` at `offset` (where the upload is); returns the new offset.
    pub(crate) async fn append(
        &self,
        id: &MailboxId,
        upload: &str,
        offset: u64,
        length: u64,
        bytes: axum::body::Bytes,
    ) -> std::io::Result<u64> {
        match self {
            Self::Files(s) => s.append(id, upload, offset, length, &bytes),
            Self::Objects(o) => o.append(id, upload, offset, length, bytes).await,
        }
    }

    pub(crate) async fn drop_upload(&self, id: &MailboxId, upload: &str) -> std::io::Result<()> {
        if !valid_part(upload) {
            return Err(not_found());
        }
        match self {
            Self::Files(s) => s.drop_upload(id, upload),
            Self::Objects(o) => o.drop_upload(id, upload).await,
        }
    }

    pub(crate) async fn blobs(&self, id: &MailboxId) -> std::io::Result<Vec<(String, u64)>> {
        match self {
            Self::Files(s) => s.blobs(id),
            Self::Objects(o) => o.blobs(id).await,
        }
    }

    pub(crate) async fn open_blob(&self, id: &MailboxId, blob: &str) -> std::io::Result<Blob> {
        if !valid_part(blob) {
            return Err(not_found());
        }
        match self {
            Self::Files(s) => s.open_blob(id, blob).await.map(|(f, n)| Blob::File(f, n)),
            Self::Objects(o) => o.open_blob(id, blob).await.map(Blob::Chunks),
        }
    }

    pub(crate) async fn drop_blob(&self, id: &MailboxId, blob: &str) -> std::io::Result<()> {
        if !valid_part(blob) {
            return Err(not_found());
        }
        match self {
            Self::Files(s) => s.drop_blob(id, blob),
            Self::Objects(o) => o.drop_blob(id, blob).await,
        }
    }

    /// Removes every bundle and upload not touched for `ttl`; returns how many.
    pub(crate) async fn sweep(&self, ttl: Duration) -> anyhow::Result<usize> {
        match self {
            // Blocking file calls, off the runtime's threads.
            Self::Files(s) => {
                let s = s.clone();
                tokio::task::spawn_blocking(move || s.sweep(ttl)).await?
            }
            Self::Objects(o) => Ok(o.sweep(ttl).await?),
        }
    }
}

#[derive(Clone)]
pub(crate) struct Store {
    root: PathBuf,
}

impl Store {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn dir(&self, id: &MailboxId) -> PathBuf {
        self.root.join(id.to_hex())
    }

    pub(crate) fn create(&self) -> anyhow::Result<(MailboxId, Tokens)> {
        let (id, tokens) = new_mailbox()?;
        let dir = self.dir(&id);
        std::fs::create_dir_all(dir.join("u"))?;
        std::fs::create_dir_all(dir.join("b"))?;
        let tmp = dir.join("tokens.tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&tokens.deposit)?;
        f.write_all(&tokens.collect)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join("tokens"))?;
        Ok((id, tokens))
    }

    pub(crate) fn tokens(&self, id: &MailboxId) -> std::io::Result<Tokens> {
        let bytes = std::fs::read(self.dir(id).join("tokens"))?;
        let (d, c) = bytes.split_at_checked(32).ok_or_else(not_found)?;
        Ok(Tokens {
            deposit: d.try_into().map_err(|_| not_found())?,
            collect: c.try_into().map_err(|_| not_found())?,
            deposit_token: String::new(),
            collect_token: String::new(),
        })
    }

    /// Bytes held or promised (blobs and declared upload lengths), and how many.
    pub(crate) fn usage(&self, id: &MailboxId) -> std::io::Result<(u64, usize)> {
        let dir = self.dir(id);
        let mut bytes = 0u64;
        let mut count = 0usize;
        for e in std::fs::read_dir(dir.join("b"))? {
            bytes = bytes.saturating_add(e?.metadata()?.len());
            count += 1;
        }
        for e in std::fs::read_dir(dir.join("u"))? {
            let e = e?;
            if e.path().extension().is_some_and(|x| x == "len") {
                bytes = bytes.saturating_add(read_len(&e.path())?);
                count += 1;
            }
        }
        Ok((bytes, count))
    }

    pub(crate) fn begin_upload(&self, id: &MailboxId, length: u64) -> std::io::Result<String> {
        let upload = random_hex::<16>()?;
        self.begin_upload_named(id, &upload, length)?;
        Ok(upload)
    }

    fn begin_upload_named(&self, id: &MailboxId, upload: &str, length: u64) -> std::io::Result<()> {
        let u = self.dir(id).join("u");
        std::fs::File::create(u.join(upload))?.sync_all()?;
        std::fs::write(u.join(format!("{upload}.len")), length.to_string())
    }

    fn upload_paths(&self, id: &MailboxId, upload: &str) -> std::io::Result<(PathBuf, PathBuf)> {
        if !valid_part(upload) {
            return Err(not_found());
        }
        let u = self.dir(id).join("u");
        Ok((u.join(upload), u.join(format!("{upload}.len"))))
    }

    /// (bytes received, declared length); a finished upload is its bundle.
    pub(crate) fn upload_state(&self, id: &MailboxId, upload: &str) -> std::io::Result<(u64, u64)> {
        let (data, len) = self.upload_paths(id, upload)?;
        match std::fs::metadata(data) {
            Ok(m) => Ok((m.len(), read_len(&len)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let n = std::fs::metadata(self.blob_path(id, upload)?)?.len();
                Ok((n, n))
            }
            Err(e) => Err(e),
        }
    }

    /// Appends `bytes` at `offset` and syncs; on the last byte the upload becomes a
    /// blob. A write that fails (a full disk) is cut back to `offset`, so the offset
    /// a client is told stays true. Returns the new offset.
    pub(crate) fn append(
        &self,
        id: &MailboxId,
        upload: &str,
        offset: u64,
        length: u64,
        bytes: &[u8],
    ) -> std::io::Result<u64> {
        let (data, len) = self.upload_paths(id, upload)?;
        let mut f = std::fs::OpenOptions::new().append(true).open(&data)?;
        let written = f.write_all(bytes).and_then(|()| f.sync_data());
        if let Err(e) = written {
            let _ = f.set_len(offset);
            return Err(e);
        }
        let now = offset + bytes.len() as u64;
        if now == length {
            let blob = self.dir(id).join("b").join(upload);
            std::fs::rename(&data, &blob)?;
            std::fs::remove_file(&len)?;
            if let Ok(d) = std::fs::File::open(self.dir(id).join("b")) {
                let _ = d.sync_all();
            }
        }
        Ok(now)
    }

    pub(crate) fn drop_upload(&self, id: &MailboxId, upload: &str) -> std::io::Result<()> {
        let (data, len) = self.upload_paths(id, upload)?;
        std::fs::remove_file(len)?;
        std::fs::remove_file(data)
    }

    pub(crate) fn blobs(&self, id: &MailboxId) -> std::io::Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(self.dir(id).join("b"))? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if valid_part(&name) {
                out.push((name, e.metadata()?.len()));
            }
        }
        out.sort();
        Ok(out)
    }

    fn blob_path(&self, id: &MailboxId, blob: &str) -> std::io::Result<PathBuf> {
        if !valid_part(blob) {
            return Err(not_found());
        }
        Ok(self.dir(id).join("b").join(blob))
    }

    pub(crate) async fn open_blob(
        &self,
        id: &MailboxId,
        blob: &str,
    ) -> std::io::Result<(tokio::fs::File, u64)> {
        let f = tokio::fs::File::open(self.blob_path(id, blob)?).await?;
        let size = f.metadata().await?.len();
        Ok((f, size))
    }

    pub(crate) fn drop_blob(&self, id: &MailboxId, blob: &str) -> std::io::Result<()> {
        std::fs::remove_file(self.blob_path(id, blob)?)
    }

    /// Removes every blob and upload not touched for `ttl`.
    pub(crate) fn sweep(&self, ttl: Duration) -> anyhow::Result<usize> {
        let now = SystemTime::now();
        let old = |p: &Path| -> bool {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > ttl)
        };
        let mut removed = 0;
        for mailbox in std::fs::read_dir(&self.root)? {
            let dir = mailbox?.path();
            for e in std::fs::read_dir(dir.join("b")).into_iter().flatten() {
                let p = e?.path();
                if old(&p) && std::fs::remove_file(&p).is_ok() {
                    removed += 1;
                }
            }
            for e in std::fs::read_dir(dir.join("u")).into_iter().flatten() {
                let p = e?.path();
                if p.extension().is_none() && old(&p) {
                    let _ = std::fs::remove_file(p.with_extension("len"));
                    if std::fs::remove_file(&p).is_ok() {
                        removed += 1;
                    }
                }
            }
        }
        Ok(removed)
    }
}

fn read_len(p: &Path) -> std::io::Result<u64> {
    std::fs::read_to_string(p)?
        .trim()
        .parse()
        .map_err(|_| std::io::Error::other("upload length"))
}
