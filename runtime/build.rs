//! Embeds the Datastar client bundle for the web UI (src/ui) when `.ci/setup` has put it at
//! `assets/datastar.js` (see assets/README.md). The bundle is third-party code and never committed, so a
//! fresh clone builds without it: the UI then says how to get it instead of loading it.

use std::path::Path;

use sha2::{Digest, Sha256};

/// Datastar v1.0.2 as crates.io's `rama-http` 0.4.0 ships it.
const DATASTAR_SHA256: &str = "2837d87acf6ee0ba8e4e63765926c25a98d63883b02f88be194a86b81d3fd24a";

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let assets = Path::new(&manifest).join("assets");
    let css = Path::new(&manifest).join("src/ui/style.css");
    println!("cargo::rerun-if-changed={}", assets.display());
    println!("cargo::rerun-if-changed={}", css.display());
    println!("cargo::rustc-check-cfg=cfg(pbgen_datastar)");

    // The stylesheet's URL carries its hash, so browsers may cache it for good.
    if let Ok(bytes) = std::fs::read(&css) {
        println!("cargo::rustc-env=PBGEN_UI_CSS_HASH={}", &hex(&Sha256::digest(&bytes))[..12]);
    }
    let Ok(bundle) = std::fs::read(assets.join("datastar.js")) else { return };
    let sum = hex(&Sha256::digest(&bundle));
    if sum != DATASTAR_SHA256 {
        println!("cargo::warning=assets/datastar.js has sha256 {sum}, expected {DATASTAR_SHA256}: not embedded");
        return;
    }
    std::fs::write(Path::new(&out).join("datastar.js"), &bundle).expect("write OUT_DIR/datastar.js");
    println!("cargo::rustc-cfg=pbgen_datastar");
    println!("cargo::rustc-env=PBGEN_DATASTAR_HASH={}", &sum[..12]);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
