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
    /// The chardev's id: `-chardev id=`, or QEMU's `compat_monitorN` for `-qmp`/`-monitor`.
    pub id: String,
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
                let l = bind_private(path)
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

/// Bind a Unix socket that only its owner may connect to: whoever reaches a
/// monitor controls the guest and writes host files (`memsave`). The socket
/// is made 0600 inside a fresh 0700 directory beside `path`, then renamed
/// into place (replacing a stale file, as QEMU does), so it is never
/// reachable with looser permissions.
fn bind_private(path: &std::path::Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let dir = parent.join(format!(".tern-monitor-{}-{n}", std::process::id()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    let tmp = dir.join("s");
    let bound = UnixListener::bind(&tmp).and_then(|l| {
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        std::fs::rename(&tmp, path)?;
        Ok(l)
    });
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::remove_dir(&dir);
    bound
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
        // The client is gone: drop our end too, so its socket closes (as QEMU's does).
        client.kill();
        ctx.hub.remove(&client);
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
    ctx.hub.reply(client, &reply, session.negotiated, session.oob);
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
/// QEMU's READLINE_MAX_CMDS: lines of history kept.
const HISTORY_MAX: usize = 64;
/// The readline prompt.
const PROMPT: &[u8] = b"(qemu) ";

/// Where QEMU's readline is in an escape sequence.
#[derive(Default, Clone, Copy, PartialEq)]
enum Esc {
    #[default]
    Norm,
    /// After ESC.
    Escape,
    /// After ESC [ (or the byte 155), with its numeric parameter.
    Csi(u32),
    /// After ESC O.
    Ss3,
}

/// QEMU's readline (util/readline.c): a line buffer with a cursor, history
/// and completion, redrawn with the same escape sequences QEMU sends.
#[derive(Default)]
struct Readline {
    line: Vec<u8>,
    cursor: usize,
    /// The line and cursor as last drawn.
    shown: Vec<u8>,
    shown_cursor: usize,
    esc: Esc,
    /// Oldest first; `hist_entry` is the one being shown (QEMU's -1 is None).
    history: Vec<String>,
    hist_entry: Option<usize>,
}

impl Readline {
    /// Feed a byte: the echo to send, and the command line when the byte ends one.
    fn byte(&mut self, b: u8) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let mut cmd = None;
        match self.esc {
            Esc::Norm => match b {
                1 => self.cursor = 0,
                4 => self.delete_char(),
                5 => self.cursor = self.line.len(),
                9 => self.complete(&mut out),
                b'\r' | b'\n' => {
                    let text = String::from_utf8_lossy(&self.line).into_owned();
                    self.hist_add(&text);
                    out.extend_from_slice(b"\r\n");
                    self.line.clear();
                    self.cursor = 0;
                    self.shown.clear();
                    self.shown_cursor = 0;
                    cmd = Some(text);
                }
                23 => self.backword(),
                27 => self.esc = Esc::Escape,
                8 | 127 if self.cursor > 0 => {
                    self.cursor -= 1;
                    self.delete_char();
                }
                155 => self.esc = Esc::Csi(0),
                32.. if b != 127 => self.insert(b),
                _ => {}
            },
            Esc::Escape => {
                self.esc = match b {
                    b'[' => Esc::Csi(0),
                    b'O' => Esc::Ss3,
                    _ => Esc::Norm,
                }
            }
            Esc::Csi(param) => {
                self.esc = Esc::Norm;
                match b {
                    b'A' | b'F' => self.up(),
                    b'B' | b'E' => self.down(),
                    b'D' => self.cursor = self.cursor.saturating_sub(1),
                    b'C' => self.cursor = (self.cursor + 1).min(self.line.len()),
                    b'0'..=b'9' => self.esc = Esc::Csi(param.saturating_mul(10).saturating_add(u32::from(b - b'0'))),
                    b'~' => match param {
                        1 => self.cursor = 0,
                        3 => self.delete_char(),
                        4 => self.cursor = self.line.len(),
                        _ => {}
                    },
                    _ => {}
                }
            }
            Esc::Ss3 => {
                self.esc = Esc::Norm;
                match b {
                    b'F' => self.cursor = self.line.len(),
                    b'H' => self.cursor = 0,
                    _ => {}
                }
            }
        }
        if cmd.is_none() {
            self.update(&mut out);
        }
        (out, cmd)
    }

    fn insert(&mut self, b: u8) {
        if self.line.len() < READLINE_MAX {
            self.line.insert(self.cursor, b);
            self.cursor += 1;
        }
    }

    fn delete_char(&mut self) {
        if self.cursor < self.line.len() {
            self.line.remove(self.cursor);
        }
    }

    /// ^W (readline_backword): delete the word before the cursor and the
    /// blanks after it; like QEMU, a word at the start of the line goes whole.
    fn backword(&mut self) {
        if self.cursor == 0 {
            return;
        }
        let mut start = self.cursor - 1;
        while start > 0 && self.line[start].is_ascii_whitespace() {
            start -= 1;
        }
        while start > 0 {
            if self.line[start].is_ascii_whitespace() {
                start += 1;
                break;
            }
            start -= 1;
        }
        self.line.drain(start..self.cursor);
        self.cursor = start;
    }

    /// Up arrow (readline_up_char): the previous history line.
    fn up(&mut self) {
        let entry = match self.hist_entry {
            Some(0) => return,
            Some(e) => e,
            None => self.history.len(),
        };
        match entry.checked_sub(1) {
            Some(e) => {
                self.hist_entry = Some(e);
                self.show_history(e);
            }
            None => self.hist_entry = None,
        }
    }

    /// Down arrow (readline_down_char): the next history line, then an empty one.
    fn down(&mut self) {
        let Some(e) = self.hist_entry else { return };
        if e == HISTORY_MAX - 1 {
            return;
        }
        if e + 1 < self.history.len() {
            self.hist_entry = Some(e + 1);
            self.show_history(e + 1);
        } else {
            // QEMU 7.2 clears the line when going past the newest entry.
            self.line.clear();
            self.hist_entry = None;
        }
        self.cursor = self.line.len();
    }

    fn show_history(&mut self, e: usize) {
        self.line = self.history[e].as_bytes().to_vec();
        self.line.truncate(READLINE_MAX);
        self.cursor = self.line.len();
    }

    /// readline_hist_add: a line already in the history moves to its end.
    fn hist_add(&mut self, line: &str) {
        if line.is_empty() {
            return;
        }
        if let Some(i) = self.history.iter().position(|h| h == line) {
            self.history.remove(i);
        } else if self.history.len() == HISTORY_MAX {
            self.history.remove(0);
        }
        self.history.push(line.to_string());
        self.hist_entry = None;
    }

    /// Tab (readline_completion): one candidate is inserted with a space
    /// after it; several insert their common prefix and are listed in
    /// columns, then the prompt and line are drawn again.
    fn complete(&mut self, out: &mut Vec<u8>) {
        let before = String::from_utf8_lossy(&self.line[..self.cursor]).into_owned();
        let (index, mut names) = crate::hmp::complete(&before);
        match names.as_slice() {
            [] => {}
            [one] => {
                for &b in &one.as_bytes()[index.min(one.len())..] {
                    self.insert(b);
                }
                if !one.is_empty() && !one.ends_with('/') {
                    self.insert(b' ');
                }
            }
            _ => {
                names.sort_unstable();
                let first = names[0].as_bytes();
                let prefix = names
                    .iter()
                    .fold(first.len(), |p, n| first[..p].iter().zip(n.as_bytes()).take_while(|(a, b)| a == b).count());
                for &b in first.get(index..prefix).unwrap_or(&[]) {
                    self.insert(b);
                }
                let width = (names.iter().map(|n| n.len()).max().unwrap_or(0) + 2).clamp(10, 80);
                let cols = 80 / width;
                out.extend_from_slice(b"\r\n");
                for (i, n) in names.iter().enumerate() {
                    out.extend_from_slice(format!("{n:<width$}").as_bytes());
                    if (i + 1) % cols == 0 || i + 1 == names.len() {
                        out.extend_from_slice(b"\r\n");
                    }
                }
                // readline_show_prompt: the line is drawn anew after it.
                out.extend_from_slice(PROMPT);
                self.shown.clear();
                self.shown_cursor = 0;
            }
        }
    }

    /// readline_update: when the line changed, back to its start, the line,
    /// clear to the end; then move the cursor to where it belongs.
    fn update(&mut self, out: &mut Vec<u8>) {
        if self.line != self.shown {
            out.extend(b"\x1b[D".repeat(self.shown_cursor));
            out.extend_from_slice(&self.line);
            out.extend_from_slice(b"\x1b[K");
            self.shown.clone_from(&self.line);
            self.shown_cursor = self.line.len();
        }
        let seq: &[u8] = if self.cursor > self.shown_cursor { b"\x1b[C" } else { b"\x1b[D" };
        out.extend(seq.repeat(self.cursor.abs_diff(self.shown_cursor)));
        self.shown_cursor = self.cursor;
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
            let mut reply = crate::crlf(&out).into_bytes();
            reply.extend_from_slice(PROMPT);
            client.send_raw(&reply);
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
        // Backspace redraws.
        let (echo, cmds) = typed(&mut rl, b"ab\x7f");
        assert_eq!(echo, b"a\x1b[K\x1b[Dab\x1b[K\x1b[D\x1b[Da\x1b[K");
        assert!(cmds.is_empty());
    }

    #[test]
    fn cursor_keys_as_qemu() {
        // Each pair: input, then what qemu-system-riscv64 7.2 echoed for it.
        let mut rl = Readline::default();
        let steps: [(&[u8], &[u8]); 5] = [
            (b"ab\x1b[Dc", b"a\x1b[K\x1b[Dab\x1b[K\x1b[D\x1b[Dacb\x1b[K\x1b[D"),
            (
                b"\x01X\x05Y",
                b"\x1b[D\x1b[DXacb\x1b[K\x1b[D\x1b[D\x1b[D\x1b[C\x1b[C\x1b[C\x1b[D\x1b[D\x1b[D\x1b[DXacbY\x1b[K",
            ),
            (
                b"\x1b[1~Z\x1b[4~W",
                b"\x1b[D\x1b[D\x1b[D\x1b[D\x1b[DZXacbY\x1b[K\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[C\x1b[C\x1b[C\x1b[C\x1b[C\
\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[DZXacbYW\x1b[K",
            ),
            (b"\x1bOH", b"\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D"),
            // ^K and ^U do nothing in QEMU's readline.
            (b"\x0b\x15", b""),
        ];
        for (input, want) in steps {
            assert_eq!(typed(&mut rl, input).0, want, "input {input:?}");
        }
        assert_eq!(typed(&mut rl, b"\r").1, ["ZXacbYW"]);
        // ^W removes the word and the blanks after it; at the start, the word goes whole.
        let (echo, _) = typed(&mut rl, b"ab cd  \x17");
        assert!(echo.ends_with(b"\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[Dab \x1b[K"));
        assert_eq!(typed(&mut rl, b"\x17").0, b"\x1b[D\x1b[D\x1b[D\x1b[K");
        assert_eq!(typed(&mut rl, b"\x17").0, b"");
        // Backspace at the start of the line does nothing.
        assert_eq!(typed(&mut rl, b"\x7f\x08").0, b"");
        // ^A then ^D deletes under the cursor.
        assert_eq!(typed(&mut rl, b"x\x01\x04").0, b"x\x1b[K\x1b[D\x1b[K");
    }

    #[test]
    fn history_as_qemu() {
        let mut rl = Readline::default();
        typed(&mut rl, b"h\rinfo status\rab\r");
        let steps: [(&[u8], &[u8]); 6] = [
            (b"\x1b[A", b"ab\x1b[K"),
            (b"\x1b[A", b"\x1b[D\x1b[Dinfo status\x1b[K"),
            (b"\x1b[A", b"\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[Dh\x1b[K"),
            (b"\x1b[B", b"\x1b[Dinfo status\x1b[K"),
            (b"\x1b[B", b"\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[Dab\x1b[K"),
            (b"\x1b[B", b"\x1b[D\x1b[D\x1b[K"),
        ];
        for (input, want) in steps {
            assert_eq!(typed(&mut rl, input).0, want, "input {input:?}");
        }
        // Up at the oldest stays; empty lines are not recorded; a repeated line moves to the end.
        typed(&mut rl, b"\rh\r");
        assert_eq!(rl.history, ["info status", "ab", "h"]);
    }

    #[test]
    fn completion_as_qemu() {
        let mut rl = Readline::default();
        // One candidate: the rest of it and a space ("in" -> "info ").
        assert_eq!(typed(&mut rl, b"in\t").0, b"i\x1b[K\x1b[Din\x1b[K\x1b[D\x1b[Dinfo \x1b[K");
        // Several: the common prefix, a listing in columns at least 10 wide, the prompt, the line.
        let (echo, _) = typed(&mut rl, b"r\t");
        assert!(echo.ends_with(b"\x1b[Dinfo r\x1b[K\r\nregisters  roms       \r\n(qemu) info r\x1b[K"), "{echo:?}");
        typed(&mut rl, b"\r");
        let (echo, _) = typed(&mut rl, b"h\t");
        assert_eq!(echo, b"h\x1b[K\r\nhello-world  help         \r\n(qemu) hel\x1b[K");
        // Nothing to complete for arguments.
        typed(&mut rl, b"\r");
        assert_eq!(typed(&mut rl, b"x \t").0, b"x\x1b[K\x1b[Dx \x1b[K");
    }
}
