//! Compiles the vendored SoftFloat sources in `c/` (see c/README.md).

use std::path::Path;

fn c_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    v.sort();
    v
}

fn main() {
    let c = Path::new("c");
    let mut b = cc::Build::new();
    b.include(c)
        .include(c.join("include"))
        .include(c.join("RISCV"))
        // The options of SoftFloat's build/Linux-x86_64-GCC/Makefile.
        .define("SOFTFLOAT_FAST_INT64", None)
        .define("SOFTFLOAT_ROUND_ODD", None)
        .define("INLINE_LEVEL", Some("5"))
        .define("SOFTFLOAT_FAST_DIV32TO16", None)
        .define("SOFTFLOAT_FAST_DIV64TO32", None)
        .opt_level(2)
        .warnings(false)
        .files(c_files(&c.join("source")))
        .files(c_files(&c.join("RISCV")))
        .file(c.join("tern_glue.c"));
    b.compile("softfloat");
    println!("cargo:rerun-if-changed=c");
}
