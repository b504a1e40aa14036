//! The API's settings: the `[api]` table of the keeper's TOML file, then flags and the
//! environment. Every bad value is refused at start-up, naming its field.

use crate::auth::{Scope, TokenHash};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// How a change becomes a transaction when the request does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeMode {
    /// Signed with the configured authority keypair and sent (development, local).
    Sign,
    /// Returned unsigned, in the forms DAO and multisig tools import.
    Export,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub name: String,
    /// `read` or `write` (write includes read).
    pub scope: String,
    /// Hex SHA-256 of the token (`smart-treasury api-token` prints both).
    pub sha256: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookFileConfig {
    pub allow_private_destinations: Option<bool>,
    pub retry_schedule_s: Option<Vec<f64>>,
    pub timeout_s: Option<f64>,
    pub poll_ms: Option<u64>,
    pub secret_overlap_s: Option<u64>,
}

/// The `[api]` table as a file states it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ApiFileConfig {
    /// `host:port`, or `off`.
    pub listen: Option<String>,
    pub change_mode: Option<String>,
    pub authority_keypair: Option<PathBuf>,
    pub tokens: Option<Vec<TokenEntry>>,
    pub body_limit_bytes: Option<usize>,
    pub request_timeout_s: Option<u64>,
    pub webhooks: Option<WebhookFileConfig>,
    pub stress_test_apply: Option<bool>,
}

/// The keeper file's shape as far as the API cares: its `[api]` table.
#[derive(Deserialize)]
struct KeeperFile {
    #[serde(default)]
    api: ApiFileConfig,
}

/// Reads the `[api]` table of a keeper config file.
pub fn read_file(path: &std::path::Path) -> Result<ApiFileConfig> {
    Ok(smart_treasury_keeper::config::read_toml::<KeeperFile>(path)?.api)
}

#[derive(Clone, Debug, PartialEq)]
pub struct WebhookConfig {
    /// Deliver to loopback, private and link-local addresses (tests, a local receiver).
    pub allow_private_destinations: bool,
    /// Delay before each attempt; the last entry is the last try.
    pub retry_schedule: Vec<Duration>,
    pub timeout: Duration,
    /// How often the outbox is polled when nothing wakes the worker.
    pub poll: Duration,
    /// How long a rotated-out secret still signs beside the new one.
    pub secret_overlap: Duration,
}

/// The Standard Webhooks retry schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 14 h, 20 h, 24 h.
pub const STANDARD_RETRY_SCHEDULE_S: [u64; 10] = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400];

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_private_destinations: false,
            retry_schedule: STANDARD_RETRY_SCHEDULE_S.iter().map(|s| Duration::from_secs(*s)).collect(),
            timeout: Duration::from_secs(15),
            poll: Duration::from_millis(500),
            secret_overlap: Duration::from_secs(24 * 3_600),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ApiConfig {
    /// Where to listen; `None` serves nothing.
    pub listen: Option<SocketAddr>,
    pub change_mode: ChangeMode,
    pub authority_keypair: Option<PathBuf>,
    pub tokens: Vec<TokenHash>,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub webhooks: WebhookConfig,
    /// A stress test's outflow may be withdrawn for real (a local cluster only; the
    /// authority key withdraws it).
    pub stress_test_apply: bool,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: Some(DEFAULT_LISTEN.parse().expect("a socket address")),
            change_mode: ChangeMode::Export,
            authority_keypair: None,
            tokens: Vec::new(),
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(60),
            webhooks: WebhookConfig::default(),
            stress_test_apply: false,
        }
    }
}

fn in_range(field: &str, value: f64, low: f64, high: f64) -> Result<()> {
    if !(low..=high).contains(&value) || value.is_nan() {
        bail!("`api.{field}` is {value}; it must be between {low} and {high}");
    }
    Ok(())
}

/// Merges the file's table with `overrides` (flags and environment) and checks every
/// value, including that a server reachable from elsewhere has tokens.
pub fn resolve(file: ApiFileConfig, overrides: ApiFileConfig) -> Result<ApiConfig> {
    let defaults = ApiConfig::default();
    let listen = match overrides.listen.or(file.listen) {
        Some(text) if text == "off" => None,
        Some(text) => Some(
            text.parse::<SocketAddr>()
                .with_context(|| format!("`api.listen` {text:?} is not an address like 127.0.0.1:8080, or `off`"))?,
        ),
        None => defaults.listen,
    };
    let authority_keypair = overrides.authority_keypair.or(file.authority_keypair);
    let change_mode = match overrides.change_mode.or(file.change_mode).as_deref() {
        Some("sign") => ChangeMode::Sign,
        Some("export") => ChangeMode::Export,
        Some(other) => bail!("`api.change_mode` {other:?} must be `sign` or `export`"),
        None if authority_keypair.is_some() => ChangeMode::Sign,
        None => ChangeMode::Export,
    };
    if change_mode == ChangeMode::Sign && authority_keypair.is_none() {
        bail!("`api.change_mode` is `sign` but no `api.authority_keypair` is set: set the authority's keypair file, or use `export`");
    }
    let stress_test_apply = overrides.stress_test_apply.or(file.stress_test_apply).unwrap_or(false);
    if stress_test_apply && authority_keypair.is_none() {
        bail!(
            "`api.stress_test_apply` is on but no `api.authority_keypair` is set: the authority withdraws a stress \
             test's outflow, so set its keypair file, or turn `api.stress_test_apply` off"
        );
    }
    let mut tokens = Vec::new();
    for (index, entry) in overrides.tokens.or(file.tokens).unwrap_or_default().iter().enumerate() {
        let scope = match entry.scope.as_str() {
            "read" => Scope::Read,
            "write" => Scope::Write,
            other => bail!("`api.tokens[{index}].scope` {other:?} must be `read` or `write`"),
        };
        let hash = TokenHash::from_hex(&entry.name, scope, &entry.sha256)
            .with_context(|| format!("`api.tokens[{index}].sha256` must be 64 hex digits (the token's SHA-256)"))?;
        tokens.push(hash);
    }
    if let Some(addr) = listen {
        if tokens.is_empty() && !addr.ip().is_loopback() {
            bail!(
                "the API would listen on {addr} with no tokens: anyone who can reach it could change the treasury. \
                 Add `[[api.tokens]]` to the config (`smart-treasury api-token --scope write` makes one), or listen on \
                 127.0.0.1"
            );
        }
    }
    let body_limit = overrides.body_limit_bytes.or(file.body_limit_bytes).unwrap_or(defaults.body_limit);
    in_range("body_limit_bytes", body_limit as f64, 1_024.0, 16.0 * 1_048_576.0)?;
    let timeout_s = overrides.request_timeout_s.or(file.request_timeout_s).unwrap_or(60);
    in_range("request_timeout_s", timeout_s as f64, 1.0, 3_600.0)?;
    let hooks = overrides.webhooks.or(file.webhooks).unwrap_or_default();
    let webhook_defaults = WebhookConfig::default();
    let retry_schedule = match hooks.retry_schedule_s {
        Some(schedule) => {
            if schedule.is_empty() {
                bail!("`api.webhooks.retry_schedule_s` needs at least one entry (0 = at once)");
            }
            for (index, seconds) in schedule.iter().enumerate() {
                in_range(&format!("webhooks.retry_schedule_s[{index}]"), *seconds, 0.0, 7.0 * 86_400.0)?;
            }
            schedule.iter().map(|seconds| Duration::from_secs_f64(*seconds)).collect()
        }
        None => webhook_defaults.retry_schedule,
    };
    let webhook_timeout = hooks.timeout_s.unwrap_or(15.0);
    in_range("webhooks.timeout_s", webhook_timeout, 0.1, 60.0)?;
    let poll_ms = hooks.poll_ms.unwrap_or(500);
    in_range("webhooks.poll_ms", poll_ms as f64, 10.0, 60_000.0)?;
    let secret_overlap_s = hooks.secret_overlap_s.unwrap_or(24 * 3_600);
    in_range("webhooks.secret_overlap_s", secret_overlap_s as f64, 0.0, 7.0 * 86_400.0)?;
    Ok(ApiConfig {
        listen,
        change_mode,
        authority_keypair,
        tokens,
        body_limit,
        request_timeout: Duration::from_secs(timeout_s),
        webhooks: WebhookConfig {
            allow_private_destinations: hooks.allow_private_destinations.unwrap_or(false),
            retry_schedule,
            timeout: Duration::from_secs_f64(webhook_timeout),
            poll: Duration::from_millis(poll_ms),
            secret_overlap: Duration::from_secs(secret_overlap_s),
        },
        stress_test_apply,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_and_export() {
        let config = resolve(ApiFileConfig::default(), ApiFileConfig::default()).unwrap();
        assert_eq!(config.listen, Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(config.change_mode, ChangeMode::Export);
        assert_eq!(config.webhooks.retry_schedule.len(), 10);
        assert_eq!(config.webhooks.timeout, Duration::from_secs(15));
    }

    #[test]
    fn listening_beyond_loopback_needs_tokens() {
        let open = ApiFileConfig { listen: Some("0.0.0.0:8080".into()), ..ApiFileConfig::default() };
        let error = resolve(open.clone(), ApiFileConfig::default()).unwrap_err().to_string();
        assert!(error.contains("[[api.tokens]]"), "{error}");
        let token = TokenEntry { name: "ops".into(), scope: "read".into(), sha256: "ab".repeat(32) };
        let with_token = ApiFileConfig { tokens: Some(vec![token]), ..open };
        assert_eq!(resolve(with_token, ApiFileConfig::default()).unwrap().tokens.len(), 1);
    }

    #[test]
    fn every_bad_value_names_its_field() {
        let cases = [
            (ApiFileConfig { listen: Some("localhost".into()), ..Default::default() }, "api.listen"),
            (ApiFileConfig { change_mode: Some("maybe".into()), ..Default::default() }, "api.change_mode"),
            (ApiFileConfig { change_mode: Some("sign".into()), ..Default::default() }, "api.authority_keypair"),
            (
                ApiFileConfig {
                    tokens: Some(vec![TokenEntry { name: "x".into(), scope: "admin".into(), sha256: "00".repeat(32) }]),
                    ..Default::default()
                },
                "api.tokens[0].scope",
            ),
            (
                ApiFileConfig {
                    tokens: Some(vec![TokenEntry { name: "x".into(), scope: "read".into(), sha256: "zz".into() }]),
                    ..Default::default()
                },
                "api.tokens[0].sha256",
            ),
            (ApiFileConfig { body_limit_bytes: Some(10), ..Default::default() }, "api.body_limit_bytes"),
            (ApiFileConfig { stress_test_apply: Some(true), ..Default::default() }, "api.authority_keypair"),
            (
                ApiFileConfig {
                    webhooks: Some(WebhookFileConfig { retry_schedule_s: Some(vec![]), ..Default::default() }),
                    ..Default::default()
                },
                "api.webhooks.retry_schedule_s",
            ),
            (
                ApiFileConfig {
                    webhooks: Some(WebhookFileConfig { secret_overlap_s: Some(8 * 86_400), ..Default::default() }),
                    ..Default::default()
                },
                "api.webhooks.secret_overlap_s",
            ),
        ];
        for (file, field) in cases {
            let error = format!("{:#}", resolve(file, ApiFileConfig::default()).unwrap_err());
            assert!(error.contains(field), "{error:?} should name {field}");
        }
    }

    const EXAMPLE: &str = include_str!("../../keeper/keeper.example.toml");

    fn example_table(text: &str) -> ApiFileConfig {
        toml::from_str::<KeeperFile>(text).expect("keeper.example.toml parses").api
    }

    #[test]
    fn the_example_api_table_sets_every_field_to_its_default() {
        let example = resolve(example_table(EXAMPLE), ApiFileConfig::default()).expect("the example resolves");
        assert_eq!(example, resolve(ApiFileConfig::default(), ApiFileConfig::default()).unwrap());
    }

    /// Lines of the `[api]` part that are settings left commented out, uncommented.
    fn with_settings_uncommented(text: &str) -> String {
        let is_setting = |line: &str| {
            line.starts_with('[')
                || line.split_once(" = ").is_some_and(|(key, _)| {
                    key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                })
        };
        let api_part = text.find("\n[api]").expect("an [api] table");
        let lines = text[api_part..].lines().map(|line| match line.strip_prefix("# ") {
            Some(setting) if is_setting(setting) => setting,
            _ => line,
        });
        lines.collect::<Vec<_>>().join("\n")
    }

    fn unset_fields(value: &serde_json::Value, path: &str, unset: &mut Vec<String>) {
        match value {
            serde_json::Value::Null => unset.push(path.to_owned()),
            serde_json::Value::Object(fields) => {
                for (name, field) in fields {
                    unset_fields(field, &format!("{path}.{name}"), unset);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    unset_fields(item, &format!("{path}[]"), unset);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn the_example_documents_every_api_field() {
        // Unknown fields are refused, so parsing proves every documented one is known;
        // with the commented-out ones switched on, none may be missing.
        let every = example_table(&with_settings_uncommented(EXAMPLE));
        let mut unset = Vec::new();
        unset_fields(&serde_json::to_value(&every).expect("settings serialise"), "api", &mut unset);
        assert!(every.tokens.is_some_and(|tokens| !tokens.is_empty()), "no [[api.tokens]] example");
        assert!(unset.is_empty(), "keeper.example.toml does not document {unset:?}");
    }
}
