//! The one outgoing HTTP client for webhooks. Its resolver drops loopback, private,
//! link-local and other non-public addresses after resolution (unless the config allows
//! them), and the connection uses only what it kept, so a name cannot be re-pointed
//! between the check and the connect. No redirects, no proxies, a 15 s timeout.

use crate::{config::WebhookConfig, webhook::store::Destination};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
                    || first == 0x2001 && v6.segments()[1] == 0x0db8)
            }
        },
    }
}

fn refusal(host: &str) -> String {
    format!(
        "{host} resolves only to loopback or private addresses, which this server does not deliver to \
         (set api.webhooks.allow_private_destinations to allow them)"
    )
}

struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                resolved.into_iter().filter(|addr| allow_private || is_public(addr.ip())).collect();
            if allowed.is_empty() {
                return Err(refusal(&host).into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Checks a destination URL before it is stored: scheme, host, and (for an IP literal
/// or `localhost`, which need no resolver) the address policy.
pub fn check_url(text: &str, allow_private: bool) -> Result<url::Url, String> {
    if text.len() > 2_048 {
        return Err("at most 2,048 characters".into());
    }
    let url = url::Url::parse(text).map_err(|error| format!("{text:?} is not a URL: {error}"))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(format!("{text:?} must be an http or https URL"));
    }
    let literal = match url.host() {
        None => return Err(format!("{text:?} has no host")),
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(domain)) if domain.eq_ignore_ascii_case("localhost") => {
            Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
        }
        Some(url::Host::Domain(_)) => None,
    };
    if let Some(ip) = literal {
        if !allow_private && !is_public(ip) {
            return Err(refusal(url.host_str().unwrap_or_default()));
        }
    }
    Ok(url)
}

/// How one delivery attempt went on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub status: Option<u16>,
    /// What `Retry-After` asked for.
    pub retry_after: Option<Duration>,
    pub error: Option<String>,
    pub duration: Duration,
}

#[derive(Clone)]
pub struct DeliveryClient {
    http: reqwest::Client,
    allow_private: bool,
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    Some(Duration::from_secs((at - now).whole_seconds().max(0) as u64))
}

impl DeliveryClient {
    pub fn new(config: &WebhookConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { allow_private: config.allow_private_destinations }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(config.timeout)
            .user_agent(concat!("smart-treasury-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, allow_private: config.allow_private_destinations })
    }

    /// POSTs `body` to the destination, signed per Standard Webhooks with each of its
    /// current secrets.
    pub async fn send(&self, destination: &Destination, message_id: &str, body: &str, now_ms: i64) -> Sent {
        let started = Instant::now();
        let failed =
            |error: String| Sent { status: None, retry_after: None, error: Some(error), duration: started.elapsed() };
        if let Err(error) = check_url(&destination.url, self.allow_private) {
            return failed(error);
        }
        let timestamp = now_ms / 1_000;
        let mut signatures = Vec::new();
        for secret in destination.signing_secrets(now_ms) {
            match standardwebhooks::Webhook::new(secret)
                .and_then(|hook| hook.sign(message_id, timestamp, body.as_bytes()))
            {
                Ok(signature) => signatures.push(signature),
                Err(error) => return failed(format!("cannot sign with the destination's secret: {error}")),
            }
        }
        let request = self
            .http
            .post(&destination.url)
            .header("content-type", "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, message_id)
            .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, timestamp.to_string())
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signatures.join(" "))
            .body(body.to_string());
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| retry_after(value, time::OffsetDateTime::now_utc()));
                let error = (!response.status().is_success()).then(|| format!("the receiver answered {status}"));
                Sent { status: Some(status), retry_after, error, duration: started.elapsed() }
            }
            Err(error) => {
                let mut text = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    text.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                failed(text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_checked_before_they_are_stored() {
        assert!(check_url("https://hooks.example.com/x", false).is_ok());
        assert!(check_url("ftp://hooks.example.com/x", false).is_err());
        assert!(check_url("http://127.0.0.1:9000/x", false).unwrap_err().contains("allow_private_destinations"));
        assert!(check_url("http://localhost:9000/x", false).is_err());
        assert!(check_url("http://127.0.0.1:9000/x", true).is_ok());
        assert!(check_url("http://[::1]:9000/", false).is_err());
        assert!(check_url("not a url", false).is_err());
    }

    #[tokio::test]
    async fn the_resolver_drops_private_addresses_after_resolving() {
        let refusing = GuardedResolver { allow_private: false };
        match refusing.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost resolved to an allowed address"),
            Err(error) => assert!(error.to_string().contains("allow_private_destinations"), "{error}"),
        }
        let allowing = GuardedResolver { allow_private: true };
        let Ok(addrs) = allowing.resolve("localhost".parse().unwrap()).await else { panic!("localhost resolves") };
        let addrs: Vec<SocketAddr> = addrs.collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|addr| addr.ip().is_loopback()), "{addrs:?}");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_000_000_000).unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("Sun, 09 Sep 2001 01:48:40 +0000", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("soon", now), None);
    }
}
