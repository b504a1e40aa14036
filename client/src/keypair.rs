//! Local signing keys: Solana CLI JSON keypair files (an array of 64 bytes).

use solana_keypair::{read_keypair, write_keypair_file, Keypair};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KeypairError {
    #[error(
        "keypair file {} not found: pass --keypair FILE or set SMART_TREASURY_KEYPAIR \
         (`solana-keygen new -o FILE` makes one)",
        .0.display()
    )]
    NotFound(PathBuf),
    #[error("cannot read keypair file {}: {source}", .path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error(
        "{} is not a Solana keypair file (a JSON array of 64 bytes, as `solana-keygen new` writes): {reason}",
        .path.display()
    )]
    Malformed { path: PathBuf, reason: String },
    #[error("cannot write keypair file {}: {reason}", .path.display())]
    Write { path: PathBuf, reason: String },
}

/// Expands a leading `~/` to the home directory, as the Solana CLI does.
pub fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

pub fn load_keypair(path: &Path) -> Result<Keypair, KeypairError> {
    let path = expand_home(path);
    let text = std::fs::read_to_string(&path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => KeypairError::NotFound(path.clone()),
        _ => KeypairError::Unreadable { path: path.clone(), source },
    })?;
    read_keypair(&mut text.as_bytes()).map_err(|error| KeypairError::Malformed { path, reason: error.to_string() })
}

pub fn save_keypair(keypair: &Keypair, path: &Path) -> Result<(), KeypairError> {
    write_keypair_file(keypair, path)
        .map(|_| ())
        .map_err(|error| KeypairError::Write { path: path.to_path_buf(), reason: error.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_signer::Signer;

    #[test]
    fn round_trips_and_names_the_problem() {
        let dir = std::env::temp_dir().join(format!("st-keypair-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("id.json");
        let keypair = Keypair::new();
        save_keypair(&keypair, &path).unwrap();
        assert_eq!(load_keypair(&path).unwrap().pubkey(), keypair.pubkey());

        let missing = load_keypair(&dir.join("missing.json")).unwrap_err();
        assert!(matches!(missing, KeypairError::NotFound(_)), "{missing}");
        assert!(missing.to_string().contains("--keypair"));

        std::fs::write(dir.join("bad.json"), "[1, 2, 3]").unwrap();
        let malformed = load_keypair(&dir.join("bad.json")).unwrap_err();
        assert!(matches!(malformed, KeypairError::Malformed { .. }), "{malformed}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
