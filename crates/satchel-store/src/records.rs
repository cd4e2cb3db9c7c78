//! The records view: a cache of `merge::materialise` over each record's ops, with its
//! full-text index. It can always be rebuilt from the op log, and tests check that a
//! rebuild gives exactly what is stored.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, Transaction, params};
use satchel_sync::{
    merge::{self, RecordState},
    op::{Body, Op, OpId, OpKind, OpView, RecordId},
};

use crate::{Store, StoreError, ops, search};

/// A record as stored in the view.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// Its id.
    pub id: RecordId,
    /// Its merged state.
    pub state: RecordState,
}

/// Which records to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only records of this form.
    pub form: Option<String>,
    /// Include deleted records.
    pub include_deleted: bool,
    /// At most this many (0: no limit).
    pub limit: usize,
    /// Skip this many.
    pub offset: usize,
    /// Least recently changed first.
    pub oldest_first: bool,
}

/// The `WHERE` of a list: `?1` is the form (`?1 = ?1` keeps it bound when there is
/// none). A fixed set of strings, never user text.
fn where_clause(filter: &ListFilter) -> &'static str {
    match (filter.form.is_some(), filter.include_deleted) {
        (true, false) => "form = ?1 AND deleted = 0",
        (true, true) => "form = ?1 AND ?1 = ?1",
        (false, false) => "deleted = 0 AND ?1 = ?1",
        (false, true) => "?1 = ?1",
    }
}

/// A list page: `?1` the form, `?2` the limit, `?3` the offset.
fn list_query(filter: &ListFilter) -> String {
    let order = if filter.oldest_first {
        "updated_ms ASC, id DESC"
    } else {
        "updated_ms DESC, id ASC"
    };
    format!(
        "SELECT id, state FROM records WHERE {} ORDER BY {order} LIMIT ?2 OFFSET ?3",
        where_clause(filter)
    )
}

fn searchable(state: &RecordState) -> Vec<&str> {
    fn strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for values in state.fields.values() {
        for v in values {
            strings(&v.value, &mut out);
        }
    }
    out
}

fn ms(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt("clock"))
}

/// Writes a record's row in the search index: its text and its form.
fn index_row(tx: &Transaction<'_>, rowid: i64, state: &RecordState) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO search (rowid, body, form) VALUES (?1, ?2, ?3)")?
        .execute(params![
            rowid,
            search::index_text(searchable(state)),
            search::form_token(&state.form)
        ])?;
    Ok(())
}

/// Fills an empty search index from the records view (the index's layout changed).
pub(crate) fn reindex_search(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let mut read = tx.prepare("SELECT rowid, state FROM records WHERE deleted = 0")?;
    let rows = read.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (rowid, json) = row?;
        let state: RecordState =
            serde_json::from_str(&json).map_err(|_| StoreError::Corrupt("state"))?;
        index_row(tx, rowid, &state)?;
    }
    Ok(())
}

/// Recomputes one record from its ops: erases payloads a purge covers, then writes
/// the view row, its search text and its attachment references.
///
/// `fresh` holds the record's ops when all of them arrived in this transaction (a new
/// record), which saves reading back and decoding what is already in memory.
pub(crate) fn refresh(
    tx: &Transaction<'_>,
    record: &RecordId,
    fresh: Option<&[&Op]>,
) -> Result<(), StoreError> {
    let loaded;
    let all: Vec<&Op> = match fresh {
        Some(ops) => ops.to_vec(),
        None => {
            loaded = ops::load_ops(tx, record)?;
            loaded.iter().collect()
        }
    };
    let views: Vec<OpView<'_>> = all.iter().map(|o| o.view()).collect();
    let purges: Vec<OpView<'_>> = views
        .iter()
        .filter(|v| v.header.kind == OpKind::Purge)
        .copied()
        .collect();
    let erased: Vec<OpId> = views
        .iter()
        .filter(|v| v.body.is_some() && merge::is_erased(v, &purges))
        .map(|v| v.id)
        .collect();
    ops::erase_payloads(tx, &erased)?;
    let state = merge::materialise(&views);

    let rowid: Option<i64> = tx
        .prepare_cached("SELECT rowid FROM records WHERE id = ?1")?
        .query_row([&record.0[..]], |r| r.get(0))
        .optional()?;
    if let Some(rowid) = rowid {
        tx.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([rowid])?;
        tx.prepare_cached("DELETE FROM record_blobs WHERE record = ?1")?
            .execute([&record.0[..]])?;
    }

    let Some(state) = state else {
        tx.prepare_cached("DELETE FROM records WHERE id = ?1")?
            .execute([&record.0[..]])?;
        return Ok(());
    };
    let json = serde_json::to_string(&state).map_err(|_| StoreError::Corrupt("state"))?;
    let rowid: i64 = tx
        .prepare_cached(
            "INSERT INTO records (id, form, created_ms, updated_ms, deleted, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET form = excluded.form, created_ms = excluded.created_ms,
             updated_ms = excluded.updated_ms, deleted = excluded.deleted, state = excluded.state
         RETURNING rowid",
        )?
        .query_row(
            params![
                &record.0[..],
                state.form,
                ms(state.created.wall_ms)?,
                ms(state.updated.wall_ms)?,
                state.deleted,
                json
            ],
            |r| r.get(0),
        )?;
    if !state.deleted {
        index_row(tx, rowid, &state)?;
    }
    let mut hashes = BTreeSet::new();
    for op in &all {
        if erased.contains(&op.id) {
            continue;
        }
        if let Some(Body::Write(w)) = &op.body {
            hashes.extend(w.attachments());
        }
    }
    for hash in hashes {
        tx.prepare_cached("INSERT INTO record_blobs (record, hash) VALUES (?1, ?2)")?
            .execute(params![&record.0[..], &hash[..]])?;
    }
    Ok(())
}

fn decode_row(id: Vec<u8>, state: String) -> Result<StoredRecord, StoreError> {
    Ok(StoredRecord {
        id: RecordId(
            id.try_into()
                .map_err(|_| StoreError::Corrupt("record id"))?,
        ),
        state: serde_json::from_str(&state).map_err(|_| StoreError::Corrupt("record state"))?,
    })
}

impl Store {
    /// One record from the view.
    pub fn record(&self, id: &RecordId) -> Result<Option<StoredRecord>, StoreError> {
        let row: Option<(Vec<u8>, String)> = self
            .conn
            .query_row(
                "SELECT id, state FROM records WHERE id = ?1",
                [&id.0[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(id, state)| decode_row(id, state)).transpose()
    }

    /// Up to two record ids starting with `prefix`: enough to tell a unique short id
    /// from an ambiguous one.
    pub fn records_with_prefix(&self, prefix: &[u8]) -> Result<Vec<RecordId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM records WHERE id >= ?1 ORDER BY id LIMIT 2")?;
        let rows = stmt.query_map([prefix], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for row in rows {
            let id = RecordId(row?.try_into().map_err(|_| StoreError::Corrupt("id"))?);
            if id.0.starts_with(prefix) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Records, most recently changed first (or least, with `oldest_first`).
    ///
    /// The filters are spelled out rather than written as `(?1 IS NULL OR ...)` so
    /// SQLite walks `records_list` / `records_form_list` in order and stops after
    /// the page: no sort of the table, whatever the offset (migration 3).
    pub fn records(&self, filter: &ListFilter) -> Result<Vec<StoredRecord>, StoreError> {
        let limit = if filter.limit == 0 {
            i64::MAX
        } else {
            i64::try_from(filter.limit).unwrap_or(i64::MAX)
        };
        let offset = i64::try_from(filter.offset).unwrap_or(0);
        let mut stmt = self.conn.prepare_cached(&list_query(filter))?;
        let form = filter.form.as_deref().unwrap_or("");
        let rows = stmt.query_map(params![form, limit, offset], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|r| {
            let (id, state) = r?;
            decode_row(id, state)
        })
        .collect()
    }

    /// Test support: SQLite's plan for the list query of `filter`.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn list_plan_for_tests(&self, filter: &ListFilter) -> String {
        let sql = format!("EXPLAIN QUERY PLAN {}", list_query(filter));
        let Ok(mut stmt) = self.conn.prepare(&sql) else {
            return String::new();
        };
        let form = filter.form.as_deref().unwrap_or("");
        let Ok(rows) = stmt.query_map(params![form, 200, 5000], |r| r.get::<_, String>(3)) else {
            return String::new();
        };
        rows.flatten().collect::<Vec<_>>().join("; ")
    }

    /// How many records `filter` selects, ignoring its limit and offset.
    pub fn count(&self, filter: &ListFilter) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT count(*) FROM records WHERE {}",
            where_clause(filter)
        );
        let form = filter.form.as_deref().unwrap_or("");
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![form], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Records matching `query` (see [`search`]), newest first. Deleted records
    /// are not in the index. FTS5 walks matches in rowid order and stops at the limit,
    /// so a common word costs no more than a rare one (no sort over every match).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<StoredRecord>, StoreError> {
        self.search_in(query, None, limit)
    }

    /// [`Store::search`] within one form. The index holds each record's form, so FTS5
    /// intersects the two and the limit counts only that form's records.
    pub fn search_in(
        &self,
        query: &str,
        form: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let Some(expr) = search::match_in(query, form) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.state FROM
               (SELECT rowid FROM search WHERE search MATCH ?1 ORDER BY rowid DESC LIMIT ?2) AS m
             JOIN records r ON r.rowid = m.rowid
             ORDER BY r.rowid DESC",
        )?;
        let rows = stmt.query_map(params![expr, limit], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|r| {
            let (id, state) = r?;
            decode_row(id, state)
        })
        .collect()
    }

    /// Records whose stored view differs from a fresh replay of their ops.
    pub fn verify_view(&self) -> Result<Vec<RecordId>, StoreError> {
        let mut ids: BTreeSet<RecordId> = BTreeSet::new();
        for table in ["SELECT DISTINCT record FROM ops", "SELECT id FROM records"] {
            let mut stmt = self.conn.prepare(table)?;
            for id in stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))? {
                ids.insert(RecordId(
                    id?.try_into().map_err(|_| StoreError::Corrupt("id"))?,
                ));
            }
        }
        let mut bad = Vec::new();
        for id in ids {
            let all = ops::load_ops(&self.conn, &id)?;
            let views: Vec<OpView<'_>> = all.iter().map(|o| o.view()).collect();
            let replayed = merge::materialise(&views);
            if replayed != self.record(&id)?.map(|r| r.state) {
                bad.push(id);
            }
        }
        Ok(bad)
    }

    /// Rebuilds the whole view and search index from the op log.
    pub fn rebuild_view(&mut self) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute_batch("DELETE FROM search; DELETE FROM records; DELETE FROM record_blobs;")?;
        let ids: Vec<Vec<u8>> = {
            let mut stmt = tx.prepare("SELECT DISTINCT record FROM ops")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        for id in ids {
            let id = RecordId(id.try_into().map_err(|_| StoreError::Corrupt("id"))?);
            refresh(&tx, &id, None)?;
        }
        tx.commit()?;
        Ok(())
    }
}
