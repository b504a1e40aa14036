//! Local signing keys: Solana CLI JSON keypair files (an array of 64 bytes).

use solana_keypair::{read_keypair, write_keypair_file, Keypair};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KeypairError {
    #[error("keypair file {} not found: pass {option} (`solana-keygen new -o FILE` makes one)", .path.display())]
    NotFound { path: PathBuf, option: &'static str },
    #[error(
        "keypair file {} can be read by other users (mode {mode:04o}): a signing key must be readable by its \
         owner only; run `chmod 600 {}`",
        .path.display(),
        .path.display()
    )]
    Exposed { path: PathBuf, mode: u32 },
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

/// Loads a keypair file; `option` says how to give another (`--keypair FILE`).
pub fn load_keypair(path: &Path, option: &'static str) -> Result<Keypair, KeypairError> {
    let path = expand_home(path);
    let text = std::fs::read_to_string(&path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => KeypairError::NotFound { path: path.clone(), option },
        _ => KeypairError::Unreadable { path: path.clone(), source },
    })?;
    read_keypair(&mut text.as_bytes()).map_err(|error| KeypairError::Malformed { path, reason: error.to_string() })
}

/// Loads the keypair of a long-running service, refusing a file that users other than
/// its owner can read (a key that signs unattended should not be shared by accident).
pub fn load_private_keypair(path: &Path, option: &'static str) -> Result<Keypair, KeypairError> {
    let keypair = load_keypair(path, option)?;
    let path = expand_home(path);
    if let Some(mode) = shared_mode(&path) {
        return Err(KeypairError::Exposed { path, mode });
    }
    Ok(keypair)
}

/// The file's permission bits when its group or others may read or write it.
#[cfg(unix)]
fn shared_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn shared_mode(_path: &Path) -> Option<u32> {
    None
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
        assert_eq!(load_keypair(&path, "--keypair FILE").unwrap().pubkey(), keypair.pubkey());

        let missing = load_keypair(&dir.join("missing.json"), "--keypair FILE").unwrap_err();
        assert!(matches!(missing, KeypairError::NotFound { .. }), "{missing}");
        assert!(missing.to_string().contains("pass --keypair FILE"));

        std::fs::write(dir.join("bad.json"), "[1, 2, 3]").unwrap();
        let malformed = load_keypair(&dir.join("bad.json"), "--keypair FILE").unwrap_err();
        assert!(matches!(malformed, KeypairError::Malformed { .. }), "{malformed}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_private_key_readable_by_others_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("st-private-keypair-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keeper.json");
        let keypair = Keypair::new();
        save_keypair(&keypair, &path).unwrap();
        assert_eq!(load_private_keypair(&path, "--keeper-keypair FILE").unwrap().pubkey(), keypair.pubkey());
        for mode in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let error = load_private_keypair(&path, "--keeper-keypair FILE").unwrap_err();
            assert!(matches!(error, KeypairError::Exposed { mode: found, .. } if found == mode), "{error}");
            let text = error.to_string();
            assert!(text.contains(&format!("chmod 600 {}", path.display())), "{text}");
            assert!(text.contains(&format!("{mode:04o}")), "{text}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(load_private_keypair(&path, "--keeper-keypair FILE").is_ok(), "owner-only read is fine");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
