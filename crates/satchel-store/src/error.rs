//! Errors of the vault database. Messages never carry SQL, paths or record content.

use rusqlite::ErrorCode;

const SQLITE_IOERR_SHMSIZE: i32 = 10 | (19 << 8);

/// What went wrong with the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// This build links SQLite without SQLCipher; it would write plaintext.
    #[error("this build has no database encryption (SQLCipher missing); refusing to continue")]
    NotEncrypted,
    /// The file does not decrypt with the key: damaged, or not a vault database.
    #[error("the vault database does not decrypt: it is damaged or not a Satchel vault")]
    DoesNotDecrypt,
    /// A page failed its integrity check after opening.
    #[error("the vault database is damaged")]
    Damaged,
    /// The schema is newer than this build understands.
    #[error(
        "the vault was written by a newer version of Satchel (schema {found}, this build knows {known})"
    )]
    NewerSchema {
        /// Version found in the file.
        found: i64,
        /// Highest version this build knows.
        known: i64,
    },
    /// The database file is missing.
    #[error("the vault database is missing")]
    Missing,
    /// A database file already exists where a new one was to be created.
    #[error("a vault database already exists here")]
    Exists,
    /// The disk is full; the change was rolled back.
    #[error("the disk is full; nothing was changed")]
    DiskFull,
    /// A write to the disk failed.
    #[error("the vault could not be written (disk full or failing); nothing was changed")]
    WriteFailed,
    /// Another process holds the vault.
    #[error("the vault is busy in another window or process; try again")]
    Busy,
    /// The file or folder cannot be written.
    #[error("the vault cannot be written (read-only file system or permissions)")]
    ReadOnly,
    /// A stored value did not decode (stored by a broken build, or damage).
    #[error("the vault holds an entry that does not decode ({0})")]
    Corrupt(&'static str),
    /// A stored op failed verification.
    #[error("a stored op failed verification: {0}")]
    Op(#[from] satchel_sync::OpError),
    /// Stopped on request ([`crate::Store::set_cancel`]); the transaction rolled back.
    #[error("stopped before it finished; nothing was changed")]
    Interrupted,
    /// Any other SQLite failure, by code only.
    #[error("database error (code {0})")]
    Sqlite(i32),
    /// An I/O failure outside SQLite.
    #[error("file system error: {0}")]
    Io(std::io::ErrorKind),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                ErrorCode::DiskFull => StoreError::DiskFull,
                ErrorCode::NotADatabase => StoreError::DoesNotDecrypt,
                ErrorCode::DatabaseCorrupt => StoreError::Damaged,
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy,
                ErrorCode::ReadOnly => StoreError::ReadOnly,
                ErrorCode::CannotOpen => StoreError::Missing,
                ErrorCode::OperationInterrupted => StoreError::Interrupted,
                // Growing the WAL index failed: on a full disk this is the first
                // write SQLite attempts.
                ErrorCode::SystemIoFailure if f.extended_code == SQLITE_IOERR_SHMSIZE => {
                    StoreError::DiskFull
                }
                ErrorCode::SystemIoFailure => StoreError::WriteFailed,
                _ => StoreError::Sqlite(f.extended_code),
            },
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => StoreError::Corrupt("column"),
            _ => StoreError::Sqlite(-1),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e.kind())
    }
}
