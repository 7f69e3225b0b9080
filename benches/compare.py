#!/usr/bin/env python3
"""Tern against qemu-system-riscv64 on the benchmark images: wall time, medians.

Run through benches/compare.sh (which builds Tern in release first), or directly:
    python3 benches/compare.py [-n RUNS] [--only NAME,...] [--tern PATH] [--qemu PATH] [--native]

The `linux` workload (boot Linux to userspace and power off, under OpenSBI) joins
in when benches/linux/build.sh has built its kernel and initramfs in
$TERN_LINUX_DIR (default ~/.cache/tern-linux); `--only linux` asks for it alone.

Each workload runs on QEMU, Tern -accel jit and Tern -accel interp in turn, RUNS
times, the order rotating every round so slow drifts in machine load hit all
three alike. Every run must exit 0 with the same output as QEMU's (the checksum
line, or the Linux init's line); a mismatch is an error. Prints a markdown table of
medians, the speed ratios, geometric means over the integer workloads, the memory/FP
ones and all CPU-bound ones together, the targets, and the machine. Python 3 standard
library only.

`--native` also builds the workloads' C (roms/bench/NAME.c, portable) for the host with
`cc -O2` and runs it alongside, with the same output check: how far the emulators are
from native speed, the bound on what any of them can reach.
"""
import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name, board, image (relative to the repository), kind, what it is.
# Kinds: "int" and "memfp" are the CPU-bound workloads (integer code; memory-bound or
# floating point), each with its own geometric mean, and both together make the
# overall CPU-bound one; "translation", "startup" and "os" have targets of their own.
WORKLOADS = [
    ("startup", "spike", "roms/build/isa/rv64ui-add.elf", "startup", "start-up + exit: rv64ui-add on spike"),
    ("mix", "virt", "roms/build/bench/mix.elf", "int", "integer/branchy: lists, matrix, CRC, state machine"),
    ("qsort", "virt", "roms/build/bench/qsort.elf", "int", "recursive quicksort of int32 arrays"),
    ("alu", "virt", "roms/build/bench/alu.elf", "int", "one hot block: serial mul/add/shift/xor chain"),
    ("intmix", "virt", "roms/build/bench/intmix.elf", "int", "short blocks: lists, matrix, scanner, CRC, switch VM"),
    ("calls", "virt", "roms/build/bench/calls.elf", "int", "calls: recursion, indirect calls, deep returns"),
    ("mem", "virt", "roms/build/bench/mem.elf", "memfp", "memory-bound: pointer chase, STREAM"),
    ("fp", "virt", "roms/build/bench/fp.elf", "memfp", "FP: n-body, fmaf matmul, LU, conversions"),
    ("trans", "virt", "roms/build/bench/trans.elf", "translation", "translation: 1.1M distinct insns run once"),
]
# Built outside the repository by benches/linux/build.sh, so opt-in: run when built.
LINUX_DIR = os.environ.get("TERN_LINUX_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "tern-linux")
LINUX_INITRD = os.path.join(LINUX_DIR, "initramfs.cpio")
LINUX_APPEND = "console=ttyS0 earlycon"
OPTIONAL_WORKLOADS = [
    ("linux", "virt", os.path.join(LINUX_DIR, "build/arch/riscv/boot/Image"), "os",
     "Linux 6.1 tinyconfig boot to userspace + power-off, OpenSBI"),
]
CPU_KINDS = ("int", "memfp")
# Issue 12: integer code at least 3x QEMU's speed; the same bar for the overall CPU-bound mean.
INT_TARGET = 3.0
CPU_TARGET = 3.0
# Issue 12 point 5: Linux boot at least 2.5x QEMU's speed.
OS_TARGET = 2.5
ENGINES = ["qemu", "jit", "interp"]
# Workloads whose C gives the same output built for the host (`--native`); `fp` does not
# (the host's libm and contractions round differently).
NATIVE = ("mix", "qsort", "alu", "intmix", "calls", "mem")
TIMEOUT = 300


def die(msg):
    print(f"compare: {msg}", file=sys.stderr)
    sys.exit(1)


def command(engine, board, image, kind, tern, qemu, native=None):
    if engine == "native":
        return [native]
    if kind == "os":  # a real boot: OpenSBI, then the kernel with its initramfs
        common = ["-machine", board, "-bios", "default", "-nographic", "-m", "256M", "-kernel", image,
                  "-initrd", LINUX_INITRD, "-append", LINUX_APPEND]
    else:
        common = ["-machine", board, "-bios", "none", "-nographic", "-kernel", image]
    if engine == "qemu":
        return [qemu] + common
    return [tern, "-accel", engine] + common


def run_once(cmd):
    """Wall time of one run (seconds), exit code, stdout."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        die(f"timed out after {TIMEOUT} s: {' '.join(cmd)}")
    return time.perf_counter() - t0, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def output_key(stdout):
    """What must agree between engines: the checksum line or the Linux init's line if there
    is one (the kernel's log carries timings), else all of stdout."""
    m = re.search(r"^.*checksum: 0x[0-9a-f]+.*$|^tern-linux: .*$", stdout, re.M)
    return m.group(0).strip() if m else stdout.strip()


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def capture(cmd, cwd=ROOT):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def tern_commit():
    rev = capture(["git", "rev-parse", "--short=10", "HEAD"]) or "unknown"
    dirty = capture(["git", "status", "--porcelain", "--untracked-files=no"])
    return rev + ("-dirty" if dirty else "")


def fmt_s(x):
    return f"{x:.3f}" if x >= 0.1 else f"{x:.4f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--runs", type=int, default=5, help="runs per engine and workload (default 5)")
    ap.add_argument("--only", default="", help="comma-separated workload names (default: all)")
    target_dir = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    ap.add_argument("--tern", default=os.path.join(target_dir, "release/tern"),
                    help="Tern binary (default: $CARGO_TARGET_DIR/release/tern, else target/release/tern)")
    ap.add_argument("--qemu", default="qemu-system-riscv64")
    ap.add_argument("--native", action="store_true",
                    help=f"also run the C of {', '.join(NATIVE)} built for the host (cc -O2)")
    args = ap.parse_args()
    if args.runs < 1:
        die("--runs must be at least 1")
    qemu = shutil.which(args.qemu)
    if not qemu:
        die(f"{args.qemu} not found: the comparison needs QEMU (apt-get install qemu-system-misc)")
    if not os.access(args.tern, os.X_OK):
        die(f"{args.tern} not found (cargo build --release)")
    only = [w for w in args.only.split(",") if w]
    known = WORKLOADS + OPTIONAL_WORKLOADS
    unknown = set(only) - {w[0] for w in known}
    if unknown:
        die(f"unknown workload(s) {', '.join(sorted(unknown))}; known: {', '.join(w[0] for w in known)}")
    # Optional workloads run by default only once built; named in --only, they must be.
    built = [w for w in OPTIONAL_WORKLOADS if os.path.isfile(w[2]) and os.path.isfile(LINUX_INITRD)]
    loads = [w for w in known if w[0] in only] if only else WORKLOADS + built
    for name, _, image, kind, _ in loads:
        if kind == "os":
            for f in (image, LINUX_INITRD):
                if not os.path.isfile(f):
                    die(f"{name}: {f} is missing (benches/linux/build.sh builds it)")
        elif not os.path.isfile(os.path.join(ROOT, image)):
            die(f"{image} is missing (roms/build.sh builds it)")

    natives = {}
    if args.native:
        cc = shutil.which("cc")
        if not cc:
            die("--native needs a host C compiler (cc)")
        out_dir = os.path.join(target_dir, "bench-native")
        os.makedirs(out_dir, exist_ok=True)
        for name, _, _, _, _ in loads:
            if name in NATIVE:
                exe = os.path.join(out_dir, name)
                src = os.path.join(ROOT, "roms", "bench", name + ".c")
                p = subprocess.run([cc, "-O2", "-o", exe, src, "-lm"], capture_output=True, text=True)
                if p.returncode != 0:
                    die(f"{name}: cc -O2 {src} failed\n{p.stderr[-500:]}")
                natives[name] = exe

    load_before = os.getloadavg()[0]
    results = []  # (name, kind, what, {engine: [times]})
    for name, board, image, kind, what in loads:
        img = os.path.join(ROOT, image)
        engines = ENGINES + (["native"] if name in natives else [])
        times = {e: [] for e in engines}
        reference = None
        for r in range(args.runs):
            order = engines[r % len(engines) :] + engines[: r % len(engines)]
            for engine in order:
                cmd = command(engine, board, img, kind, args.tern, qemu, natives.get(name))
                t, code, out, err = run_once(cmd)
                if code != 0:
                    die(f"{name}: '{' '.join(cmd)}' exited {code}\n{out[-500:]}{err[-500:]}")
                key = output_key(out)
                if reference is None:  # round 0 starts with QEMU: the reference output
                    reference = key
                if key != reference:
                    die(f"{name}: {engine} printed {key!r}, QEMU printed {reference!r}")
                times[engine].append(t)
        print(f"{name}: " + ", ".join(f"{e} {fmt_s(statistics.median(times[e]))}" for e in engines), file=sys.stderr)
        results.append((name, kind, what, times))
    load_after = os.getloadavg()[0]

    head = "| workload | QEMU median (s) | Tern jit median (s) | Tern interp median (s) | QEMU/Tern-jit | QEMU/Tern-interp |"
    rule = "| --- | ---: | ---: | ---: | ---: | ---: |"
    if natives:
        head += " native median (s) | Tern-jit / native speed | QEMU / native speed |"
        rule += " ---: | ---: | ---: |"
    print(head)
    print(rule)
    ratios = {}
    of_native = {}  # name: (Tern jit's speed, QEMU's) as fractions of native speed
    for name, kind, what, times in results:
        med = {e: statistics.median(times[e]) for e in times}
        ratios[name] = (med["qemu"] / med["jit"], med["qemu"] / med["interp"], kind)
        row = (
            f"| {name} ({what}) | {fmt_s(med['qemu'])} | {fmt_s(med['jit'])} | {fmt_s(med['interp'])} "
            f"| {ratios[name][0]:.2f}x | {ratios[name][1]:.2f}x |"
        )
        if natives:
            if "native" in med:
                of_native[name] = (med["native"] / med["jit"], med["native"] / med["qemu"])
                row += f" {fmt_s(med['native'])} | {of_native[name][0]:.2f} | {of_native[name][1]:.2f} |"
            else:
                row += " | | |"
        print(row)
    print()
    def geomean_line(label, kinds, target, target_name="target"):
        names = [n for n, v in ratios.items() if v[2] in kinds]
        if not names:
            return
        gm_jit = math.exp(sum(math.log(ratios[n][0]) for n in names) / len(names))
        gm_interp = math.exp(sum(math.log(ratios[n][1]) for n in names) / len(names))
        goal = f" ({target_name}: jit >= {target:g}x: {'met' if gm_jit >= target else 'NOT met'})" if target else ""
        print(f"- {label} geometric mean ({', '.join(names)}): Tern jit {gm_jit:.2f}x QEMU's speed, "
              f"Tern interp {gm_interp:.2f}x{goal}")

    geomean_line("Integer", ("int",), INT_TARGET, "issue 12 target for integer code")
    ints = [n for n in of_native if ratios[n][2] == "int"]
    if ints:
        gm = [math.exp(sum(math.log(of_native[n][k]) for n in ints) / len(ints)) for k in (0, 1)]
        print(f"- Integer code against native ({', '.join(ints)}, geometric mean): Tern jit at {gm[0]:.2f} of "
              f"native speed, QEMU at {gm[1]:.2f} (so {1 / gm[1]:.2f}x QEMU is native speed)")
    geomean_line("Memory/FP", ("memfp",), None)
    geomean_line("CPU-bound (all)", CPU_KINDS, CPU_TARGET)
    for name, v in ratios.items():
        if v[2] == "translation":
            print(f"- Translation-heavy ({name}): Tern jit {v[0]:.2f}x QEMU's speed "
                  f"(target >= 2x: {'met' if v[0] >= 2 else 'NOT met'})")
        if v[2] == "startup":
            print(f"- Start-up ({name}): Tern jit {v[0]:.2f}x QEMU's speed "
                  f"(target: faster than QEMU: {'met' if v[0] > 1 else 'NOT met'})")
        if v[2] == "os":
            print(f"- Operating system ({name}): Tern jit {v[0]:.2f}x QEMU's speed "
                  f"(target >= {OS_TARGET:g}x: {'met' if v[0] >= OS_TARGET else 'NOT met'})")
    print(f"- Speed ratio = QEMU median wall time / Tern median wall time (higher is better for Tern); "
          f"{args.runs} alternating runs each.")
    print()
    qver = capture([qemu, "--version"]).splitlines()
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; load average {load_before:.2f} before, "
          f"{load_after:.2f} after; {qver[0] if qver else 'QEMU (unknown version)'}; "
          f"tern {tern_commit()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


if __name__ == "__main__":
    main()
