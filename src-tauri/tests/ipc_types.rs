//! The UI's side of IPC is generated from the Rust side, so the two cannot drift apart
//! (a location once went as `[lat, lon]` one way and `{lat, lon}` the other, and was
//! lost). Three files, all checked here (ADR 0015):
//!
//! - `ui/src/lib/generated/ipc.ts`: every type that crosses IPC (command arguments and
//!   results, events, the error shape), from the Rust types by ts-rs;
//! - `ui/src/lib/generated/commands.ts`: one typed function per command, read from the
//!   `#[tauri::command]` functions in `src-tauri/src` with `syn`. Arguments go as one
//!   object with Tauri's camelCase keys, so a renamed or retyped argument, or a changed
//!   result, fails the UI's type check (`npm run check`);
//! - `assets/ipc/error-examples.json`: an error of every code and reason as the shell
//!   sends it, which the UI's tests translate in every language (ADR 0031).
//!
//! The test fails when any file differs from what the Rust side gives; run it with
//! `SATCHEL_BLESS=1` to write them after changing a command or a type.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::{
    any::TypeId,
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use heck::ToLowerCamelCase;
use satchel_api::{
    AuthorChoice, Draft, DraftInfo, Found, RecordFilter, RecordSummary, RecordView,
    export::{ExportRequest, ReportWritten},
    form::{FieldValue, Form},
    network::{LastSync, RelayView, SyncPolicy, SyncReport},
    offload::{OffloadPolicy, OffloadReport},
    quarantine::{QuarantineEntry, QuarantinedOp},
    records::HistoryEntry,
    sync::{Card, Conflict, ExportReport, ImportReport, PeerStatus, PeerView},
    vault::Info,
};
use satchel_app::{
    audit::AuditChecked,
    commands::{
        Created, EnrolApproved, EnrolRequestView, IdleWarning, OrgView, Page, PageQuery, Progress,
        Resolution, RulesCheck, Staged, Transfer, VaultState, Verified,
    },
    drives::Drive,
    error::IpcError,
    settings::Settings,
};
use ts_rs::{Config, TS, TypeVisitor};

/// Every type that crosses IPC, with what they contain found by ts-rs. A command that
/// names a type missing here fails this test and says so.
fn roots(c: &mut Collector) {
    c.add::<IpcError>();
    c.add::<Progress>();
    c.add::<IdleWarning>();
    c.add::<VaultState>();
    c.add::<Created>();
    c.add::<Info>();
    c.add::<Verified>();
    c.add::<Settings>();
    c.add::<Form>();
    c.add::<FieldValue>();
    c.add::<RulesCheck>();
    c.add::<satchel_api::form_xlsform::Summary>();
    c.add::<PageQuery>();
    c.add::<Page>();
    c.add::<Found>();
    c.add::<RecordSummary>();
    c.add::<RecordFilter>();
    c.add::<AuthorChoice>();
    c.add::<RecordView>();
    c.add::<HistoryEntry>();
    c.add::<Staged>();
    c.add::<DraftInfo>();
    c.add::<Draft>();
    c.add::<Card>();
    c.add::<PeerView>();
    c.add::<PeerStatus>();
    c.add::<Drive>();
    c.add::<ExportReport>();
    c.add::<ImportReport>();
    c.add::<ExportRequest>();
    c.add::<ReportWritten>();
    c.add::<Conflict>();
    c.add::<Resolution>();
    c.add::<QuarantineEntry>();
    c.add::<QuarantinedOp>();
    c.add::<OrgView>();
    c.add::<Transfer>();
    c.add::<EnrolRequestView>();
    c.add::<EnrolApproved>();
    c.add::<OffloadPolicy>();
    c.add::<OffloadReport>();
    c.add::<AuditChecked>();
    c.add::<RelayView>();
    c.add::<SyncPolicy>();
    c.add::<SyncReport>();
    c.add::<LastSync>();
}

/// Events the shell emits, with their payload's type. Every `.emit("…")` in
/// `src-tauri/src` must be here.
const EVENTS: &[(&str, &str)] = &[("progress", "Progress"), ("idle_warning", "IdleWarning")];

/// Arguments Tauri fills in itself; they are not sent by the web view.
const INJECTED: &[&str] = &["AppHandle", "State", "Window", "Webview", "WebviewWindow"];

/// Marks, among the generated types a command uses, that it also uses Tauri's `Channel`.
const CHANNEL: &str = "@tauri-apps/api/core Channel";

const HEADER: &str = "// Generated from the Rust side of IPC by src-tauri/tests/ipc_types.rs.\n\
    // Do not edit: after changing a command or a type that crosses IPC, run\n\
    // SATCHEL_BLESS=1 cargo test -p satchel-app --test ipc_types\n";

/// The declaration of every type reachable from the roots, by TypeScript name.
struct Collector {
    cfg: Config,
    by_name: BTreeMap<String, (TypeId, String)>,
}

impl Collector {
    fn add<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() {
            // Vec, Option, maps, primitives: only what they hold is declared. (Their
            // `visit_dependencies` would walk into it past the check below, and loop on
            // recursive types such as JsonValue.)
            T::visit_generics(self);
            return;
        }
        let name = T::ident(&self.cfg);
        let decl = T::decl(&self.cfg);
        if let Some((id, seen)) = self.by_name.get(&name) {
            assert!(
                *id == TypeId::of::<T>() || *seen == decl,
                "two different Rust types are both called {name} in TypeScript"
            );
            return;
        }
        self.by_name.insert(name, (TypeId::of::<T>(), decl));
        T::visit_dependencies(self);
    }
}

impl TypeVisitor for Collector {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        self.add::<T>();
    }
}

fn types() -> Collector {
    // 64-bit integers (form versions, sizes) stay well inside a double's 2^53 here.
    let mut c = Collector {
        cfg: Config::new().with_large_int("number"),
        by_name: BTreeMap::new(),
    };
    roots(&mut c);
    c
}

fn ipc_ts(c: &Collector) -> String {
    let mut out = String::from(HEADER);
    // By name: ts-rs visits a type's fields in no fixed order, so the order of discovery
    // changes from one build to the next.
    for (_, d) in c.by_name.values() {
        out.push_str("\nexport ");
        out.push_str(d.trim());
        out.push('\n');
    }
    out
}

/// A command as the web view calls it.
struct Command {
    name: String,
    docs: Vec<String>,
    /// (key in the arguments object, Rust type)
    args: Vec<(String, syn::Type)>,
    /// Takes the request's raw body (`tauri::ipc::Request`) instead of JSON arguments.
    raw_body: bool,
    output: Option<syn::Type>,
}

fn src_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn last_ident(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn is_command(attr: &syn::Attribute) -> bool {
    let segs: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segs == ["tauri", "command"] || segs == ["command"]
}

fn docs(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }),
                ..
            }) => Some(s.value().trim().replace("*/", "* /")),
            _ => None,
        })
        .collect()
}

/// Follows the file's type aliases (`type Shell<'a> = State<'a, …>`) to what they name.
fn unalias(ty: &syn::Type, aliases: &BTreeMap<String, syn::Type>) -> syn::Type {
    if let syn::Type::Path(p) = ty
        && let Some(target) = aliases.get(&last_ident(&p.path))
    {
        return unalias(target, aliases);
    }
    ty.clone()
}

/// Type aliases anywhere in the crate (a `Shell` of one module may be used in another);
/// `Result` aliases are read as results.
fn collect_aliases(items: &[syn::Item], out: &mut BTreeMap<String, syn::Type>) {
    for item in items {
        match item {
            syn::Item::Type(t) if t.ident != "Result" => {
                out.insert(t.ident.to_string(), (*t.ty).clone());
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_aliases(inner, out);
                }
            }
            _ => {}
        }
    }
}

fn collect_items(
    items: &[syn::Item],
    file: &Path,
    aliases: &BTreeMap<String, syn::Type>,
    out: &mut Vec<Command>,
) {
    for item in items {
        let f = match item {
            syn::Item::Fn(f) => f,
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_items(inner, file, aliases, out);
                }
                continue;
            }
            _ => continue,
        };
        let Some(attr) = f.attrs.iter().find(|a| is_command(a)) else {
            continue;
        };
        let name = f.sig.ident.to_string();
        let mut camel = true;
        if let syn::Meta::List(_) = &attr.meta {
            attr.parse_nested_meta(|m| {
                if m.path.is_ident("rename_all") {
                    let v: syn::LitStr = m.value()?.parse()?;
                    camel = v.value() == "camelCase";
                    Ok(())
                } else if m.path.is_ident("async") {
                    Ok(())
                } else {
                    Err(m.error("not understood by the UI's generator (ipc_types.rs)"))
                }
            })
            .unwrap_or_else(|e| panic!("{}: {name}: {e}", file.display()));
        }
        let mut cmd = Command {
            name: name.clone(),
            docs: docs(&f.attrs),
            args: Vec::new(),
            raw_body: false,
            output: match &f.sig.output {
                syn::ReturnType::Default => None,
                syn::ReturnType::Type(_, t) => Some((**t).clone()),
            },
        };
        for input in &f.sig.inputs {
            let syn::FnArg::Typed(arg) = input else {
                panic!("{name}: a command takes no self");
            };
            let ty = unalias(&arg.ty, aliases);
            let kind = match &ty {
                syn::Type::Path(p) => last_ident(&p.path),
                _ => String::new(),
            };
            if INJECTED.contains(&kind.as_str()) {
                continue;
            }
            if kind == "Request" {
                cmd.raw_body = true;
                continue;
            }
            let syn::Pat::Ident(id) = &*arg.pat else {
                panic!("{name}: give every argument a plain name");
            };
            let key = id.ident.to_string();
            let key = if camel {
                key.to_lower_camel_case()
            } else {
                key
            };
            cmd.args.push((key, ty));
        }
        assert!(
            !cmd.raw_body || cmd.args.is_empty(),
            "{name} reads the raw body and also takes JSON arguments, which Tauri cannot \
             give it at once"
        );
        out.push(cmd);
    }
}

fn commands() -> Vec<Command> {
    let files: Vec<(PathBuf, syn::File)> = src_files()
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            let parsed =
                syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            (file, parsed)
        })
        .collect();
    let mut aliases = BTreeMap::new();
    for (_, parsed) in &files {
        collect_aliases(&parsed.items, &mut aliases);
    }
    let mut out = Vec::new();
    for (file, parsed) in &files {
        collect_items(&parsed.items, file, &aliases, &mut out);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The TypeScript of a Rust type in a command's signature; `used` gathers the
/// generated types it names.
fn ts(
    ty: &syn::Type,
    known: &BTreeSet<String>,
    used: &mut BTreeSet<String>,
) -> Result<String, String> {
    let generic = |p: &syn::PathSegment, i: usize| -> Result<syn::Type, String> {
        match &p.arguments {
            syn::PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .filter_map(|g| match g {
                    syn::GenericArgument::Type(t) => Some(t.clone()),
                    _ => None,
                })
                .nth(i)
                .ok_or_else(|| format!("{} needs a type argument", p.ident)),
            _ => Err(format!("{} needs a type argument", p.ident)),
        }
    };
    match ty {
        syn::Type::Reference(r) => ts(&r.elem, known, used),
        syn::Type::Paren(p) => ts(&p.elem, known, used),
        syn::Type::Tuple(t) if t.elems.is_empty() => Ok("void".into()),
        syn::Type::Path(p) => {
            let seg = p.path.segments.last().ok_or("an empty path")?;
            let name = seg.ident.to_string();
            Ok(match name.as_str() {
                "String" | "str" | "char" => "string".into(),
                "bool" => "boolean".into(),
                "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize"
                | "f32" | "f64" => "number".into(),
                "Result" | "Box" | "Arc" => ts(&generic(seg, 0)?, known, used)?,
                "Option" => format!("{} | null", ts(&generic(seg, 0)?, known, used)?),
                "Vec" => format!("Array<{}>", ts(&generic(seg, 0)?, known, used)?),
                "BTreeMap" | "HashMap" => format!(
                    "{{ [key in {}]: {} }}",
                    ts(&generic(seg, 0)?, known, used)?,
                    ts(&generic(seg, 1)?, known, used)?
                ),
                "Value" => {
                    used.insert("JsonValue".into());
                    "JsonValue".into()
                }
                // Bytes as an `ArrayBuffer` (tauri::ipc::Response).
                "Response" => "ArrayBuffer".into(),
                // A stream of messages to the web view (tauri::ipc::Channel).
                "Channel" => {
                    used.insert(CHANNEL.into());
                    format!("Channel<{}>", ts(&generic(seg, 0)?, known, used)?)
                }
                _ if known.contains(&name) && seg.arguments.is_none() => {
                    used.insert(name.clone());
                    name
                }
                _ => {
                    return Err(format!(
                        "{name} crosses IPC but has no generated TypeScript: derive \
                         ts_rs::TS for it and add it to `roots` in src-tauri/tests/ipc_types.rs \
                         (a path never crosses IPC)"
                    ));
                }
            })
        }
        _ => Err("a type the UI's generator does not know".into()),
    }
}

fn emitted_events() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in src_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, call) in text.match_indices(".emit(") {
            let rest = text[i + call.len()..].trim_start();
            let name = rest
                .strip_prefix('"')
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| {
                    panic!("{}: an event name must be a string literal", file.display())
                });
            out.insert(name.to_owned());
        }
    }
    out
}

fn commands_ts(cmds: &[Command], known: &BTreeSet<String>) -> String {
    let mut used = BTreeSet::new();
    let mut body = String::new();
    let mut table = String::from(
        "\n/** Every command by name, with its arguments and result (typed mocks in tests). */\n\
         export type Commands = {\n",
    );
    for c in cmds {
        let at = |e: String| format!("command {}: {e}", c.name);
        let output = match &c.output {
            Some(t) => ts(t, known, &mut used).unwrap_or_else(|e| panic!("{}", at(e))),
            None => "void".into(),
        };
        body.push('\n');
        if !c.docs.is_empty() {
            body.push_str("/**\n");
            for line in &c.docs {
                body.push_str(format!(" * {line}").trim_end());
                body.push('\n');
            }
            body.push_str(" */\n");
        }
        let func = c.name.to_lower_camel_case();
        let name = &c.name;
        let args = if c.raw_body {
            "Uint8Array".to_owned()
        } else if c.args.is_empty() {
            "undefined".to_owned()
        } else {
            let fields: Vec<String> = c
                .args
                .iter()
                .map(|(k, t)| {
                    let t = ts(t, known, &mut used)
                        .unwrap_or_else(|e| panic!("{}", at(format!("argument {k}: {e}"))));
                    format!("{k}: {t}")
                })
                .collect();
            format!("{{ {} }}", fields.join("; "))
        };
        table.push_str(&format!(
            "  {name}: {{ args: {args}; result: {output} }};\n"
        ));
        if c.raw_body {
            body.push_str(&format!(
                "export const {func} = (body: Uint8Array, options?: InvokeOptions): \
                 Promise<{output}> =>\n  invoke<{output}>('{name}', body, options);\n"
            ));
        } else if c.args.is_empty() {
            body.push_str(&format!(
                "export const {func} = (): Promise<{output}> => invoke<{output}>('{name}');\n"
            ));
        } else {
            body.push_str(&format!(
                "export const {func} = (args: {args}): Promise<{output}> =>\n  \
                 invoke<{output}>('{name}', args);\n"
            ));
        }
    }
    table.push_str("};\n");
    let mut events = String::from(
        "\n/** Events the shell emits, by name, with their payload. */\nexport type Events = {\n",
    );
    for (name, ty) in EVENTS {
        assert!(
            known.contains(*ty),
            "event {name}: {ty} has no generated TypeScript"
        );
        used.insert((*ty).to_owned());
        events.push_str(&format!("  {name}: {ty};\n"));
    }
    events.push_str("};\n");
    let mut out = String::from(HEADER);
    let channel = if used.remove(CHANNEL) {
        "Channel, "
    } else {
        ""
    };
    out.push_str(&format!(
        "import {{ {channel}invoke, type InvokeOptions }} from '@tauri-apps/api/core';\n"
    ));
    out.push_str(&format!(
        "import type {{ {} }} from './ipc';\n",
        used.into_iter().collect::<Vec<_>>().join(", ")
    ));
    out.push_str(&body);
    out.push_str(&table);
    out.push_str(&events);
    out
}

/// One error of every code and reason, as the shell sends it: the UI's tests
/// translate each in every language (`ui/src/lib/errors.test.ts`).
fn error_examples_json() -> String {
    let mut all: Vec<IpcError> = satchel_api::ApiError::examples()
        .into_iter()
        .map(IpcError::from)
        .collect();
    all.extend([
        IpcError::locked(),
        IpcError::unlocked(),
        IpcError::confirmation(),
        IpcError::too_large("too many attachments at once; save the record first"),
        IpcError::no_drive(),
        IpcError::internal(),
        IpcError::invalid(
            "attachments",
            "not_staged",
            "attachment 0a1b is no longer staged",
        ),
        IpcError::invalid("body", "not_bytes", "expected the file's bytes"),
        IpcError::invalid("name", "no_file_name", "an attachment needs a file name"),
        IpcError::invalid("language", "not_choice", "unsupported language"),
        IpcError::invalid(
            "autoLockMinutes",
            "out_of_range",
            "auto-lock is 1 to 240 minutes",
        )
        .param("min", 1)
        .param("max", 240),
        IpcError::invalid(
            "panicShortcut",
            "bad_shortcut",
            "a shortcut is up to 40 printable characters",
        ),
        IpcError::invalid(
            "report",
            "no_audit_report",
            "no audit export has been checked in this session",
        ),
    ]);
    let codes: BTreeSet<&str> = all.iter().map(|e| e.code.as_str()).collect();
    let missing: Vec<&str> = satchel_api::error::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !codes.contains(c))
        .collect();
    assert!(missing.is_empty(), "no example of {missing:?}");
    let mut out = serde_json::to_string_pretty(&all).unwrap();
    out.push('\n');
    out
}

fn check_or_bless(rel: &str, want: &str) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    if std::env::var_os("SATCHEL_BLESS").is_some() {
        std::fs::write(&path, want).unwrap();
        return None;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    (have != want).then(|| format!("{rel} is out of date. Expected:\n{want}"))
}

#[test]
fn the_uis_ipc_types_and_commands_are_generated_from_the_rust_side() {
    let types = types();
    let known: BTreeSet<String> = types.by_name.keys().cloned().collect();
    let cmds = commands();
    let stale: Vec<String> = [
        check_or_bless("ui/src/lib/generated/ipc.ts", &ipc_ts(&types)),
        check_or_bless(
            "ui/src/lib/generated/commands.ts",
            &commands_ts(&cmds, &known),
        ),
        check_or_bless("assets/ipc/error-examples.json", &error_examples_json()),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        stale.is_empty(),
        "run\nSATCHEL_BLESS=1 cargo test -p satchel-app --test ipc_types\nand commit the \
         result.\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_registered_command_is_generated_and_no_other() {
    let parsed: BTreeSet<String> = commands().into_iter().map(|c| c.name).collect();
    let declared: BTreeSet<String> = satchel_app::command_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let unregistered: Vec<_> = parsed.difference(&declared).collect();
    let unseen: Vec<_> = declared.difference(&parsed).collect();
    assert!(
        unregistered.is_empty() && unseen.is_empty(),
        "#[tauri::command] functions missing from command_names.rs: {unregistered:?}; \
         names in command_names.rs with no #[tauri::command] function in src/: {unseen:?}"
    );
}

#[test]
fn every_event_the_shell_emits_has_a_payload_type() {
    let listed: BTreeSet<String> = EVENTS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(emitted_events(), listed);
}

#[test]
fn the_generator_refuses_what_it_cannot_type() {
    let known = BTreeSet::from(["Form".to_owned()]);
    let ty = |s: &str| syn::parse_str::<syn::Type>(s).unwrap();
    let mut used = BTreeSet::new();
    assert_eq!(
        ts(&ty("Result<Option<Vec<Form>>>"), &known, &mut used).unwrap(),
        "Array<Form> | null"
    );
    assert_eq!(
        ts(&ty("BTreeMap<String, Option<Form>>"), &known, &mut used).unwrap(),
        "{ [key in string]: Form | null }"
    );
    assert_eq!(
        ts(&ty("tauri::ipc::Channel<Form>"), &known, &mut used).unwrap(),
        "Channel<Form>"
    );
    assert!(
        ts(&ty("PathBuf"), &known, &mut used).is_err(),
        "no path crosses IPC"
    );
    assert!(ts(&ty("Unknown"), &known, &mut used).is_err());
    assert!(ts(&ty("(u8, u8)"), &known, &mut used).is_err());
}
