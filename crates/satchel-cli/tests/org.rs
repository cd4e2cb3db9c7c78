//! The organisation from the CLI: create, enrolment with the fingerprint typed from
//! the other device, the member list, and every refusal leaving the vault as it was.

use crate::*;

fn refused(s: &Sandbox, args: &[&str], code: i32, says: &str) {
    let before = s.snapshot();
    let r = s.run(args);
    let line = error_line(&r);
    assert_eq!(r.code, code, "satchel {args:?}: {line}");
    assert!(
        line.starts_with("error: ") && line.contains(says),
        "satchel {args:?}: {line}"
    );
    assert!(s.snapshot() == before, "satchel {args:?} changed the vault");
}

fn fingerprint_words(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("Fingerprint:"))
        .unwrap()
        .trim()
        .to_owned()
}

struct Org {
    coordinator: Sandbox,
    field: Sandbox,
    request: std::path::PathBuf,
    cert: std::path::PathBuf,
    words: String,
}

fn enrolled() -> Org {
    let coordinator = Sandbox::new();
    coordinator.init();
    let field = Sandbox::new();
    field.init();
    coordinator.ok(&[
        "org",
        "create",
        "--name",
        "Border Aid",
        "--member-name",
        "Min-ji",
    ]);
    let request = field.root.path().join("request.txt");
    let out = field.ok(&[
        "enrol",
        "request",
        "--name",
        "Field 7",
        "--out",
        request.to_str().unwrap(),
    ]);
    let words = fingerprint_words(&out);
    let cert = coordinator.root.path().join("cert.txt");
    coordinator.ok(&[
        "enrol",
        "approve",
        request.to_str().unwrap(),
        "--role",
        "field",
        "--fingerprint",
        &words,
        "--out",
        cert.to_str().unwrap(),
    ]);
    field.ok(&["enrol", "accept", cert.to_str().unwrap()]);
    Org {
        coordinator,
        field,
        request,
        cert,
        words,
    }
}

#[test]
fn a_device_enrols_and_both_list_the_same_members() {
    let o = enrolled();
    for (s, me) in [(&o.coordinator, "Min-ji"), (&o.field, "Field 7")] {
        let list: serde_json::Value =
            serde_json::from_str(&s.ok(&["--json", "member", "list"])).unwrap();
        let rows = list.as_array().unwrap();
        assert_eq!(rows.len(), 2, "{list}");
        let by_name = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap();
        assert_eq!(by_name("Min-ji")["role"], "coordinator");
        assert_eq!(by_name("Field 7")["role"], "field");
        assert_eq!(by_name("Field 7")["fingerprint"], o.words.as_str());
        for r in rows {
            assert_eq!(r["status"], "active");
            assert_eq!(r["this_device"], r["name"] == me, "{r}");
        }
        let text = s.ok(&["member", "list"]);
        assert!(text.contains(&format!("{me} (this device)")), "{text}");
    }
    // Accepting the same certificate again changes nothing that matters.
    o.field.ok(&["enrol", "accept", o.cert.to_str().unwrap()]);
    assert!(o.coordinator.ok(&["org", "show"]).contains("Border Aid"));
}

#[test]
fn refusals_say_why_and_change_nothing() {
    let o = enrolled();
    let req = o.request.to_str().unwrap();
    let out = o.coordinator.root.path().join("again.txt");
    let out_s = out.to_str().unwrap();
    // Words read wrongly (or not read at all) from the device's screen.
    let wrong = o
        .words
        .replacen(o.words.split(' ').next().unwrap(), "zoo", 1);
    for typed in [wrong.as_str(), "raccoon food", ""] {
        refused(
            &o.coordinator,
            &[
                "enrol",
                "approve",
                req,
                "--role",
                "field",
                "--fingerprint",
                typed,
                "--out",
                out_s,
            ],
            2,
            "fingerprint",
        );
        assert!(!out.exists());
    }
    refused(
        &o.coordinator,
        &[
            "enrol",
            "approve",
            req,
            "--role",
            "admin",
            "--fingerprint",
            &o.words,
            "--out",
            out_s,
        ],
        1,
        "a role is",
    );
    refused(
        &o.coordinator,
        &[
            "enrol",
            "approve",
            req,
            "--role",
            "field",
            "--fingerprint",
            &o.words,
            "--valid-days",
            "0",
            "--out",
            out_s,
        ],
        1,
        "days",
    );
    refused(
        &o.coordinator,
        &["org", "create", "--name", "Another"],
        1,
        "already in the organisation",
    );

    // A field worker certifies no one.
    let third = Sandbox::new();
    third.init();
    let req3 = third.root.path().join("r3.txt");
    let out3 = third.ok(&[
        "enrol",
        "request",
        "--name",
        "Third",
        "--out",
        req3.to_str().unwrap(),
    ]);
    let w3 = fingerprint_words(&out3);
    let c3 = o.field.root.path().join("c3.txt");
    refused(
        &o.field,
        &[
            "enrol",
            "approve",
            req3.to_str().unwrap(),
            "--role",
            "field",
            "--fingerprint",
            &w3,
            "--out",
            c3.to_str().unwrap(),
        ],
        1,
        "coordinator",
    );
    // Another device's certificate, and a damaged one, are refused.
    refused(
        &third,
        &["enrol", "accept", o.cert.to_str().unwrap()],
        1,
        "no certificate in it is for this device",
    );
    let mut text = std::fs::read_to_string(&o.cert).unwrap();
    let at = text.find('\n').unwrap() - 5;
    let flipped = if &text[at..=at] == "A" { "B" } else { "A" };
    text.replace_range(at..=at, flipped);
    let bad = third.root.path().join("bad.txt");
    std::fs::write(&bad, text).unwrap();
    refused(&o.field, &["enrol", "accept", bad.to_str().unwrap()], 1, "");
    // A device in an organisation does not ask to join one.
    refused(
        &o.field,
        &["enrol", "request", "--name", "Again", "--out", out_s],
        1,
        "already in the organisation",
    );
    // No organisation: no members.
    refused(&third, &["member", "list"], 1, "no organisation");
}

#[test]
fn a_coordinator_publishes_a_form_that_reaches_field_workers_by_bundle() {
    let o = enrolled();
    o.coordinator.ok(&[
        "peer",
        "add",
        &crate::sync::card(&o.field),
        "--name",
        "field7",
    ]);
    o.field.ok(&[
        "peer",
        "add",
        &crate::sync::card(&o.coordinator),
        "--name",
        "co",
    ]);
    let shown: serde_json::Value =
        serde_json::from_str(&o.coordinator.ok(&["--json", "form", "show", "contact"])).unwrap();
    let mut v2 = shown.clone();
    v2["version"] = 2.into();
    let mut extra = v2["fields"][0].clone();
    extra["id"] = "second_phone".into();
    v2["fields"].as_array_mut().unwrap().push(extra);
    let file = o.coordinator.root.path().join("contact-v2.json");
    std::fs::write(&file, v2.to_string()).unwrap();
    // A field worker publishes nothing, and the vault is as it was.
    let field_file = o.field.root.path().join("contact-v2.json");
    std::fs::write(&field_file, v2.to_string()).unwrap();
    refused(
        &o.field,
        &["form", "publish", field_file.to_str().unwrap()],
        1,
        "publish_form refused for the field role",
    );
    let out = o
        .coordinator
        .ok(&["form", "publish", file.to_str().unwrap()]);
    assert!(out.contains("Published form `contact` version 2"), "{out}");
    let path = crate::sync::carry(
        &o.coordinator,
        "field7",
        &o.coordinator.root.path().join("usb"),
    );
    let report = crate::sync::import(&o.field, &path);
    assert_eq!(report["forms_refused"], 0, "{report}");
    let now: serde_json::Value =
        serde_json::from_str(&o.field.ok(&["--json", "form", "show", "contact"])).unwrap();
    assert_eq!(now["version"], 2);
}

#[test]
fn a_coordinator_assigns_a_record_and_a_field_worker_may_not() {
    let o = enrolled();
    let id = o
        .coordinator
        .ok(&["record", "add", "contact", "--set", "name=Assigned One"])
        .trim()
        .to_owned();
    let out = o
        .coordinator
        .ok(&["record", "assign", &id, "--to", "Field 7"]);
    assert!(out.contains("Assigned"), "{out}");
    let shown = o.coordinator.ok(&["record", "show", &id]);
    assert!(shown.contains("Assigned Field 7 (field)"), "{shown}");
    refused(
        &o.coordinator,
        &["record", "assign", &id, "--to", "Nobody"],
        1,
        "no member is named",
    );
    let own = o
        .field
        .ok(&["record", "add", "contact", "--set", "name=Mine"])
        .trim()
        .to_owned();
    refused(
        &o.field,
        &["record", "assign", &own, "--to", "Min-ji"],
        1,
        "assign refused for the field role",
    );
}

/// Carries a bundle from `from` to the peer `to`, imported into `into`; the import's output.
fn carry(from: &Sandbox, to: &str, into: &Sandbox) -> String {
    let path = crate::sync::carry(from, to, &from.root.path().join("usb"));
    into.ok(&["bundle", "import", path.to_str().unwrap()])
}

#[test]
fn a_field_device_offloads_after_the_coordinator_acknowledges() {
    let o = enrolled();
    o.coordinator.ok(&[
        "peer",
        "add",
        &crate::sync::card(&o.field),
        "--name",
        "field7",
    ]);
    o.field.ok(&[
        "peer",
        "add",
        &crate::sync::card(&o.coordinator),
        "--name",
        "co",
    ]);
    o.field
        .ok(&["record", "add", "contact", "--set", "name=Offload Me"]);
    let dry = o.field.ok(&["offload", "--dry-run"]);
    assert!(
        dry.contains("Would erase the content of 0 record(s)"),
        "{dry}"
    );
    assert!(dry.contains("1 not yet acknowledged"), "{dry}");
    carry(&o.field, "co", &o.coordinator);
    let out = carry(&o.coordinator, "field7", &o.field);
    assert!(out.contains("offloaded 1 record(s)"), "{out}");
    assert!(
        o.field.ok(&["search", "Offload"]).trim().is_empty()
            || !o.field.ok(&["search", "Offload"]).contains("Offload Me")
    );
    assert!(
        o.coordinator
            .ok(&["search", "Offload"])
            .contains("Offload Me")
    );
    let off = o.field.ok(&["offload", "--policy", "off"]);
    assert!(off.contains("off"), "{off}");
    refused(
        &o.coordinator,
        &["offload"],
        1,
        "coordinators keep every record",
    );
}

#[test]
fn a_coordinator_renews_a_member_and_a_field_worker_cannot() {
    let o = enrolled();
    let out = o
        .coordinator
        .ok(&["member", "renew", "Field 7", "--valid-days", "90"]);
    assert!(out.contains("Renewed `Field 7` (field)"), "{out}");
    assert!(out.contains("SATCHEL-CERT-"), "{out}");
    let list: serde_json::Value =
        serde_json::from_str(&o.coordinator.ok(&["--json", "member", "list"])).unwrap();
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2, "one member per device: {list}");
    refused(&o.field, &["member", "renew", "Min-ji"], 1, "coordinator");
    refused(
        &o.coordinator,
        &["member", "renew", "Nobody"],
        1,
        "no member named",
    );
}
