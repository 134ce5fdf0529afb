//! The committed header is what cbindgen generates from the sources now.
//!
//! `QUBIT_HEADER_OUT=path cargo test -p qubit-experiences-ffi --test header`
//! writes the generated header to `path` instead of comparing (the check
//! script diffs it; `scripts/update-c-header.sh` copies it into place).

use std::path::Path;

#[test]
fn committed_header_is_fresh() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is readable");

    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_crate(crate_dir)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);

    if let Some(out) = std::env::var_os("QUBIT_HEADER_OUT") {
        std::fs::write(out, &generated).expect("the header is written");
        return;
    }
    let committed =
        std::fs::read(crate_dir.join("../include/qubit_experiences.h")).unwrap_or_default();
    assert!(
        committed == generated,
        "include/qubit_experiences.h is stale: run scripts/update-c-header.sh"
    );
}
