//! The operator dashboard: server-rendered pages, each with one small script that reads
//! and writes through the operator API (`/api/v1`) with the operator's token, plus the
//! stylesheet and plotly.js. Everything is compiled in; nothing is fetched at run time.
//!
//! The API server mounts [`router`] at `/`.

mod assets;
mod pages;

use axum::{routing::get, Router};
use tower_http::compression::CompressionLayer;

pub use assets::VERSION as ASSETS_VERSION;

/// Every page and static file of the dashboard, for a router of any state (the pages
/// keep none). Pages are compressed on the fly; static files were compressed at build
/// time.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let pages = Router::new()
        .route("/", get(pages::overview))
        .route("/balances/{id}", get(pages::balance))
        .route("/balances/{id}/monitor", get(pages::monitor))
        .route("/balances/{id}/forecast", get(pages::forecast))
        .route("/webhooks", get(pages::webhooks))
        .layer(CompressionLayer::new());
    pages.route("/assets/{version}/{name}", get(assets::serve))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{
        body::Body,
        http::{header, Request, StatusCode},
    };
    use http_body_util::BodyExt;
    use std::io::Read;
    use tower::ServiceExt;

    async fn get(path: &str, accept_encoding: Option<&str>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut request = Request::get(path);
        if let Some(coding) = accept_encoding {
            request = request.header(header::ACCEPT_ENCODING, coding);
        }
        let response = router::<()>().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).unwrap();
        text
    }

    #[tokio::test]
    async fn every_page_renders_its_frame_and_script() {
        for (path, script, charts) in [
            ("/", "overview.js", false),
            ("/balances/1", "balance.js", true),
            ("/balances/1/monitor", "monitor.js", true),
            ("/balances/1/forecast", "forecast.js", true),
            ("/webhooks", "webhooks.js", false),
        ] {
            let (status, headers, body) = get(path, None).await;
            let html = String::from_utf8(body).unwrap();
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
            assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'self'"));
            assert!(html.contains(&format!("/assets/{ASSETS_VERSION}/{script}")), "{path} loads {script}");
            assert_eq!(html.contains("plotly.min.js"), charts, "{path} loads plotly.js only for charts");
            assert!(html.contains("<main id=\"main\""), "{path} has a main landmark");
        }
        let (_, _, body) = get("/balances/7/monitor", None).await;
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("data-balance-id=\"7\""));
        assert!(html.contains("href=\"/balances/7/monitor\" aria-current=\"page\""));
    }

    #[tokio::test]
    async fn pages_are_compressed_for_clients_that_accept_it() {
        let (status, headers, body) = get("/balances/1", Some("gzip")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
        assert!(gunzip(&body).contains("Funding sources"));
    }

    #[tokio::test]
    async fn assets_are_served_precompressed_and_cached_for_good() {
        let path = format!("/assets/{ASSETS_VERSION}/plotly.min.js");
        let (status, headers, body) = get(&path, Some("gzip, deflate, br")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_ENCODING], "br");
        assert_eq!(headers[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert!(headers[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"));
        let mut plotly = Vec::new();
        brotli::Decompressor::new(&body[..], 4096).read_to_end(&mut plotly).unwrap();
        assert!(plotly.starts_with(b"/**\n* plotly.js v"));

        let (_, headers, body) = get(&format!("/assets/{ASSETS_VERSION}/style.css"), Some("gzip")).await;
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
        assert!(gunzip(&body).contains(":root"));

        let (_, headers, body) = get(&format!("/assets/{ASSETS_VERSION}/common.js"), None).await;
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        assert!(String::from_utf8(body).unwrap().contains("export async function api"));

        let (_, headers, _) = get("/assets/0123456789ab/common.js", None).await;
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache", "an old page's asset URL is not cached for good");
    }

    #[tokio::test]
    async fn unknown_files_and_balance_ids_are_not_found() {
        let (status, _, _) = get(&format!("/assets/{ASSETS_VERSION}/nope.js"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, body) = get("/balances/%3Cscript%3E", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("There is no managed balance"));
        assert!(!html.contains("<script>"), "the id is escaped");
    }
}
