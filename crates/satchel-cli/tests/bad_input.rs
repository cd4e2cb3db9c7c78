//! Every bad input gets one clear line, the documented exit code, and leaves the
//! vault's files byte-for-byte as they were.

use crate::*;

/// Runs `args` expecting failure with `code` and a message containing `says`; the
/// vault must be unchanged.
fn refused(s: &Sandbox, args: &[&str], env: &[(&str, &str)], code: i32, says: &str) {
    let before = s.snapshot();
    let r = s.run_with(args, env);
    let line = error_line(&r);
    assert_eq!(r.code, code, "satchel {args:?}: {line}");
    assert!(
        line.starts_with("error: ") && line.contains(says),
        "satchel {args:?}: {line}"
    );
    assert_eq!(line.lines().count(), 1, "one line: {line}");
    assert!(
        !line.contains("panicked") && !line.contains("RUST_BACKTRACE"),
        "{line}"
    );
    assert!(!line.contains(PASS), "the passphrase leaked: {line}");
    assert!(s.snapshot() == before, "satchel {args:?} changed the vault");
}

fn with_record() -> (Sandbox, String) {
    let s = Sandbox::new();
    s.init();
    let id = s
        .ok(&["record", "add", "contact", "--set", "name=Kim"])
        .trim()
        .to_owned();
    (s, id)
}

#[test]
fn wrong_passphrase_exits_3() {
    let (s, _) = with_record();
    refused(
        &s,
        &["info"],
        &[("SATCHEL_PASSPHRASE", "wrong passphrase")],
        3,
        "wrong passphrase",
    );
    refused(
        &s,
        &["record", "list"],
        &[("SATCHEL_PASSPHRASE", "")],
        3,
        "wrong passphrase",
    );
}

#[test]
fn passphrase_file_is_read() {
    let (s, _) = with_record();
    let file = s.root.path().join("pass.txt");
    std::fs::write(&file, format!("{PASS}\n")).unwrap();
    let mut c = s.cmd(&["info"]);
    c.env_remove("SATCHEL_PASSPHRASE")
        .env("SATCHEL_PASSPHRASE_FILE", &file);
    assert!(c.output().unwrap().status.success());
}

#[test]
fn no_passphrase_and_no_terminal_is_an_error_not_a_hang() {
    let (s, _) = with_record();
    let before = s.snapshot();
    let mut c = s.cmd(&["info"]);
    c.env_remove("SATCHEL_PASSPHRASE");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(s.snapshot() == before);
}

#[test]
fn missing_vault() {
    let s = Sandbox::new();
    refused(&s, &["info"], &[], 1, "no vault here");
    assert!(!s.vault.exists(), "reading never creates a vault");
}

#[test]
fn init_over_an_existing_vault() {
    let (s, _) = with_record();
    refused(&s, &["init"], &[], 1, "already exists");
}

#[test]
fn damaged_keyslots() {
    let (s, _) = with_record();
    let path = s.vault.join("keyslots");
    let good = std::fs::read(&path).unwrap();
    std::fs::write(&path, &good[..good.len() - 7]).unwrap();
    refused(&s, &["info"], &[], 1, "keyslots file is damaged");
    std::fs::write(&path, [&good[..], b"x"].concat()).unwrap();
    refused(&s, &["info"], &[], 1, "keyslots file is damaged");
    // The salt and the main slot: the passphrase no longer opens (the recovery key
    // would). Unused slots are random bytes, so a flip there changes nothing.
    for at in [0, 31, 32, 100, 135] {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        std::fs::write(&path, &bad).unwrap();
        refused(&s, &["info"], &[], 3, "wrong passphrase");
    }
    let mut unused = good.clone();
    unused[good.len() - 1] ^= 0x10;
    std::fs::write(&path, &unused).unwrap();
    s.ok(&["info"]);
    std::fs::write(&path, &good).unwrap();
    s.ok(&["info"]);
}

#[test]
fn damaged_database() {
    let (s, _) = with_record();
    // Which file holds the records is random: damage both alike.
    let paths = ["vault.db", "spare.db"].map(|n| s.vault.join(n));
    let goods = paths.clone().map(|p| std::fs::read(p).unwrap());
    let write_all = |f: &dyn Fn(&[u8]) -> Vec<u8>| {
        for (p, g) in paths.iter().zip(&goods) {
            std::fs::write(p, f(g)).unwrap();
        }
    };
    write_all(&|g| g[..g.len() - 4096].to_vec());
    refused(&s, &["verify"], &[], 1, "damaged");
    write_all(&|g| [g, &[0u8; 4096][..]].concat());
    refused(&s, &["info"], &[], 1, "damaged");
    for at in [20, 5000, goods[0].len() / 2, goods[0].len() - 100] {
        write_all(&|g| {
            let mut bad = g.to_vec();
            bad[at] ^= 0x01;
            bad
        });
        refused(&s, &["verify"], &[], 1, "damaged");
    }
    write_all(&|g| g.to_vec());
    s.ok(&["verify"]);
}

#[test]
fn a_vault_from_a_newer_version() {
    let (s, _) = with_record();
    let v = satchel_api::unlock(
        &s.vault,
        &satchel_api::SecretString::from(PASS),
        satchel_api::KdfProfile::InsecureTest,
    )
    .unwrap();
    v.set_schema_version_for_tests(99);
    drop(v);
    refused(&s, &["info"], &[], 1, "newer version of Satchel");
}

#[test]
fn unknown_form_field_and_bad_values() {
    let (s, id) = with_record();
    refused(
        &s,
        &["record", "add", "nosuch", "--set", "name=x"],
        &[],
        1,
        "unknown form `nosuch`",
    );
    refused(
        &s,
        &["record", "add", "contact", "--set", "nmae=x"],
        &[],
        1,
        "no field `nmae`",
    );
    refused(
        &s,
        &[
            "record",
            "add",
            "contact",
            "--set",
            "name=x",
            "--set",
            "household_size=SECRETCANARY",
        ],
        &[],
        1,
        "field `household_size`: expected a number",
    );
    refused(
        &s,
        &["record", "add", "contact", "--set", "alias=x"],
        &[],
        1,
        "field `name` is required",
    );
    refused(
        &s,
        &["record", "edit", &id, "--set", "birth_date=yesterday"],
        &[],
        1,
        "field `birth_date`",
    );
    refused(
        &s,
        &["record", "show", "00000000-0000-4000-8000-000000000000"],
        &[],
        1,
        "no record",
    );
    refused(&s, &["form", "show", "nosuch"], &[], 1, "unknown form");
    let r = s.run(&[
        "record",
        "add",
        "contact",
        "--set",
        "household_size=SECRETCANARY",
        "--set",
        "name=x",
    ]);
    assert!(
        !r.stderr.contains("SECRETCANARY"),
        "values never appear in errors"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (s, id) = with_record();
    refused(
        &s,
        &["record", "add", "contact", "--set", "name"],
        &[],
        2,
        "FIELD=VALUE",
    );
    refused(&s, &["record", "edit", &id], &[], 2, "nothing to change");
    refused(&s, &["wipe"], &[], 2, "--yes");
    refused(&s, &["search", "  "], &[], 2, "search for");
    let r = s.run(&["record", "frobnicate"]);
    assert_eq!(r.code, 2);
    let r = s.run(&["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Exit codes") && r.stdout.contains("3  wrong passphrase"));
}

#[test]
fn bad_attachments() {
    let (s, id) = with_record();
    let missing = s.root.path().join("missing.jpg");
    refused(
        &s,
        &["record", "edit", &id, "--attach", missing.to_str().unwrap()],
        &[],
        1,
        "cannot read attachment",
    );
    refused(
        &s,
        &[
            "record",
            "edit",
            &id,
            "--attach",
            s.root.path().to_str().unwrap(),
        ],
        &[],
        1,
        "cannot read attachment",
    );
    let big = s.root.path().join("big.bin");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(satchel_api::records::MAX_ATTACHMENT + 1).unwrap();
    refused(
        &s,
        &["record", "edit", &id, "--attach", big.to_str().unwrap()],
        &[],
        1,
        &format!(
            "larger than the limit of {} MiB",
            satchel_api::records::MAX_ATTACHMENT >> 20
        ),
    );
}

#[test]
fn a_bad_form_file() {
    let (s, _) = with_record();
    let f = s.root.path().join("form.json");
    std::fs::write(&f, "{\"name\": 1}").unwrap();
    refused(
        &s,
        &["form", "import", f.to_str().unwrap()],
        &[],
        1,
        "invalid form definition",
    );
    refused(
        &s,
        &["form", "import", "/nonexistent/form.json"],
        &[],
        1,
        "cannot read form file",
    );
    std::fs::write(&f, include_str!("../../../assets/forms/case.json")).unwrap();
    refused(
        &s,
        &["form", "import", f.to_str().unwrap()],
        &[],
        1,
        "already installed",
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let (s, _) = with_record();
    for _ in 0..20 {
        s.ok(&["record", "add", "contact", "--set", "name=Lee"]);
    }
    let mut child = s
        .cmd(&["record", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_case_links_to_its_contact_by_name_and_dates_are_read_as_typed() {
    let s = Sandbox::new();
    s.init();
    let kim = s
        .ok(&[
            "record",
            "add",
            "contact",
            "--set",
            "name=김민준 Kim",
            "--set",
            "birth_date=약 1985년",
        ])
        .trim()
        .to_owned();
    let shown = s.ok(&["--lang", "ko", "record", "show", &kim]);
    assert!(shown.contains("1985년경"), "{shown}");
    s.ok(&["record", "add", "contact", "--set", "name=王芳 Wang"]);
    s.ok(&["record", "add", "contact", "--set", "name=王磊 Wang"]);
    let case = s
        .ok(&[
            "record",
            "add",
            "case",
            "--set",
            "title=Housing",
            "--set",
            "status=open",
            "--set",
            "contact=@민준",
        ])
        .trim()
        .to_owned();
    let shown = s.ok(&["record", "show", &case]);
    assert!(shown.contains("김민준 Kim"), "{shown}");
    let r = s.run(&[
        "record",
        "add",
        "case",
        "--set",
        "title=x",
        "--set",
        "status=open",
        "--set",
        "contact=@Wang",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        error_line(&r).contains("several contact records match"),
        "{}",
        error_line(&r)
    );
    let r = s.run(&[
        "record",
        "add",
        "contact",
        "--set",
        "name=x",
        "--set",
        "birth_date=03/07/1985",
    ]);
    assert_eq!(r.code, 1, "day-first and month-first dates are refused");
}

/// `satchel audit checkpoint`: a signed note of this device's log, the same until the
/// log grows, refused (and the vault left alone) without the passphrase.
#[test]
fn audit_checkpoint_signs_the_devices_log() {
    let s = Sandbox::new();
    s.init();
    let json = |s: &Sandbox| -> serde_json::Value {
        serde_json::from_str(&s.ok(&["--json", "audit", "checkpoint"])).unwrap()
    };
    let first = json(&s);
    assert_eq!(first, json(&s), "nothing new: the kept checkpoint");
    s.ok(&["record", "add", "contact", "--set", "name=Kim"]);
    let next = json(&s);
    assert_eq!(next["size"], first["size"].as_u64().unwrap() + 1);
    let origin = next["origin"].as_str().unwrap();
    assert!(origin.starts_with("satchel/device/"), "{origin}");
    let note = next["note"].as_str().unwrap();
    assert!(
        note.starts_with(&format!("{origin}\n{}\n", next["size"])),
        "{note}"
    );
    assert!(note.contains(&format!("\n\n\u{2014} {origin} ")), "{note}");
    assert!(
        next["verifier_key"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{origin}+"))
    );
    let text = s.ok(&["audit", "checkpoint"]);
    assert!(text.contains(note.trim_end()), "{text}");
}

/// `satchel audit export` then `audit verify`, which needs no vault: nothing found in
/// the export as written, no record text in it, and an op taken out of it is found
/// (exit code 4), pointing at the op, at the checkpoint it breaks and at the
/// exporter's accepted-ops log, which still holds it.
#[test]
fn an_audit_export_verifies_and_an_op_taken_out_of_it_is_found() {
    let s = Sandbox::new();
    s.init();
    for name in ["CanaryXq7Zt", "김카나리아", "金丝雀测试"] {
        s.ok(&["record", "add", "contact", "--set", &format!("name={name}")]);
    }
    let out = s.root.path().join("audit.json");
    s.ok(&["audit", "export", "--out", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    for canary in ["CanaryXq7Zt", "김카나리아", "金丝雀测试"] {
        assert!(!text.contains(canary), "{canary} in the audit export");
    }
    // No vault, no passphrase: another folder entirely.
    let auditor = Sandbox::new();
    let ok = auditor.run(&["audit", "verify", out.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains("nothing found"), "{}", ok.stdout);

    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["devices"][0]["ops"].as_array_mut().unwrap().remove(1);
    let cut = s.root.path().join("cut.json");
    std::fs::write(&cut, serde_json::to_vec(&v).unwrap()).unwrap();
    let html = s.root.path().join("report.html");
    let found = auditor.run(&[
        "--json",
        "audit",
        "verify",
        cut.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(found.code, 4, "{}", found.stderr);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("chain_gap") && page.contains("3 anomalies found"),
        "{page}"
    );
    let r: serde_json::Value = serde_json::from_str(&found.stdout).unwrap();
    let codes: Vec<(&str, Option<u64>, Option<u64>)> = r["devices"][0]["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap(),
                a["seq"].as_u64(),
                a["size"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("chain_gap", Some(2), None),
            ("checkpoint_beyond_log", None, Some(3))
        ]
    );
    // The exporter's accepted-ops log still holds the op taken out.
    assert_eq!(r["accepted"]["anomalies"][0]["code"], "accepted_mismatch");
    let bad = auditor.run(&[
        "audit",
        "verify",
        s.root.path().join("missing.json").to_str().unwrap(),
    ]);
    assert_eq!(bad.code, 1);
    std::fs::write(&cut, b"{\"format\": \"something else\"}").unwrap();
    let bad = auditor.run(&["audit", "verify", cut.to_str().unwrap()]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("not a Satchel audit export"),
        "{}",
        bad.stderr
    );
}

/// `audit export --open`: the record opened is in the file with its ops' payloads,
/// the others are not; `audit verify` replays it (exit 0), and a record edited in the
/// file is found (exit 4, `replay_mismatch`).
#[test]
fn an_opened_record_is_checked_against_a_replay_of_its_ops() {
    let s = Sandbox::new();
    s.init();
    let shown = s.ok(&["record", "add", "contact", "--set", "name=OpenedXq7"]);
    let id = shown
        .split_whitespace()
        .last()
        .unwrap()
        .trim_end_matches('.');
    s.ok(&["record", "add", "contact", "--set", "name=HiddenXq7"]);
    let out = s.root.path().join("audit.json");
    let said = s.ok(&[
        "audit",
        "export",
        "--out",
        out.to_str().unwrap(),
        "--open",
        id,
    ]);
    assert!(said.contains("holds the content"), "{said}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("OpenedXq7") && !text.contains("HiddenXq7"));
    let auditor = Sandbox::new();
    let ok = auditor.run(&["audit", "verify", out.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains("its replay gives the record exported"),
        "{}",
        ok.stdout
    );

    let edited = s.root.path().join("edited.json");
    std::fs::write(&edited, text.replace("OpenedXq7", "ChangedXq7")).unwrap();
    let found = auditor.run(&["audit", "verify", edited.to_str().unwrap()]);
    assert_eq!(found.code, 4, "{}", found.stderr);
    assert!(found.stdout.contains("replay_mismatch"), "{}", found.stdout);
    // A record that is not there is refused, and no file is written.
    let none = s.root.path().join("none.json");
    let bad = s.run(&[
        "audit",
        "export",
        "--out",
        none.to_str().unwrap(),
        "--open",
        "ffffffff",
    ]);
    assert_ne!(bad.code, 0);
    assert!(!none.exists());
}

/// An XLSForm: a dry run shows the summary and changes nothing; the import installs
/// it; its rules hold for `record add`; a bad spreadsheet is one clear line naming
/// where it is wrong, and the vault is unchanged.
#[test]
fn an_xlsform_is_summarised_imported_and_its_rules_hold() {
    let (s, _) = with_record();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/forms/examples/screening.xlsx");
    let path = example.to_str().unwrap();
    let before = s.snapshot();
    let out = s.ok(&["form", "import", path, "--dry-run"]);
    assert!(
        out.contains("Form `screening` version 1: Screening"),
        "{out}"
    );
    assert!(
        out.contains("5 fields, 1 section, 3 skip-logic and constraint rules, 1 choice list"),
        "{out}"
    );
    assert!(out.contains("language 한국어 (ko): shown as ko"), "{out}");
    assert!(out.contains("Dry run: nothing was installed."), "{out}");
    assert!(s.snapshot() == before, "a dry run changed the vault");
    let out = s.ok(&["form", "import", path]);
    assert!(
        out.contains("Installed form `screening` version 1."),
        "{out}"
    );
    let shown = s.ok(&["--lang", "ko", "form", "show", "screening"]);
    assert!(
        shown.contains("only when: ${has_children} = 'yes'"),
        "{shown}"
    );
    assert!(shown.contains("나이는 0에서 119 사이입니다"), "{shown}");
    refused(
        &s,
        &[
            "record",
            "add",
            "screening",
            "--set",
            "name=Kim",
            "--set",
            "age=130",
        ],
        &[],
        1,
        "field `age`: does not meet the form's rule: Age is 0 to 119",
    );
    refused(
        &s,
        &[
            "record",
            "add",
            "screening",
            "--set",
            "name=Kim",
            "--set",
            "has_children=no",
            "--set",
            "children_count=2",
        ],
        &[],
        1,
        "field `children_count`: does not apply given the other answers",
    );
    s.ok(&[
        "record",
        "add",
        "screening",
        "--set",
        "name=Kim",
        "--set",
        "age=30",
        "--set",
        "has_children=예",
        "--set",
        "children_count=2",
    ]);
    // Bad spreadsheets.
    let bad = s.root.path().join("bad.xlsx");
    std::fs::write(&bad, b"").unwrap();
    refused(
        &s,
        &["form", "import", bad.to_str().unwrap()],
        &[],
        1,
        "the file is empty",
    );
    std::fs::write(&bad, [b"PK\x03\x04".as_slice(), &[0u8; 64]].concat()).unwrap();
    refused(
        &s,
        &["form", "import", bad.to_str().unwrap()],
        &[],
        1,
        "not an XLSForm spreadsheet",
    );
    let big = s.root.path().join("big.xlsx");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    refused(
        &s,
        &["form", "import", big.to_str().unwrap()],
        &[],
        1,
        "a form file is at most 20 MiB",
    );
    refused(&s, &["form", "import", path], &[], 1, "already installed");
}
