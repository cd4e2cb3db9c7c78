//! Stopping long work from another thread: the app raises a flag when the vault
//! locks, the panic key is pressed or the person presses Cancel, and an import or
//! export in progress ends with [`ApiError::Cancelled`], its transaction rolled back.

use std::sync::{Arc, atomic::AtomicBool};

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
