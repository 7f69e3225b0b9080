//! Shared helpers for the integration tests: run `tern` with a time limit,
//! and build tiny guest ELF images without a cross toolchain.

#![allow(dead_code)] // each test file uses a different subset

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub fn tern() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tern"));
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

pub struct Outcome {
    /// Exit code; `None` if killed by a signal (or by the time limit).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

/// A running `tern` whose stdout and stderr are collected in the background.
pub struct Running {
    pub child: Child,
    pub stdout: Arc<Mutex<Vec<u8>>>,
    pub stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

fn collect(mut r: impl Read + Send + 'static, buf: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    })
}

/// A test that fails while Tern runs must not leave it running.
impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Running {
    pub fn start(mut cmd: Command) -> Running {
        let mut child = cmd.spawn().expect("spawn tern");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().unwrap(), stdout.clone()),
            collect(child.stderr.take().unwrap(), stderr.clone()),
        ];
        Running { child, stdout, stderr, readers }
    }

    /// Like `start`, for a command whose stdout is not piped.
    pub fn start_without_stdout(mut cmd: Command) -> Running {
        let mut child = cmd.spawn().expect("spawn tern");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![collect(child.stderr.take().unwrap(), stderr.clone())];
        Running { child, stdout, stderr, readers }
    }

    pub fn stdout_now(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// Wait for exit up to `limit`; kill it after that.
    pub fn finish(mut self, limit: Duration) -> Outcome {
        let start = Instant::now();
        let mut timed_out = false;
        let status: ExitStatus = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            if start.elapsed() > limit {
                timed_out = true;
                let _ = self.child.kill();
                break self.child.wait().expect("wait after kill");
            }
            thread::sleep(Duration::from_millis(5));
        };
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        Outcome {
            code: status.code(),
            stdout: String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned(),
            timed_out,
        }
    }

    /// Whether the process has installed a handler for signal `sig` (Linux: SigCgt in /proc).
    pub fn catches(&self, sig: u32) -> bool {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
            .is_some_and(|mask| mask & (1 << (sig - 1)) != 0)
    }

    /// Send a signal with the `kill` command.
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -{name} failed");
    }
}

/// Run tern with these arguments and a time limit.
pub fn run_args(args: &[&str], limit: Duration) -> Outcome {
    let mut c = tern();
    c.args(args);
    Running::start(c).finish(limit)
}

/// Wait until `cond` holds, polling, for at most `limit`. Returns whether it held.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    cond()
}

// --- A few RV64I encodings, enough for tiny test guests. ---

pub fn lui(rd: u32, imm20: u32) -> u32 {
    (imm20 << 12) | (rd << 7) | 0x37
}
pub fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    (((imm as u32) & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13
}
pub fn sb(rs2: u32, rs1: u32, imm: i32) -> u32 {
    let i = imm as u32;
    (((i >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | ((i & 0x1f) << 7) | 0x23
}
/// `jal x0, 0`: a loop on itself.
pub const JUMP_SELF: u32 = 0x0000_006f;

/// Code that writes `text` to the virt board's 16550 UART (THR at 0x1000_0000), then loops forever.
pub fn print_then_loop(text: &str) -> Vec<u32> {
    let (t0, t1) = (5, 6);
    let mut code = vec![lui(t0, 0x10000)];
    for b in text.bytes() {
        code.push(addi(t1, 0, i32::from(b)));
        code.push(sb(t1, t0, 0));
    }
    code.push(JUMP_SELF);
    code
}

/// A minimal ELF64 RISC-V executable: one PT_LOAD segment holding `code` at `base`, entry `base`.
pub fn elf(base: u64, code: &[u32]) -> Vec<u8> {
    let text: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    let (ehsize, phsize) = (64u16, 56u16);
    let off = u64::from(ehsize + phsize);
    let mut e = Vec::new();
    e.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    e.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    e.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    e.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
    e.extend_from_slice(&base.to_le_bytes()); // e_entry
    e.extend_from_slice(&u64::from(ehsize).to_le_bytes()); // e_phoff
    e.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    e.extend_from_slice(&0x5u32.to_le_bytes()); // e_flags: RVC | double-float ABI
    e.extend_from_slice(&ehsize.to_le_bytes());
    e.extend_from_slice(&phsize.to_le_bytes());
    e.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    e.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
    e.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
    e.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
    e.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    e.extend_from_slice(&5u32.to_le_bytes()); // R X
    e.extend_from_slice(&off.to_le_bytes()); // p_offset
    e.extend_from_slice(&base.to_le_bytes()); // p_vaddr
    e.extend_from_slice(&base.to_le_bytes()); // p_paddr
    e.extend_from_slice(&(text.len() as u64).to_le_bytes()); // p_filesz
    e.extend_from_slice(&(text.len() as u64).to_le_bytes()); // p_memsz
    e.extend_from_slice(&4u64.to_le_bytes()); // p_align
    e.extend_from_slice(&text);
    e
}

/// Write `bytes` to a fresh file under the target's temporary directory.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tern-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}
