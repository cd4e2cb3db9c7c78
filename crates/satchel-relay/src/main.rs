//! `satchel-relay`: serve mailboxes, or create one as the operator.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use satchel_relay::{Config, Relay, Storage};

#[derive(Parser)]
#[command(
    version,
    about = "Store-and-forward mailboxes for Satchel's encrypted bundles"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where mailboxes live: a folder, or an object store several relays share.
#[derive(Args)]
struct StorageArgs {
    /// Where mailboxes are stored, on this machine
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "s3_endpoint",
        conflicts_with = "s3_endpoint"
    )]
    data: Option<PathBuf>,
    /// Store mailboxes in an S3-compatible object store instead (Garage, MinIO, AWS
    /// S3), which any number of relays may share: its URL. The key comes from
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (docs/relay-cluster.md)
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// The object store's bucket
    #[arg(long, value_name = "NAME", default_value = "satchel-relay")]
    s3_bucket: String,
    /// The object store's region (Garage's `s3_region`)
    #[arg(long, value_name = "NAME", default_value = "garage")]
    s3_region: String,
    /// Where in the bucket (a-z, 0-9, '-', '_', '/')
    #[arg(long, value_name = "PREFIX", default_value = "")]
    s3_prefix: String,
}

impl StorageArgs {
    fn storage(self) -> anyhow::Result<Storage> {
        let Some(url) = self.s3_endpoint else {
            let data = self.data.context("give --data DIR or --s3-endpoint URL")?;
            return Ok(Storage::Folder(data));
        };
        // Never on the command line, where any user of the machine can read it.
        let env = |name: &str| {
            std::env::var(name).with_context(|| {
                format!("{name} is not set: the object store's key comes from the environment")
            })
        };
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&url)
            .with_virtual_hosted_style_request(false)
            .with_bucket_name(self.s3_bucket)
            .with_region(self.s3_region)
            .with_access_key_id(env("AWS_ACCESS_KEY_ID")?)
            .with_secret_access_key(env("AWS_SECRET_ACCESS_KEY")?)
            // The relay has checked each chunk's SHA-256 before it stores it, and
            // bundles are sealed: hashing the payload again to sign it adds nothing.
            .with_unsigned_payload(true)
            // A store node that is gone fails the request within seconds, so the
            // client resumes through another relay instead of waiting minutes.
            .with_retry(object_store::RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
                ..Default::default()
            })
            .with_client_options(
                object_store::ClientOptions::new()
                    // Plain HTTP only when asked for: a store on the same host or
                    // network, as in the tests.
                    .with_allow_http(url.starts_with("http://"))
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60)),
            )
            .build()
            .context("the object store's settings")?;
        Ok(Storage::Objects {
            store: Arc::new(store),
            prefix: self.s3_prefix,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve mailboxes over HTTP (put TLS in front: see docs/relay.md)
    Serve {
        #[command(flatten)]
        storage: StorageArgs,
        /// Address and port to listen on
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
        listen: String,
        /// A file holding the token that lets clients create mailboxes over HTTP
        /// (without it, only `mailbox create` makes them)
        #[arg(long, value_name = "FILE")]
        registration_token_file: Option<PathBuf>,
        /// MiB a mailbox may hold
        #[arg(long, default_value_t = 1024)]
        quota_mib: u64,
        /// Bundles a mailbox may hold
        #[arg(long, default_value_t = 1000)]
        quota_blobs: usize,
        /// Hours a bundle is kept before it expires
        #[arg(long, default_value_t = 720)]
        ttl_hours: u64,
        /// Largest request body, in MiB
        #[arg(long, default_value_t = 8)]
        max_chunk_mib: usize,
        /// Requests per mailbox per minute
        #[arg(long, default_value_t = 600)]
        rate_per_minute: u32,
    },
    /// Mailboxes, as the operator
    #[command(subcommand)]
    Mailbox(MailboxCommand),
}

#[derive(Subcommand)]
enum MailboxCommand {
    /// Create a mailbox and print its id and tokens as JSON (shown once)
    Create {
        #[command(flatten)]
        storage: StorageArgs,
    },
}

fn main() -> anyhow::Result<()> {
    // TLS to an https object store: ring, the one provider linked (docs/adr/0036).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Runtime::new()?;
    match Cli::parse().command {
        Command::Mailbox(MailboxCommand::Create { storage }) => {
            let relay = Relay::new(Config::with_storage(storage.storage()?))?;
            rt.block_on(relay.check_storage())?;
            let (id, tokens) = rt.block_on(relay.create_mailbox())?;
            println!(
                "{}",
                serde_json::json!({
                    "mailbox": id.to_hex(),
                    "deposit": tokens.deposit_token,
                    "collect": tokens.collect_token,
                })
            );
            Ok(())
        }
        Command::Serve {
            storage,
            listen,
            registration_token_file,
            quota_mib,
            quota_blobs,
            ttl_hours,
            max_chunk_mib,
            rate_per_minute,
        } => {
            let registration = match registration_token_file {
                Some(f) => Some(satchel_relay::token_hash(
                    &std::fs::read_to_string(&f)
                        .with_context(|| format!("could not read {}", f.display()))?,
                )),
                None => None,
            };
            let cfg = Config {
                quota_bytes: quota_mib << 20,
                quota_blobs,
                ttl: Duration::from_secs(ttl_hours * 3600),
                max_chunk: max_chunk_mib << 20,
                rate_per_minute,
                registration,
                ..Config::with_storage(storage.storage()?)
            };
            let relay = Relay::new(cfg)?;
            rt.block_on(async move {
                relay.check_storage().await?;
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .with_context(|| format!("could not listen on {listen}"))?;
                // The only line the relay prints: where it listens.
                println!("listening on {}", listener.local_addr()?);
                std::io::stdout().flush()?;
                satchel_relay::serve(relay, listener).await
            })
        }
    }
}
