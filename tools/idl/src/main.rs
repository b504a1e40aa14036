//! `smart-treasury-idl write` regenerates `idl/smart_treasury.json` from the program;
//! `smart-treasury-idl check` fails when the committed IDL no longer matches it.

use anchor_lang_idl::build::IdlBuilder;
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

fn generate(root: &Path) -> Result<String, String> {
    // The builder would otherwise run `cargo +<toolchain>` and try to install it.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    // It builds with its own RUSTFLAGS; a separate target dir keeps the main one warm.
    let target_dir = root.join("target/idl-build");
    let idl = IdlBuilder::new()
        .program_path(root.join("programs/smart-treasury"))
        .cargo_args(vec!["--target-dir".into(), target_dir.display().to_string()])
        .build()
        .map_err(|error| format!("IDL build failed: {error:#}"))?;
    let mut json = serde_json::to_string_pretty(&idl).map_err(|error| error.to_string())?;
    json.push('\n');
    Ok(json)
}

fn main() -> ExitCode {
    let root = workspace_root();
    let committed_path = root.join("idl/smart_treasury.json");
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode != "write" && mode != "check" {
        eprintln!("usage: smart-treasury-idl <write|check>");
        return ExitCode::from(2);
    }
    eprintln!("building the IDL from programs/smart-treasury (first run compiles the program with idl-build)...");
    let generated = match generate(&root) {
        Ok(json) => json,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    if mode == "write" {
        std::fs::write(&committed_path, generated).expect("write idl/smart_treasury.json");
        eprintln!("wrote {}", committed_path.display());
        return ExitCode::SUCCESS;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if committed == generated {
        eprintln!("idl/smart_treasury.json is up to date");
        ExitCode::SUCCESS
    } else {
        let stale = root.join("target/smart_treasury.generated.json");
        std::fs::write(&stale, &generated).expect("write generated idl");
        eprintln!(
            "idl/smart_treasury.json is stale: the program changed. Compare with {} and run `cargo run -p smart-treasury-idl -- write` to refresh it.",
            stale.display()
        );
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Part of `cargo test --workspace`: a program change without `write` fails here.
    #[test]
    fn committed_idl_matches_the_program() {
        let root = workspace_root();
        let generated = generate(&root).expect("IDL builds");
        let committed =
            std::fs::read_to_string(root.join("idl/smart_treasury.json")).expect("idl/smart_treasury.json exists");
        assert!(
            committed == generated,
            "idl/smart_treasury.json is stale: run `cargo run -p smart-treasury-idl -- write` and commit it"
        );
        assert!(generated.contains("\"top_up\""), "the IDL lists the instructions");
    }
}
