//! Form definitions as stored text; their meaning lives in `satchel-api`.

use rusqlite::{OptionalExtension, params};

use crate::{Store, StoreError};

/// Keeps a version of a form for the records made with it.
pub(crate) fn keep_version(
    conn: &rusqlite::Connection,
    name: &str,
    version: i64,
    definition: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO form_versions (name, version, definition) VALUES (?1, ?2, ?3)
         ON CONFLICT (name, version) DO NOTHING",
    )?
    .execute(params![name, version, definition])?;
    Ok(())
}

impl Store {
    /// Stores a form definition, replacing any older version of the same name.
    pub fn form_put(
        &mut self,
        name: &str,
        version: i64,
        definition: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO forms (name, version, definition) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET version = excluded.version,
                                              definition = excluded.definition",
            params![name, version, definition],
        )?;
        keep_version(&self.conn, name, version, definition)?;
        Ok(())
    }

    /// One version of a form, as it was published.
    pub fn form_version(&self, name: &str, version: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT definition FROM form_versions WHERE name = ?1 AND version = ?2",
                params![name, version],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// A form's version and definition.
    pub fn form_get(&self, name: &str) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT version, definition FROM forms WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// All form definitions, by name.
    pub fn forms(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT definition FROM forms ORDER BY name")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
