//! Embeds the demo image (built by `roms/build.sh`) when it exists, so that
//! `tern` with no arguments can run it; without it the binary still builds
//! and says how to get it.

use std::path::Path;

fn main() {
    const DEMO: &str = "roms/build/demo/hello.elf";
    println!("cargo::rerun-if-changed={DEMO}");
    println!("cargo::rustc-check-cfg=cfg(tern_demo)");
    if Path::new(DEMO).is_file() {
        println!("cargo::rustc-cfg=tern_demo");
    }
}
