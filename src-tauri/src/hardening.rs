//! What the process does for itself before anything else, so that what it held is
//! hard to recover once the vault locks (docs/vault-security.md, "Memory"):
//!
//! - **Freed memory is overwritten.** glibc's allocator fills every freed block
//!   (`glibc.malloc.perturb`), with the per-thread cache that would skip that turned
//!   off (`tcache_count=0`), and gives blocks of 128 KiB and more back to the system
//!   at once (a fixed `mmap_threshold`). Tunables are read when a process starts, so
//!   the app starts itself again with them, before Tauri or WebKit run; the web view's
//!   processes inherit them. Rust and SQLite allocate through glibc, so a record's text,
//!   a passphrase that crossed IPC, or a decrypted database page is overwritten when
//!   it is freed, not whenever the block happens to be reused.
//! - **No JIT in the web view** (`JSC_useJIT=false`, read by JavaScriptCore from the
//!   environment, as WebKit's Lockdown Mode does): no memory that is both written and
//!   run, for a page that only ever runs the app's own code, and the web process keeps
//!   no compiled code between screens (15-20 MB less after a session of edits; ADR
//!   0040). A `JSC_useJIT` the user set is kept.
//! - **No core dumps, and no reading by other processes of the user**:
//!   `RLIMIT_CORE` 0 (inherited by the web view's processes) and not dumpable (which
//!   also keeps `/proc/PID/mem` from the user's other programs; root still reads it).
//!
//! Linux with glibc only; elsewhere this does nothing.

/// The tunables, appended to any the user set.
#[cfg(target_os = "linux")]
const TUNABLES: &str = "glibc.malloc.perturb=165:glibc.malloc.tcache_count=0:\
                        glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072";

/// Starts the app again with the allocator tunables and the web view's JIT off if it
/// runs without them, then turns core dumps and reading by others off. Failures are
/// reported and never stop the app: its other protections still hold.
pub fn at_start() {
    #[cfg(target_os = "linux")]
    {
        let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        let tunables = if current.contains("glibc.malloc.perturb") {
            current
        } else if current.is_empty() {
            TUNABLES.to_owned()
        } else {
            format!("{current}:{TUNABLES}")
        };
        let jit = std::env::var("JSC_useJIT").unwrap_or_else(|_| "false".to_owned());
        let unchanged = std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t == tunables)
            && std::env::var("JSC_useJIT").is_ok_and(|j| j == jit);
        if !unchanged {
            let e = crate::restart::exec_self(&[
                ("GLIBC_TUNABLES", tunables.as_str()),
                ("JSC_useJIT", jit.as_str()),
            ]);
            eprintln!(
                "satchel-app: freed memory will not be overwritten and the web view keeps its JIT (could not restart: {e})"
            );
        }
        if let Err(e) = no_dumps() {
            eprintln!("satchel-app: core dumps could not be turned off: {e}");
        }
    }
}

#[cfg(target_os = "linux")]
fn no_dumps() -> std::io::Result<()> {
    use rustix::process::{DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit};
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )?;
    set_dumpable_behavior(DumpableBehavior::NotDumpable)?;
    Ok(())
}
