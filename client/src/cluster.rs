//! Which cluster an RPC endpoint serves, by its genesis hash.

/// The public clusters' genesis hashes, with their names.
const PUBLIC_CLUSTERS: [(&str, &str); 3] = [
    ("5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d", "mainnet-beta"),
    ("EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG", "devnet"),
    ("4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY", "testnet"),
];

/// The public cluster with this genesis hash (`mainnet-beta`, `devnet`, `testnet`), or
/// `None` for any other (a local cluster, a private network).
pub fn public_cluster(genesis_hash: &str) -> Option<&'static str> {
    PUBLIC_CLUSTERS.iter().find(|(hash, _)| *hash == genesis_hash).map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_clusters_are_named_and_others_are_not() {
        assert_eq!(public_cluster("5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"), Some("mainnet-beta"));
        assert_eq!(public_cluster("EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG"), Some("devnet"));
        assert_eq!(public_cluster("4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY"), Some("testnet"));
        assert_eq!(public_cluster(&solana_hash::Hash::new_unique().to_string()), None);
    }
}
