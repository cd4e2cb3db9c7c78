//! `satchel-relay`: serve mailboxes, or create one as the operator.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use satchel_relay::{Config, Relay};

#[derive(Parser)]
#[command(
    version,
    about = "Store-and-forward mailboxes for Satchel's encrypted bundles"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve mailboxes over HTTP (put TLS in front: see docs/relay.md)
    Serve {
        /// Where mailboxes are stored
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
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
        /// Where mailboxes are stored
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Mailbox(MailboxCommand::Create { data }) => {
            let relay = Relay::new(Config::new(data))?;
            let (id, tokens) = relay.create_mailbox()?;
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
            data,
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
                ..Config::new(data)
            };
            let relay = Relay::new(cfg)?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
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
