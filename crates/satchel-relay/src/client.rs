//! Satchel's side of the relay: deposit a sealed bundle into a peer's mailbox
//! (resumable, a SHA-256 checksum per chunk), and list, download (resumable) and
//! delete what waits in this device's own. Through a SOCKS5 proxy when one is given,
//! with names resolved by the proxy (`socks5h`), and never a direct connection
//! then; no system proxy is ever used unasked. TLS through rustls, with the
//! platform's roots.

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
}

fn net(e: reqwest::Error) -> ClientError {
    // The URL (a mailbox id) is left out of what is said.
    ClientError::Network(e.without_url().to_string())
}

fn status(code: u16) -> ClientError {
    match code {
        404 => ClientError::NotFound,
        413 | 507 => ClientError::Full,
        429 => ClientError::RateLimited,
        other => ClientError::Refused(other),
    }
}

/// A relay, as this device reaches it.
pub struct RelayClient {
    http: reqwest::blocking::Client,
    base: String,
}

impl RelayClient {
    /// A client of the relay at `base` (`https://…`, or `http://` on loopback for
    /// tests), through `proxy` (`socks5h://HOST:PORT`) if given.
    pub fn new(base: &str, proxy: Option<&str>) -> Result<Self, ClientError> {
        // ring, once for the process: the only TLS provider built in.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::blocking::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(300))
            .user_agent("satchel");
        if let Some(p) = proxy {
            if !p.starts_with("socks5h://") {
                return Err(ClientError::BadProxy);
            }
            b = b.proxy(reqwest::Proxy::all(p).map_err(|_| ClientError::BadProxy)?);
        }
        Ok(Self {
            http: b.build().map_err(net)?,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    fn mailbox(&self, mailbox: &str) -> String {
        format!("{}/v1/mailboxes/{mailbox}", self.base)
    }

    /// Deposits `bundle` into `mailbox` with its deposit `token`, resuming the upload
    /// at `resume` (a location a cut deposit left) if given. `upload` is set to the
    /// upload's location as soon as it exists, so a caller can keep it to resume.
    /// Reports `(bytes sent, bytes in all)`.
    pub fn deposit(
        &self,
        mailbox: &str,
        token: &str,
        bundle: &[u8],
        upload: &mut Option<String>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), ClientError> {
        let total = bundle.len() as u64;
        let auth = format!("Bearer {token}");
        let location = match upload.clone() {
            Some(l) => l,
            None => {
                let r = self
                    .http
                    .post(format!("{}/uploads", self.mailbox(mailbox)))
                    .header("tus-resumable", crate::TUS_VERSION)
                    .header("authorization", &auth)
                    .header("upload-length", total.to_string())
                    .send()
                    .map_err(net)?;
                if r.status().as_u16() != 201 {
                    return Err(status(r.status().as_u16()));
                }
                let l = r
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or(ClientError::Refused(201))?
                    .to_owned();
                *upload = Some(l.clone());
                l
            }
        };
        let url = format!("{}{location}", self.base);
        // Where the relay has it: from there on.
        let r = self
            .http
            .head(&url)
            .header("tus-resumable", crate::TUS_VERSION)
            .header("authorization", &auth)
            .send()
            .map_err(net)?;
        if r.status().as_u16() != 200 {
            return Err(status(r.status().as_u16()));
        }
        let mut offset: u64 = r
            .headers()
            .get("upload-offset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or(ClientError::Refused(200))?;
        progress(offset, total);
        while offset < total {
            let start = usize::try_from(offset).map_err(|_| ClientError::Refused(0))?;
            let end = (start + CHUNK).min(bundle.len());
            let piece = bundle.get(start..end).ok_or(ClientError::Refused(0))?;
            let sum = data_encoding::BASE64.encode(&sha2::Sha256::digest(piece));
            let r = self
                .http
                .patch(&url)
                .header("tus-resumable", crate::TUS_VERSION)
                .header("authorization", &auth)
                .header("content-type", "application/offset+octet-stream")
                .header("upload-offset", offset.to_string())
                .header("upload-checksum", format!("sha256 {sum}"))
                .body(piece.to_vec())
                .send()
                .map_err(net)?;
            if r.status().as_u16() != 204 {
                return Err(status(r.status().as_u16()));
            }
            offset = r
                .headers()
                .get("upload-offset")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .ok_or(ClientError::Refused(204))?;
            progress(offset, total);
        }
        *upload = None;
        Ok(())
    }

    /// The bundles waiting in `mailbox`: (id, size).
    pub fn list(&self, mailbox: &str, token: &str) -> Result<Vec<(String, u64)>, ClientError> {
        let r = self
            .http
            .get(format!("{}/blobs", self.mailbox(mailbox)))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .map_err(net)?;
        if r.status().as_u16() != 200 {
            return Err(status(r.status().as_u16()));
        }
        let body = r.bytes().map_err(net)?;
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| ClientError::Refused(200))?;
        Ok(v.get("blobs")
            .and_then(|b| b.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|b| {
                        Some((b.get("id")?.as_str()?.to_owned(), b.get("size")?.as_u64()?))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Downloads a bundle into `into`, continuing after the bytes it already holds
    /// (a download cut before).
    pub fn download(
        &self,
        mailbox: &str,
        token: &str,
        blob: &str,
        into: &mut Vec<u8>,
    ) -> Result<(), ClientError> {
        use std::io::Read;
        let mut req = self
            .http
            .get(format!("{}/blobs/{blob}", self.mailbox(mailbox)))
            .header("authorization", format!("Bearer {token}"));
        if !into.is_empty() {
            req = req.header("range", format!("bytes={}-", into.len()));
        }
        let mut r = req.send().map_err(net)?;
        let code = r.status().as_u16();
        if code == 200 {
            into.clear();
        } else if code != 206 {
            return Err(status(code));
        }
        r.read_to_end(into)
            .map_err(|e| ClientError::Network(e.to_string()))?;
        Ok(())
    }

    /// Deletes a collected bundle.
    pub fn delete(&self, mailbox: &str, token: &str, blob: &str) -> Result<(), ClientError> {
        let r = self
            .http
            .delete(format!("{}/blobs/{blob}", self.mailbox(mailbox)))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .map_err(net)?;
        match r.status().as_u16() {
            204 => Ok(()),
            other => Err(status(other)),
        }
    }
}
