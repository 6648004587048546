//! `.c1z` linting on fixtures the tests build themselves (the v1 schema in SQLite, zstd,
//! `C1ZF\0`), every kind of bad file, and — when ../shared is beside the clone — the real files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_baton-lint");
const RAW_ID: &[u8] =
    b"\x22\x2d\x0a\x29type.googleapis.com/c1.connector.v2.RawId\x12\x04\x0a\x0242";

/// One sync of a fixture: (sync_id, finished?, resources (type, id, raw_id?), grants (entitlement, principal type, principal id)).
struct Sync<'a> {
    id: &'a str,
    finished: bool,
    types: &'a [&'a str],
    resources: &'a [(&'a str, &'a str, bool)],
    entitlements: &'a [(&'a str, &'a str, &'a str)],
    grants: &'a [(&'a str, &'a str, &'a str)],
}

fn build_v1(dir: &Path, name: &str, syncs: &[Sync<'_>]) -> PathBuf {
    let db_path = dir.join(format!("{name}.db"));
    let db = Connection::open(&db_path).unwrap();
    db.execute_batch(
        "CREATE TABLE v1_sync_runs (id INTEGER PRIMARY KEY, sync_id TEXT, started_at DATETIME, ended_at DATETIME, sync_token TEXT, sync_type TEXT, parent_sync_id TEXT);
         CREATE TABLE v1_resource_types (id INTEGER PRIMARY KEY, external_id TEXT, data BLOB, sync_id TEXT, discovered_at DATETIME);
         CREATE TABLE v1_resources (id INTEGER PRIMARY KEY, resource_type_id TEXT, external_id TEXT, parent_resource_type_id TEXT, parent_resource_id TEXT, data BLOB, sync_id TEXT, discovered_at DATETIME);
         CREATE TABLE v1_entitlements (id INTEGER PRIMARY KEY, resource_type_id TEXT, resource_id TEXT, external_id TEXT, data BLOB, sync_id TEXT, discovered_at DATETIME);
         CREATE TABLE v1_grants (id INTEGER PRIMARY KEY, resource_type_id TEXT, resource_id TEXT, entitlement_id TEXT, principal_resource_type_id TEXT, principal_resource_id TEXT, external_id TEXT, expansion BLOB, needs_expansion INTEGER, data BLOB, sync_id TEXT, discovered_at DATETIME);",
    )
    .unwrap();
    db.execute_batch("BEGIN").unwrap();
    for (i, s) in syncs.iter().enumerate() {
        let start = format!("2026-11-0{} 10:00:00", i + 1);
        let end = s.finished.then(|| format!("2026-11-0{} 10:05:00", i + 1));
        db.execute("INSERT INTO v1_sync_runs (sync_id, started_at, ended_at, sync_type) VALUES (?1, ?2, ?3, 'full')", rusqlite::params![s.id, start, end]).unwrap();
        for t in s.types {
            db.execute(
                "INSERT INTO v1_resource_types (external_id, sync_id) VALUES (?1, ?2)",
                [t, &s.id],
            )
            .unwrap();
        }
        for (rt, rid, raw) in s.resources {
            let data: Vec<u8> = if *raw {
                RAW_ID.to_vec()
            } else {
                b"\x0a\x04user".to_vec()
            };
            db.execute(
                "INSERT INTO v1_resources (resource_type_id, external_id, data, sync_id) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![rt, format!("{rt}:{rid}"), data, s.id],
            )
            .unwrap();
        }
        for (rt, rid, perm) in s.entitlements {
            db.execute(
                "INSERT INTO v1_entitlements (resource_type_id, resource_id, external_id, sync_id) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![rt, rid, format!("{rt}:{rid}:{perm}"), s.id],
            )
            .unwrap();
        }
        for (ent, prt, prid) in s.grants {
            let mut parts = ent.split(':');
            let (rt, rid) = (parts.next().unwrap(), parts.next().unwrap());
            db.execute(
                "INSERT INTO v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id, sync_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![rt, rid, ent, prt, prid, format!("{ent}:{prt}:{prid}"), s.id],
            )
            .unwrap();
        }
    }
    db.execute_batch("COMMIT").unwrap();
    drop(db);
    wrap_v1(dir, name, &std::fs::read(&db_path).unwrap())
}

/// `C1ZF\0` + zstd(payload).
fn wrap_v1(dir: &Path, name: &str, payload: &[u8]) -> PathBuf {
    let path = dir.join(format!("{name}.c1z"));
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(b"C1ZF\0").unwrap();
    f.write_all(&zstd::encode_all(payload, 1).unwrap()).unwrap();
    path
}

/// Runs baton-lint with a private TMPDIR; returns (exit, stdout, stderr, files left in TMPDIR).
fn run(args: &[&str]) -> (i32, String, String, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(args)
        .env("TMPDIR", tmp.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let left = std::fs::read_dir(tmp.path()).unwrap().count();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        left,
    )
}

fn healthy_then_broken(dir: &Path) -> PathBuf {
    build_v1(
        dir,
        "acme",
        &[
            Sync {
                id: "2sOLDsyncAAAAAAAAAAAAAAAAAA",
                finished: true,
                types: &["user", "group", "role"],
                resources: &[
                    ("user", "alice", true),
                    ("user", "bob", true),
                    ("group", "eng", true),
                    ("role", "admin", true),
                ],
                entitlements: &[("group", "eng", "member"), ("role", "admin", "assigned")],
                grants: &[
                    ("group:eng:member", "user", "alice"),
                    ("role:admin:assigned", "user", "bob"),
                ],
            },
            Sync {
                id: "2sNEWsyncBBBBBBBBBBBBBBBBBB",
                finished: true,
                types: &["user", "group", "role"],
                resources: &[
                    ("user", "alice", true),
                    ("user", "bob", false),
                    ("group", "eng", true),
                ],
                entitlements: &[("group", "eng", "member")],
                grants: &[
                    ("group:eng:member", "User", "alice"),
                    ("group:eng:member", "user", "carol"),
                    ("group:eng:admin", "user", "bob"),
                ],
            },
        ],
    )
}

#[test]
fn v1_checks_find_dangling_principals_case_mismatch_empty_types_and_raw_id() {
    let dir = tempfile::tempdir().unwrap();
    let f = healthy_then_broken(dir.path());
    let (code, out, err, left) = run(&[
        "c1z",
        "--isolated",
        "--format",
        "concise",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(left, 0, "no temp files left behind");
    let line = |code: &str| out.lines().filter(|l| l.contains(code)).collect::<Vec<_>>();
    let bl603 = line(" BL603 ");
    assert!(
        bl603.iter().any(|l| l.contains("type User")
            && l.contains("grant uses principal type `User`, the synced type is `user`")),
        "{out}"
    );
    assert!(
        bl603
            .iter()
            .any(|l| l.contains("principal(s) of type user") && l.contains("user:carol")),
        "{out}"
    );
    assert!(
        bl603.iter().any(|l| l.contains(
            "1 grant(s) reference entitlements with no entitlement row, e.g. group:eng:admin"
        )),
        "{out}"
    );
    assert!(
        line(" BL602 ")
            .iter()
            .any(|l| l.contains("resource type role has 0 resources")),
        "{out}"
    );
    assert!(
        line(" BL607 ")
            .iter()
            .any(|l| l.contains("1 resource(s) have no RawId annotation (user: 1)")),
        "{out}"
    );
    assert!(
        line(" BL601 ").is_empty() && line(" BL604 ").is_empty(),
        "{out}"
    );
}

/// The guide's case-sensitivity duplicates, and a sync with entitlements but no grants (a note,
/// not an empty sync).
#[test]
fn case_variant_ids_and_a_sync_without_grants() {
    let dir = tempfile::tempdir().unwrap();
    let f = build_v1(
        dir.path(),
        "case",
        &[Sync {
            id: "2sCASE",
            finished: true,
            types: &["user", "group"],
            resources: &[
                ("user", "Alice@Acme.com", true),
                ("user", "alice@acme.com", true),
                ("user", "bob@acme.com", true),
                ("group", "eng", true),
            ],
            entitlements: &[("group", "eng", "member")],
            grants: &[],
        }],
    );
    let (code, out, err, _) = run(&[
        "c1z",
        "--isolated",
        "--format",
        "concise",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("warning BL609 resource type user holds ids that differ only in letter case: Alice@Acme.com, alice@acme.com"),
        "{out}"
    );
    assert!(!out.contains("bob@acme.com"), "{out}");
    assert!(
        !out.contains("BL601"),
        "0 grants is not an empty sync: {out}"
    );
    assert!(
        (out.clone() + &err)
            .contains("holds 1 entitlements but 0 grants: no memberships were synced"),
        "{out}{err}"
    );
}

#[test]
fn empty_and_unfinished_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let empty = build_v1(
        dir.path(),
        "empty",
        &[Sync {
            id: "2sEMPTY",
            finished: true,
            types: &["user"],
            resources: &[],
            entitlements: &[],
            grants: &[],
        }],
    );
    let (code, out, _, _) = run(&[
        "c1z",
        "--isolated",
        "--format",
        "concise",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("error BL601 sync 2sEMPTY holds 0 resources"),
        "{out}"
    );
    let unfinished = build_v1(
        dir.path(),
        "unfinished",
        &[
            Sync {
                id: "2sDONE",
                finished: true,
                types: &["user"],
                resources: &[("user", "a", true)],
                entitlements: &[],
                grants: &[],
            },
            Sync {
                id: "2sRUNNING",
                finished: false,
                types: &["user"],
                resources: &[("user", "a", true)],
                entitlements: &[],
                grants: &[],
            },
        ],
    );
    // The latest *finished* sync is checked, and the newer run that never finished is said.
    let (_, out, _, _) = run(&[
        "c1z",
        "--isolated",
        "--format",
        "concise",
        unfinished.to_str().unwrap(),
    ]);
    assert!(
        out.contains("warning BL604 the latest sync 2sRUNNING never finished")
            && out.contains("use the older finished sync 2sDONE"),
        "{out}"
    );
    let only_running = build_v1(
        dir.path(),
        "running",
        &[Sync {
            id: "2sRUNNING",
            finished: false,
            types: &["user"],
            resources: &[("user", "a", true)],
            entitlements: &[],
            grants: &[],
        }],
    );
    let (_, out, _, _) = run(&[
        "c1z",
        "--isolated",
        "--format",
        "concise",
        only_running.to_str().unwrap(),
    ]);
    assert!(
        out.contains("warning BL604 the latest sync 2sRUNNING never finished"),
        "{out}"
    );
}

#[test]
fn stats_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    let f = healthy_then_broken(dir.path());
    let p = f.to_str().unwrap();
    let (code, out, _, _) = run(&["c1z", "--stats", "--format", "json", p]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["sync"]["sync_id"], "2sNEWsyncBBBBBBBBBBBBBBBBBB");
    assert_eq!(v[0]["stats"]["resources_by_type"]["user"], 2);
    assert_eq!(v[0]["stats"]["resources_by_type"]["role"], 0);
    assert_eq!(v[0]["stats"]["grants"], 3);
    let (code, out, _, _) = run(&["diff", p]);
    assert_eq!(code, 1, "role dropped to 0: flagged");
    assert!(
        out.lines()
            .any(|l| l.contains("role") && l.contains("dropped to 0")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.contains("user") && l.contains('=')),
        "{out}"
    );
}

#[test]
fn bad_files_get_a_clear_error_exit_2_and_leave_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = healthy_then_broken(d);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = d.join("truncated.c1z");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let not_sqlite = wrap_v1(
        d,
        "not-sqlite",
        b"hello, I am not a database at all, just some text that is long enough",
    );
    let no_tables = {
        let db = d.join("empty.db");
        Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE other (x);")
            .unwrap();
        wrap_v1(d, "no-tables", &std::fs::read(&db).unwrap())
    };
    let wrong_magic = d.join("wrong.c1z");
    std::fs::write(&wrong_magic, b"PK\x03\x04 a zip, not a c1z").unwrap();
    let v3_cut = d.join("v3-cut.c1z");
    std::fs::write(&v3_cut, b"C1Z3\0\x00\x00\x10\x00only a few bytes").unwrap();
    let cases: [(&Path, &[&str], &str); 6] = [
        (
            &v3_cut,
            &[],
            "corrupt v3 manifest: file ends inside the manifest",
        ),
        (&truncated, &[], "truncated or corrupt zstd stream"),
        (&not_sqlite, &[], "not a SQLite database"),
        (&no_tables, &[], "has no `v1_sync_runs` table"),
        (
            &good,
            &["--max-c1z-bytes", "1000"],
            "over the cap of 1000 bytes",
        ),
        (&wrong_magic, &[], "not a .c1z file"),
    ];
    for (path, extra, want) in cases {
        let p = path.to_str().unwrap();
        let mut args = vec!["c1z", "--isolated"];
        args.extend_from_slice(extra);
        args.push(p);
        let (code, _, err, left) = run(&args);
        assert_eq!(code, 2, "{p}: {err}");
        assert!(
            err.contains(p) && err.contains(want),
            "{p}: wanted {want:?} in {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(left, 0, "{p}: temp files left behind");
    }
}

#[test]
fn c1z_and_logs_mix_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let f = healthy_then_broken(dir.path());
    let log = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/demo/failing-sync.log");
    let (code, out, _, _) = run(&[
        "--isolated",
        "--format",
        "concise",
        log,
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("failing-sync.log:42:1: error BL101"), "{out}");
    assert!(out.contains("acme.c1z:1:1: error BL603"), "{out}");
}

/// The public sample files in ../shared/fixtures/c1z (present in CI): stats, findings, no crash.
#[test]
fn real_fixtures_when_shared_is_present() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/c1z"
    ));
    if !dir.is_dir() {
        eprintln!("skipped: {} is not present", dir.display());
        return;
    }
    let f = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let (code, out, err, left) = run(&[
        "c1z",
        "--stats",
        "--format",
        "json",
        &f("v1-pingfed-two-syncs.c1z"),
        &f("v1-sync-in-progress.c1z"),
        &f("v3-pebble-old-fold-mixed-version.c1z"),
        &f("v3-pebble-unexpanded.c1z"),
    ]);
    assert_eq!((code, left), (0, 0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["syncs"].as_array().unwrap().len(), 2);
    assert_eq!(v[0]["stats"]["resources"], 9);
    assert_eq!(v[1]["sync"]["ended_at"], serde_json::Value::Null);
    assert_eq!(v[1]["stats"]["resources"], 79);
    // v3, counted from the records (the acceptance, equal to the manifest's sidecar).
    let st = &v[3]["stats"];
    assert_eq!(st["resources_by_type"]["group"], 17);
    assert_eq!(st["resources_by_type"]["project"], 100);
    assert_eq!(st["resources_by_type"]["role"], 100);
    assert_eq!(st["resources_by_type"]["user"], 35000);
    assert_eq!(st["entitlements"], 334);
    assert_eq!(st["grants_by_type"]["group"], 65816);
    assert_eq!(st["grants_by_type"]["project"], 393);
    assert_eq!(st["grants_by_type"]["role"], 392);
    assert_eq!(v[3]["disagreements"].as_array().unwrap().len(), 0);
    // What C1Z-V3.md §3 says a correct reader sees: 13 live tables (2 virtual), 369,303 points,
    // 3 outside virtual bounds, 200,137 shadowed by 4 range deletions, 169,162 visible.
    let m = &v[3]["merge"];
    assert_eq!(
        (
            &m["tables"],
            &m["virtual_tables"],
            &m["points"],
            &m["hidden_by_bounds"]
        ),
        (&13.into(), &2.into(), &369303.into(), &3.into())
    );
    assert_eq!(
        (
            &m["shadowed_by_range_dels"],
            &m["range_dels"],
            &m["visible"]
        ),
        (&200137.into(), &4.into(), &169162.into())
    );
    // The fold sample: every record twice, keep the newest; one point tombstone.
    let st = &v[2]["stats"];
    assert_eq!(st["resources_by_type"]["group"], 1);
    assert_eq!(st["resources_by_type"]["user"], 2);
    assert_eq!(st["grants"], 2);
    assert_eq!(
        (&v[2]["merge"]["points"], &v[2]["merge"]["tombstones"]),
        (&34.into(), &1.into())
    );
    assert_eq!(v[2]["merge"]["visible"], 20);
    let (code, out, _, _) = run(&[
        "c1z",
        "--isolated",
        "--format",
        "concise",
        &f("v1-sync-in-progress.c1z"),
        &f("v3-pebble-unexpanded.c1z"),
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("BL604 the latest sync 3ARefY5G8eOytquwYgm41Nq07IZ never finished"),
        "{out}"
    );
    // The referential checks ran on v3: no dangling principal, and no RawId on any resource.
    assert!(!out.contains("unexpanded.c1z:1:1: error BL603"), "{out}");
    assert!(
        out.contains("unexpanded.c1z:1:1: info BL607 35217 resource(s) have no RawId"),
        "{out}"
    );
    // v1 against v3 compares counts whatever the formats.
    let (code, out, _, _) = run(&[
        "diff",
        &f("v1-pingfed-two-syncs.c1z"),
        &f("v3-pebble-old-fold-mixed-version.c1z"),
    ]);
    assert!(code == 0 || code == 1, "{out}");
    assert!(out.contains("user"), "{out}");
    // One flipped byte in a data block of the payload is a checksum error (exit 2), never counts.
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(dir.join("v3-pebble-unexpanded.c1z")).unwrap();
    bytes[600_000] ^= 0x40;
    let bad = tmp.path().join("flipped.c1z");
    std::fs::write(&bad, &bytes).unwrap();
    let (code, out, err, _) = run(&["c1z", "--stats", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("corrupt v3 payload"), "{err}");
    let (code, out, _, _) = run(&["diff", &f("v1-pingfed-two-syncs.c1z")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(grants)") && out.contains("+1"), "{out}");
}

/// Report D13: with more than 10,000 dangling principals BL603 named only the alphabetically
/// first types and counted from truncated rows. 50 types × 300 principals × 2 grants.
#[test]
fn r13_dangling_principals_are_counted_in_full_per_type() {
    let dir = tempfile::tempdir().unwrap();
    let types: Vec<String> = (0..50).map(|t| format!("rt{t:02}")).collect();
    let ids: Vec<String> = (0..300).map(|i| format!("p{i}")).collect();
    let mut grants = Vec::new();
    for t in &types {
        for id in &ids {
            grants.push(("team:1:member", t.as_str(), id.as_str()));
            grants.push(("team:2:member", t.as_str(), id.as_str()));
        }
    }
    let f = build_v1(
        dir.path(),
        "big",
        &[Sync {
            id: "s1",
            finished: true,
            types: &["team"],
            resources: &[("team", "1", true), ("team", "2", true)],
            entitlements: &[("team", "1", "member"), ("team", "2", "member")],
            grants: &grants,
        }],
    );
    let (_, out, _, _) = run(&["--isolated", "--format", "json", f.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let bl603: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "BL603")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(bl603.len(), 50, "one finding per type: {bl603:?}");
    assert!(
        bl603
            .iter()
            .all(|m| m.starts_with("600 grant(s) reference 300 principal(s)")),
        "{bl603:?}"
    );
}

/// Report D19: a TMPDIR with `?`, `#` or `%` made SQLite open another file (the URI was not
/// percent-encoded).
#[test]
fn r19_a_tmpdir_with_uri_characters_opens_the_right_copy() {
    let dir = tempfile::tempdir().unwrap();
    let f = healthy_then_broken(dir.path());
    let tmp = dir.path().join("t q?x#y%20z");
    std::fs::create_dir(&tmp).unwrap();
    // What a `?` would have cut the path to: a database that is not the copy.
    std::fs::write(dir.path().join("t q"), b"not a database").unwrap();
    let plain = Command::new(BIN)
        .args(["--isolated", "--format", "concise", f.to_str().unwrap()])
        .output()
        .unwrap();
    let odd = Command::new(BIN)
        .args(["--isolated", "--format", "concise", f.to_str().unwrap()])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), odd.status.code());
    assert_eq!(plain.stdout, odd.stdout);
    assert!(!plain.stdout.is_empty());
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "no temp copy left"
    );
}
