//! RPC URLs without their secrets. Providers put API keys in the query string
//! (`?api-key=…`), in credentials (`user:password@`) or as a path segment (`/v2/<key>`,
//! `/<token>/`); none of it belongs in a log line or an error message. Everything that
//! shows a URL to people goes through here: [`url`] for one URL, [`urls_in`] for text
//! that may hold some (an HTTP client's error names the URL it failed on).

use std::{borrow::Cow, fmt};

/// What stands in for a removed secret.
pub const MASK: &str = "***";

/// A path segment this long with a digit in it is taken for a key (Alchemy's
/// `/v2/<key>`, QuickNode's `/<token>/`, Ankr's `/solana/<key>`); words like `solana`
/// or `v2` stay.
const SECRET_SEGMENT_LEN: usize = 16;

/// `url` with its credentials, query string, fragment and key-like path segments masked:
/// `https://user:pw@rpc.example.com/v2/abc…123?api-key=k` becomes
/// `https://***@rpc.example.com/v2/***?***`. Text without a scheme is returned as it is.
pub fn url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = match authority.rsplit_once('@') {
        Some((_, host)) => format!("{MASK}@{host}"),
        None => authority.to_string(),
    };
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let (path, after_path) = tail.split_at(path_end);
    let path: Vec<&str> = path.split('/').map(|segment| if is_secret(segment) { MASK } else { segment }).collect();
    let mut redacted = format!("{scheme}://{host}{}", path.join("/"));
    if after_path.starts_with('?') {
        redacted.push('?');
        redacted.push_str(MASK);
    }
    if after_path.contains('#') {
        redacted.push('#');
        redacted.push_str(MASK);
    }
    redacted
}

fn is_secret(segment: &str) -> bool {
    segment.len() >= SECRET_SEGMENT_LEN && segment.bytes().any(|byte| byte.is_ascii_digit())
}

/// Displays a URL redacted, for log fields: `tracing::info!(rpc = %Redacted(&url))`.
pub struct Redacted<'a>(pub &'a str);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&url(self.0))
    }
}

/// Characters that end a URL inside free text (quotes, brackets, whitespace).
fn ends_url(character: char) -> bool {
    character.is_whitespace() || matches!(character, '"' | '\'' | '`' | '<' | '>' | '(' | ')' | '[' | ']' | '{' | '}')
}

fn is_scheme_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || matches!(character, '+' | '-' | '.')
}

/// `text` with every URL in it redacted as [`url`] redacts one; borrowed when there is
/// none, so a log line without a URL costs a scan and no copy.
pub fn urls_in(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(separator) = rest.find("://") {
        let scheme_start = rest[..separator].rfind(|c: char| !is_scheme_char(c)).map_or(0, |i| i + 1);
        let after = &rest[separator + 3..];
        let mut end = separator + 3 + after.find(ends_url).unwrap_or(after.len());
        // Punctuation closing a sentence or a clause is not part of the URL.
        while end > separator + 3 && rest[..end].ends_with(['.', ',', ':', ';', '!', '?']) {
            end -= 1;
        }
        out.push_str(&rest[..scheme_start]);
        if scheme_start == separator {
            // "://" with no scheme before it is not a URL.
            out.push_str(&rest[scheme_start..end]);
        } else {
            out.push_str(&url(&rest[scheme_start..end]));
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_keys_are_masked_wherever_they_sit() {
        let cases = [
            ("https://mainnet.helius-rpc.com/?api-key=0a1b2c3d-4e5f", "https://mainnet.helius-rpc.com/?***"),
            ("https://user:hunter2@rpc.example.com:8899", "https://***@rpc.example.com:8899"),
            (
                "https://solana-mainnet.g.alchemy.com/v2/Zx9kQ2mLw8Rt4Yp1Vb7Nc3Hd",
                "https://solana-mainnet.g.alchemy.com/v2/***",
            ),
            (
                "https://example.solana-mainnet.quiknode.pro/4f2a9c1e8b7d6f5a4c3b2a1908f7e6d5c4b3a291/",
                "https://example.solana-mainnet.quiknode.pro/***/",
            ),
            ("wss://u:p@example.com/ws?token=abc#frag", "wss://***@example.com/ws?***#***"),
        ];
        for (given, expected) in cases {
            assert_eq!(url(given), expected, "{given}");
        }
    }

    #[test]
    fn urls_without_secrets_and_text_without_urls_are_unchanged() {
        for plain in ["http://127.0.0.1:8899", "https://api.mainnet-beta.solana.com", "ws://localhost:8900/"] {
            assert_eq!(url(plain), plain);
        }
        assert_eq!(url("not a url"), "not a url");
        assert!(matches!(urls_in("no address here"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_url_in_a_message_is_masked_and_the_rest_kept() {
        let message = "error sending request for url (http://ops:s3cret@10.0.0.5:8899/?api-key=KEY123): \
                       connection refused; retrying https://backup.example.com/?key=OTHER456.";
        let redacted = urls_in(message);
        assert_eq!(
            redacted,
            "error sending request for url (http://***@10.0.0.5:8899/?***): connection refused; retrying \
             https://backup.example.com/?***."
        );
        for secret in ["s3cret", "KEY123", "OTHER456", "ops"] {
            assert!(!redacted.contains(secret), "{redacted}");
        }
        assert_eq!(urls_in("odd :// text"), "odd :// text");
    }

    #[test]
    fn a_redacted_display_is_the_redacted_url() {
        assert_eq!(Redacted("http://a:b@h:1/?k=v").to_string(), "http://***@h:1/?***");
    }
}
