//! `satchel rekey` killed at any moment leaves a vault that opens with the passphrase
//! and holds every record, attachment and draft.

use std::time::{Duration, Instant};

use crate::*;

/// Delays spread over the time a rekey takes; each run is killed hard. The long run
/// (`SATCHEL_LONG_TESTS`) kills at 40 moments.
fn kill_delays() -> Vec<u64> {
    if std::env::var_os("SATCHEL_LONG_TESTS").is_some() {
        (0..40).map(|i| 2 + i * 20).collect()
    } else {
        vec![5, 40, 120, 250, 400, 520, 600, 660, 720, 800]
    }
}

/// Half the photos are larger than a chunk, so the pack is copied too.
fn photo_len(i: u8) -> usize {
    if i.is_multiple_of(2) {
        1_300_000
    } else {
        400_000
    }
}

fn fill(s: &Sandbox) {
    let mut v = s.add_contacts(4000, |i| format!("person {i}"));
    for i in 0..8u8 {
        v.add_record(
            "contact",
            &[(
                "name".to_owned(),
                satchel_api::FieldInput::Text(format!("with photo {i}")),
            )],
            &[satchel_api::NewAttachment::in_memory(
                format!("photo{i}.jpg"),
                zeroize::Zeroizing::new(vec![i; photo_len(i)]),
            )],
        )
        .unwrap();
    }
    v.save_draft(
        "new:contact",
        &serde_json::json!({"inputs": {"name": "typed, not saved"}}),
    )
    .unwrap();
}

fn check(s: &Sandbox, after: &str) {
    let info: serde_json::Value = serde_json::from_str(&s.ok(&["--json", "info"])).unwrap();
    assert_eq!(info["records"], 4008, "{after}");
    assert_eq!(info["attachments"], 8, "{after}");
    s.ok(&["verify"]);
    let drafts = s.ok(&["drafts", "list"]);
    assert!(drafts.contains("new:contact"), "{after}: {drafts}");
    let pass = satchel_api::SecretString::from(PASS);
    let v = satchel_api::unlock(&s.vault, &pass, satchel_api::KdfProfile::InsecureTest).unwrap();
    let found = v.search("photo", 20).unwrap();
    assert_eq!(found.len(), 8, "{after}");
    for hit in found {
        let id = v.resolve_id(&hit.id).unwrap();
        let shown = v.record(&id, "en").unwrap();
        let name = serde_json::to_string(&shown.fields).unwrap();
        let i: u8 = (0..8u8)
            .find(|i| name.contains(&format!("with photo {i}")))
            .unwrap();
        let bytes = v.attachment(&id, &shown.attachments[0].blake3).unwrap();
        assert!(*bytes == vec![i; photo_len(i)], "{after}: photo {i}");
    }
    drop(v);
    let names: Vec<String> = std::fs::read_dir(&s.vault)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 5, "{after}: leftovers {names:?}");
}

#[test]
fn a_rekey_killed_at_any_moment_loses_nothing() {
    let s = Sandbox::new();
    s.init();
    fill(&s);
    let mut finished = 0;
    let mut killed = 0;
    for delay_ms in kill_delays() {
        let mut child = s
            .cmd(&["rekey"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        if child.wait().unwrap().success() {
            finished += 1;
        } else {
            killed += 1;
        }
        check(&s, &format!("killed at {delay_ms} ms"));
    }
    assert!(killed > 0, "no kill landed during a rekey");
    let started = Instant::now();
    s.ok(&["rekey"]);
    eprintln!(
        "a rekey took {:?}; {finished} of the killed runs had finished",
        started.elapsed()
    );
    check(&s, "a full rekey");
}
