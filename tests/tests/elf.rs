//! What the program's SBF build carries besides its code, read from the ELF file
//! (target/deploy/smart_treasury.so from scripts/build-sbf). `scripts/test-sbf` runs it.

use smart_treasury_tests::sbf_program_dir;
use solana_security_txt::find_and_parse;
use std::path::Path;

fn elf() -> Vec<u8> {
    let dir = sbf_program_dir().unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/deploy"));
    let path = dir.join("smart_treasury.so");
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}; build it with scripts/build-sbf", path.display()))
}

/// Explorers and auditing tools read who to tell about a vulnerability from the
/// deployed program (the `solana-security-txt` convention).
#[test]
fn the_program_carries_its_security_contacts() {
    let elf = elf();
    assert!(elf.starts_with(b"\x7fELF"));
    let txt = find_and_parse(&elf).unwrap_or_else(|error| panic!("no security.txt in the ELF: {error}"));
    assert_eq!(txt.name, "Smart Treasury");
    assert_eq!(txt.project_url, "https://github.com/smart-treasury/smart-treasury");
    let contacts: Vec<String> = txt.contacts.iter().map(ToString::to_string).collect();
    assert_eq!(
        contacts,
        [
            "Email: security@smart-treasury.example",
            "Link: https://github.com/smart-treasury/smart-treasury/security/advisories/new"
        ]
    );
    assert_eq!(txt.policy, "https://github.com/smart-treasury/smart-treasury/blob/main/SECURITY.md");
    assert_eq!(txt.preferred_languages, vec!["en".to_string()]);
    assert_eq!(txt.source_code.as_deref(), Some("https://github.com/smart-treasury/smart-treasury"));
    // The policy it links to is the repository's own.
    let policy =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../SECURITY.md")).expect("SECURITY.md");
    assert!(policy.contains("security@smart-treasury.example"));
}
