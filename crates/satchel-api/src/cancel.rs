//! Stopping long work from another thread: the app raises a flag when the vault
//! locks, the panic key is pressed or the person presses Cancel, and an import or
//! export in progress ends with [`ApiError::Cancelled`], its transaction rolled back.

use std::io::{self, Read};
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use crate::{Result, Vault};

impl Vault {
    /// Work in progress stops soon after `flag` is raised: every SQL statement is
    /// interrupted, and the steps between statements ask [`Vault::cancelled`].
    pub fn set_cancel(&mut self, flag: Arc<AtomicBool>) -> Result<()> {
        Ok(self.store.set_cancel(flag)?)
    }

    /// [`crate::ApiError::Cancelled`] if the flag is raised.
    pub(crate) fn cancelled(&self) -> Result<()> {
        Ok(self.store.cancelled()?)
    }
}

/// A reader that fails once the flag is raised, so that decrypting a large bundle
/// stops between two chunks. The caller reports [`crate::ApiError::Cancelled`].
pub(crate) struct Stoppable<R> {
    inner: R,
    flag: Option<Arc<AtomicBool>>,
}

impl<R> Stoppable<R> {
    pub(crate) fn new(inner: R, flag: Option<Arc<AtomicBool>>) -> Self {
        Self { inner, flag }
    }
}

impl<R: Read> Read for Stoppable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self
            .flag
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            // Not `Interrupted`: readers retry that kind.
            return Err(io::Error::other("stopped"));
        }
        self.inner.read(buf)
    }
}
