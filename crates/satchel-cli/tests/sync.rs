//! Sync with real CLI processes and bundle files: two field workers and a
//! coordinator; bundles killed mid-import; no plaintext in bundles.

use std::time::Duration;

use crate::*;

pub(crate) fn card(s: &Sandbox) -> String {
    let out = s.ok(&["--json", "identity", "show"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["card"].as_str().unwrap().to_owned()
}

/// Exports from `from` to `to` into `usb` and returns the bundle's path.
pub(crate) fn carry(from: &Sandbox, to: &str, usb: &std::path::Path) -> std::path::PathBuf {
    let out = from.ok(&[
        "--json",
        "bundle",
        "export",
        "--to",
        to,
        "--out",
        usb.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    usb.join(v["file"].as_str().unwrap())
}

pub(crate) fn import(into: &Sandbox, file: &std::path::Path) -> serde_json::Value {
    let out = into.ok(&["--json", "bundle", "import", file.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0]["report"].clone()
}

const CANARIES: [&str; 3] = ["CanaryQ9Bundle", "금카나리아", "金丝雀包裹"];

#[test]
fn two_workers_and_a_coordinator() {
    let (w1, w2, co) = (Sandbox::new(), Sandbox::new(), Sandbox::new());
    let usb = tempfile::tempdir().unwrap();
    for s in [&w1, &w2, &co] {
        s.init();
    }
    w1.ok(&["peer", "add", &card(&co), "--name", "coordinator"]);
    w2.ok(&["peer", "add", &card(&co), "--name", "coordinator"]);
    co.ok(&["peer", "add", &card(&w1), "--name", "worker1"]);
    co.ok(&["peer", "add", &card(&w2), "--name", "worker2"]);
    let peers = co.ok(&["peer", "list"]);
    assert!(peers.contains("worker1") && peers.contains("worker2"));

    let id = w1
        .ok(&[
            "record",
            "add",
            "contact",
            "--set",
            &format!("name={}", CANARIES[1]),
            "--set",
            &format!("notes={} {}", CANARIES[0], CANARIES[2]),
        ])
        .trim()
        .to_owned();
    let b = carry(&w1, "coordinator", usb.path());
    assert_eq!(import(&co, &b)["applied"], 1);
    assert_eq!(
        import(&co, &b)["applied"],
        0,
        "a second import changes nothing"
    );
    let b = carry(&co, "worker1,worker2", usb.path());
    assert_eq!(import(&w2, &b)["applied"], 1);
    assert_eq!(import(&w1, &b)["applied"], 0);

    // Concurrent edits of one field, apart.
    w1.ok(&["record", "edit", &id, "--set", "phone=call after 9"]);
    w2.ok(&["record", "edit", &id, "--set", "phone=never call"]);
    for w in [&w1, &w2] {
        let b = carry(w, "coordinator", usb.path());
        import(&co, &b);
    }
    let list: serde_json::Value =
        serde_json::from_str(&co.ok(&["--json", "conflicts", "list"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let values = list[0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 2);
    let keep = values
        .iter()
        .find(|v| v["display"] == "never call")
        .unwrap()["op"]
        .as_str()
        .unwrap()[..10]
        .to_owned();
    co.ok(&["conflicts", "resolve", &id, "phone", "--pick", &keep]);
    assert!(co.ok(&["conflicts", "list"]).contains("No conflicts."));

    let b = carry(&co, "worker1,worker2", usb.path());
    for w in [&w1, &w2] {
        import(w, &b);
        assert!(w.ok(&["conflicts", "list"]).contains("No conflicts."));
        let shown = w.ok(&["record", "show", &id]);
        assert!(
            shown.contains("never call") && !shown.contains("call after 9"),
            "{shown}"
        );
    }
    let status = co.ok(&["sync", "status"]);
    assert!(
        status.contains("worker1") && status.contains("worker2"),
        "{status}"
    );

    // No canary in any bundle or anywhere in the export folder, in any encoding.
    for entry in std::fs::read_dir(usb.path()).unwrap() {
        let path = entry.unwrap().path();
        assert!(path.extension().is_none(), "bundle names have no extension");
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() >= 64 * 1024);
        for c in CANARIES {
            for needle in canary_encodings(c) {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{c} in {}",
                    path.display()
                );
            }
        }
    }
}

/// Delays spread over the time an import takes; each run is killed hard. The long
/// run (`scripts/test.sh --long`) kills five fresh imports at 40 moments each.
fn kill_plan() -> (usize, Vec<u64>) {
    if std::env::var_os("SATCHEL_LONG_TESTS").is_some() {
        (5, (0..40).map(|i| 5 + i * 30).collect())
    } else {
        (1, vec![5, 40, 90, 150, 220, 300, 400, 550, 700, 900])
    }
}

#[test]
fn an_import_killed_at_any_moment_is_all_or_nothing_and_can_be_redone() {
    let w = Sandbox::new();
    let usb = tempfile::tempdir().unwrap();
    w.init();
    w.add_contacts(4000, |i| format!("person {i}"));
    let (rounds, delays) = kill_plan();
    for round in 0..rounds {
        let (co, name) = (Sandbox::new(), format!("co{round}"));
        co.init();
        w.ok(&["peer", "add", &card(&co), "--name", &name]);
        co.ok(&["peer", "add", &card(&w), "--name", "w"]);
        let b = carry(&w, &name, usb.path());
        killed_imports(&co, &b, &delays);
    }
}

/// Kills an import of `bundle` at each delay until one finishes: the vault holds
/// none or all of its 4000 records every time, and a last import completes it.
fn killed_imports(co: &Sandbox, bundle: &std::path::Path, delays: &[u64]) {
    let mut outcomes = Vec::new();
    for &delay_ms in delays {
        let mut child = co
            .cmd(&["bundle", "import", bundle.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let finished = child.wait().unwrap().success();
        let info: serde_json::Value = serde_json::from_str(&co.ok(&["--json", "info"])).unwrap();
        let records = info["records"].as_u64().unwrap();
        assert!(
            records == 0 || records == 4000,
            "partial import: {records} records after a kill at {delay_ms} ms"
        );
        co.ok(&["verify"]);
        outcomes.push((delay_ms, finished, records));
        if records == 4000 {
            break;
        }
    }
    let again: serde_json::Value =
        serde_json::from_str(&co.ok(&["--json", "bundle", "import", bundle.to_str().unwrap()]))
            .unwrap();
    let info: serde_json::Value = serde_json::from_str(&co.ok(&["--json", "info"])).unwrap();
    assert_eq!(info["records"], 4000, "{again} {outcomes:?}");
    assert!(
        outcomes.iter().any(|(_, _, r)| *r == 0),
        "no kill landed before the commit: {outcomes:?}"
    );
}

/// Text from a peer cannot drive the terminal: a control sequence that would retitle
/// the window and a bidi override that would reverse a name reach the screen as
/// visible escapes, and `--json` still parses to the exact text.
#[test]
fn peer_text_reaches_the_terminal_as_visible_escapes() {
    let (w, co) = (Sandbox::new(), Sandbox::new());
    let usb = tempfile::tempdir().unwrap();
    w.init();
    co.init();
    w.ok(&["peer", "add", &card(&co), "--name", "co"]);
    co.ok(&["peer", "add", &card(&w), "--name", "w"]);
    let hostile = "Kim\u{1b}]0;owned\u{7}\u{9b}2J \u{202e}gpj.exe";
    w.ok(&[
        "record",
        "add",
        "contact",
        "--set",
        &format!("name={hostile}"),
    ]);
    import(&co, &carry(&w, "co", usb.path()));

    let list = co.ok(&["record", "list"]);
    let id = list.split_whitespace().next().unwrap().to_owned();
    for out in [
        list,
        co.ok(&["record", "show", &id]),
        co.ok(&["search", "Kim"]),
    ] {
        assert!(
            !out.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']),
            "raw control or bidi character in: {out:?}"
        );
        assert!(
            out.contains("Kim\\u{1b}]0;owned\\u{7}\\u{9b}2J \\u{202e}gpj.exe"),
            "{out}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&co.ok(&["--json", "record", "show", &id])).unwrap();
    let name = json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "name")
        .unwrap();
    assert_eq!(name["values"][0]["value"], hostile);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A worker's vault restored from a backup goes on with an old sequence and forks
/// its chain; a relay carries the fork to the coordinator, who already holds the
/// original. The fork is set aside and listed, the rest of the bundle imports, and
/// `quarantine show` and `drop` work on it.
#[test]
fn a_fork_relayed_from_a_restored_backup_is_set_aside_listed_and_dropped() {
    let (w, co, relay) = (Sandbox::new(), Sandbox::new(), Sandbox::new());
    let usb = tempfile::tempdir().unwrap();
    for s in [&w, &co, &relay] {
        s.init();
    }
    w.ok(&["peer", "add", &card(&co), "--name", "co"]);
    w.ok(&["peer", "add", &card(&relay), "--name", "relay"]);
    co.ok(&["peer", "add", &card(&w), "--name", "w"]);
    co.ok(&["peer", "add", &card(&relay), "--name", "relay"]);
    relay.ok(&["peer", "add", &card(&w), "--name", "w"]);
    relay.ok(&["peer", "add", &card(&co), "--name", "co"]);
    w.ok(&["record", "add", "contact", "--set", "name=First"]);
    let restored = Sandbox::new();
    copy_dir(&w.vault, &restored.vault);
    // The original goes on and reaches the coordinator.
    w.ok(&["record", "add", "contact", "--set", "name=Original"]);
    import(&co, &carry(&w, "co", usb.path()));
    // The restored copy writes its own second op and sends it to the relay.
    restored.ok(&["record", "add", "contact", "--set", "name=Restored"]);
    restored.ok(&["record", "add", "contact", "--set", "name=Third"]);
    import(&relay, &carry(&restored, "relay", usb.path()));
    relay.ok(&["record", "add", "contact", "--set", "name=FromRelay"]);
    let report = import(&co, &carry(&relay, "co", usb.path()));
    assert_eq!(report["forks"], 2, "{report}");
    assert_eq!(report["applied"], 1, "{report}");
    let records = co.ok(&["record", "list"]);
    assert!(
        records.contains("FromRelay") && records.contains("Original"),
        "{records}"
    );
    assert!(
        !records.contains("Restored") && !records.contains("Third"),
        "{records}"
    );

    let list = co.ok(&["quarantine", "list"]);
    assert_eq!(list.matches("fork").count(), 2, "{list}");
    let json: serde_json::Value =
        serde_json::from_str(&co.ok(&["--json", "quarantine", "list"])).unwrap();
    let id = json[0]["id"].as_str().unwrap().to_owned();
    let shown = co.ok(&["quarantine", "show", &id[..12]]);
    assert!(
        shown.contains("Restored") && shown.contains("reason   fork"),
        "{shown}"
    );
    co.ok(&["quarantine", "drop", &id[..12]]);
    let left: serde_json::Value =
        serde_json::from_str(&co.ok(&["--json", "quarantine", "list"])).unwrap();
    assert_eq!(left.as_array().unwrap().len(), 1);
    let gone = co.run(&["quarantine", "show", &id]);
    assert_ne!(gone.code, 0);
    assert!(
        error_line(&gone).contains("no one op in quarantine"),
        "{}",
        gone.stderr
    );
    co.ok(&["verify"]);
}

#[test]
fn a_peer_is_unverified_until_the_words_on_its_screen_are_typed() {
    let (a, b) = (Sandbox::new(), Sandbox::new());
    a.init();
    b.init();
    let added = a.ok(&["peer", "add", &card(&b), "--name", "bora"]);
    assert!(added.contains("(unverified)"), "{added}");
    let list = a.ok(&["peer", "list"]);
    assert!(
        list.contains("bora") && list.contains("UNVERIFIED"),
        "{list}"
    );

    // B's screen in Korean: the words it shows.
    let shown = b.ok(&["--lang", "ko", "identity", "show"]);
    let ko = shown
        .lines()
        .find_map(|l| l.strip_prefix("Fingerprint:"))
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        ko.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c)),
        "{ko}"
    );
    let mut swapped: Vec<&str> = ko.split(' ').collect();
    swapped.rotate_left(1);
    let before = a.snapshot();
    let r = a.run(&[
        "peer",
        "verify",
        "bora",
        "--fingerprint",
        &swapped.join(" "),
    ]);
    assert_eq!(r.code, 1, "{}", error_line(&r));
    assert!(
        error_line(&r).contains("not that device's fingerprint"),
        "{}",
        error_line(&r)
    );
    assert!(
        a.snapshot() == before,
        "a refused verification changed the vault"
    );
    assert!(a.ok(&["peer", "list"]).contains("UNVERIFIED"));

    let out = a.ok(&["peer", "verify", "bora", "--fingerprint", &ko]);
    assert!(out.contains("verified"), "{out}");
    let list = a.ok(&["peer", "list"]);
    assert!(
        list.contains("verified") && !list.contains("UNVERIFIED"),
        "{list}"
    );
    let json: serde_json::Value = serde_json::from_str(&a.ok(&["--json", "peer", "list"])).unwrap();
    assert_eq!(json[0]["verified"], true);
    // In Korean, the list shows the words as B's Korean screen does.
    assert!(a.ok(&["--lang", "ko", "peer", "list"]).contains(&ko));
}
