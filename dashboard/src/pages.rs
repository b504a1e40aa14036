//! The pages: each renders its structure (headings, labelled forms, empty tables) on the
//! server; its script fills them from the API and keeps them live.

use crate::assets;
use askama::Template;
use axum::{
    extract::Path,
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
};

/// Scripts and styles only from this server; plotly sets inline styles on its charts.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// Which top-level section a page belongs to, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Webhooks,
}

/// Which of a managed balance's pages this is, for its tabs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BalanceTab {
    Balance,
    Monitor,
    Forecast,
}

/// What every page's frame needs.
pub struct Frame {
    pub title: String,
    pub section: Section,
    /// The page's own script (under /assets).
    pub script: &'static str,
    /// Whether the page draws charts (and so loads plotly.js).
    pub charts: bool,
}

impl Frame {
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
pub struct Overview {
    pub frame: Frame,
}

#[derive(Template)]
#[template(path = "balance.html")]
pub struct Balance {
    pub frame: Frame,
    pub id: String,
    pub tab: BalanceTab,
}

#[derive(Template)]
#[template(path = "monitor.html")]
pub struct Monitor {
    pub frame: Frame,
    pub id: String,
    pub tab: BalanceTab,
}

#[derive(Template)]
#[template(path = "forecast.html")]
pub struct Forecast {
    pub frame: Frame,
    pub id: String,
    pub tab: BalanceTab,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
pub struct Webhooks {
    pub frame: Frame,
}

#[derive(Template)]
#[template(path = "not_found.html")]
pub struct NotFound {
    pub frame: Frame,
    pub what: String,
}

fn html(page: impl Template, status: StatusCode) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, Html(body)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            response
        }
        Err(error) => {
            (StatusCode::INTERNAL_SERVER_ERROR, format!("the page could not be rendered: {error}")).into_response()
        }
    }
}

/// A managed balance id as the API names it: its number or its base58 address.
fn valid_balance_id(id: &str) -> bool {
    (1..=44).contains(&id.len()) && id.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

fn frame(title: impl Into<String>, section: Section, script: &'static str, charts: bool) -> Frame {
    Frame { title: title.into(), section, script, charts }
}

fn unknown_balance(id: &str) -> Response {
    let what = format!("There is no managed balance \u{201c}{id}\u{201d}.");
    html(NotFound { frame: frame("Not found", Section::Overview, "common.js", false), what }, StatusCode::NOT_FOUND)
}

pub async fn overview() -> Response {
    html(Overview { frame: frame("Treasury overview", Section::Overview, "overview.js", false) }, StatusCode::OK)
}

pub async fn balance(Path(id): Path<String>) -> Response {
    if !valid_balance_id(&id) {
        return unknown_balance(&id);
    }
    let frame = frame("Managed balance", Section::Overview, "balance.js", true);
    html(Balance { frame, id, tab: BalanceTab::Balance }, StatusCode::OK)
}

pub async fn monitor(Path(id): Path<String>) -> Response {
    if !valid_balance_id(&id) {
        return unknown_balance(&id);
    }
    let frame = frame("Monitoring terminal", Section::Overview, "monitor.js", true);
    html(Monitor { frame, id, tab: BalanceTab::Monitor }, StatusCode::OK)
}

pub async fn forecast(Path(id): Path<String>) -> Response {
    if !valid_balance_id(&id) {
        return unknown_balance(&id);
    }
    let frame = frame("Predictions", Section::Overview, "forecast.js", true);
    html(Forecast { frame, id, tab: BalanceTab::Forecast }, StatusCode::OK)
}

pub async fn webhooks() -> Response {
    html(Webhooks { frame: frame("Webhooks", Section::Webhooks, "webhooks.js", false) }, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balance_ids_are_numbers_or_addresses() {
        assert!(valid_balance_id("1"));
        assert!(valid_balance_id("HLXACGiPB9Px2XdETqEYgwCLqB3DtuMA9WMDsTDpbTnH"));
        assert!(!valid_balance_id(""));
        assert!(!valid_balance_id("<script>"));
        assert!(!valid_balance_id(&"1".repeat(45)));
    }
}
