//! Peers are unverified until the user types the fingerprint words the other device
//! shows (in English, Korean or Chinese); vaults from before schema 10 keep their
//! peers, unverified.

use satchel_api::{ApiError, Vault};

use crate::*;

fn peer_of(v: &Vault, name: &str) -> satchel_api::sync::PeerView {
    v.peers()
        .unwrap()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap()
}

#[test]
fn a_peer_is_verified_only_by_its_own_fingerprint_words() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (b, _) = new_vault(&tmp.path().join("b"));
    let (c, _) = new_vault(&tmp.path().join("c"));
    let added = a.add_peer(&b.identity().card, "bora").unwrap();
    assert!(!added.verified, "a peer added from a card is unverified");
    assert!(!peer_of(&a, "bora").verified);

    let words = b.identity().fingerprint;
    let w: Vec<&str> = words.split(' ').collect();
    let three = w[..3].join(" ");
    let wrong = format!(
        "{} {}",
        w[..3].join(" "),
        if w[3] == "zoo" { "abandon" } else { "zoo" }
    );
    let others = c.identity().fingerprint;
    for typed in [
        "",
        three.as_str(),
        wrong.as_str(),
        others.as_str(),
        "not words at all",
    ] {
        assert!(
            matches!(
                a.verify_peer("bora", typed),
                Err(ApiError::FingerprintMismatch)
            ),
            "{typed:?}"
        );
        assert!(!peer_of(&a, "bora").verified, "{typed:?} changed nothing");
    }
    assert!(matches!(
        a.verify_peer("nobody", &words),
        Err(ApiError::UnknownPeer(_))
    ));

    // The words as B's screen shows them in Korean, first four.
    let ko = satchel_api::sync::words_in(&words, "ko");
    assert_ne!(ko, words);
    let four_ko = ko.split(' ').take(4).collect::<Vec<_>>().join(" ");
    let v = a.verify_peer(" bora ", &four_ko).unwrap();
    assert!(v.verified);
    assert_eq!(v.fingerprint, words);

    // Kept across a lock.
    drop(a);
    let a = satchel_api::unlock(&tmp.path().join("a"), &pass(PASS), P).unwrap();
    assert!(peer_of(&a, "bora").verified);
}

#[test]
fn chinese_words_typed_together_verify_a_peer() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, _) = new_vault(&tmp.path().join("a"));
    let (b, _) = new_vault(&tmp.path().join("b"));
    a.add_peer(&b.identity().card, "b").unwrap();
    let zh = satchel_api::sync::words_in(&b.identity().fingerprint, "zh-Hans");
    let typed: String = zh.split(' ').collect();
    assert!(a.verify_peer("b", &typed).unwrap().verified);
}

#[test]
fn peers_of_a_vault_from_before_verification_stay_and_are_unverified() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a");
    let (mut a, _) = new_vault(&dir);
    let (b, _) = new_vault(&tmp.path().join("b"));
    let (c, _) = new_vault(&tmp.path().join("c"));
    a.add_peer(&b.identity().card, "b").unwrap();
    a.add_peer(&c.identity().card, "c").unwrap();
    // The peers table as schema 11 had it (and what 13 and 14 added undone).
    a.execute_sql_for_tests(
        "ALTER TABLE peers DROP COLUMN verified;
         DROP INDEX records_creator_list; DROP INDEX ops_author_record;
         ALTER TABLE records DROP COLUMN created_by;
         DROP TABLE checkpoints;
         PRAGMA user_version = 11;",
    )
    .unwrap();
    drop(a);
    // The person unlocking is told that the vault is being brought up to date, once.
    let told = std::cell::Cell::new(0);
    let a = satchel_api::unlock_with(&dir, &pass(PASS), P, &|| told.set(told.get() + 1)).unwrap();
    assert_eq!(told.get(), 1);
    drop(a);
    let a_wrong = satchel_api::unlock_with(&dir, &pass("not the passphrase"), P, &|| {
        told.set(told.get() + 1)
    });
    assert!(matches!(a_wrong, Err(ApiError::WrongPassphrase)));
    let mut a =
        satchel_api::unlock_with(&dir, &pass(PASS), P, &|| told.set(told.get() + 1)).unwrap();
    assert_eq!(
        told.get(),
        1,
        "an up-to-date vault, or a wrong passphrase, says nothing"
    );
    let peers = a.peers().unwrap();
    assert_eq!(
        peers
            .iter()
            .map(|p| (p.name.as_str(), p.verified))
            .collect::<Vec<_>>(),
        [("b", false), ("c", false)]
    );
    assert_eq!(peers[0].fingerprint, b.identity().fingerprint);
    a.verify_peer("c", &c.identity().fingerprint).unwrap();
    assert_eq!(
        a.peers()
            .unwrap()
            .iter()
            .map(|p| p.verified)
            .collect::<Vec<_>>(),
        [false, true]
    );
}
