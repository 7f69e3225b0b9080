//! QMP conformance: raw bytes to and from a running `tern`, compared with
//! what qemu-system-riscv64 7.2 sends for the same input.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{tern, wait_until, Running};

const GREETING: &str = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \
                        \"tern 0.1.0\"}, \"capabilities\": [\"oob\"]}}\r\n";

/// `addi t0, t0, 1; j .-4`: counts in t0 forever.
const LOOP: [u32; 2] = [0x0012_8293, 0xffdf_f06f];
/// Writes 0x5555 (pass) to the virt test finisher: the guest powers off.
const POWEROFF: [u32; 4] = [0x0010_02b7, 0x0000_5337, 0x5553_0313, 0x0062_a023];

struct Tmp(PathBuf);

impl Tmp {
    fn new(tag: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("tern-qmp-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Start `tern` on the virt board with `code` as a raw kernel and a QMP socket.
fn start(tmp: &Tmp, code: &[u32], extra: &[&str]) -> (Running, PathBuf) {
    start_env(tmp, code, extra, &[])
}

/// `start` with environment variables (test hooks).
fn start_env(tmp: &Tmp, code: &[u32], extra: &[&str], env: &[(&str, &str)]) -> (Running, PathBuf) {
    let kernel = tmp.0.join("k.bin");
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(&kernel, bytes).unwrap();
    let sock = tmp.0.join("qmp.sock");
    let mut c = tern();
    c.args(["-machine", "virt", "-bios", "none", "-nographic", "-kernel"]).arg(&kernel);
    c.arg("-qmp").arg(format!("unix:{},server=on,wait=off", sock.display()));
    c.args(extra);
    c.envs(env.iter().copied());
    let r = Running::start(c);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "no QMP socket");
        std::thread::sleep(Duration::from_millis(10));
    }
    (r, sock)
}

struct Conn {
    s: UnixStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(path: &Path) -> Conn {
        // The socket file appears at bind(), a moment before listen().
        let deadline = Instant::now() + Duration::from_secs(10);
        let s = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if Instant::now() < deadline && e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => panic!("connect {}: {e}", path.display()),
            }
        };
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Conn { s, buf: Vec::new() }
    }

    /// Connect and check the greeting, byte for byte.
    fn greeted(path: &Path) -> Conn {
        let mut c = Conn::open(path);
        assert_eq!(c.line(), GREETING);
        c
    }

    fn negotiated(path: &Path) -> Conn {
        let mut c = Conn::greeted(path);
        assert_eq!(c.ask("{\"execute\":\"qmp_capabilities\"}"), "{\"return\": {}}\r\n");
        c
    }

    fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
    }

    /// One CRLF-terminated line.
    fn line(&mut self) -> String {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let l: Vec<u8> = self.buf.drain(..i + 2).collect();
                return String::from_utf8(l).unwrap();
            }
            let mut chunk = [0u8; 65536];
            let n = self.s.read(&mut chunk).expect("reply in time");
            assert!(n > 0, "connection closed; have {:?}", String::from_utf8_lossy(&self.buf));
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn ask(&mut self, cmd: &str) -> String {
        self.send(format!("{cmd}\n").as_bytes());
        self.line()
    }

    /// A reply that must be an event: its name and the line without the timestamp.
    fn event(&mut self) -> String {
        let l = self.line();
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert!(v["timestamp"]["seconds"].as_u64().unwrap() > 1_600_000_000, "{l}");
        assert!(v["timestamp"]["microseconds"].as_u64().unwrap() < 1_000_000, "{l}");
        let rest = l.split_once("}, ").unwrap().1;
        format!("{{{rest}")
    }
}

fn err(class: &str, desc: &str) -> String {
    format!("{{\"error\": {{\"class\": \"{class}\", \"desc\": \"{desc}\"}}}}\r\n")
}

fn quit(r: Running, sock: &Path) {
    let mut c = Conn::negotiated(sock);
    c.send(b"{\"execute\":\"quit\"}");
    assert_eq!(c.event(), "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n");
    assert_eq!(c.line(), "{\"return\": {}}\r\n");
    let out = r.finish(Duration::from_secs(10));
    assert_eq!(out.code, Some(0), "quit exits 0; stderr {}", out.stderr);
    assert!(!sock.exists(), "the socket file is removed");
}

#[test]
fn negotiation_and_protocol_errors() {
    let tmp = Tmp::new("proto");
    let (r, sock) = start(&tmp, &LOOP, &["-S"]);
    let mut c = Conn::greeted(&sock);
    let nego = "Expecting capabilities negotiation with 'qmp_capabilities'";
    assert_eq!(c.ask("{\"execute\":\"query-status\"}"), err("CommandNotFound", nego));
    assert_eq!(
        c.ask("{\"execute\":\"query-status\",\"id\":5}"),
        format!("{{\"id\": 5, {}", &err("CommandNotFound", nego)[1..])
    );
    assert_eq!(c.ask("\"hello\""), err("GenericError", "QMP input must be a JSON object"));
    assert_eq!(
        c.ask("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"x\":1}}"),
        err("GenericError", "Parameter 'x' is unexpected")
    );
    assert_eq!(
        c.ask("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"foo\"]}}"),
        err("GenericError", "Parameter 'null' does not accept value 'foo'")
    );
    // Two objects on one line, an id that is an object.
    c.send(b"{\"execute\":\"qmp_capabilities\",\"id\":{\"a\":[1]}}{\"execute\":\"query-status\",\"id\":\"x\"}\n");
    assert_eq!(c.line(), "{\"return\": {}, \"id\": {\"a\": [1]}}\r\n");
    assert_eq!(
        c.line(),
        "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}, \"id\": \"x\"}\r\n"
    );
    assert_eq!(
        c.ask("{\"execute\":\"qmp_capabilities\"}"),
        err("CommandNotFound", "Capabilities negotiation is already complete, command ignored")
    );
    // One object across lines; single quotes as QEMU accepts them.
    c.send(b"{\"execute\":\n'query-status'\n");
    c.send(b"}");
    assert!(c.line().starts_with("{\"return\": {\"status\": \"prelaunch\""));
    // Garbage, then a valid command that still runs.
    c.send(b"abc }{\"execute\":\"query-name\"}\n");
    assert_eq!(c.line(), err("GenericError", "JSON parse error, invalid keyword 'abc'"));
    assert_eq!(c.line(), err("GenericError", "JSON parse error, expecting value"));
    assert_eq!(c.line(), "{\"return\": {}}\r\n");
    c.send(b"\xff{\"execute\":\"query-kvm\"}\n");
    assert_eq!(c.line(), err("GenericError", "JSON parse error, stray '\\uFFFD'"));
    assert_eq!(c.line(), "{\"return\": {\"enabled\": false, \"present\": false}}\r\n");
    assert_eq!(
        c.ask("{\"execute\":\"nope\",\"id\":1}"),
        format!("{{\"id\": 1, {}", &err("CommandNotFound", "The command nope has not been found")[1..])
    );
    assert_eq!(
        c.ask("{\"execute\":\"stop\",\"arguments\":[]}"),
        err("GenericError", "QMP input member 'arguments' must be an object")
    );
    assert_eq!(c.ask("{\"execute\":1}"), err("GenericError", "QMP input member 'execute' must be a string"));
    assert_eq!(c.ask("{\"execute\":\"stop\",\"foo\":1}"), err("GenericError", "QMP input member 'foo' is unexpected"));
    assert_eq!(
        c.ask("{\"id\":1}"),
        format!("{{\"id\": 1, {}", &err("GenericError", "QMP input lacks member 'execute'")[1..])
    );
    assert_eq!(
        c.ask("{\"exec-oob\":\"hello-world\"}"),
        err("GenericError", "QMP input member 'exec-oob' is unexpected")
    );
    assert_eq!(
        c.ask("{\"execute\":\"human-monitor-command\",\"arguments\":{}}"),
        err("GenericError", "Parameter 'command-line' is missing")
    );
    assert_eq!(
        c.ask("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":1}}"),
        err("GenericError", "Invalid parameter type for 'command-line', expected: string")
    );
    assert_eq!(
        c.ask("{\"execute\":\"x-query-registers\",\"arguments\":{\"cpu-index\":5}}"),
        err("GenericError", "Parameter 'cpu-index' expects a CPU number")
    );
    assert_eq!(
        c.ask("{\"execute\":\"query-status\",\"execute\":\"stop\"}"),
        err("GenericError", "JSON parse error, duplicate key")
    );
    assert_eq!(
        c.ask("{\"execute\":\"query-version\"}"),
        "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"tern 0.1.0\"}}\r\n"
    );
    assert_eq!(c.ask("{\"execute\":\"query-target\"}"), "{\"return\": {\"arch\": \"riscv64\"}}\r\n");
    assert_eq!(c.ask("{\"execute\":\"query-memory-size-summary\"}"), "{\"return\": {\"base-memory\": 134217728}}\r\n");
    c.send(b"{\"execute\":\"system_powerdown\"}\n");
    assert_eq!(c.event(), "{\"event\": \"POWERDOWN\"}\r\n");
    assert_eq!(c.line(), "{\"return\": {}}\r\n");
    // query-cpus-fast names the execution thread, one of tern's threads.
    let cpus: serde_json::Value = serde_json::from_str(&c.ask("{\"execute\":\"query-cpus-fast\"}")).unwrap();
    let cpu = &cpus["return"][0];
    assert_eq!((cpu["cpu-index"].as_u64(), cpu["target"].as_str()), (Some(0), Some("riscv64")));
    assert_eq!(cpu["qom-path"], "/machine/soc0/harts[0]");
    let tid = cpu["thread-id"].as_u64().unwrap();
    let task = format!("/proc/{}/task/{tid}/comm", r.child.id());
    assert_eq!(std::fs::read_to_string(&task).unwrap(), "cpu0\n", "{task}");
    // Everything above left the guest where it was.
    assert!(c.ask("{\"execute\":\"query-status\"}").contains("prelaunch"));
    drop(c);
    quit(r, &sock);
}

#[test]
fn oob() {
    let tmp = Tmp::new("oob");
    let (r, sock) = start(&tmp, &LOOP, &["-S"]);
    let mut c = Conn::greeted(&sock);
    assert_eq!(
        c.ask("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}"),
        "{\"return\": {}}\r\n"
    );
    assert_eq!(
        c.ask("{\"exec-oob\":\"query-status\"}"),
        err("GenericError", "The command query-status does not support OOB")
    );
    assert_eq!(
        c.ask("{\"exec-oob\":\"hello-world\"}"),
        err("GenericError", "The command hello-world does not support OOB")
    );
    assert_eq!(
        c.ask("{\"execute\":\"query-status\",\"exec-oob\":\"query-status\"}"),
        err("GenericError", "QMP input member 'execute' clashes with 'exec-oob'")
    );
    // query-yank, QEMU 7.2's OOB query, lists the socket chardevs: here -qmp's.
    let yank = "{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}], \"id\": \"o\"}\r\n";
    assert_eq!(c.ask("{\"exec-oob\":\"query-yank\",\"id\":\"o\"}"), yank);
    // An OOB command overtakes an in-band one that is stuck: pmemsave into a
    // FIFO blocks in open() until a reader comes.
    let fifo = tmp.0.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let slow = format!(
        "{{\"execute\":\"pmemsave\",\"id\":\"slow\",\"arguments\":{{\"val\":2147483648,\"size\":8,\"filename\":\"{}\"}}}}",
        fifo.display()
    );
    c.send(format!("{slow}{{\"exec-oob\":\"query-yank\",\"id\":\"o\"}}").as_bytes());
    assert_eq!(c.line(), yank);
    let mut saved = Vec::new();
    std::fs::File::open(&fifo).unwrap().read_to_end(&mut saved).unwrap();
    assert_eq!(saved, [0x93, 0x82, 0x12, 0x00, 0x6f, 0xf0, 0xdf, 0xff]);
    assert_eq!(c.line(), "{\"return\": {}, \"id\": \"slow\"}\r\n");
    drop(c);
    quit(r, &sock);
}

/// QEMU's "How to write monitor commands": { 'command': 'hello-world',
/// 'data': { '*message': 'str' } } prints on the emulator's stdout.
#[test]
fn hello_world_as_the_seeds_define_it() {
    let tmp = Tmp::new("hello");
    let (r, sock) = start(&tmp, &LOOP, &["-S"]);
    let mut c = Conn::negotiated(&sock);
    let ok = "{\"return\": {}}\r\n";
    assert_eq!(c.ask("{\"execute\":\"hello-world\"}"), ok);
    assert_eq!(c.ask("{\"execute\":\"hello-world\",\"arguments\":{\"message\":\"We like qemu\"}}"), ok);
    assert_eq!(
        c.ask("{\"execute\":\"hello-world\",\"arguments\":{\"message\":\"all you need is love\"},\"id\":7}"),
        "{\"id\": 7, \"error\": {\"class\": \"GenericError\", \"desc\": \"the word 'love' is not allowed\"}}\r\n"
    );
    assert_eq!(
        c.ask("{\"execute\":\"hello-world\",\"arguments\":{\"message\":1}}"),
        err("GenericError", "Invalid parameter type for 'message', expected: string")
    );
    assert_eq!(
        c.ask("{\"execute\":\"hello-world\",\"arguments\":{\"count\":2}}"),
        err("GenericError", "Parameter 'count' is unexpected")
    );
    // The HMP wrapper: QEMU's `message:s?` argument, errors through the monitor.
    assert_eq!(hmp(&mut c, "hello-world \\\"from hmp\\\""), "");
    assert_eq!(hmp(&mut c, "hello-world \\\"I love it\\\""), "Error: the word 'love' is not allowed\r\n");
    assert_eq!(
        hmp(&mut c, "hello-world two words"),
        "hello-world: extraneous characters at the end of line\r\nTry \"help hello-world\" for more information\r\n"
    );
    assert_eq!(
        hmp(&mut c, "hello-world \\\"unterminated"),
        "hello-world: string expected\r\nTry \"help hello-world\" for more information\r\n"
    );
    assert_eq!(hmp(&mut c, "help hello-world"), "hello-world [message] -- Print message to the standard output\r\n");
    // Each call printed once, in order; nothing for the refused ones.
    let deadline = Instant::now() + Duration::from_secs(10);
    while r.stdout_now().lines().count() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(r.stdout_now(), "Hello, world\nWe like qemu\nfrom hmp\n");
    drop(c);
    quit(r, &sock);
}

fn t0(c: &mut Conn) -> u64 {
    let l = c.ask("{\"execute\":\"x-query-registers\"}");
    let v: serde_json::Value = serde_json::from_str(&l).unwrap();
    let text = v["return"]["human-readable-text"].as_str().unwrap().to_string();
    let field = text.split("x5/t0").nth(1).unwrap().split_whitespace().next().unwrap();
    u64::from_str_radix(field, 16).unwrap()
}

/// An HMP command line through `human-monitor-command`: its text.
fn hmp(c: &mut Conn, line: &str) -> String {
    let l = c.ask(&format!("{{\"execute\":\"human-monitor-command\",\"arguments\":{{\"command-line\":\"{line}\"}}}}"));
    let v: serde_json::Value = serde_json::from_str(&l).unwrap();
    v["return"].as_str().unwrap_or_else(|| panic!("{l}")).to_string()
}

#[test]
fn run_control_and_events() {
    let tmp = Tmp::new("run");
    let (r, sock) = start(&tmp, &LOOP, &["-S"]);
    let mut c = Conn::negotiated(&sock);
    let mut bystander = Conn::greeted(&sock); // not negotiated: no events
    let mut watcher = Conn::negotiated(&sock);
    assert_eq!(t0(&mut c), 0, "prelaunch: nothing ran");
    c.send(b"{\"execute\":\"cont\"}\n");
    assert_eq!(c.event(), "{\"event\": \"RESUME\"}\r\n");
    assert_eq!(c.line(), "{\"return\": {}}\r\n");
    assert_eq!(watcher.event(), "{\"event\": \"RESUME\"}\r\n");
    assert_eq!(c.ask("{\"execute\":\"cont\"}"), "{\"return\": {}}\r\n", "already running: no event");
    assert_eq!(
        c.ask("{\"execute\":\"query-status\"}"),
        "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}\r\n"
    );
    // Registers are taken at instruction boundaries while the guest runs.
    let a = t0(&mut c);
    std::thread::sleep(Duration::from_millis(30));
    let b = t0(&mut c);
    assert!(b > a, "t0 counts while running: {a} then {b}");
    c.send(b"{\"execute\":\"stop\",\"id\":7}\n");
    assert_eq!(c.event(), "{\"event\": \"STOP\"}\r\n");
    assert_eq!(c.line(), "{\"return\": {}, \"id\": 7}\r\n");
    assert_eq!(watcher.event(), "{\"event\": \"STOP\"}\r\n");
    let a = t0(&mut c);
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(t0(&mut c), a, "stopped");
    assert_eq!(hmp(&mut c, "info status"), "VM status: paused\r\n");
    assert_eq!(hmp(&mut c, "info version"), "7.2.0tern 0.1.0\r\n");
    assert_eq!(hmp(&mut c, "xp /2xw 0x80000000"), "0000000080000000: 0x00128293 0xffdff06f\r\n");
    assert_eq!(hmp(&mut c, "x /4bx 0x80000000"), "0000000080000000: 0x93 0x82 0x12 0x00\r\n");
    // As QEMU 7.2: halfwords in decimal are not sign-extended.
    assert_eq!(hmp(&mut c, "xp /2hd 0x80000000"), "0000000080000000: 33427    18\r\n");
    assert_eq!(hmp(&mut c, "xp 0x80000004"), "0000000080000004: 61551\r\n", "remembers the last format and size");
    assert_eq!(hmp(&mut c, "xp /1xg 0x0"), "0000000000000000: Cannot access memory\r\n");
    assert_eq!(
        hmp(&mut c, "xp /2xg zzz"),
        "invalid char 'z' in expression\r\nTry \"help xp\" for more information\r\n"
    );
    assert_eq!(hmp(&mut c, "bogus"), "unknown command: 'bogus'\r\n");
    assert_eq!(
        hmp(&mut c, "x /3i 0x80000000"),
        // As qemu-system-riscv64 7.2 prints them, trailing blanks included.
        "0x0000000080000000:  00128293          addi                    t0,t0,1\r\n\
         0x0000000080000004:  ffdff06f          j                       -4                      # 0x80000000\r\n\
         0x0000000080000008:  0000              illegal                 \r\n"
    );
    assert_eq!(hmp(&mut c, "gva2gpa 0x80000004"), "gpa: 0x80000004\r\n", "M mode: identity");
    let regs = hmp(&mut c, "info registers");
    assert!(regs.starts_with("\r\nCPU#0\r\n pc       00000000800000"), "{regs}");
    assert!(regs.contains(" x0/zero  0000000000000000 x1/ra    0000000000000000 x2/sp    0000000000000000 x3/gp    "));
    assert!(regs.contains(
        " f28/ft8  0000000000000000 f29/ft9  0000000000000000 f30/ft10 0000000000000000 f31/ft11 0000000000000000\r\n"
    ));
    let roms = hmp(&mut c, "info roms");
    assert!(roms.starts_with("addr=0000000000001000 size=0x000028 mem=rom name=\"mrom.reset\"\r\n"), "{roms}");
    // memsave / pmemsave write guest memory to a file.
    let f = tmp.0.join("mem.bin");
    let cmd = format!(
        "{{\"execute\":\"pmemsave\",\"arguments\":{{\"val\":2147483648,\"size\":8,\"filename\":\"{}\"}}}}",
        f.display()
    );
    assert_eq!(c.ask(&cmd), "{\"return\": {}}\r\n");
    assert_eq!(std::fs::read(&f).unwrap(), [0x93, 0x82, 0x12, 0x00, 0x6f, 0xf0, 0xdf, 0xff]);
    assert_eq!(
        c.ask("{\"execute\":\"memsave\",\"arguments\":{\"val\":0,\"size\":8,\"filename\":\"/nonexistent/x\"}}"),
        err("GenericError", "Could not open '/nonexistent/x': No such file or directory")
    );
    c.send(b"{\"execute\":\"system_reset\"}\n");
    assert_eq!(
        c.event(),
        "{\"event\": \"RESET\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-system-reset\"}}\r\n"
    );
    assert_eq!(c.line(), "{\"return\": {}}\r\n");
    assert!(c.ask("{\"execute\":\"query-status\"}").contains("\"prelaunch\""), "reset while stopped: prelaunch");
    assert_eq!(t0(&mut c), 0, "registers reset");
    // The bystander never negotiated, so it got no events and still can.
    assert_eq!(bystander.ask("{\"execute\":\"qmp_capabilities\"}"), "{\"return\": {}}\r\n");
    drop((c, bystander));
    quit(r, &sock);
    assert!(watcher.event().starts_with("{\"event\": \"RESET\""));
    assert_eq!(
        watcher.event(),
        "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n"
    );
}

#[test]
fn guest_power_off_is_an_event_and_no_shutdown_keeps_tern() {
    let tmp = Tmp::new("poweroff");
    let (r, sock) = start(&tmp, &POWEROFF, &["-S", "-no-shutdown", "-name", "g1"]);
    let mut c = Conn::negotiated(&sock);
    assert_eq!(c.ask("{\"execute\":\"query-name\"}"), "{\"return\": {\"name\": \"g1\"}}\r\n");
    c.send(b"{\"execute\":\"cont\"}\n");
    assert_eq!(c.event(), "{\"event\": \"RESUME\"}\r\n");
    // The guest powers off at once, so its events may overtake the reply to cont.
    let lines: Vec<String> = (0..3).map(|_| c.line()).collect();
    let events: Vec<&String> = lines.iter().filter(|l| l.contains("\"event\"")).collect();
    assert!(lines.contains(&"{\"return\": {}}\r\n".to_string()), "{lines:?}");
    assert!(events[0]
        .ends_with("\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n"));
    assert!(events[1].ends_with("\"event\": \"STOP\"}\r\n"));
    assert!(c.ask("{\"execute\":\"query-status\"}").contains("\"shutdown\""));
    assert_eq!(c.ask("{\"execute\":\"cont\"}"), err("GenericError", "Resetting the Virtual Machine is required"));
    drop(c);
    quit(r, &sock);
}

#[test]
fn trap_history() {
    let tmp = Tmp::new("traps");
    // mtvec = 0x80000010 (the power-off code, then `j .`), then ebreak.
    let mut code = vec![0x0000_0297, 0x0102_8293, 0x3052_9073, 0x0010_0073];
    code.extend(POWEROFF);
    code.push(0x0000_006f);
    let (r, sock) = start(&tmp, &code, &["-S", "-no-shutdown"]);
    let mut c = Conn::negotiated(&sock);
    assert_eq!(
        c.ask("{\"execute\":\"x-query-traps\"}"),
        "{\"return\": {\"human-readable-text\": \"No traps taken since reset\\n\"}}\r\n"
    );
    c.send(b"{\"execute\":\"cont\"}\n");
    drop(c);
    // New clients, which see none of the run's events.
    let ask = |q: &str| Conn::negotiated(&sock).ask(q);
    assert!(common::wait_until(Duration::from_secs(10), || ask("{\"execute\":\"query-status\"}").contains("shutdown")));
    let mut c = Conn::negotiated(&sock);
    let t = hmp(&mut c, "info traps");
    // The boot ROM's 6 instructions, then 3 here.
    assert!(t.starts_with("Last 1 of 1 traps, oldest first:\r\n#1     instret=9 "), "{t}");
    assert!(t.contains(" M->M exception 3 (breakpoint) epc=000000008000000c "), "{t}");
    assert_eq!(
        c.ask("{\"execute\":\"x-query-traps\",\"arguments\":{\"cpu-index\":1}}"),
        err("GenericError", "Parameter 'cpu-index' expects a CPU number")
    );
    drop(c);
    quit(r, &sock);
}

#[test]
fn hostile_clients_harm_no_one() {
    let tmp = Tmp::new("hostile");
    let (r, sock) = start(&tmp, &LOOP, &[]);
    // Nesting beyond the limit, then each stray bracket, then a command that runs.
    let mut c = Conn::negotiated(&sock);
    let mut deep = vec![b'['; 1025];
    deep.extend(vec![b']'; 3]);
    deep.extend(b"{\"execute\":\"query-kvm\"}\n");
    c.send(&deep);
    assert_eq!(c.line(), err("GenericError", "JSON nesting depth limit exceeded"));
    for _ in 0..3 {
        assert_eq!(c.line(), err("GenericError", "JSON parse error, expecting value"));
    }
    assert!(c.line().contains("\"present\": false"));
    // A client that leaves mid-command, one that says nothing, one that floods without reading.
    let mut gone = Conn::negotiated(&sock);
    gone.send(b"{\"execute\":\"x-query-registers\"}{\"execute\":");
    drop(gone);
    let _silent = Conn::open(&sock);
    let mut flood = Conn::negotiated(&sock);
    let many = "{\"execute\":\"query-status\"}".repeat(2000);
    flood.send(many.as_bytes());
    // Another client is served, and the guest keeps running.
    let mut other = Conn::negotiated(&sock);
    let a = t0(&mut other);
    std::thread::sleep(Duration::from_millis(20));
    assert!(t0(&mut other) > a);
    drop((flood, other, c));
    quit(r, &sock);
}

fn client(args: &[&str]) -> common::Outcome {
    let mut c = tern();
    c.arg("monitor-command").args(args);
    Running::start(c).finish(Duration::from_secs(20))
}

#[test]
fn monitor_command_client() {
    let tmp = Tmp::new("client");
    let (r, sock) = start(&tmp, &LOOP, &["-S"]);
    let s = sock.to_str().unwrap();
    let out = client(&[s, "{\"execute\":\"query-status\"}"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}}\n");
    let out = client(&[s, "--return-value", "{'execute':'query-target'}"]);
    assert_eq!(out.stdout, "{\"arch\": \"riscv64\"}\n");
    let out = client(&[s, "--pretty", "--return-value", "{\"execute\":\"query-kvm\"}"]);
    assert_eq!(out.stdout, "{\n    \"enabled\": false,\n    \"present\": false\n}\n");
    let out = client(&[s, "--hmp", "info", "status"]);
    assert_eq!(out.stdout, "VM status: paused (prelaunch)\n");
    let out = client(&[s, "{\"execute\":\"hello-world\",\"arguments\":{\"message\":\"love\"}}"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(out.stderr, "tern: error: GenericError: the word 'love' is not allowed\n");
    for h in ["--help", "-h"] {
        let out = client(&[h]);
        assert_eq!(out.code, Some(0), "{h}");
        assert!(out.stdout.starts_with("usage: tern monitor-command SOCKET"), "{}", out.stdout);
        assert!(out.stdout.contains("--return-value  print only"), "{}", out.stdout);
    }
    let out = client(&[s, "{\"execute\":\"nope\"}"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(out.stderr, "tern: error: CommandNotFound: The command nope has not been found\n");
    let out = client(&[s, "{\"execute\":"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("one JSON object"), "{}", out.stderr);
    let out = client(&[tmp.0.join("nosuch.sock").to_str().unwrap(), "{\"execute\":\"stop\"}"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
    quit(r, &sock);
}

/// Connect, retrying while the monitors are still being set up.
fn retry<T>(f: impl Fn() -> std::io::Result<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match f() {
            Ok(s) => return s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("connect: {e}"),
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn tcp_pretty_chardev_and_readline_monitors() {
    let tmp = Tmp::new("transports");
    let (p1, p2) = (free_port(), free_port());
    let hmp_sock = tmp.0.join("hmp.sock");
    let pretty = format!("tcp:127.0.0.1:{p1},server=on,wait=off");
    let chardev = format!("socket,id=mon1,host=127.0.0.1,port={p2},server=on,wait=off");
    let readline = format!("unix:{},server=on,wait=off", hmp_sock.display());
    let args = [
        "-S",
        "-qmp-pretty",
        &pretty,
        "-chardev",
        &chardev,
        "-mon",
        "chardev=mon1,mode=control",
        "-monitor",
        &readline,
    ];
    let (r, sock) = start(&tmp, &LOOP, &args);
    let read_until = |s: &mut dyn Read, end: &str| {
        let mut got = Vec::new();
        while !String::from_utf8_lossy(&got).ends_with(end) {
            let mut b = [0u8; 4096];
            let n = s.read(&mut b).unwrap();
            assert!(n > 0, "closed: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&b[..n]);
        }
        String::from_utf8(got).unwrap()
    };
    let mut t = retry(|| std::net::TcpStream::connect(("127.0.0.1", p1)));
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let g = read_until(&mut t, "}\r\n");
    assert!(g.starts_with("{\r\n    \"QMP\": {\r\n        \"version\": {\r\n            \"qemu\": {\r\n"), "{g}");
    t.write_all(b"{\"execute\":\"qmp_capabilities\"}").unwrap();
    assert_eq!(read_until(&mut t, "}\r\n"), "{\r\n    \"return\": {\r\n    }\r\n}\r\n");
    let mut t2 = retry(|| std::net::TcpStream::connect(("127.0.0.1", p2)));
    t2.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(read_until(&mut t2, "\r\n"), GREETING);
    let mut h = retry(|| UnixStream::connect(&hmp_sock));
    h.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(read_until(&mut h, "(qemu) "), "QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ");
    // Input is echoed as QEMU's readline does (bytes from QEMU 7.2).
    h.write_all(b"quit").unwrap();
    assert_eq!(
        read_until(&mut h, "quit\x1b[K"),
        "q\x1b[K\x1b[Dqu\x1b[K\x1b[D\x1b[Dqui\x1b[K\x1b[D\x1b[D\x1b[Dquit\x1b[K"
    );
    h.write_all(b"\x7f\x7f\x7f\x7finfo status\n").unwrap();
    let out = read_until(&mut h, "(qemu) ");
    assert!(out.ends_with("info status\x1b[K\r\nVM status: paused (prelaunch)\r\n(qemu) "), "{out:?}");
    h.write_all(b"hello-world \"I love it\"\r").unwrap();
    let out = read_until(&mut h, "(qemu) ");
    assert!(out.ends_with("\r\nError: the word 'love' is not allowed\r\n(qemu) "), "{out:?}");
    // Every socket chardev, -qmp's and -monitor's as compat_monitorN, in order.
    t2.write_all(b"{\"execute\":\"qmp_capabilities\"}{\"execute\":\"query-yank\"}").unwrap();
    assert_eq!(
        read_until(&mut t2, "]}\r\n"),
        "{\"return\": {}}\r\n{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}, \
         {\"type\": \"chardev\", \"id\": \"compat_monitor1\"}, {\"type\": \"chardev\", \"id\": \"compat_monitor2\"}, \
         {\"type\": \"chardev\", \"id\": \"mon1\"}]}\r\n"
    );
    drop((t, t2, h));
    quit(r, &sock);
}

#[test]
fn wait_on_holds_the_guest_until_a_client_connects() {
    let tmp = Tmp::new("wait");
    let kernel = tmp.0.join("k.bin");
    std::fs::write(&kernel, POWEROFF.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let sock = tmp.0.join("w.sock");
    let mut c = tern();
    c.args(["-machine", "virt", "-bios", "none", "-nographic", "-kernel"]).arg(&kernel);
    c.arg("-qmp").arg(format!("unix:{},server=on", sock.display()));
    let mut r = Running::start(c);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "no QMP socket");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(r.child.try_wait().unwrap().is_none(), "the guest (which powers off at once) has not started");
    let _c = Conn::greeted(&sock);
    let out = r.finish(Duration::from_secs(10));
    assert_eq!(out.code, Some(0), "the guest ran and passed: {}", out.stderr);
}

/// A client that closes its side gets the replies to what it sent, then the
/// monitor closes the connection (as QEMU does).
#[test]
fn a_half_closed_client_is_answered_then_closed() {
    let tmp = Tmp::new("halfclose");
    let (r, sock) = start(&tmp, &LOOP, &["-S"]);
    let mut c = Conn::greeted(&sock);
    c.send(b"{\"execute\":\"qmp_capabilities\"}{\"execute\":\"query-status\"}");
    c.s.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(c.line(), "{\"return\": {}}\r\n");
    assert!(c.line().contains("prelaunch"));
    let mut rest = Vec::new();
    c.s.read_to_end(&mut rest).expect("the monitor closes the connection");
    assert_eq!(rest, b"");
    quit(r, &sock);
}

/// Whoever reaches a monitor controls the guest: Unix sockets are created
/// owner-only, and a TCP monitor beyond loopback is warned about.
#[test]
fn monitor_sockets_are_private_and_wide_tcp_is_warned() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = Tmp::new("private");
    let port = free_port();
    let tcp = format!("tcp:0.0.0.0:{port},server=on,wait=off");
    let (r, sock) = start(&tmp, &LOOP, &["-S", "-monitor", &tcp]);
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let leftovers: Vec<_> = std::fs::read_dir(&tmp.0).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 2, "only k.bin and the socket: {leftovers:?}");
    send_quit(&sock);
    let out = r.finish(Duration::from_secs(10));
    assert_eq!(
        out.stderr,
        format!(
            "tern: warning: the monitor on 0.0.0.0:{port} is reachable from other hosts; whoever connects \
             controls the guest and can write host files (memsave)\n"
        )
    );
}

/// `quit`, up to its SHUTDOWN event.
fn send_quit(sock: &Path) {
    let mut c = Conn::negotiated(sock);
    c.send(b"{\"execute\":\"quit\"}");
    assert_eq!(c.event(), "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n");
}

#[test]
fn stdio_monitor_conflicts_with_stdio_serial() {
    let mut c = tern();
    c.args(["-machine", "virt", "-bios", "none", "-kernel", "x", "-qmp", "stdio"]);
    let out = Running::start(c).finish(Duration::from_secs(10));
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("cannot use stdio by multiple character devices"), "{}", out.stderr);
}

#[test]
fn guest_power_off_reaches_clients_before_exit() {
    let tmp = Tmp::new("poweroff-exit");
    let (r, sock) = start(&tmp, &POWEROFF, &["-S"]);
    let mut c = Conn::negotiated(&sock);
    c.send(b"{\"execute\":\"cont\"}\n");
    let lines: Vec<String> = (0..3).map(|_| c.line()).collect();
    assert!(lines[0].ends_with("\"event\": \"RESUME\"}\r\n"), "{lines:?}");
    assert!(lines.contains(&"{\"return\": {}}\r\n".to_string()), "{lines:?}");
    assert!(lines
        .iter()
        .any(|l| l
            .ends_with("\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n")));
    let out = r.finish(Duration::from_secs(10));
    assert_eq!(out.code, Some(0), "the finisher's pass code");
    assert!(!sock.exists());
}

#[test]
fn qmp_on_stdio() {
    let tmp = Tmp::new("stdio");
    let kernel = tmp.0.join("k.bin");
    std::fs::write(&kernel, LOOP.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let mut c = tern();
    c.args(["-machine", "virt", "-bios", "none", "-serial", "none", "-S", "-qmp", "stdio", "-kernel"]).arg(&kernel);
    c.stdin(std::process::Stdio::piped());
    let mut r = Running::start(c);
    let mut stdin = r.child.stdin.take().unwrap();
    stdin
        .write_all(b"{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\"}\n{\"execute\":\"quit\"}\n")
        .unwrap();
    let out = r.finish(Duration::from_secs(10));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.split_inclusive("\r\n").collect();
    assert_eq!(lines[0], GREETING);
    assert_eq!(lines[1], "{\"return\": {}}\r\n");
    assert!(lines[2].contains("\"prelaunch\""));
    assert!(
        lines[3].ends_with("\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n")
    );
    assert_eq!(lines[4], "{\"return\": {}}\r\n");
}

#[test]
fn a_signal_is_a_host_signal_shutdown() {
    let tmp = Tmp::new("signal");
    let (r, sock) = start(&tmp, &LOOP, &[]);
    let mut c = Conn::negotiated(&sock);
    signal_shutdown_reaches(r, &mut c);
}

/// The signal comes while the monitor has written `qmp_capabilities`' reply
/// but not yet marked the client negotiated (a test hook holds it there for
/// 300 ms): the SHUTDOWN event must still reach the client, after the reply.
#[test]
fn an_event_right_after_negotiation_is_not_lost() {
    let tmp = Tmp::new("negotiation-race");
    let (r, sock) = start_env(&tmp, &LOOP, &[], &[("TERN_TEST_QMP_REPLY_DELAY_MS", "300")]);
    let mut c = Conn::greeted(&sock);
    c.send(b"{\"execute\":\"qmp_capabilities\"}");
    assert_eq!(c.line(), "{\"return\": {}}\r\n");
    signal_shutdown_reaches(r, &mut c);
}

fn signal_shutdown_reaches(r: Running, c: &mut Conn) {
    let killed = std::process::Command::new("kill").arg("-TERM").arg(r.child.id().to_string()).status().unwrap();
    assert!(killed.success());
    assert_eq!(c.event(), "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-signal\"}}\r\n");
    let out = r.finish(Duration::from_secs(10));
    assert_eq!(out.code, Some(130), "{}", out.stderr);
}

/// `x-query-jit` and HMP `info jit`: the JIT's statistics in the layout of
/// QEMU 7.2's `info jit`; under `-accel interp`, QEMU's answer without TCG.
#[test]
fn x_query_jit_reports_the_translation_statistics() {
    let tmp = Tmp::new("jit");
    let (r, sock) = start(&tmp, &LOOP, &[]);
    let mut c = Conn::negotiated(&sock);
    let query = |c: &mut Conn| {
        let l = c.ask("{\"execute\":\"x-query-jit\"}");
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        v["return"]["human-readable-text"].as_str().unwrap_or_else(|| panic!("{l}")).to_string()
    };
    // The loop is one block (addi t0; j back to itself); the reset vector
    // in ROM is interpreted. Translated first with t0 in the `Hart`, it
    // goes round by itself with t0 in a host register of its own (a loop
    // pinning). All the time goes to t0, so the JIT soon pins it for the
    // whole run instead of one of its default registers (flushing the
    // code once), and the block translated again goes round by itself
    // too: no direct jump, none chained.
    let mut text = String::new();
    assert!(
        wait_until(Duration::from_secs(10), || {
            text = query(&mut c);
            text.contains("TB count            1\n") && text.contains("(changed 1 times)")
        }),
        "{text}"
    );
    let value = |label: &str| -> String {
        let l = text.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no {label:?} in {text}"));
        l[label.len()..].trim().to_string()
    };
    let labels = [
        "Translation buffer state:",
        "gen code size       ",
        "TB count            ",
        "TB avg target size  ",
        "TB avg host size    ",
        "cross page TB count ",
        "direct jump count   ",
        "",
        "Statistics:",
        "TB flush count      ",
        "TB invalidate count ",
    ];
    for (line, label) in text.lines().zip(labels) {
        assert!(line.starts_with(label) && (label.is_empty() == line.is_empty()), "{line:?} is not {label:?}");
    }
    let (used, cap) = value("gen code size").split_once('/').map(|(u, c)| (u.to_string(), c.to_string())).unwrap();
    let used: u64 = used.parse().unwrap();
    assert!(used > 0 && cap.parse::<u64>().unwrap() >= used, "{text}");
    assert_eq!(value("TB avg target size"), "8 max=8 bytes");
    let ratio = format!("{:.1}", used as f64 / 8.0);
    assert_eq!(value("TB avg host size"), format!("{used} bytes (expansion ratio: {ratio})"));
    assert_eq!(value("cross page TB count"), "0 (0%)");
    assert_eq!(value("direct jump count"), "0 (0%) (2 jumps=0 0%)");
    assert_eq!((value("TB flush count"), value("TB invalidate count")), ("1".into(), "0".into()));
    assert!(value("translated TBs").starts_with("2 (interpreted blocks="), "{text}");
    assert!(!value("translated TBs").ends_with("=0)"), "the ROM's blocks run in the interpreter: {text}");
    assert_eq!(value("avg guest insns/TB"), "2.0 max=2");
    assert_eq!(value("chained jumps"), "0");
    assert_eq!(value("loops going round"), "2");
    assert_eq!(value("loops pinned apart"), "1");
    let pinned = value("pinned registers");
    assert!(pinned.split_whitespace().take(9).any(|r| r == "t0"), "{text}");
    assert!(value("translation time").ends_with(" ns/TB)"), "{text}");
    let rate: f64 = value("translation rate").trim_end_matches(" guest insns/s").parse().unwrap();
    assert!(rate > 0.0, "{text}");
    // Nothing more is translated: HMP shows the same text.
    let l = c.ask("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info jit\"}}");
    let v: serde_json::Value = serde_json::from_str(&l).unwrap();
    assert_eq!(v["return"].as_str().unwrap().replace("\r\n", "\n"), text);
    drop(c);
    quit(r, &sock);

    let tmp = Tmp::new("interp");
    let (r, sock) = start(&tmp, &LOOP, &["-accel", "interp"]);
    let mut c = Conn::negotiated(&sock);
    assert_eq!(
        c.ask("{\"execute\":\"x-query-jit\"}"),
        err("GenericError", "JIT information is only available with accel=tcg")
    );
    drop(c);
    quit(r, &sock);
}

/// Bytes a client sends, and the replies qemu-system-riscv64 7.2 sent for
/// them on a fresh connection. "@x" stands for
/// `{"execute":"query-name","id":x}` and a newline; a reply "!text" for a
/// GenericError with that description (as on the wire), "=x" for
/// `{"return": {}, "id": x}`.
const JSON_CASES: &[(&[u8], &[&str])] = &[
    (b"\x01\n", &[r#"!JSON parse error, stray '\u0001'"#]),
    (b"\x7f\n", &[r#"!JSON parse error, stray '\u007F'"#]),
    (b"\"\x7f\"\n", &[r#"!QMP input must be a JSON object"#]),
    (b"\xfe\n", &[r#"!JSON parse error, stray '\uFFFD'"#]),
    (b"\xff\xff\n", &[r#"!JSON parse error, stray '\uFFFD'"#, r#"!JSON parse error, stray '\uFFFD'"#]),
    (b"\x80\n", &[r#"!JSON parse error, stray '\uFFFD'"#]),
    (b"\xc3\n", &[r#"!JSON parse error, stray '\uFFFD'"#]),
    (b"\xc3\xa9\n", &[r#"!JSON parse error, stray '\uFFFD'"#]),
    (b"-x\xff\n", &[r#"!JSON parse error, stray '-x'"#, r#"!JSON parse error, stray '\uFFFD'"#]),
    (b"-x\x01\n", &[r#"!JSON parse error, stray '-x'"#, r#"!JSON parse error, stray '\u0001'"#]),
    (b"\"a\xfeb\"\n", &[r#"!JSON parse error, stray '\"a\uFFFD'"#]),
    (b"\"a\xffb\"{\"execute\":\"query-name\"}\n", &[r#"!JSON parse error, stray '\"a\uFFFD'"#, r#"{"return": {}}"#]),
    (b"\"\xc3\xa9\x01\"\n", &[r#"!JSON parse error, stray '\"\u00E9\u0001'"#]),
    (b"\"\xc3(\x01\"\n", &[r#"!JSON parse error, stray '\"\uFFFD(\u0001'"#]),
    (b"\"\xc3\x01\"\n", &[r#"!JSON parse error, stray '\"\uFFFD\u0001'"#]),
    (b"\"\xe2\x82\x01\"\n", &[r#"!JSON parse error, stray '\"\uFFFD\u0001'"#]),
    (b"@\"\xe0\x80\x80\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\xf8\x88\x80\x80\x80\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\xed\xa0\x80\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\xf4\x90\x80\x80\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", &[r#"="\u00E9\u20AC\uD83D\uDE00""#]),
    (b"@\"\x80\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\\u0000\"", &[r#"="\u0000""#]),
    (b"@\"\\uDC00\"", &[r#"!JSON parse error, \\uDC00 is not a valid Unicode character"#]),
    (b"@\"\\uD800\\u0041\"", &[r#"!JSON parse error, \\uD800 is not a valid Unicode character"#]),
    (b"@\"\\uD800x\"", &[r#"!JSON parse error, \\uD800 is not a valid Unicode character"#]),
    (b"@\"\\uD800\\uZZZZ\"", &[r#"!JSON parse error, \\uD800 is not a valid Unicode character"#]),
    (b"@\"\\uD83D\\uDE00\"", &[r#"="\uD83D\uDE00""#]),
    (b"@\"\\u12\"", &[r#"!JSON parse error, \\u12\" is not a valid Unicode character"#]),
    (b"@\"\\u1\"", &[r#"!JSON parse error, \\u1\" is not a valid Unicode character"#]),
    (b"@\"\\u\"", &[r#"!JSON parse error, \\u\" is not a valid Unicode character"#]),
    (b"@\"\\uzzzz\"", &[r#"!JSON parse error, \\uzzzz is not a valid Unicode character"#]),
    (b"@\"\\u1\xc3\xa9\xc3\xa9\"", &[r#"!JSON parse error, \\u1\u00E9\uFFFD is not a valid Unicode character"#]),
    (b"@\"\\U0041\"", &[r#"!JSON parse error, invalid escape sequence in string"#]),
    (b"@\"\\x41\"", &[r#"!JSON parse error, invalid escape sequence in string"#]),
    (b"@'a\\'b\"c'", &[r#"="a'b\"c""#]),
    (b"@\"a\\'b\"", &[r#"="a'b""#]),
    (b"@\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", &[r#"="\"\\/\b\f\n\r\t""#]),
    (b"@\"\t\"", &[r#"!JSON parse error, stray '\"\t'"#, r#"!JSON parse error, expecting value"#]),
    (b"@\"a\nb\"", &[r#"!JSON parse error, stray '\"a\n'"#, r#"!JSON parse error, expecting value"#]),
    (b"\"a\\\n\"\n", &[r#"!JSON parse error, stray '\"a\\\n'"#]),
    (b"\"a\\\xff\"\n", &[r#"!JSON parse error, stray '\"a\\\uFFFD'"#]),
    (b"@\"%s\"", &[r#"="%s""#]),
    (b"@\"%%\"", &[r#"="%%""#]),
    (b"%\n", &[r#"!JSON parse error, stray '%'"#]),
    (b"%d\n", &[r#"!JSON parse error, stray '%'"#]),
    (b"@0", &[r#"=0"#]),
    (b"@-0", &[r#"=0"#]),
    (b"@-0.0", &[r#"=-0"#]),
    (b"@0.0", &[r#"=0"#]),
    (b"@1.0", &[r#"=1"#]),
    (b"@1e-400", &[r#"=0"#]),
    (b"@123456789012345678901234567890", &[r#"=1.2345678901234568e+29"#]),
    (b"@9223372036854775807", &[r#"=9223372036854775807"#]),
    (b"@9223372036854775808", &[r#"=9223372036854775808"#]),
    (b"@-9223372036854775808", &[r#"=-9223372036854775808"#]),
    (b"@-9223372036854775809", &[r#"=-9.2233720368547758e+18"#]),
    (b"@18446744073709551615", &[r#"=18446744073709551615"#]),
    (b"@18446744073709551616", &[r#"=1.8446744073709552e+19"#]),
    (b"@1E5", &[r#"=100000"#]),
    (b"@1e+5", &[r#"=100000"#]),
    (b"@1.5E-5", &[r#"=1.5e-05"#]),
    (b"@2.5e0", &[r#"=2.5"#]),
    (b"@0.1", &[r#"=0.10000000000000001"#]),
    (b"@1.7976931348623157e308", &[r#"=1.7976931348623157e+308"#]),
    (b"@5e-324", &[r#"=4.9406564584124654e-324"#]),
    (b"@0e5", &[r#"!JSON parse error, expected separator in dict"#]),
    (b"@-0e5", &[r#"!JSON parse error, expected separator in dict"#]),
    (b"@0.5e5", &[r#"=50000"#]),
    (b"01\n", &[r#"!JSON parse error, stray '01'"#]),
    (b"-01\n", &[r#"!JSON parse error, stray '-01'"#]),
    (b"00\n", &[r#"!JSON parse error, stray '00'"#]),
    (b"-\n", &[r#"!JSON parse error, stray '-\n'"#]),
    (b"-a\n", &[r#"!JSON parse error, stray '-a'"#]),
    (b"- 1\n", &[r#"!JSON parse error, stray '- '"#]),
    (b"1.\n", &[r#"!JSON parse error, stray '1.\n'"#]),
    (b"1.e5\n", &[r#"!JSON parse error, stray '1.e'"#]),
    (b".5\n", &[r#"!JSON parse error, stray '.'"#]),
    (b"1e\n", &[r#"!JSON parse error, stray '1e\n'"#]),
    (b"1e+\n", &[r#"!JSON parse error, stray '1e+\n'"#]),
    (b"1ex\n", &[r#"!JSON parse error, stray '1ex'"#]),
    (b"+1\n", &[r#"!JSON parse error, stray '+'"#]),
    (b"1.5.3\n", &[r#"!QMP input must be a JSON object"#, r#"!JSON parse error, stray '.'"#]),
    (
        b"-{\"a\":1}\n",
        &[
            r#"!JSON parse error, stray '-{'"#,
            r#"!JSON parse error, expecting value"#,
            r#"!QMP input must be a JSON object"#,
            r#"!JSON parse error, expecting value"#,
        ],
    ),
    (b"1x\n", &[r#"!QMP input must be a JSON object"#, r#"!JSON parse error, invalid keyword 'x'"#]),
    (b"true\n", &[r#"!QMP input must be a JSON object"#]),
    (b"nullx\n", &[r#"!JSON parse error, invalid keyword 'nullx'"#]),
    (b"null1\n", &[r#"!QMP input must be a JSON object"#, r#"!QMP input must be a JSON object"#]),
    (b"True\n", &[r#"!JSON parse error, stray 'T'"#]),
    (b"tru\n", &[r#"!JSON parse error, invalid keyword 'tru'"#]),
    (b"NULL\n", &[r#"!JSON parse error, stray 'N'"#]),
    (b"nan\n", &[r#"!JSON parse error, invalid keyword 'nan'"#]),
    (b"inf\n", &[r#"!JSON parse error, invalid keyword 'inf'"#]),
    (b"truefalse\n", &[r#"!JSON parse error, invalid keyword 'truefalse'"#]),
    (b"@true", &[r#"=true"#]),
    (b"@false", &[r#"=false"#]),
    (b"@null", &[r#"=null"#]),
    (b"@[1,[2,{}],{\"a\":[]}]", &[r#"=[1, [2, {}], {"a": []}]"#]),
    (b"[]]\n", &[r#"!QMP input must be a JSON object"#, r#"!JSON parse error, expecting value"#]),
    (b"[}\n", &[r#"!JSON parse error, expecting value"#]),
    (b"{]\n", &[r#"!JSON parse error, expecting value"#]),
    (b"]\n", &[r#"!JSON parse error, expecting value"#]),
    (b"}\n", &[r#"!JSON parse error, expecting value"#]),
    (b",\n", &[r#"!JSON parse error, expecting value"#]),
    (b":\n", &[r#"!JSON parse error, expecting value"#]),
    (b"{\"a\"}\n", &[r#"!JSON parse error, missing : in object pair"#]),
    (b"{\"a\":}\n", &[r#"!JSON parse error, expecting value"#]),
    (b"{:1}\n", &[r#"!JSON parse error, expecting value"#]),
    (b"{\"a\":1,}\n", &[r#"!JSON parse error, expecting value"#]),
    (b"[1,]\n", &[r#"!JSON parse error, expecting value"#]),
    (b"[,1]\n", &[r#"!JSON parse error, expecting value"#]),
    (b"{[1]:2}\n", &[r#"!JSON parse error, key is not a string in object"#]),
    (b"{[1 2]:3}\n", &[r#"!JSON parse error, expected separator in list"#]),
    (b"{\"a\":1 \"b\":2}\n", &[r#"!JSON parse error, expected separator in dict"#]),
    (b"{\"a\" 1 2}\n", &[r#"!JSON parse error, missing : in object pair"#]),
    (b"{\"a\":1,\"a\":2}\n", &[r#"!JSON parse error, duplicate key"#]),
    (b"{\"a\":xyz}\n", &[r#"!JSON parse error, invalid keyword 'xyz'"#]),
    (b"[xyz, 1 2]\n", &[r#"!JSON parse error, invalid keyword 'xyz'"#]),
    (b"{\"a\":[1 2], \"a\":1}\n", &[r#"!JSON parse error, expected separator in list"#]),
    (b"{\"a\":1,\"a\":xyz}\n", &[r#"!JSON parse error, invalid keyword 'xyz'"#]),
    (
        b"abc def {\"execute\":\"query-name\"}\n",
        &[
            r#"!JSON parse error, invalid keyword 'abc'"#,
            r#"!JSON parse error, invalid keyword 'def'"#,
            r#"{"return": {}}"#,
        ],
    ),
    (b"\"\x01 \"x\" {\"execute\":\"query-name\"}\n", &[r#"!JSON parse error, stray '\"\u0001'"#, r#"{"return": {}}"#]),
    (b"\"\x01 \"x\"\n{\"execute\":\"query-name\"}\n", &[r#"!JSON parse error, stray '\"\u0001'"#, r#"{"return": {}}"#]),
    (b"\"abc\n{\"execute\":\"query-name\"}\n", &[r#"!JSON parse error, stray '\"abc\n'"#, r#"{"return": {}}"#]),
    (b"\"abc\n\"\n", &[r#"!JSON parse error, stray '\"abc\n'"#]),
    (b"'abc\n", &[r#"!JSON parse error, stray ''abc\n'"#]),
    (b"\"\\\x01\n", &[r#"!JSON parse error, stray '\"\\\u0001'"#]),
    (b"-x\t{\"execute\":\"query-name\"}\n", &[r#"!JSON parse error, stray '-x'"#, r#"{"return": {}}"#]),
    (
        b"-x :1\n",
        &[
            r#"!JSON parse error, stray '-x'"#,
            r#"!JSON parse error, expecting value"#,
            r#"!QMP input must be a JSON object"#,
        ],
    ),
    (b"{\"execute\":\"query-name\"}{\"execute\":\"query-name\"}", &[r#"{"return": {}}"#, r#"{"return": {}}"#]),
    (
        b"{\"execute\":\"query-name\"} 1 \"x\" [] null\n",
        &[
            r#"{"return": {}}"#,
            r#"!QMP input must be a JSON object"#,
            r#"!QMP input must be a JSON object"#,
            r#"!QMP input must be a JSON object"#,
            r#"!QMP input must be a JSON object"#,
        ],
    ),
    (b"1", &[]),
    (b"1 ", &[r#"!QMP input must be a JSON object"#]),
    (b"\"x\"", &[r#"!QMP input must be a JSON object"#]),
    (b"null", &[]),
    (
        b"{\"execute\"\x01:\"query-name\"}\n",
        &[
            r#"!JSON parse error, stray '\u0001'"#,
            r#"!JSON parse error, expecting value"#,
            r#"!QMP input must be a JSON object"#,
            r#"!JSON parse error, expecting value"#,
        ],
    ),
    (
        b"{\"a\": [1, \xff \"x\"]}\n",
        &[
            r#"!JSON parse error, stray '\uFFFD'"#,
            r#"!JSON parse error, expecting value"#,
            r#"!JSON parse error, expecting value"#,
        ],
    ),
    (
        b"@\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"",
        &[r#"="\u00E9\u00E9\u00E9\u00E9\u00E9\u00E9\u00E9\u00E9\u00E9\u00E9""#],
    ),
    (b"@1.5e3", &[r#"=1500"#]),
    (b"@100e-2", &[r#"=1"#]),
    (b"@1e22", &[r#"=1e+22"#]),
    (b"@1e21", &[r#"=1e+21"#]),
    (b"@1e16", &[r#"=10000000000000000"#]),
    (b"@1e17", &[r#"=1e+17"#]),
    (b"@123.456", &[r#"=123.456"#]),
    (b"@0.0001", &[r#"=0.0001"#]),
    (b"@0.00001", &[r#"=1.0000000000000001e-05"#]),
    (b"@[-0.0, 1e300, 3.14159265358979]", &[r#"=[-0, 1.0000000000000001e+300, 3.14159265358979]"#]),
    // QEMU's UTF-8 is its own: "\xc0\x80" is U+0000, noncharacters are
    // refused, a bad sequence is one U+FFFD however long; its messages end
    // at a NUL byte.
    (b"\x00\n", &[r#"!JSON parse error, stray ''"#]),
    (b"\x00{\"execute\":\"query-name\"}\n", &[r#"!JSON parse error, stray ''"#, r#"{"return": {}}"#]),
    (b"\"ab\x00cd\"\n", &[r#"!JSON parse error, stray '\"ab'"#]),
    (b"-x\x00\n", &[r#"!JSON parse error, stray '-x'"#, r#"!JSON parse error, stray ''"#]),
    (b"\"\xef\xbf\xbf\x01\"\n", &[r#"!JSON parse error, stray '\"\uFFFD\u0001'"#]),
    (b"\"\xc0\x80\x01\"\n", &[r#"!JSON parse error, stray '\"\u0000\u0001'"#]),
    (b"\"\xe0\x80\x80\x01\"\n", &[r#"!JSON parse error, stray '\"\uFFFD\u0001'"#]),
    (b"\"\xf8\x88\x80\x80\x80\x01\"\n", &[r#"!JSON parse error, stray '\"\uFFFD\u0001'"#]),
    (b"\"\xed\xa0\x80\x01\"\n", &[r#"!JSON parse error, stray '\"\uFFFD\u0001'"#]),
    (b"\"\xf4\x90\x80\x80\x01\"\n", &[r#"!JSON parse error, stray '\"\uFFFD\u0001'"#]),
    (b"@\"\xef\xbf\xbf\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\xef\xb7\x90\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\xc0\x80\"", &[r#"="\u0000""#]),
    (b"@\"\\uFFFF\"", &[r#"!JSON parse error, \\uFFFF is not a valid Unicode character"#]),
    (b"@\"\\ufdd0\"", &[r#"!JSON parse error, \\ufdd0 is not a valid Unicode character"#]),
    (b"@\"\\uFFFE\"", &[r#"!JSON parse error, \\uFFFE is not a valid Unicode character"#]),
    (b"@\"\\uD83F\\uDFFE\"", &[r#"!JSON parse error, \\uD83F\\uDFFE is not a valid Unicode character"#]),
    (b"@\"\\uDBFF\\uDFFF\"", &[r#"!JSON parse error, \\uDBFF\\uDFFF is not a valid Unicode character"#]),
    (b"@\"\\uD800\\uDC00\"", &[r#"="\uD800\uDC00""#]),
    (b"@\"\xf0\x90\x80\x80\"", &[r#"="\uD800\uDC00""#]),
    (b"@\"\xfc\x84\x80\x80\x80\x80\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\xc1\xbf\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\xef\xbf\xbe\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"\xf0\x9f\x98\"", &[r#"!JSON parse error, invalid UTF-8 sequence in string"#]),
    (b"@\"a\xc0\x80b\"", &[r#"="a\u0000b""#]),
    (b"@{\"\xc0\x80\":1,\"\\u0000\":2}", &[r#"!JSON parse error, duplicate key"#]),
    (
        b"\"\xc0\x80\xc1\xbf\xfc\x84\x80\x80\x80\x80\xf0\x9f\x98\x80\xef\xb7\x90\x01\n",
        &[r#"!JSON parse error, stray '\"\u0000\uFFFD\uFFFD\uD83D\uDE00\uFFFD\u0001'"#],
    ),
    (b"\"x\x00y\n", &[r#"!JSON parse error, stray '\"x'"#]),
    (b"\"\xf0\x9f\x98\n", &[r#"!JSON parse error, stray '\"\uFFFD\n'"#]),
    (b"@\"\\uD800\\uDBFF\"", &[r#"!JSON parse error, \\uD800 is not a valid Unicode character"#]),
    (b"@\"\\uD800\\\"", &[r#"!JSON parse error, stray '\"\\uD800\\\"}\n'"#]),
    (b"@\"\\uDBFF\\uDFFF\\uFFFF\"", &[r#"!JSON parse error, \\uDBFF\\uDFFF is not a valid Unicode character"#]),
    (b"@\"\\uFDEF\\uFDF0\"", &[r#"!JSON parse error, \\uFDEF is not a valid Unicode character"#]),
    (b"@\"\\uFDF0\"", &[r#"="\uFDF0""#]),
    (b"@\"\\u1FFFE\"", &[r#"="\u1FFFE""#]),
    (b"@\"\\ud83d\\ude00\\u00e9\\u20ac\"", &[r#"="\uD83D\uDE00\u00E9\u20AC""#]),
];

#[test]
fn json_dialect_as_qemu() {
    let tmp = Tmp::new("json");
    let (r, sock) = start(&tmp, &LOOP, &["-S"]);
    for (input, replies) in JSON_CASES {
        let mut bytes = input.to_vec();
        if let Some(id) = input.strip_prefix(b"@") {
            bytes = [b"{\"execute\":\"query-name\",\"id\":", id, b"}\n"].concat();
        }
        let expected: String = replies
            .iter()
            .map(|l| match (l.strip_prefix('!'), l.strip_prefix('=')) {
                (Some(desc), _) => err("GenericError", desc),
                (_, Some(id)) => format!("{{\"return\": {{}}, \"id\": {id}}}\r\n"),
                _ => format!("{l}\r\n"),
            })
            .collect();
        let mut c = Conn::negotiated(&sock);
        c.send(&bytes);
        let got: String = replies.iter().map(|_| c.line()).collect();
        assert_eq!(got, expected, "for {:?}", String::from_utf8_lossy(input));
        // After a newline the next command is read afresh: nothing came in between.
        if bytes.ends_with(b"\n") {
            assert_eq!(c.ask("{\"execute\":\"query-name\",\"id\":\"end\"}"), "{\"return\": {}, \"id\": \"end\"}\r\n");
        }
    }
    quit(r, &sock);
}
