//! End to end: the Linux kernel and initramfs that branch linux-bench's
//! benches/linux/build.sh builds boot to userspace under Tern with QEMU's
//! command line. Skipped, with a note, where they have not been built (CI).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;

/// Where build.sh puts its output (its `TERN_LINUX_DIR`, else ~/.cache/tern-linux).
fn linux_dir() -> Option<PathBuf> {
    let home = || std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/tern-linux"));
    std::env::var_os("TERN_LINUX_DIR").map(PathBuf::from).or_else(home)
}

#[test]
fn linux_boots_to_the_initramfs() {
    let files = linux_dir().map(|d| (d.join("build/arch/riscv/boot/Image"), d.join("initramfs.cpio")));
    let Some((image, initrd)) = files.filter(|(i, r)| i.is_file() && r.is_file()) else {
        eprintln!(
            "note: skipped: no kernel Image and initramfs.cpio (build them with linux-bench's benches/linux/build.sh)"
        );
        return;
    };
    let (image, initrd) = (image.to_str().unwrap(), initrd.to_str().unwrap());
    let args = ["-machine", "virt", "-nographic", "-bios", "default", "-kernel", image, "-initrd", initrd];
    let cmdline = "console=ttyS0 earlycon";
    let o = run_args(&[&args[..], &["-append", cmdline, "-m", "256M"]].concat(), Duration::from_secs(120));
    assert_eq!(o.code, Some(0), "stderr: {}\nstdout: {}", o.stderr, o.stdout);
    // The kernel read bootargs and the initrd's range from /chosen.
    assert!(o.stdout.contains(&format!("Kernel command line: {cmdline}")), "{}", o.stdout);
    assert!(o.stdout.contains("Unpacking initramfs..."), "{}", o.stdout);
    assert!(o.stdout.contains("Run /init as init process"), "{}", o.stdout);
    assert!(o.stdout.contains("tern-linux: userspace reached"), "{}", o.stdout);
    assert!(o.stdout.contains("reboot: Power down"), "{}", o.stdout);
}
