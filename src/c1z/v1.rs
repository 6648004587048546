//! v1 files: `C1ZF\0` + a zstd stream whose plaintext is a SQLite database. Decompressed (with a
//! size cap) into a private temporary file that is always removed, opened read-only.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use indexmap::IndexMap;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{C1zError, DanglingPrincipals, MAGIC_V1, SyncFacts, SyncRun, SyncStats};

/// Tables every v1 sync file has.
const TABLES: [&str; 5] = [
    "v1_sync_runs",
    "v1_resource_types",
    "v1_resources",
    "v1_entitlements",
    "v1_grants",
];

/// An opened v1 file. Dropping it closes the database, then removes the private temporary
/// directory (mode 0700) that holds the decompressed copy and any sidecar SQLite made.
pub struct V1File {
    // Field order matters: the connection closes before the directory is deleted.
    pub(crate) conn: Connection,
    _dir: tempfile::TempDir,
}

/// `path` for a `file:` URI: every byte but unreserved ones and `/` percent-encoded (RFC 3986),
/// so a `TMPDIR` holding `?`, `#` or `%` opens the file it names and no other (report D19).
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The grants of sync `?1` whose principal has no resource row (a query's FROM … WHERE).
const DANGLING: &str = "FROM v1_grants g LEFT JOIN v1_resources r ON r.sync_id = g.sync_id
   AND r.external_id = g.principal_resource_type_id || ':' || g.principal_resource_id
 WHERE g.sync_id = ?1 AND r.id IS NULL";

fn sql(e: rusqlite::Error) -> C1zError {
    C1zError::Sqlite(e.to_string())
}

impl V1File {
    /// Decompresses and opens `path`.
    pub fn open(path: &Path, max_bytes: u64) -> Result<V1File, C1zError> {
        let mut file = File::open(path)?;
        let mut magic = [0u8; 5];
        file.read_exact(&mut magic)
            .map_err(|_| C1zError::BadMagic)?;
        if &magic != MAGIC_V1 {
            return Err(C1zError::BadMagic);
        }
        file.seek(SeekFrom::Start(5))?;
        // tempfile makes the directory 0700 and the name random; an error or a signal (the
        // loop below checks for one) drops it, and with it everything inside.
        let dir = tempfile::Builder::new().prefix("baton-lint-").tempdir()?;
        let db_path = dir.path().join("sync.db");
        let mut tmp = io::BufWriter::new(File::create(&db_path)?);
        let mut dec =
            zstd::stream::read::Decoder::new(file).map_err(|e| C1zError::Zstd(e.to_string()))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut total: u64 = 0;
        loop {
            let n = match dec.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(C1zError::Zstd(e.to_string())),
            };
            // Checked before the bytes are written: the temp file never passes the cap.
            total += n as u64;
            if total > max_bytes {
                return Err(C1zError::TooLarge(max_bytes));
            }
            if crate::input::interrupted() {
                return Err(C1zError::Interrupted);
            }
            tmp.write_all(&buf[..n])?;
        }
        tmp.flush()?;
        if total == 0 {
            return Err(C1zError::Zstd("empty payload".into()));
        }
        // `immutable=1`: the copy never changes, so SQLite takes no locks and creates no
        // -wal / -shm files beside it (the payload may be a WAL-mode database).
        drop(tmp);
        let uri = format!("file:{}?immutable=1", uri_path(&db_path));
        let conn = Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| C1zError::NotSqlite(e.to_string()))?;
        // SIGINT / SIGTERM end a long query: SQLite asks every 10,000 VM steps.
        conn.progress_handler(10_000, Some(crate::input::interrupted));
        let names: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| C1zError::NotSqlite(e.to_string()))?;
        if let Some(missing) = TABLES.iter().find(|t| !names.iter().any(|n| n == *t)) {
            return Err(C1zError::MissingTable(missing.to_string()));
        }
        Ok(V1File { conn, _dir: dir })
    }

    fn has_column(&self, table: &str, column: &str) -> Result<bool, C1zError> {
        let mut st = self
            .conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .map_err(sql)?;
        let cols: Vec<String> = st
            .query_map([], |r| r.get(1))
            .map_err(sql)?
            .collect::<Result<_, _>>()
            .map_err(sql)?;
        Ok(cols.iter().any(|c| c == column))
    }

    /// Every sync run, oldest first.
    pub fn sync_runs(&self) -> Result<Vec<SyncRun>, C1zError> {
        let ty = if self.has_column("v1_sync_runs", "sync_type")? {
            "sync_type"
        } else {
            "'full'"
        };
        let q = format!(
            "SELECT sync_id, {ty}, CAST(started_at AS TEXT), CAST(ended_at AS TEXT) FROM v1_sync_runs ORDER BY started_at, id"
        );
        let mut st = self.conn.prepare(&q).map_err(sql)?;
        let rows = st
            .query_map([], |r| {
                Ok(SyncRun {
                    sync_id: r.get(0)?,
                    sync_type: r
                        .get::<_, Option<String>>(1)?
                        .unwrap_or_else(|| "full".into()),
                    started_at: r.get(2)?,
                    ended_at: r.get(3)?,
                })
            })
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    fn counts(&self, q: &str, sync_id: &str) -> Result<IndexMap<String, u64>, C1zError> {
        let mut st = self.conn.prepare(q).map_err(sql)?;
        let rows = st
            .query_map([sync_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(sql)?;
        let mut out = IndexMap::new();
        for row in rows {
            let (k, v) = row.map_err(sql)?;
            out.insert(k, v.max(0) as u64);
        }
        Ok(out)
    }

    /// The referential facts of one sync (the queries below, gathered).
    pub fn facts(&self, sync_id: &str, limit: u32) -> Result<SyncFacts, C1zError> {
        let mut dangling_principals = Vec::new();
        for (rt, grants, principals) in self.dangling_principals_by_type(sync_id)? {
            dangling_principals.push(DanglingPrincipals {
                examples: self.dangling_principal_examples(sync_id, &rt, limit)?,
                case_of: self.type_differing_in_case(sync_id, &rt)?,
                resource_type: rt,
                grants,
                principals,
            });
        }
        let (dangling_entitlements, dangling_entitlement_total) =
            self.dangling_entitlements(sync_id, limit)?;
        Ok(SyncFacts {
            dangling_principals,
            case_variants: self.case_variant_ids(sync_id, limit)?,
            dangling_entitlements,
            dangling_entitlement_total,
            missing_raw_id: self.missing_raw_id(sync_id)?,
        })
    }

    /// Counts of one sync.
    pub fn stats(&self, sync_id: &str) -> Result<SyncStats, C1zError> {
        let mut by_type = self.counts(
            "SELECT external_id, 0 FROM v1_resource_types WHERE sync_id = ?1 ORDER BY external_id",
            sync_id,
        )?;
        for (k, v) in self.counts(
            "SELECT resource_type_id, count(*) FROM v1_resources WHERE sync_id = ?1 GROUP BY 1 ORDER BY 1",
            sync_id,
        )? {
            by_type.insert(k, v);
        }
        let ents = self.counts(
            "SELECT resource_type_id, count(*) FROM v1_entitlements WHERE sync_id = ?1 GROUP BY 1 ORDER BY 1",
            sync_id,
        )?;
        let grants = self.counts(
            "SELECT resource_type_id, count(*) FROM v1_grants WHERE sync_id = ?1 GROUP BY 1 ORDER BY 1",
            sync_id,
        )?;
        Ok(SyncStats {
            sync_id: sync_id.to_string(),
            resource_types: by_type.len() as u64,
            resources: by_type.values().sum(),
            entitlements: ents.values().sum(),
            grants: grants.values().sum(),
            resources_by_type: by_type,
            entitlements_by_type: ents,
            grants_by_type: grants,
        })
    }

    /// Grants whose principal has no resource row, per principal type, counted in full (no
    /// cap, whatever their number: report D13): (type, grants, distinct principals).
    pub fn dangling_principals_by_type(
        &self,
        sync_id: &str,
    ) -> Result<Vec<(String, u64, u64)>, C1zError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT g.principal_resource_type_id, count(*), count(DISTINCT g.principal_resource_id) {DANGLING} GROUP BY 1 ORDER BY 1"
            ))
            .map_err(sql)?;
        let rows = st
            .query_map([sync_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                ))
            })
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    /// Up to `limit` dangling principal ids of type `rt`, in order.
    pub fn dangling_principal_examples(
        &self,
        sync_id: &str,
        rt: &str,
        limit: u32,
    ) -> Result<Vec<String>, C1zError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT DISTINCT g.principal_resource_id {DANGLING} AND g.principal_resource_type_id = ?2 ORDER BY 1 LIMIT ?3"
            ))
            .map_err(sql)?;
        let rows = st
            .query_map(rusqlite::params![sync_id, rt, limit], |r| r.get(0))
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    /// A synced resource type that differs from `rt` only in letter case.
    pub fn type_differing_in_case(
        &self,
        sync_id: &str,
        rt: &str,
    ) -> Result<Option<String>, C1zError> {
        self.conn
            .query_row(
                "SELECT DISTINCT resource_type_id FROM v1_resources
                 WHERE sync_id = ?1 AND lower(resource_type_id) = lower(?2) AND resource_type_id != ?2 LIMIT 1",
                [sync_id, rt],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)
    }

    /// Grants whose entitlement has no entitlement row: (entitlement id, grants), and the total.
    pub fn dangling_entitlements(
        &self,
        sync_id: &str,
        limit: u32,
    ) -> Result<(Vec<(String, u64)>, u64), C1zError> {
        let base = "FROM v1_grants g LEFT JOIN v1_entitlements e ON e.sync_id = g.sync_id AND e.external_id = g.entitlement_id
                    WHERE g.sync_id = ?1 AND e.id IS NULL";
        let total: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) {base}"), [sync_id], |r| r.get(0))
            .map_err(sql)?;
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT g.entitlement_id, count(*) {base} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?2"
            ))
            .map_err(sql)?;
        let rows = st
            .query_map(rusqlite::params![sync_id, limit], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(sql)?;
        Ok((rows.collect::<Result<_, _>>().map_err(sql)?, total as u64))
    }

    /// Resource ids of one type that differ only in letter case (`user:Alice@Acme.com` and
    /// `user:alice@acme.com`): per type, up to `limit` ids of the first such group.
    pub fn case_variant_ids(
        &self,
        sync_id: &str,
        limit: u32,
    ) -> Result<Vec<(String, Vec<String>)>, C1zError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT resource_type_id, group_concat(external_id, char(31)) FROM (
                   SELECT resource_type_id, external_id, lower(external_id) AS k FROM v1_resources
                   WHERE sync_id = ?1 AND lower(external_id) IN (
                     SELECT lower(external_id) FROM v1_resources WHERE sync_id = ?1
                     GROUP BY resource_type_id, lower(external_id) HAVING count(DISTINCT external_id) > 1)
                   ORDER BY resource_type_id, k, external_id)
                 GROUP BY resource_type_id ORDER BY resource_type_id",
            )
            .map_err(sql)?;
        let rows = st
            .query_map([sync_id], |r| {
                let rt: String = r.get(0)?;
                let ids: String = r.get(1)?;
                Ok((rt, ids))
            })
            .map_err(sql)?;
        let mut out = Vec::new();
        for row in rows {
            let (rt, ids) = row.map_err(sql)?;
            let ids: Vec<String> = ids
                .split('\u{1f}')
                .take(limit as usize)
                .map(|full| {
                    // external_id is `type:id`.
                    full.split_once(':').map_or(full, |(_, id)| id).to_string()
                })
                .collect();
            out.push((rt, ids));
        }
        Ok(out)
    }

    /// Resources without a RawId annotation, per resource type.
    pub fn missing_raw_id(&self, sync_id: &str) -> Result<IndexMap<String, u64>, C1zError> {
        self.counts(
            "SELECT resource_type_id, count(*) FROM v1_resources
             WHERE sync_id = ?1 AND (data IS NULL OR instr(data, CAST('type.googleapis.com/c1.connector.v2.RawId' AS BLOB)) = 0)
             GROUP BY 1 ORDER BY 1",
            sync_id,
        )
    }
}
