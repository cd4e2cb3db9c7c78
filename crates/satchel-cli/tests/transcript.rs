//! Golden transcripts: a scenario's commands and their output, with the parts that
//! are random by design (ids, keys, fingerprints, clocks) replaced by placeholders.
//! Regenerate with `SNAPSHOTS=overwrite cargo test -p satchel-cli --test main transcript`.

use regex::Regex;

use crate::*;

struct Transcript<'a> {
    s: &'a Sandbox,
    text: String,
    ids: Vec<String>,
}

impl<'a> Transcript<'a> {
    fn new(s: &'a Sandbox) -> Self {
        Self {
            s,
            text: String::new(),
            ids: Vec::new(),
        }
    }

    fn redact(&mut self, out: &str) -> String {
        let uuid =
            Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
                .unwrap();
        for m in uuid.find_iter(out) {
            if !self.ids.iter().any(|i| i == m.as_str()) {
                self.ids.push(m.as_str().to_owned());
            }
        }
        let mut out = out
            .replace(self.s.vault.to_str().unwrap(), "[VAULT]")
            .replace(self.s.root.path().to_str().unwrap(), "[ROOT]");
        for (n, id) in self.ids.iter().enumerate() {
            out = out.replace(id, &format!("[ID{}]", n + 1));
        }
        let rules = [
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
            (
                r"Device fingerprint: ([a-z]+ ){7}[a-z]+",
                "Device fingerprint: [WORDS]",
            ),
            (r"([0-9A-F]{4} ){7}[0-9A-F]{4}", "[FINGERPRINT-HEX]"),
            (r"([0-9A-Z]{4}-){7}[0-9A-Z]{4}", "[RECOVERY-KEY]"),
            (r"by [a-z]+-[a-z]+-[a-z]+", "by [AUTHOR]"),
            (r"--author [a-z]+-[a-z]+-[a-z]+", "--author [AUTHOR]"),
            (
                r"(?m)^[0-9a-f]{64}  [a-z]+-[a-z]+-[a-z]+$",
                "[DEVICE-ID]  [AUTHOR]",
            ),
            (
                r#""author": "[a-z]+-[a-z]+-[a-z]+""#,
                r#""author": "[AUTHOR]""#,
            ),
            (
                r#""fingerprint": "([a-z]+ ){7}[a-z]+""#,
                r#""fingerprint": "[WORDS]""#,
            ),
            (r#""op": "[0-9a-f]{64}""#, r#""op": "[OP]""#),
            (
                r"--changed-by [0-9a-f]{12}\b",
                "--changed-by [DEVICE-ID-PREFIX]",
            ),
            (r#""savedMs": \d+"#, r#""savedMs": [MS]"#),
        ];
        for (re, with) in rules {
            out = Regex::new(re).unwrap().replace_all(&out, with).into_owned();
        }
        out
    }

    /// Runs a command (`{1}`-style placeholders name earlier ids) and records it.
    fn run(&mut self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// As [`Transcript::run`] with extra environment; variables are recorded by name
    /// only (their values are secrets).
    fn run_with(&mut self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let real: Vec<String> = args
            .iter()
            .map(|a| {
                let mut a = (*a).to_owned();
                for (n, id) in self.ids.iter().enumerate() {
                    a = a.replace(&format!("{{{}}}", n + 1), id);
                }
                a
            })
            .collect();
        let refs: Vec<&str> = real.iter().map(String::as_str).collect();
        let r = self.s.run_with(&refs, env);
        let stdout = self.redact(&r.stdout);
        let stderr = self.redact(&error_line(&r));
        let shown = self.redact(&args.join(" "));
        let vars: String = env.iter().map(|(k, _)| format!("{k}=… ")).collect();
        self.text.push_str(&format!("$ {vars}satchel {shown}\n"));
        self.text.push_str(&stdout);
        if !stderr.is_empty() {
            self.text.push_str(&stderr);
            self.text.push('\n');
        }
        self.text.push_str(&format!("[exit {}]\n\n", r.code));
        r
    }
}

#[test]
fn transcript_of_a_field_workers_day() {
    let s = Sandbox::new();
    let photo = s.root.path().join("photo.jpg");
    std::fs::write(&photo, b"not really a jpeg").unwrap();
    let mut t = Transcript::new(&s);
    t.run(&["init"]);
    t.run(&["form", "list"]);
    t.run(&["form", "show", "contact"]);
    t.run(&["--lang", "ko", "form", "list"]);
    t.run(&[
        "record",
        "add",
        "contact",
        "--set",
        "name=김철수",
        "--set",
        "sex=male",
        "--set",
        "languages=ko,zh",
        "--set",
        "birth_date=1988-04-02",
        "--set",
        "location=42.9,129.5",
        "--set",
        "safe_to_contact=no",
        "--set",
        "notes=住在延吉市的朋友家",
        "--attach",
        photo.to_str().unwrap(),
    ]);
    t.run(&[
        "record",
        "add",
        "case",
        "--set",
        "title=Shelter for 王小明",
        "--set",
        "status=open",
        "--set",
        "needs=shelter,medical",
    ]);
    t.run(&["record", "show", "{1}"]);
    t.run(&["search", "철수"]);
    t.run(&["search", "延吉"]);
    t.run(&["search", "shelter"]);
    t.run(&["search", "shelter", "--form", "contact"]);
    t.run(&["search", "shelter", "--form", "nope"]);
    // "male" and "medical": two matches, one shown.
    t.run(&["search", "m", "--limit", "1"]);
    // What the app keeps of unsaved form input, as the app would keep it.
    {
        let mut v = satchel_api::unlock(
            &s.vault,
            &satchel_api::SecretString::from(PASS),
            satchel_api::KdfProfile::InsecureTest,
        )
        .unwrap();
        let body = serde_json::json!({"inputs": {"name": "박영희", "household_size": "three"}});
        v.save_draft("new:contact", &body).unwrap();
    }
    t.run(&["drafts", "list"]);
    t.run(&["drafts", "show", "new:contact"]);
    t.run(&["drafts", "show", "contact"]);
    t.run(&["drafts", "discard", "new:contact"]);
    t.run(&["drafts", "discard", "new:contact"]);
    t.run(&["drafts", "list"]);
    t.run(&[
        "record",
        "edit",
        "{1}",
        "--set",
        "alias=Kim",
        "--set",
        "safe_to_contact=yes",
    ]);
    t.run(&["--lang", "zh-Hans", "record", "show", "{1}"]);
    t.run(&["record", "history", "{1}"]);
    t.run(&["record", "list"]);
    t.run(&["record", "list", "--form", "case"]);
    // Filters: by the author who created the records, by dates (inclusive; a
    // month or a year is the whole of it; typed as in Korean too), with search.
    let authors = t.run(&["record", "authors"]);
    let me = authors.stdout.split_whitespace().nth(1).unwrap().to_owned();
    t.run(&["record", "list", "--author", &me]);
    t.run(&["record", "list", "--changed-by", "nobody"]);
    t.run(&["record", "list", "--since", "2000-01", "--until", "2999"]);
    t.run(&["record", "list", "--until", "1999년 12월", "--by-change"]);
    t.run(&["record", "list", "--since", "2000-13"]);
    t.run(&["record", "list", "--since", "about 2000"]);
    t.run(&["record", "list", "--since", "2999", "--until", "2000"]);
    t.run(&["search", "延吉", "--author", &me, "--since", "2000"]);
    t.run(&["search", "延吉", "--until", "1999"]);
    t.run(&["record", "delete", "{2}"]);
    t.run(&["record", "list", "--deleted"]);
    t.run(&["record", "purge", "{2}"]);
    t.run(&["record", "history", "{2}"]);
    t.run(&["info"]);
    t.run(&["verify"]);
    t.run(&["wipe", "--yes"]);
    t.run(&["info"]);
    snapbox::assert_data_eq!(t.text, snapbox::file!["transcripts/field-day.txt"]);
}

#[test]
fn transcript_of_json_output() {
    let s = Sandbox::new();
    let mut t = Transcript::new(&s);
    t.run(&["--json", "init"]);
    t.run(&[
        "--json",
        "record",
        "add",
        "encounter",
        "--set",
        "date=2026-11-01",
        "--set",
        "people_present=3",
    ]);
    t.run(&["--json", "record", "show", "{1}"]);
    t.run(&["--json", "record", "list"]);
    t.run(&["--json", "search", "2026"]);
    t.run(&["--json", "info"]);
    snapbox::assert_data_eq!(t.text, snapbox::file!["transcripts/json.txt"]);
}

#[test]
fn transcript_of_passphrases_recovery_and_duress() {
    let s = Sandbox::new();
    let mut t = Transcript::new(&s);
    let init = t.run(&["init"]);
    let key = Regex::new(r"([0-9A-Z]{4}-){7}[0-9A-Z]{4}").unwrap();
    let recovery = key.find(&init.stdout).unwrap().as_str().to_owned();
    t.run(&["record", "add", "contact", "--set", "name=Real person"]);
    t.run_with(
        &["passwd"],
        &[("SATCHEL_NEW_PASSPHRASE", "second passphrase")],
    );
    t.run(&["record", "list"]);
    t.run_with(
        &["record", "list"],
        &[("SATCHEL_PASSPHRASE", "second passphrase")],
    );
    t.run_with(
        &["recover"],
        &[
            ("SATCHEL_RECOVERY_KEY", "AAAA-BBBB"),
            ("SATCHEL_NEW_PASSPHRASE", "third passphrase"),
        ],
    );
    t.run_with(
        &["recover"],
        &[
            ("SATCHEL_RECOVERY_KEY", &recovery),
            ("SATCHEL_NEW_PASSPHRASE", "third passphrase"),
        ],
    );
    t.run_with(
        &["record", "list"],
        &[("SATCHEL_PASSPHRASE", "third passphrase")],
    );
    let form = s.root.path().join("intake.json");
    std::fs::write(
        &form,
        r#"{"name": "intake", "version": 1,
            "label": {"en": "Intake", "ko": "접수", "zh-Hans": "登记"},
            "fields": [{"id": "code", "type": "text", "required": true,
                        "label": {"en": "Code", "ko": "코드", "zh-Hans": "编码"}}]}"#,
    )
    .unwrap();
    let third = [("SATCHEL_PASSPHRASE", "third passphrase")];
    t.run_with(&["form", "import", form.to_str().unwrap()], &third);
    t.run_with(&["form", "import", form.to_str().unwrap()], &third);
    // A new database key and recovery key; the old recovery key stops working.
    t.run_with(&["rekey"], &third);
    t.run_with(
        &["recover"],
        &[
            ("SATCHEL_RECOVERY_KEY", &recovery),
            ("SATCHEL_NEW_PASSPHRASE", "third passphrase"),
        ],
    );
    t.run_with(&["record", "list"], &third);
    // The decoy, prepared beforehand.
    t.run_with(
        &[
            "--decoy",
            "record",
            "add",
            "contact",
            "--set",
            "name=Market vendor",
        ],
        &third,
    );
    t.run_with(&["--decoy", "passwd"], &third);
    t.run_with(
        &["duress", "set"],
        &[
            ("SATCHEL_PASSPHRASE", "third passphrase"),
            ("SATCHEL_NEW_PASSPHRASE", "third passphrase"),
        ],
    );
    t.run_with(
        &["duress", "set"],
        &[
            ("SATCHEL_PASSPHRASE", "third passphrase"),
            ("SATCHEL_NEW_PASSPHRASE", "the duress one"),
        ],
    );
    t.run_with(
        &["record", "list"],
        &[("SATCHEL_PASSPHRASE", "the duress one")],
    );
    t.run_with(
        &["form", "list"],
        &[("SATCHEL_PASSPHRASE", "the duress one")],
    );
    t.run_with(&["record", "list"], &third);
    t.run_with(
        &["recover"],
        &[
            ("SATCHEL_RECOVERY_KEY", &recovery),
            ("SATCHEL_NEW_PASSPHRASE", "fourth passphrase"),
        ],
    );
    snapbox::assert_data_eq!(t.text, snapbox::file!["transcripts/keys-and-duress.txt"]);
}

#[test]
fn transcript_of_an_export_for_a_report() {
    let s = Sandbox::new();
    let mut t = Transcript::new(&s);
    t.run(&["init"]);
    t.run(&[
        "record",
        "add",
        "contact",
        "--set",
        "name=김철수",
        "--set",
        "alias==cmd|' /C calc'!A0",
        "--set",
        "birth_date=~1985",
        "--set",
        "sex=male",
        "--set",
        "notes=住在延吉市\nsecond line",
    ]);
    t.run(&[
        "record",
        "add",
        "contact",
        "--set",
        "name=王小明",
        "--set",
        "birth_date=1990-03",
    ]);
    let out = s.root.path().join("report.csv");
    let out_arg = out.to_str().unwrap();
    // No terminal and no --yes: refused, nothing written.
    t.run(&[
        "export", "--form", "contact", "--format", "csv", "--out", out_arg,
    ]);
    assert!(!out.exists());
    t.run(&[
        "--lang",
        "ko",
        "export",
        "--form",
        "contact",
        "--fields",
        "sex,name,birth_date,alias,notes",
        "--columns",
        "id",
        "--format",
        "csv",
        "--out",
        out_arg,
        "--yes",
    ]);
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with('\u{feff}'), "a UTF-8 byte order mark");
    t.text.push_str("report.csv:\n");
    let shown = t.redact(
        &written
            .trim_start_matches('\u{feff}')
            .replace("\r\n", "⏎\n"),
    );
    t.text.push_str(&shown);
    t.text.push_str("\n\n");
    // Not over an existing file unless asked.
    t.run(&[
        "export", "--form", "contact", "--format", "csv", "--out", out_arg, "--yes",
    ]);
    t.run(&[
        "export", "--form", "contact", "--ids", "{2}", "--fields", "name", "--format", "xlsx",
        "--out", out_arg, "--yes", "--force",
    ]);
    t.run(&[
        "export",
        "--form",
        "case",
        "--ids",
        "{1}",
        "--format",
        "csv",
        "--out",
        s.root.path().join("case.csv").to_str().unwrap(),
        "--yes",
    ]);
    // The list's filter chooses the records: by date (none this far ahead), by
    // author (this device wrote both); and not together with chosen ids.
    t.run(&[
        "export", "--form", "contact", "--since", "2999", "--format", "csv", "--out", out_arg,
        "--yes", "--force",
    ]);
    let authors = t.run(&["record", "authors"]).stdout;
    let me = authors.get(..12).unwrap();
    t.run(&[
        "export",
        "--form",
        "contact",
        "--changed-by",
        me,
        "--fields",
        "name",
        "--format",
        "csv",
        "--out",
        out_arg,
        "--yes",
        "--force",
    ]);
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written, "\u{feff}Name\r\n김철수\r\n王小明\r\n");
    t.run(&[
        "export", "--form", "contact", "--ids", "{2}", "--since", "2026", "--format", "csv",
        "--out", out_arg, "--yes", "--force",
    ]);
    t.run(&[
        "export",
        "--form",
        "contact",
        "--fields",
        "nope",
        "--format",
        "csv",
        "--out",
        s.root.path().join("x.csv").to_str().unwrap(),
        "--yes",
    ]);
    t.run(&[
        "export",
        "--form",
        "contact",
        "--format",
        "csv",
        "--out",
        s.vault.join("inside.csv").to_str().unwrap(),
        "--yes",
    ]);
    let mut left: Vec<String> = std::fs::read_dir(s.root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "vault" && n != "tmp")
        .collect();
    left.sort();
    assert_eq!(left, ["report.csv"], "no temporary or refused file stays");
    assert_eq!(
        std::fs::read_dir(&s.tmp).unwrap().count(),
        0,
        "nothing in the temporary folder"
    );
    snapbox::assert_data_eq!(t.text, snapbox::file!["transcripts/export.txt"]);
}
