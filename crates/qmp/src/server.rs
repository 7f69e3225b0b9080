//! Transports: Unix and TCP server sockets and stdio, each client on its
//! own thread with its own session. Events go to every negotiated client.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use machine::control::{Event, Handle};

use crate::json::{Message, Streamer};
use crate::session::Session;
use crate::{Client, Ctx, Hub, Info};

/// Where a monitor listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chardev {
    /// `unix:PATH,server=on[,wait=off]`.
    Unix {
        path: PathBuf,
        wait: bool,
    },
    /// `tcp:HOST:PORT,server=on[,wait=off]`.
    Tcp {
        host: String,
        port: u16,
        wait: bool,
    },
    Stdio,
}

/// One monitor: where, pretty-printed or not, QMP or the human readline form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorSpec {
    pub chardev: Chardev,
    pub pretty: bool,
    /// `mode=readline` (`-monitor`): HMP with a prompt instead of QMP.
    pub readline: bool,
}

/// Most clients served at once per monitor; more are refused.
const MAX_CLIENTS: usize = 16;
/// A client that does not take its output for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The running monitors.
pub struct Monitor {
    hub: Arc<Hub>,
    /// One per `wait=on` monitor: a message when its first client connects.
    waits: Vec<Receiver<()>>,
    sockets: Vec<PathBuf>,
}

impl Monitor {
    /// Block until every `wait=on` monitor has had a client (QEMU's default for servers).
    pub fn wait_for_clients(&self) {
        for w in &self.waits {
            let _ = w.recv();
        }
    }

    /// The waits, for a caller that must also watch other things.
    pub fn take_waits(&mut self) -> Vec<Receiver<()>> {
        std::mem::take(&mut self.waits)
    }

    /// The machine has ended: let replies in flight and last events out, remove socket files.
    pub fn finish(&self) {
        let deadline = Instant::now() + Duration::from_millis(500);
        while self.hub.inflight.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            self.hub.pump();
            thread::sleep(Duration::from_millis(2));
        }
        self.hub.pump();
        for p in &self.sockets {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), String> {
    thread::Builder::new()
        .name(name.into())
        .stack_size(crate::STACK_SIZE)
        .spawn(f)
        .map(|_| ())
        .map_err(|e| format!("cannot start a monitor thread: {e}"))
}

/// Start the monitors. `events` is the machine's event stream.
pub fn start(specs: Vec<MonitorSpec>, handle: Handle, events: Receiver<Event>, info: Info) -> Result<Monitor, String> {
    let hub = Arc::new(Hub::new(events));
    let ctx = Ctx { handle, hub: hub.clone(), info: Arc::new(info) };
    let mut mon = Monitor { hub: hub.clone(), waits: Vec::new(), sockets: Vec::new() };
    for spec in specs {
        let (wait_tx, wait_rx) = crossbeam_channel::bounded::<()>(1);
        let pretty = spec.pretty;
        let readline = spec.readline;
        match &spec.chardev {
            Chardev::Unix { path, wait } => {
                // As QEMU: a stale socket file is replaced.
                let _ = std::fs::remove_file(path);
                let l = UnixListener::bind(path)
                    .map_err(|e| format!("Failed to bind socket to {}: {}", path.display(), crate::os_error(&e)))?;
                mon.sockets.push(path.clone());
                if *wait {
                    mon.waits.push(wait_rx);
                }
                let ctx = ctx.clone();
                spawn("qmp-accept", move || {
                    for s in l.incoming().flatten() {
                        let _ = s.set_write_timeout(Some(WRITE_TIMEOUT));
                        let Ok(w) = s.try_clone() else { continue };
                        connect(&ctx, Box::new(s), Box::new(w), pretty, readline);
                        // After the greeting: the guest may start (and end) now.
                        let _ = wait_tx.try_send(());
                    }
                })?;
            }
            Chardev::Tcp { host, port, wait } => {
                let l = TcpListener::bind((host.as_str(), *port))
                    .map_err(|e| format!("Failed to bind socket to {host}:{port}: {}", crate::os_error(&e)))?;
                if *wait {
                    mon.waits.push(wait_rx);
                }
                let ctx = ctx.clone();
                spawn("qmp-accept", move || {
                    for s in l.incoming().flatten() {
                        let _ = s.set_write_timeout(Some(WRITE_TIMEOUT));
                        let _ = s.set_nodelay(true);
                        let Ok(w) = s.try_clone() else { continue };
                        connect(&ctx, Box::new(s), Box::new(w), pretty, readline);
                        let _ = wait_tx.try_send(());
                    }
                })?;
            }
            Chardev::Stdio => {
                connect(&ctx, Box::new(std::io::stdin()), Box::new(std::io::stdout()), pretty, readline);
            }
        }
    }
    // Events with no request behind them (the guest's own power-off) go out from here.
    let h = hub.clone();
    spawn("qmp-events", move || loop {
        h.wait_event(Duration::from_millis(200));
        if !h.pump() {
            return;
        }
    })?;
    Ok(mon)
}

/// A new client: its own thread and session.
fn connect(ctx: &Ctx, r: Box<dyn Read + Send>, w: Box<dyn Write + Send>, pretty: bool, readline: bool) {
    let client = Arc::new(Client::new(w, pretty));
    if ctx.hub.client_count() >= MAX_CLIENTS {
        client.send_raw(b"too many monitor clients\r\n");
        return;
    }
    ctx.hub.add(client.clone());
    // The greeting goes out before anything else can happen.
    if readline {
        let (maj, min, mic) = crate::QEMU_VERSION;
        client.send_raw(
            format!("QEMU {maj}.{min}.{mic} monitor - type 'help' for more information\r\n(qemu) ").as_bytes(),
        );
    } else {
        client.send(&crate::greeting());
    }
    let ctx = ctx.clone();
    let spawned = spawn("qmp-client", move || {
        if readline {
            serve_readline(&ctx, r, &client);
        } else {
            serve_qmp(&ctx, r, &client);
        }
        client.kill();
    });
    if let Err(e) = spawned {
        log::warn!("{e}");
    }
}

/// Requests queued per client before the monitor stops reading (QEMU's QMP_REQ_QUEUE_LEN_MAX).
const QUEUE_LEN: usize = 8;

/// Run one in-band message and send its reply.
fn execute(ctx: &Ctx, session: &mut Session, client: &Client, m: Message) {
    ctx.hub.inflight.fetch_add(1, Ordering::AcqRel);
    let reply = session.handle(ctx, m);
    // Events emitted before the reply go first.
    ctx.hub.pump();
    client.send(&reply);
    client.negotiated.store(session.negotiated, Ordering::Release);
    client.oob.store(session.oob, Ordering::Release);
    ctx.hub.inflight.fetch_sub(1, Ordering::AcqRel);
}

/// Whether a message is an `exec-oob` request.
fn is_oob(m: &Message) -> bool {
    matches!(m, Ok(serde_json::Value::Object(o)) if o.contains_key("exec-oob"))
}

/// A QMP client: this thread reads and parses; in-band commands run in order
/// on an executor thread, while `exec-oob` commands (once the client enabled
/// `oob`) are answered here at once, ahead of any in-band command still running.
fn serve_qmp(ctx: &Ctx, r: Box<dyn Read + Send>, client: &Arc<Client>) {
    let (tx, rx) = crossbeam_channel::bounded::<Message>(QUEUE_LEN);
    let (ectx, eclient) = (ctx.clone(), client.clone());
    let executor = thread::Builder::new().name("qmp-exec".into()).stack_size(crate::STACK_SIZE).spawn(move || {
        let mut session = Session::new();
        for m in rx {
            execute(&ectx, &mut session, &eclient, m);
        }
    });
    let Ok(executor) = executor else { return };
    read_loop(ctx, r, client, tx);
    // Commands the client sent before closing its side still get their replies.
    let _ = executor.join();
}

fn read_loop(ctx: &Ctx, mut r: Box<dyn Read + Send>, client: &Arc<Client>, tx: crossbeam_channel::Sender<Message>) {
    let mut streamer = Streamer::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut msgs = Vec::new();
    while !client.is_dead() {
        let n = match r.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        streamer.feed(&buf[..n], &mut msgs);
        for m in msgs.drain(..) {
            if client.oob.load(Ordering::Acquire) && is_oob(&m) {
                // Only commands that the monitor answers alone allow OOB; the
                // session checks that, with the capabilities already negotiated.
                let mut oob = Session::new();
                oob.negotiated = true;
                oob.oob = true;
                execute(ctx, &mut oob, client, m);
                continue;
            }
            // A full queue blocks reading, as QEMU suspends the monitor.
            if tx.send(m).is_err() {
                return;
            }
        }
    }
}

/// QEMU's readline command buffer size: longer input is ignored.
const READLINE_MAX: usize = 4095;

/// What QEMU's readline does with one input byte.
#[derive(Default)]
struct Readline {
    line: Vec<u8>,
    /// Length of the line as last drawn (the cursor stays at its end).
    shown: usize,
    /// In an escape sequence (ESC, then ESC [ ...): skipped.
    esc: u8,
}

impl Readline {
    /// Feed a byte: the echo to send, and the command line when the byte ends one.
    fn byte(&mut self, b: u8) -> (Vec<u8>, Option<String>) {
        match (self.esc, b) {
            (1, b'[') | (1, b'O') => {
                self.esc = 2;
                return (Vec::new(), None);
            }
            (1, _) => self.esc = 0,
            (2, b'0'..=b'9' | b';') => return (Vec::new(), None),
            (2, _) => {
                self.esc = 0;
                return (Vec::new(), None);
            }
            _ => {}
        }
        match b {
            b'\r' | b'\n' => {
                let cmd = String::from_utf8_lossy(&self.line).into_owned();
                self.line.clear();
                self.shown = 0;
                (b"\r\n".to_vec(), Some(cmd))
            }
            27 => {
                self.esc = 1;
                (Vec::new(), None)
            }
            8 | 127 if !self.line.is_empty() => {
                self.line.pop();
                (self.redraw(), None)
            }
            32.. if b != 127 && self.line.len() < READLINE_MAX => {
                self.line.push(b);
                (self.redraw(), None)
            }
            _ => (Vec::new(), None),
        }
    }

    /// readline_update: back to the start of the line, the line, clear to its end.
    fn redraw(&mut self) -> Vec<u8> {
        let mut out = b"\x1b[D".repeat(self.shown);
        out.extend_from_slice(&self.line);
        out.extend_from_slice(b"\x1b[K");
        self.shown = self.line.len();
        out
    }
}

/// The human monitor with a prompt (`-monitor`, `mode=readline`), echoing
/// input as QEMU's readline does.
fn serve_readline(ctx: &Ctx, mut r: Box<dyn Read + Send>, client: &Client) {
    let mut hmp = crate::hmp::Hmp::default();
    let mut rl = Readline::default();
    let mut buf = [0u8; 4096];
    while !client.is_dead() {
        let n = match r.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            let (echo, cmd) = rl.byte(b);
            if !echo.is_empty() {
                client.send_raw(&echo);
            }
            let Some(text) = cmd else { continue };
            ctx.hub.inflight.fetch_add(1, Ordering::AcqRel);
            let out = hmp.run(ctx, &text);
            client.send_raw(format!("{}(qemu) ", crate::crlf(&out)).as_bytes());
            ctx.hub.inflight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(rl: &mut Readline, input: &[u8]) -> (Vec<u8>, Vec<String>) {
        let (mut echo, mut cmds) = (Vec::new(), Vec::new());
        for &b in input {
            let (e, c) = rl.byte(b);
            echo.extend(e);
            cmds.extend(c);
        }
        (echo, cmds)
    }

    #[test]
    fn echo_as_qemu_readline() {
        // Bytes from qemu-system-riscv64 7.2 for the same input.
        let mut rl = Readline::default();
        let (echo, cmds) = typed(&mut rl, b"bogus\r\n");
        assert_eq!(
            echo,
            b"b\x1b[K\x1b[Dbo\x1b[K\x1b[D\x1b[Dbog\x1b[K\x1b[D\x1b[D\x1b[Dbogu\x1b[K\x1b[D\x1b[D\x1b[D\x1b[Dbogus\x1b[K\r\n\r\n"
        );
        assert_eq!(cmds, ["bogus", ""]);
        // Backspace redraws; cursor keys are skipped (QEMU would move the cursor).
        let (echo, cmds) = typed(&mut rl, b"ab\x7f\x1b[Dc\n");
        assert_eq!(echo, b"a\x1b[K\x1b[Dab\x1b[K\x1b[D\x1b[Da\x1b[K\x1b[Dac\x1b[K\r\n");
        assert_eq!(cmds, ["ac"]);
    }
}
