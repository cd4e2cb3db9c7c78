//! Long mode: relays over a real three-node Garage cluster (replication factor 3),
//! started, laid out and stopped by scripts/garage-cluster.sh. Two relays talk to two
//! different nodes. A node that neither talks to is killed mid-upload: the upload
//! completes. Then the node under relay A is killed mid-upload: relay A fails the
//! chunk within seconds, and the client resumes through relay B from the offset the
//! cluster holds. Both bundles are collected through B, byte for byte.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use satchel_relay::client::RelayClient;

use super::*;

struct Cluster {
    dir: PathBuf,
    env: HashMap<String, String>,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/garage-cluster.sh")
}

impl Cluster {
    fn start(dir: &Path) -> Self {
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the Garage cluster did not start (scripts/setup.sh --long installs garage): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut c = Self {
            dir: dir.to_owned(),
            env: HashMap::new(),
        };
        c.read_env(&std::fs::read_to_string(dir.join("env")).unwrap());
        c
    }

    fn read_env(&mut self, text: &str) {
        for (k, v) in text.lines().filter_map(|l| l.split_once('=')) {
            self.env.insert(k.to_owned(), v.to_owned());
        }
    }

    fn kill(&self, node: u8) {
        let pid = &self.env[&format!("GARAGE_PID_{node}")];
        assert!(
            Command::new("kill")
                .args(["-9", pid])
                .status()
                .unwrap()
                .success()
        );
    }

    fn restart(&mut self, node: u8) {
        let out = Command::new("bash")
            .arg(script())
            .arg("restart")
            .arg(&self.dir)
            .arg(node.to_string())
            .output()
            .unwrap();
        assert!(out.status.success());
        self.read_env(&String::from_utf8_lossy(&out.stdout));
        let out = Command::new("bash")
            .arg(script())
            .arg("healthy")
            .arg(&self.dir)
            .arg(node.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "node {node} did not rejoin: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn keys(&self) -> Vec<(String, String)> {
        ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
            .iter()
            .map(|k| ((*k).to_owned(), self.env[*k].clone()))
            .collect()
    }

    /// The relay's storage arguments for the S3 API of `node`.
    fn storage(&self, node: u8) -> Vec<String> {
        [
            "--s3-endpoint",
            &self.env[&format!("GARAGE_S3_{node}")],
            "--s3-bucket",
            &self.env["GARAGE_BUCKET"],
            "--s3-prefix",
            "satchel",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

#[test]
fn a_garage_node_killed_mid_transfer_loses_nothing() {
    if std::env::var_os("SATCHEL_LONG_TESTS").is_none() {
        eprintln!("the Garage cluster test runs in long mode (scripts/test.sh --long)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(&tmp.path().join("cluster"));
    let out = Command::new(env!("CARGO_BIN_EXE_satchel-relay"))
        .args(["mailbox", "create"])
        .args(cluster.storage(1))
        .envs(cluster.keys())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = Mailbox {
        id: v["mailbox"].as_str().unwrap().into(),
        deposit: v["deposit"].as_str().unwrap().into(),
        collect: v["collect"].as_str().unwrap().into(),
    };
    let a = Relay::serve(&cluster.storage(1), &cluster.keys());
    let b = Relay::serve(&cluster.storage(2), &cluster.keys());
    let (client_a, client_b) = (
        RelayClient::new(&a.base, None).unwrap(),
        RelayClient::new(&b.base, None).unwrap(),
    );

    // Node 3 serves neither relay; it dies with 40% of the bundle sent.
    let first = random(24 << 20);
    let total = first.len() as u64;
    let mut killed = false;
    let clock = std::time::Instant::now();
    client_a
        .deposit(
            &m.id,
            &m.deposit,
            &mut Cursor::new(&first),
            total,
            None,
            &mut |_| {},
            &mut |held, _| {
                if !killed && held * 10 >= total * 4 {
                    cluster.kill(3);
                    killed = true;
                }
            },
        )
        .unwrap();
    assert!(killed);
    let first_took = clock.elapsed();
    cluster.restart(3);

    // Node 1, under relay A, dies with 40% sent: relay A fails, relay B resumes.
    let second = random(24 << 20);
    let mut location = None;
    let mut at_kill = None;
    let clock = std::time::Instant::now();
    let cut = client_a.deposit(
        &m.id,
        &m.deposit,
        &mut Cursor::new(&second),
        total,
        None,
        &mut |l| location = Some(l.to_owned()),
        &mut |held, _| {
            if at_kill.is_none() && held * 10 >= total * 4 {
                cluster.kill(1);
                at_kill = Some(held);
            }
        },
    );
    assert!(cut.is_err(), "relay A went on without its store node");
    let a_failed_after = clock.elapsed();
    let at_kill = at_kill.unwrap();
    let mut resumed_at = None;
    client_b
        .deposit(
            &m.id,
            &m.deposit,
            &mut Cursor::new(&second),
            total,
            location.as_deref(),
            &mut |_| panic!("a new upload was begun instead of resuming"),
            &mut |held, _| {
                resumed_at.get_or_insert(held);
            },
        )
        .unwrap();
    let resumed_at = resumed_at.unwrap();
    println!(
        "garage: 24 MiB through relay A with node 3 killed at 40%: complete in {:.1} s; \
         with node 1 (relay A's) killed at byte {at_kill}: relay A gave up after {:.1} s, \
         relay B resumed at byte {resumed_at}",
        first_took.as_secs_f64(),
        a_failed_after.as_secs_f64()
    );
    assert!(
        resumed_at + satchel_relay::client::CHUNK as u64 >= at_kill,
        "resumed at {resumed_at}, the cut came at {at_kill}"
    );

    // Both arrive whole through relay B, and leave once collected.
    let list = client_b.list(&m.id, &m.collect).unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let mut got = Vec::new();
    for (blob, size) in &list {
        let mut file = tempfile::tempfile().unwrap();
        client_b
            .download(&m.id, &m.collect, blob, *size, &mut file, &mut |_, _| {})
            .unwrap();
        let mut into = Vec::new();
        std::io::Seek::rewind(&mut file).unwrap();
        file.read_to_end(&mut into).unwrap();
        got.push(into);
        client_b.delete(&m.id, &m.collect, blob).unwrap();
    }
    got.sort();
    let mut want = vec![first, second];
    want.sort();
    assert!(got == want, "the bundles changed on the way");
    assert!(client_b.list(&m.id, &m.collect).unwrap().is_empty());
    let said = a.stop() + &b.stop();
    for secret in [&m.id, &m.deposit, &m.collect] {
        assert!(!said.contains(secret.as_str()), "a relay printed {secret}");
    }
}
