//! QMP latency and interference while the guest runs a CPU-bound loop:
//! `cargo bench --bench qmp`. Prints the round-trip p50/p99 of `query-status`
//! and `x-query-registers`, and how much 1,000 `x-query-registers` per
//! second slow the guest (issue 3's targets: p99 < 1 ms and < 5 ms; < 5%).
//! The guest runs under the JIT, `tern`'s default.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use machine::{BoardKind, Config, Firmware, Machine, Serial};

/// A loop that does some work (an LCG stored into a 1 KiB table), as guest
/// code does, with t0 counting iterations. A bare `addi t0, t0, 1; j .-4`
/// under the JIT runs from the host's op cache at several instructions a
/// cycle, and any exit from generated code can knock it into a slower steady
/// state: a front-end quirk, not monitor interference.
const LOOP: [u32; 10] = [
    0x0000_1417, //     auipc s0, 1           table
    0x5851_f637, //     lui a2, 0x5851f
    0x42d6_0613, //     addi a2, a2, 0x42d    multiplier
    0x0012_8293, // 1:  addi t0, t0, 1
    0x02c5_85b3, //     mul a1, a1, a2
    0x0015_8593, //     addi a1, a1, 1
    0x3f85_f693, //     andi a3, a1, 0x3f8
    0x0086_86b3, //     add a3, a3, s0
    0x00b6_b023, //     sd a1, 0(a3)
    0xfe9f_f06f, //     j 1b
];

struct Conn {
    w: UnixStream,
    r: BufReader<UnixStream>,
}

impl Conn {
    fn ask(&mut self, cmd: &str) -> String {
        self.w.write_all(cmd.as_bytes()).unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            self.r.read_line(&mut line).unwrap();
            if !line.contains("\"event\"") {
                return line;
            }
        }
    }

    fn t0(&mut self) -> u64 {
        let l = self.ask("{\"execute\":\"x-query-registers\"}");
        let field = l.split("x5/t0").nth(1).unwrap().split_whitespace().next().unwrap();
        u64::from_str_radix(field, 16).unwrap()
    }
}

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() * 99 / 100])
}

/// Loop iterations per second over `window`, while `load` runs between samples.
fn rate(c: &mut Conn, window: Duration, mut load: impl FnMut(&mut Conn)) -> f64 {
    let (t_start, a) = (Instant::now(), c.t0());
    while t_start.elapsed() < window {
        load(c);
    }
    let b = c.t0();
    (b - a) as f64 / t_start.elapsed().as_secs_f64()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("tern-qmp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("qmp.sock");
    let code: Vec<u8> = LOOP.iter().flat_map(|w| w.to_le_bytes()).collect();
    let cfg = Config {
        board: BoardKind::Virt,
        ram_size: 16 << 20,
        bios: Firmware::None,
        kernel: None,
        kernel_bytes: Some(code),
        serial: Serial::None,
        max_insns: None,
    };
    let mut m = Machine::new(cfg).unwrap();
    // The guest runs under the JIT, as `tern` runs it by default.
    m.cpu().set_engine(Some(Box::new(jit::Jit::new().unwrap())));
    let events = m.subscribe();
    let handle = m.handle();
    let spec = qmp::MonitorSpec {
        id: "compat_monitor0".into(),
        chardev: qmp::Chardev::Unix { path: sock.clone(), wait: false },
        pretty: false,
        readline: false,
    };
    let mon = qmp::start(vec![spec], handle.clone(), events, qmp::Info::default()).unwrap();
    let runner = std::thread::spawn(move || m.run());

    let w = UnixStream::connect(&sock).unwrap();
    let mut c = Conn { r: BufReader::new(w.try_clone().unwrap()), w };
    let mut greeting = String::new();
    c.r.read_line(&mut greeting).unwrap();
    c.ask("{\"execute\":\"qmp_capabilities\"}");

    for (name, cmd) in [
        ("query-status", "{\"execute\":\"query-status\"}"),
        ("x-query-registers", "{\"execute\":\"x-query-registers\"}"),
    ] {
        let mut v = Vec::new();
        for _ in 0..2000 {
            let t = Instant::now();
            c.ask(cmd);
            v.push(t.elapsed());
        }
        let (p50, p99) = percentiles(v);
        println!("{name:<18} round trip while the guest runs: p50 {p50:?}, p99 {p99:?}");
    }
    // The guest's speed with an idle monitor and with 1,000 x-query-registers
    // per second (paced), in alternating 1 s windows so that drifts in the
    // host's speed hit both alike; the median of the pairs' ratios.
    let window = Duration::from_secs(1);
    let mut ratios = Vec::new();
    let (mut idle_sum, mut loaded_sum) = (0.0, 0.0);
    for _ in 0..7 {
        let idle = rate(&mut c, window, |_| std::thread::sleep(Duration::from_millis(10)));
        let mut next = Instant::now();
        let loaded = rate(&mut c, window, |c| {
            next += Duration::from_millis(1);
            if let Some(d) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(d);
            }
            c.t0();
        });
        ratios.push(loaded / idle);
        idle_sum += idle;
        loaded_sum += loaded;
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "guest loop rate: idle monitor {:.1} M/s, with 1000 x-query-registers/s {:.1} M/s \
         (median of 7 paired windows: {:+.1}%, range {:+.1}% to {:+.1}%)",
        idle_sum / 7e6,
        loaded_sum / 7e6,
        (ratios[3] - 1.0) * 100.0,
        (ratios[0] - 1.0) * 100.0,
        (ratios[6] - 1.0) * 100.0
    );
    c.ask("{\"execute\":\"quit\"}");
    runner.join().unwrap();
    mon.finish();
    let _ = std::fs::remove_dir_all(&dir);
}
