//! The dashboard's static files (stylesheet, page scripts, plotly.js), compressed at
//! build time and served under a versioned path so browsers keep them for good.

use axum::{
    extract::Path,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

/// One static file with its precompressed forms.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub raw: &'static [u8],
    pub gzip: &'static [u8],
    pub brotli: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The URL a page links for `name`.
pub fn url(name: &str) -> String {
    format!("/assets/{VERSION}/{name}")
}

pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

/// Content codings a client accepts, as `Accept-Encoding` lists them (`q=0` refuses).
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused =
                parts.any(|param| param.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0)));
            name.eq_ignore_ascii_case(coding) && !refused
        })
    })
}

/// Serves the smallest form the client accepts. A stale version (a page cached from an
/// older build) still gets the file, but not the long cache lifetime.
pub async fn serve(Path((version, name)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(asset) = find(&name) else {
        return (StatusCode::NOT_FOUND, "no such dashboard file").into_response();
    };
    let (body, coding) = if accepts(&headers, "br") {
        (asset.brotli, Some("br"))
    } else if accepts(&headers, "gzip") {
        (asset.gzip, Some("gzip"))
    } else {
        (asset.raw, None)
    };
    let cache = if version == VERSION { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Some(coding) = coding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept_encoding: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(accept_encoding).unwrap());
        headers
    }

    #[test]
    fn reads_accept_encoding_with_weights() {
        assert!(accepts(&headers("gzip, deflate, br, zstd"), "br"));
        assert!(accepts(&headers("GZIP;q=0.5"), "gzip"));
        assert!(!accepts(&headers("gzip, br;q=0"), "br"));
        assert!(!accepts(&headers("identity"), "gzip"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }

    #[test]
    fn every_file_has_a_content_type_and_plotly_is_the_real_library() {
        for name in ["style.css", "common.js", "plotly.min.js", "favicon.svg"] {
            assert!(find(name).is_some(), "{name} is served");
        }
        let plotly = find("plotly.min.js").unwrap();
        assert!(plotly.raw.starts_with(b"/**\n* plotly.js v"));
        assert!(plotly.raw.len() > 1_000_000, "the full plotly.js bundle, {} bytes", plotly.raw.len());
        assert!(plotly.brotli.len() < plotly.gzip.len() && plotly.gzip.len() < plotly.raw.len() / 3);
        assert_eq!(VERSION.len(), 12);
    }
}
