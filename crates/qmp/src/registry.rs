//! THE list of QMP commands. Dispatch, argument checking, `query-commands`
//! and `query-qmp-schema` all read `COMMANDS`; nothing about a command is
//! written anywhere else (its HMP form lives in hmp.rs and calls it).
//! docs/adding-a-qmp-command.md walks through adding one.

use std::io::Write;
use std::time::Duration;

use machine::control::{Request, RequestError};
use machine::requests;
use serde_json::{json, Map, Value};

use crate::Ctx;

/// An argument's type, as QAPI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Str,
    Int,
    Bool,
    /// A list of strings.
    StrList,
}

impl Ty {
    /// The word in "Invalid parameter type for 'x', expected: ...".
    fn expected(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Int => "integer",
            Ty::Bool => "boolean",
            Ty::StrList => "array",
        }
    }

    /// The type's name in `query-qmp-schema`.
    pub fn schema(self) -> &'static str {
        match self {
            Ty::Str => "str",
            Ty::Int => "int",
            Ty::Bool => "bool",
            Ty::StrList => "[str]",
        }
    }

    fn accepts(self, v: &Value) -> bool {
        match self {
            Ty::Str => v.is_string(),
            Ty::Int => v.is_i64() || v.is_u64(),
            Ty::Bool => v.is_boolean(),
            Ty::StrList => v.is_array(),
        }
    }
}

/// One argument of a command.
pub struct Arg {
    pub name: &'static str,
    pub ty: Ty,
    pub optional: bool,
}

const fn req(name: &'static str, ty: Ty) -> Arg {
    Arg { name, ty, optional: false }
}

const fn opt(name: &'static str, ty: Ty) -> Arg {
    Arg { name, ty, optional: true }
}

/// A QMP error reply: QEMU's ErrorClass name and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmpError {
    pub class: &'static str,
    pub desc: String,
}

impl QmpError {
    pub fn generic(desc: impl Into<String>) -> QmpError {
        QmpError { class: "GenericError", desc: desc.into() }
    }

    pub fn not_found(desc: impl Into<String>) -> QmpError {
        QmpError { class: "CommandNotFound", desc: desc.into() }
    }
}

/// The arguments of a call, already checked against the command's `args`.
pub struct Args<'a>(pub &'a Map<String, Value>);

impl Args<'_> {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.0.get(name).and_then(|v| v.as_i64().or_else(|| v.as_u64().map(|u| u as i64)))
    }

    pub fn u64(&self, name: &str) -> Option<u64> {
        self.0.get(name).and_then(|v| v.as_u64().or_else(|| v.as_i64().map(|i| i as u64)))
    }
}

pub type Handler = fn(&Ctx, &Args) -> Result<Value, QmpError>;

/// One command. `returns` names a type of `TYPES` or a builtin.
pub struct Command {
    pub name: &'static str,
    pub args: &'static [Arg],
    pub returns: &'static str,
    /// It needs the execution thread (answered at a block boundary).
    pub guest: bool,
    /// It may be sent with `exec-oob`: the monitor thread answers it alone.
    pub oob: bool,
    pub run: Handler,
}

/// Members of a structured type: (member, type, optional).
pub type Members = &'static [(&'static str, &'static str, bool)];

/// A structured type, for `query-qmp-schema`.
pub struct TypeDef {
    pub name: &'static str,
    pub members: Members,
}

pub static TYPES: &[TypeDef] = &[
    TypeDef {
        name: "StatusInfo",
        members: &[("running", "bool", false), ("singlestep", "bool", false), ("status", "str", false)],
    },
    TypeDef {
        name: "VersionTriple",
        members: &[("major", "int", false), ("minor", "int", false), ("micro", "int", false)],
    },
    TypeDef { name: "VersionInfo", members: &[("qemu", "VersionTriple", false), ("package", "str", false)] },
    TypeDef { name: "NameInfo", members: &[("name", "str", true)] },
    TypeDef { name: "KvmInfo", members: &[("enabled", "bool", false), ("present", "bool", false)] },
    TypeDef { name: "TargetInfo", members: &[("arch", "str", false)] },
    TypeDef { name: "CommandInfo", members: &[("name", "str", false)] },
    TypeDef {
        name: "CpuInfoFast",
        members: &[
            ("cpu-index", "int", false),
            ("qom-path", "str", false),
            ("thread-id", "int", false),
            ("target", "str", false),
        ],
    },
    TypeDef { name: "MemoryInfo", members: &[("base-memory", "int", false), ("plugged-memory", "int", true)] },
    TypeDef { name: "HumanReadableText", members: &[("human-readable-text", "str", false)] },
    // QEMU's YankInstance is a union on `type`; a chardev's member is `id`.
    TypeDef { name: "YankInstance", members: &[("type", "str", false), ("id", "str", false)] },
];

/// Events, for `query-qmp-schema`: (name, data members).
pub static EVENTS: &[(&str, Members)] = &[
    ("SHUTDOWN", &[("guest", "bool", false), ("reason", "str", false)]),
    ("POWERDOWN", &[]),
    ("RESET", &[("guest", "bool", false), ("reason", "str", false)]),
    ("STOP", &[]),
    ("RESUME", &[]),
];

/// How long a guest-thread request may take before the monitor gives up.
pub const GUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub static COMMANDS: &[Command] = &[
    Command {
        name: "qmp_capabilities",
        args: &[opt("enable", Ty::StrList)],
        returns: "0",
        guest: false,
        oob: false,
        // Handled by the session (it changes the session's mode); never called.
        run: |_, _| Ok(json!({})),
    },
    Command {
        name: "query-commands",
        args: &[],
        returns: "[CommandInfo]",
        guest: false,
        oob: false,
        run: query_commands,
    },
    Command {
        name: "query-qmp-schema",
        args: &[],
        returns: "[SchemaInfo]",
        guest: false,
        oob: false,
        run: query_schema,
    },
    Command {
        name: "query-version",
        args: &[],
        returns: "VersionInfo",
        guest: false,
        oob: false,
        run: |_, _| Ok(version()),
    },
    Command { name: "query-status", args: &[], returns: "StatusInfo", guest: false, oob: false, run: query_status },
    Command { name: "query-name", args: &[], returns: "NameInfo", guest: false, oob: false, run: query_name },
    Command {
        name: "query-kvm",
        args: &[],
        returns: "KvmInfo",
        guest: false,
        oob: false,
        run: |_, _| Ok(json!({"enabled": false, "present": false})),
    },
    Command {
        name: "query-target",
        args: &[],
        returns: "TargetInfo",
        guest: false,
        oob: false,
        run: |_, _| Ok(json!({"arch": "riscv64"})),
    },
    Command { name: "query-cpus-fast", args: &[], returns: "[CpuInfoFast]", guest: false, oob: false, run: query_cpus },
    Command {
        name: "query-memory-size-summary",
        args: &[],
        returns: "MemoryInfo",
        guest: false,
        oob: false,
        run: |c, _| Ok(json!({"base-memory": c.info.ram_size})),
    },
    Command { name: "stop", args: &[], returns: "0", guest: true, oob: false, run: |c, _| done(c, requests::Stop) },
    Command {
        name: "cont",
        args: &[],
        returns: "0",
        guest: true,
        oob: false,
        run: |c, _| guest_ok(c, requests::Cont).map(|()| json!({})),
    },
    Command {
        name: "system_reset",
        args: &[],
        returns: "0",
        guest: true,
        oob: false,
        run: |c, _| done(c, requests::Reset),
    },
    Command {
        name: "system_powerdown",
        args: &[],
        returns: "0",
        guest: true,
        oob: false,
        run: |c, _| done(c, requests::Powerdown),
    },
    Command { name: "quit", args: &[], returns: "0", guest: true, oob: false, run: |c, _| done(c, requests::Quit) },
    Command {
        name: "human-monitor-command",
        args: &[req("command-line", Ty::Str), opt("cpu-index", Ty::Int)],
        returns: "str",
        guest: false,
        oob: false,
        // Handled by the session (HMP keeps per-session state); never called.
        run: |_, _| Ok(json!("")),
    },
    Command {
        name: "memsave",
        args: &[req("val", Ty::Int), req("size", Ty::Int), req("filename", Ty::Str), opt("cpu-index", Ty::Int)],
        returns: "0",
        guest: true,
        oob: false,
        run: |c, a| save(c, a, false),
    },
    Command {
        name: "pmemsave",
        args: &[req("val", Ty::Int), req("size", Ty::Int), req("filename", Ty::Str)],
        returns: "0",
        guest: true,
        oob: false,
        run: |c, a| save(c, a, true),
    },
    Command {
        name: "x-query-registers",
        args: &[opt("cpu-index", Ty::Int)],
        returns: "HumanReadableText",
        guest: true,
        oob: false,
        run: query_registers,
    },
    Command {
        name: "x-query-roms",
        args: &[],
        returns: "HumanReadableText",
        guest: true,
        oob: false,
        run: |c, _| text(guest(c, requests::Roms)?),
    },
    Command {
        name: "x-query-gva2gpa",
        args: &[req("addr", Ty::Int), opt("cpu-index", Ty::Int)],
        returns: "HumanReadableText",
        guest: true,
        oob: false,
        // Tern's debug aid: the page-table walk without side effects.
        run: |c, a| {
            check_cpu(a, "cpu-index")?;
            text(guest(c, requests::Translate { addr: a.u64("addr").unwrap_or(0) })?)
        },
    },
    Command {
        name: "x-query-traps",
        args: &[opt("cpu-index", Ty::Int)],
        returns: "HumanReadableText",
        guest: true,
        oob: false,
        // Tern's debug aid: the last traps taken (cause, epc, tval, modes).
        run: |c, a| {
            check_cpu(a, "cpu-index")?;
            text(guest(c, requests::Traps)?)
        },
    },
    Command {
        name: "x-query-jit",
        args: &[],
        returns: "HumanReadableText",
        guest: true,
        oob: false,
        // The engine's report; under -accel interp, QEMU's error without TCG.
        run: |c, _| text(guest_ok(c, requests::JitInfo)?),
    },
    // QEMU 7.2's one OOB query: what `yank` could act on.
    Command { name: "query-yank", args: &[], returns: "[YankInstance]", guest: false, oob: true, run: query_yank },
    // hello-world: print a client provided string to the standard output
    // stream. message: string to be printed. Returns nothing on success.
    // Without a message, "Hello, world" is printed instead. (The example of
    // docs/adding-a-qmp-command.md, QEMU's "How to write monitor commands".)
    Command {
        name: "hello-world",
        args: &[opt("message", Ty::Str)],
        returns: "0",
        guest: false,
        oob: false,
        run: hello_world,
    },
];

pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Check `args` against the command's arguments, in QEMU's order: each
/// declared argument (missing, wrong type), then unknown ones.
pub fn check_args(cmd: &Command, args: &Map<String, Value>) -> Result<(), QmpError> {
    for a in cmd.args {
        match args.get(a.name) {
            None if !a.optional => return Err(QmpError::generic(format!("Parameter '{}' is missing", a.name))),
            Some(v) if !a.ty.accepts(v) => {
                return Err(QmpError::generic(format!(
                    "Invalid parameter type for '{}', expected: {}",
                    a.name,
                    a.ty.expected()
                )))
            }
            _ => {}
        }
    }
    match args.keys().find(|k| !cmd.args.iter().any(|a| a.name == k.as_str())) {
        Some(k) => Err(QmpError::generic(format!("Parameter '{k}' is unexpected"))),
        None => Ok(()),
    }
}

pub fn version() -> Value {
    json!({"qemu": {"micro": crate::QEMU_VERSION.2, "minor": crate::QEMU_VERSION.1, "major": crate::QEMU_VERSION.0},
           "package": crate::package()})
}

fn text(s: String) -> Result<Value, QmpError> {
    Ok(json!({"human-readable-text": s}))
}

/// Ask the execution thread; errors as QMP errors.
pub fn guest<R: Request>(c: &Ctx, r: R) -> Result<R::Reply, QmpError> {
    let reply = c.handle.request(r, GUEST_TIMEOUT).map_err(|e| match e {
        RequestError::Gone => QmpError::generic("The guest has stopped running"),
        RequestError::Timeout => QmpError::generic("The guest did not answer in time"),
    })?;
    // Events the machine emitted before answering go out first.
    c.hub.pump();
    Ok(reply)
}

/// Ask for something the machine may refuse; its refusal as a QMP error.
pub fn guest_ok<T, R: Request<Reply = Result<T, String>>>(c: &Ctx, r: R) -> Result<T, QmpError> {
    guest(c, r)?.map_err(QmpError::generic)
}

fn done(c: &Ctx, r: impl Request<Reply = ()>) -> Result<Value, QmpError> {
    guest(c, r).map(|()| json!({}))
}

fn check_cpu(a: &Args, name: &str) -> Result<(), QmpError> {
    match a.int(name) {
        Some(i) if i != 0 => Err(QmpError::generic(format!("Parameter '{name}' expects a CPU number"))),
        _ => Ok(()),
    }
}

fn query_registers(c: &Ctx, a: &Args) -> Result<Value, QmpError> {
    check_cpu(a, "cpu-index")?;
    text(machine::registers_text(&*guest(c, requests::Registers)?))
}

fn query_status(c: &Ctx, _: &Args) -> Result<Value, QmpError> {
    let s = c.handle.state();
    Ok(json!({"status": s.name(), "singlestep": false, "running": s == machine::control::RunState::Running}))
}

fn query_name(c: &Ctx, _: &Args) -> Result<Value, QmpError> {
    Ok(match &c.info.name {
        Some(n) => json!({"name": n}),
        None => json!({}),
    })
}

fn query_cpus(c: &Ctx, _: &Args) -> Result<Value, QmpError> {
    Ok(json!([{"thread-id": c.info.thread_id, "props": {"core-id": 0}, "qom-path": "/machine/soc0/harts[0]",
               "cpu-index": 0, "target": "riscv64"}]))
}

fn query_commands(_: &Ctx, _: &Args) -> Result<Value, QmpError> {
    Ok(Value::Array(COMMANDS.iter().map(|c| json!({"name": c.name})).collect()))
}

/// Members of an object type in the schema's form.
fn members(list: &[(&str, &str, bool)]) -> Value {
    Value::Array(
        list.iter()
            .map(|(n, t, optional)| {
                let mut m = Map::new();
                m.insert("name".into(), json!(n));
                if *optional {
                    m.insert("default".into(), Value::Null);
                }
                m.insert("type".into(), json!(t));
                Value::Object(m)
            })
            .collect(),
    )
}

/// `query-qmp-schema` (QEMU's SchemaInfo), generated from COMMANDS, EVENTS and TYPES.
pub fn schema() -> Value {
    let mut out = Vec::new();
    let mut arrays: Vec<String> = Vec::new();
    let mut note_array = |t: &str| {
        if t.starts_with('[') && !arrays.iter().any(|a| a == t) {
            arrays.push(t.to_string());
        }
    };
    for c in COMMANDS {
        let arg_type = if c.args.is_empty() { "0".to_string() } else { format!("q_obj_{}-arg", c.name) };
        note_array(c.returns);
        let mut m = Map::new();
        m.insert("name".into(), json!(c.name));
        m.insert("ret-type".into(), json!(c.returns));
        m.insert("meta-type".into(), json!("command"));
        m.insert("arg-type".into(), json!(arg_type));
        if c.oob {
            m.insert("allow-oob".into(), json!(true));
        }
        out.push(Value::Object(m));
    }
    for (name, data) in EVENTS {
        let arg_type = if data.is_empty() { "0".to_string() } else { format!("q_obj_{name}-arg") };
        out.push(json!({"name": name, "meta-type": "event", "arg-type": arg_type}));
    }
    out.push(json!({"name": "0", "members": [], "meta-type": "object"}));
    for c in COMMANDS.iter().filter(|c| !c.args.is_empty()) {
        let list: Vec<(&str, &str, bool)> = c.args.iter().map(|a| (a.name, a.ty.schema(), a.optional)).collect();
        for a in c.args {
            note_array(a.ty.schema());
        }
        out.push(json!({"name": format!("q_obj_{}-arg", c.name), "members": members(&list), "meta-type": "object"}));
    }
    for (name, data) in EVENTS.iter().filter(|(_, d)| !d.is_empty()) {
        out.push(json!({"name": format!("q_obj_{name}-arg"), "members": members(data), "meta-type": "object"}));
    }
    for t in TYPES {
        out.push(json!({"name": t.name, "members": members(t.members), "meta-type": "object"}));
    }
    // SchemaInfo itself is described only by name: clients treat it as opaque.
    out.push(json!({"name": "SchemaInfo", "members": [{"name": "name", "type": "str"},
                    {"name": "meta-type", "type": "str"}], "meta-type": "object"}));
    note_array("[SchemaInfo]");
    for a in arrays {
        let elem = a.trim_start_matches('[').trim_end_matches(']').to_string();
        out.push(json!({"name": a, "element-type": elem, "meta-type": "array"}));
    }
    for (name, json_type) in [("str", "string"), ("int", "int"), ("bool", "boolean"), ("null", "null")] {
        out.push(json!({"name": name, "json-type": json_type, "meta-type": "builtin"}));
    }
    Value::Array(out)
}

fn query_schema(_: &Ctx, _: &Args) -> Result<Value, QmpError> {
    Ok(schema())
}

/// memsave / pmemsave: write guest memory to a file, as QEMU.
fn save(c: &Ctx, a: &Args, phys: bool) -> Result<Value, QmpError> {
    if !phys {
        check_cpu(a, "cpu-index")?;
    }
    let (addr, size) = (a.u64("val").unwrap_or(0), a.u64("size").unwrap_or(0));
    let path = a.str("filename").unwrap_or("");
    let mut f = std::fs::File::create(path)
        .map_err(|e| QmpError::generic(format!("Could not open '{path}': {}", crate::os_error(&e))))?;
    let bytes = match guest_ok(c, requests::ReadMem { addr, len: size, phys })? {
        requests::MemRead { bytes, fault: None } => bytes,
        requests::MemRead { fault: Some(_), .. } if phys => {
            return Err(QmpError::generic(format!("Invalid addr 0x{addr:016x}/size {size} specified")))
        }
        requests::MemRead { fault: Some(_), .. } => {
            return Err(QmpError::generic(format!("Invalid addr 0x{addr:x}/size {size} specified")))
        }
    };
    use std::io::Write;
    f.write_all(&bytes)
        .map_err(|e| QmpError::generic(format!("writing memory to '{path}': {}", crate::os_error(&e))))?;
    Ok(json!({}))
}

/// Print the message, or "Hello, world", on the emulator's standard output
/// (docs/adding-a-qmp-command.md).
fn hello_world(_: &Ctx, a: &Args) -> Result<Value, QmpError> {
    let message = a.str("message").unwrap_or("Hello, world");
    if message.contains("love") {
        return Err(QmpError::generic("the word 'love' is not allowed"));
    }
    // A closed stdout is not the client's error: QEMU's printf ignores it too.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{message}").and_then(|_| out.flush());
    Ok(json!({}))
}

/// The socket chardevs, which QEMU registers as yank instances.
fn query_yank(c: &Ctx, _: &Args) -> Result<Value, QmpError> {
    Ok(Value::Array(c.info.yank.iter().map(|id| json!({"type": "chardev", "id": id})).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_named_is_in_the_schema() {
        let schema = schema();
        let entries = schema.as_array().unwrap();
        let defined: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
        let mut referenced = Vec::new();
        for e in entries {
            for key in ["ret-type", "arg-type", "element-type"] {
                if let Some(t) = e.get(key).and_then(Value::as_str) {
                    referenced.push(t.to_string());
                }
            }
            for m in e.get("members").and_then(Value::as_array).into_iter().flatten() {
                referenced.push(m["type"].as_str().unwrap().to_string());
            }
        }
        for t in &referenced {
            assert!(defined.contains(&t.as_str()), "type '{t}' is used but not defined");
        }
        let mut names = defined.clone();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), defined.len(), "each schema entry once");
        // Every command and event, once, with its arguments.
        for c in COMMANDS {
            let e = entries.iter().find(|e| e["name"] == c.name).unwrap();
            assert_eq!(e["meta-type"], "command");
            let args = entries.iter().find(|x| x["name"] == e["arg-type"]).unwrap();
            let members: Vec<&str> =
                args["members"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
            assert_eq!(members, c.args.iter().map(|a| a.name).collect::<Vec<_>>());
        }
        assert_eq!(entries.iter().filter(|e| e["meta-type"] == "event").count(), EVENTS.len());
    }

    #[test]
    fn argument_checks_in_qemu_order() {
        let cmd = find("memsave").unwrap();
        let args = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            check_args(cmd, &args(json!({"size": 1, "filename": "f", "zzz": 1}))),
            Err(QmpError::generic("Parameter 'val' is missing"))
        );
        assert_eq!(
            check_args(cmd, &args(json!({"val": "1", "size": 1, "filename": "f"}))),
            Err(QmpError::generic("Invalid parameter type for 'val', expected: integer"))
        );
        assert_eq!(
            check_args(cmd, &args(json!({"val": 1, "size": 1, "filename": "f", "zzz": 1}))),
            Err(QmpError::generic("Parameter 'zzz' is unexpected"))
        );
        assert_eq!(check_args(cmd, &args(json!({"val": 1, "size": 1, "filename": "f", "cpu-index": 0}))), Ok(()));
        assert!(find("no-such").is_none());
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "command names are unique");
        assert!(COMMANDS.iter().all(|c| !(c.oob && c.guest)), "OOB commands never wait for the guest");
    }
}
