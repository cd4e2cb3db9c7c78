//! The records view: a cache of `merge::materialise` over each record's ops, with its
//! full-text index. It can always be rebuilt from the op log, and tests check that a
//! rebuild gives exactly what is stored.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, Transaction, params, types::Value};
use satchel_sync::{
    merge::{self, RecordState},
    op::{Body, DeviceId, Op, OpId, OpKind, OpView, RecordId},
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
    /// Only records this device created, or changed at all.
    pub author: Option<AuthorFilter>,
    /// Only records created, or last changed, within a span of time.
    pub time: Option<TimeFilter>,
}

/// Records by one author.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorFilter {
    /// The author.
    pub device: DeviceId,
    /// Any of its ops counts (a write, a delete, a purge), not only the first write.
    pub changed: bool,
}

/// Records whose creation, or last change, falls in `[from_ms, until_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeFilter {
    /// The last change (`updated_ms`) rather than the creation (`created_ms`).
    pub changed: bool,
    /// First millisecond in.
    pub from_ms: i64,
    /// First millisecond out.
    pub until_ms: i64,
}

/// The `WHERE` of a list and its named parameters. Built from a fixed set of strings,
/// never user text. The form and deletion tests come first and alone when nothing
/// else is asked, so SQLite walks `records_list` / `records_form_list` in order and
/// stops after the page (migration 3).
///
/// A record's creator (`satchel_sync::authz::creator`, the author of its earliest
/// creation) is kept in `created_by` by [`refresh`] (migration 13); "changed by"
/// reads the author's ops by record.
fn where_clause(filter: &ListFilter) -> (String, Vec<(&'static str, Value)>) {
    let mut terms: Vec<&'static str> = Vec::new();
    let mut params: Vec<(&'static str, Value)> = Vec::new();
    if let Some(form) = &filter.form {
        terms.push("form = :form");
        params.push((":form", Value::Text(form.clone())));
    }
    if !filter.include_deleted {
        terms.push("deleted = 0");
    }
    if let Some(time) = &filter.time {
        terms.push(if time.changed {
            "updated_ms >= :from AND updated_ms < :until"
        } else {
            "created_ms >= :from AND created_ms < :until"
        });
        params.push((":from", Value::Integer(time.from_ms)));
        params.push((":until", Value::Integer(time.until_ms)));
    }
    if let Some(author) = &filter.author {
        terms.push(if author.changed {
            "id IN (SELECT record FROM ops WHERE author = :author AND void = 0)"
        } else {
            "created_by = :author"
        });
        params.push((":author", Value::Blob(author.device.0.to_vec())));
    }
    let clause = if terms.is_empty() {
        "1".to_owned()
    } else {
        terms.join(" AND ")
    };
    (clause, params)
}

/// A list page: the filter's parameters, `:limit` and `:offset`.
fn list_query(filter: &ListFilter) -> (String, Vec<(&'static str, Value)>) {
    let order = if filter.oldest_first {
        "updated_ms ASC, id DESC"
    } else {
        "updated_ms DESC, id ASC"
    };
    let (clause, params) = where_clause(filter);
    (
        format!(
            "SELECT id, state FROM records WHERE {clause} ORDER BY {order} LIMIT :limit OFFSET :offset"
        ),
        params,
    )
}

/// Named parameters as rusqlite takes them.
fn bind<'a>(params: &'a [(&'static str, Value)]) -> Vec<(&'static str, &'a dyn rusqlite::ToSql)> {
    params
        .iter()
        .map(|(k, v)| (*k, v as &dyn rusqlite::ToSql))
        .collect()
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
    // The creator, as the organisation's rules judge it (`Store::record_creator`).
    let created_by =
        satchel_sync::authz::creator(views.iter().map(|v| v.header)).map(|d| d.0.to_vec());
    let json = serde_json::to_string(&state).map_err(|_| StoreError::Corrupt("state"))?;
    let rowid: i64 = tx
        .prepare_cached(
            "INSERT INTO records (id, form, created_ms, updated_ms, deleted, state, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET form = excluded.form, created_ms = excluded.created_ms,
             updated_ms = excluded.updated_ms, deleted = excluded.deleted, state = excluded.state,
             created_by = excluded.created_by
         RETURNING rowid",
        )?
        .query_row(
            params![
                &record.0[..],
                state.form,
                ms(state.created.wall_ms)?,
                ms(state.updated.wall_ms)?,
                state.deleted,
                json,
                created_by
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

impl StoredRecord {
    /// The piece of this record's text that `query` matched, matches marked
    /// ([`search::snippet`]).
    pub fn snippet(&self, query: &str) -> Vec<search::SnippetPart> {
        search::snippet(query, searchable(&self.state))
    }
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

    /// Every device that wrote an op held here, in id order (from the `(author, seq)`
    /// index alone).
    pub fn record_authors(&self) -> Result<Vec<DeviceId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT author FROM ops ORDER BY author")?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        rows.map(|r| {
            Ok(DeviceId(
                r?.try_into().map_err(|_| StoreError::Corrupt("author"))?,
            ))
        })
        .collect()
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
        let (sql, mut params) = list_query(filter);
        params.push((":limit", Value::Integer(limit)));
        params.push((":offset", Value::Integer(offset)));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(bind(&params).as_slice(), |r| {
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
        let (sql, mut params) = list_query(filter);
        params.push((":limit", Value::Integer(200)));
        params.push((":offset", Value::Integer(5000)));
        let Ok(mut stmt) = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")) else {
            return String::new();
        };
        let Ok(rows) = stmt.query_map(bind(&params).as_slice(), |r| r.get::<_, String>(3)) else {
            return String::new();
        };
        rows.flatten().collect::<Vec<_>>().join("; ")
    }

    /// How many records `filter` selects, ignoring its limit and offset.
    pub fn count(&self, filter: &ListFilter) -> Result<u64, StoreError> {
        let (clause, params) = where_clause(filter);
        let sql = format!("SELECT count(*) FROM records WHERE {clause}");
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(bind(&params).as_slice(), |r| r.get(0))?;
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
        self.search_filtered(
            query,
            &ListFilter {
                form: form.map(str::to_owned),
                ..ListFilter::default()
            },
            limit,
        )
    }

    /// [`Store::search_in`] with the rest of a list's filter: its author and its
    /// span of time (deleted records are never in the index, and its limit, offset
    /// and order do not apply). FTS5 walks the matches newest first and each is
    /// checked against its record row until `limit` pass.
    pub fn search_filtered(
        &self,
        query: &str,
        filter: &ListFilter,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let Some(expr) = search::match_in(query, filter.form.as_deref()) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        let (sql, mut params) = if filter.author.is_none() && filter.time.is_none() {
            (
                "SELECT r.id, r.state FROM
                   (SELECT rowid FROM search WHERE search MATCH :match ORDER BY rowid DESC LIMIT :limit) AS m
                 JOIN records r ON r.rowid = m.rowid
                 ORDER BY r.rowid DESC"
                    .to_owned(),
                Vec::new(),
            )
        } else {
            // The form is matched by the index; the rest by the row.
            let (clause, params) = where_clause(&ListFilter {
                form: None,
                include_deleted: true,
                ..filter.clone()
            });
            (
                format!(
                    "SELECT records.id, records.state FROM search
                     JOIN records ON records.rowid = search.rowid
                     WHERE search MATCH :match AND {clause}
                     ORDER BY search.rowid DESC LIMIT :limit"
                ),
                params,
            )
        };
        params.push((":match", Value::Text(expr)));
        params.push((":limit", Value::Integer(limit)));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(bind(&params).as_slice(), |r| {
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
