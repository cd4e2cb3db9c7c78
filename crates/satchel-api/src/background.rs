//! A file writer whose system calls run on a thread of their own, so that sealing
//! the next chunk of a bundle overlaps writing the last one to disk. It also syncs
//! as it goes: the final sync then has little left to do, and progress on a slow
//! USB stick follows what reached the stick rather than the page cache.

use std::io::{self, Write};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Bytes handed to the thread at a time.
const BATCH: usize = 1024 * 1024;
/// Bytes written between two syncs.
const SYNC_EVERY: usize = 16 * BATCH;

/// A destination that can be made durable.
pub(crate) trait Durable: Write {
    /// Waits until what was written is on the disk.
    fn sync(&mut self) -> io::Result<()>;
}

impl Durable for std::fs::File {
    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

/// Writes to `W` on a worker thread, in batches of [`BATCH`]; at most two batches
/// wait, so memory stays bounded. The first error shows at the next write or at
/// [`BackgroundWriter::finish`].
pub(crate) struct BackgroundWriter<W: Durable + Send + 'static> {
    buf: Vec<u8>,
    tx: Option<SyncSender<Vec<u8>>>,
    worker: Option<JoinHandle<io::Result<W>>>,
}

impl<W: Durable + Send + 'static> BackgroundWriter<W> {
    pub(crate) fn new(mut inner: W) -> Self {
        let (tx, rx) = sync_channel::<Vec<u8>>(2);
        let worker = std::thread::spawn(move || {
            let mut unsynced = 0;
            for batch in rx {
                inner.write_all(&batch)?;
                unsynced += batch.len();
                if unsynced >= SYNC_EVERY {
                    inner.sync()?;
                    unsynced = 0;
                }
            }
            inner.flush()?;
            Ok(inner)
        });
        Self {
            buf: Vec::with_capacity(BATCH),
            tx: Some(tx),
            worker: Some(worker),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.buf, Vec::with_capacity(BATCH));
        let sent = self.tx.as_ref().map(|tx| tx.send(batch));
        match sent {
            Some(Ok(())) => Ok(()),
            // The worker stopped: its error is what to report.
            _ => Err(self
                .join()
                .err()
                .unwrap_or_else(|| io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn join(&mut self) -> io::Result<W> {
        drop(self.tx.take());
        match self.worker.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("writer thread failed")),
            None => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    /// Writes what is left, waits for the thread, and returns the writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.send()?;
        self.join()
    }
}

impl<W: Durable + Send + 'static> Write for BackgroundWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(BATCH - self.buf.len());
        self.buf
            .extend_from_slice(data.get(..n).unwrap_or_default());
        if self.buf.len() == BATCH {
            self.send()?;
        }
        Ok(n)
    }

    /// Batches are written in order by the thread; this only hands over the last one.
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl<W: Durable + Send + 'static> Drop for BackgroundWriter<W> {
    fn drop(&mut self) {
        let _ = self.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Durable for Vec<u8> {
        fn sync(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_everything_in_order() {
        let mut w = BackgroundWriter::new(Vec::new());
        let mut expect = Vec::new();
        for i in 0..5000u32 {
            let piece: Vec<u8> = (0..(i % 977)).map(|j| (i ^ j) as u8).collect();
            w.write_all(&piece).unwrap();
            expect.extend_from_slice(&piece);
        }
        assert_eq!(w.finish().unwrap(), expect);
    }

    struct Full;
    impl Durable for Full {
        fn sync(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::StorageFull.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_is_reported() {
        let mut w = BackgroundWriter::new(Full);
        let mut err = None;
        for _ in 0..10 {
            if let Err(e) = w.write_all(&[0u8; BATCH]) {
                err = Some(e);
                break;
            }
        }
        let err = err.or_else(|| w.finish().err()).unwrap();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    }
}
