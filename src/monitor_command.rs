//! `tern monitor-command SOCKET [--pretty] [--hmp] [--return-value] COMMAND`:
//! a QMP client that behaves like `virsh qemu-monitor-command`. It
//! negotiates, sends one command, prints the reply, and exits 1 with the
//! error's class and description on an error reply.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde_json::{json, Value};

pub const USAGE: &str = "usage: tern monitor-command SOCKET [--pretty] [--hmp] [--return-value] COMMAND\n\
    SOCKET is a Unix socket path or tcp:HOST:PORT; COMMAND is a QMP command in JSON\n\
    (or, with --hmp, a human monitor command line).\n";

/// `--help`: the usage and what each flag does.
const HELP: &str = "\nConnects to a QMP monitor (tern or QEMU, -qmp unix:PATH,server=on), negotiates,\n\
    sends one command and prints the reply, as virsh qemu-monitor-command does.\n\n\
    --pretty        print the reply indented\n\
    --hmp           COMMAND is an HMP command line, sent through human-monitor-command;\n\
    \x20               its text is printed as is\n\
    --return-value  print only the reply's \"return\" member\n\
    -h, --help      this text\n\n\
    Exit status: 0 on success; 1 on an error reply (class and description on stderr),\n\
    a connection failure or bad arguments.\n";

struct Opts {
    socket: String,
    pretty: bool,
    hmp: bool,
    return_value: bool,
    command: String,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let (mut pretty, mut hmp, mut return_value) = (false, false, false);
    let mut words = Vec::new();
    for a in args {
        match a.as_str() {
            "--pretty" => pretty = true,
            "--hmp" => hmp = true,
            "--return-value" => return_value = true,
            s if s.starts_with("--") => return Err(format!("monitor-command: unknown option '{s}'\n{USAGE}")),
            _ => words.push(a.clone()),
        }
    }
    if words.len() < 2 {
        return Err(format!("monitor-command: a socket and a command are required\n{USAGE}"));
    }
    let socket = words.remove(0);
    Ok(Opts { socket, pretty, hmp, return_value, command: words.join(" ") })
}

/// Reads QMP messages (compact or pretty) off a stream.
struct Reader<R: Read> {
    r: R,
    streamer: qmp::json::Streamer,
    pending: std::collections::VecDeque<qmp::json::Message>,
}

impl<R: Read> Reader<R> {
    fn next(&mut self) -> Result<Value, String> {
        loop {
            if let Some(m) = self.pending.pop_front() {
                return m.map_err(|e| format!("bad reply from the monitor: {e}"));
            }
            let mut buf = [0u8; 65536];
            let n = self.r.read(&mut buf).map_err(|e| format!("reading from the monitor: {e}"))?;
            if n == 0 {
                return Err("the monitor closed the connection".into());
            }
            let mut out = Vec::new();
            self.streamer.feed(&buf[..n], &mut out);
            self.pending.extend(out);
        }
    }

    /// The next reply, skipping events.
    fn reply(&mut self) -> Result<Value, String> {
        loop {
            let v = self.next()?;
            if v.get("event").is_none() {
                return Ok(v);
            }
        }
    }
}

fn exchange<S: Read + Write>(mut w: S, r: S, o: &Opts) -> Result<(String, bool), String> {
    let mut rd = Reader { r, streamer: qmp::json::Streamer::new(), pending: Default::default() };
    let greeting = rd.next()?;
    if greeting.get("QMP").is_none() {
        return Err(format!("not a QMP monitor (greeting {greeting})"));
    }
    let cmd = if o.hmp {
        json!({"execute": "human-monitor-command", "arguments": {"command-line": o.command}})
    } else {
        let v = parse_command(&o.command)?;
        if !v.is_object() {
            return Err("the command must be a JSON object".into());
        }
        v
    };
    let send = |w: &mut S, v: &Value| w.write_all(qmp::json::to_wire(v, false).as_bytes()).map_err(|e| e.to_string());
    send(&mut w, &json!({"execute": "qmp_capabilities"}))?;
    let caps = rd.reply()?;
    if caps.get("return").is_none() {
        return Err(format!("capabilities negotiation failed: {caps}"));
    }
    send(&mut w, &cmd)?;
    let reply = rd.reply()?;
    if let Some(e) = reply.get("error") {
        let class = e.get("class").and_then(Value::as_str).unwrap_or("?");
        let desc = e.get("desc").and_then(Value::as_str).unwrap_or("?");
        return Ok((format!("{class}: {desc}"), false));
    }
    let ret = reply.get("return").cloned().unwrap_or(Value::Null);
    let text = match (o.hmp, o.return_value, o.pretty) {
        // HMP output is text: print it as the human monitor would.
        (true, _, _) => ret.as_str().unwrap_or_default().replace("\r\n", "\n"),
        (false, true, p) => qmp::json::to_wire(&ret, p).replace("\r\n", "\n"),
        (false, false, p) => qmp::json::to_wire(&reply, p).replace("\r\n", "\n"),
    };
    Ok((text, true))
}

fn parse_command(s: &str) -> Result<Value, String> {
    let mut out = Vec::new();
    let mut st = qmp::json::Streamer::new();
    st.feed(s.as_bytes(), &mut out);
    st.feed(b" ", &mut out);
    match out.len() {
        1 => out.remove(0).map_err(|e| format!("the command is not valid JSON: {e}")),
        _ => Err("the command must be one JSON object".into()),
    }
}

/// Run the client; the process exit status.
pub fn main(args: &[String]) -> u8 {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        let _ = std::io::stdout().write_all(format!("{USAGE}{HELP}").as_bytes());
        return 0;
    }
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            let _ = std::io::stderr().write_all(format!("tern: {e}").as_bytes());
            return 1;
        }
    };
    let timeout = Some(Duration::from_secs(30));
    let result = match o.socket.strip_prefix("tcp:") {
        Some(addr) => TcpStream::connect(addr)
            .and_then(|s| s.set_read_timeout(timeout).and(s.try_clone()).map(|r| (s, r)))
            .map_err(|e| format!("cannot connect to {addr}: {e}"))
            .and_then(|(w, r)| exchange(w, r, &o)),
        None => UnixStream::connect(&o.socket)
            .and_then(|s| s.set_read_timeout(timeout).and(s.try_clone()).map(|r| (s, r)))
            .map_err(|e| format!("cannot connect to {}: {e}", o.socket))
            .and_then(|(w, r)| exchange(w, r, &o)),
    };
    match result {
        Ok((text, true)) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            0
        }
        Ok((err, false)) => {
            let _ = writeln!(std::io::stderr(), "tern: error: {err}");
            1
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "tern: monitor-command: {e}");
            1
        }
    }
}
