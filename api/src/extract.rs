//! Request parsing that fails as a problem naming the field: JSON bodies (unknown
//! fields, wrong types and out-of-range values by their path), query strings and path
//! parameters, and the body size limit.

use crate::error::Problem;
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, FromRequest, FromRequestParts, Request},
    http::{header, request::Parts},
};
use serde::de::DeserializeOwned;

/// The body size limit in force, put beside each request by the router.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// A JSON body of type `T`.
pub struct ApiJson<T>(pub T);

/// `serde_json`'s message without its "at line 1 column 9" tail: the field says where.
fn without_position(message: String) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

/// The field an error is about: its path, or the unknown or missing field it names.
fn field_of(path: &str, message: &str) -> String {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix).and_then(|rest| rest.split('`').next()));
    let base = if path == "." { "" } else { path };
    match named {
        // An unknown field is already the last step of the path.
        Some(name) if base == name || base.ends_with(&format!(".{name}")) => base.to_string(),
        Some(name) if base.is_empty() => name.to_string(),
        Some(name) => format!("{base}.{name}"),
        None if base.is_empty() => "body".to_string(),
        None => base.to_string(),
    }
}

/// Deserializes `bytes` as JSON, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return Problem::malformed(format!("the body is not valid JSON: {inner}"));
        }
        let message = without_position(inner.to_string());
        Problem::invalid(field_of(&path, &message), message)
    })?;
    deserializer
        .end()
        .map_err(|error| Problem::malformed(format!("the body has data after its JSON value: {error}")))?;
    Ok(value)
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let limit = request.extensions().get::<BodyLimit>().map_or(usize::MAX, |limit| limit.0);
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|essence| {
                let essence = essence.trim().to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            });
        if !json {
            return Err(Problem::unsupported_media_type());
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| match rejection {
            BytesRejection::FailedToBufferBody(_) if limit != usize::MAX => Problem::too_large(limit),
            other => Problem::malformed(other.body_text()),
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A query string of type `T` (absent means empty).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(ApiQuery).map_err(|error| {
            let path = error.path().to_string();
            let message = error.into_inner().to_string();
            Problem::invalid(field_of(&path, &message), message)
        })
    }
}

/// Path parameters of type `T`; a value that does not parse names the parameter.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state).await.map(|path| ApiPath(path.0)).map_err(
            |rejection| {
                use axum::extract::rejection::PathRejection;
                match rejection {
                    PathRejection::FailedToDeserializePathParams(error) => {
                        let text = error.body_text();
                        let field = match error.into_kind() {
                            axum::extract::path::ErrorKind::ParseErrorAtKey { key, .. }
                            | axum::extract::path::ErrorKind::InvalidUtf8InPathParam { key } => key,
                            _ => "path".to_string(),
                        };
                        Problem::invalid(field, text)
                    }
                    other => Problem::internal(other.body_text()),
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Source {
        priority: u8,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Body {
        name: String,
        funding_sources: Vec<Source>,
    }

    fn field(json: &str) -> (u16, String) {
        let problem = parse_json::<Body>(json.as_bytes()).unwrap_err();
        (problem.status, problem.errors.first().map(|error| error.field.clone()).unwrap_or_default())
    }

    #[test]
    fn each_bad_body_names_its_field() {
        assert_eq!(field(r#"{"name": "a", "fundingSources": [], "extra": 1}"#), (422, "extra".into()));
        assert_eq!(field(r#"{"name": 5, "fundingSources": []}"#), (422, "name".into()));
        assert_eq!(
            field(r#"{"name": "a", "fundingSources": [{"priority": 1}, {"priority": 300}]}"#),
            (422, "fundingSources[1].priority".into())
        );
        assert_eq!(field(r#"{"fundingSources": []}"#), (422, "name".into()));
        assert_eq!(
            field(r#"{"name": "a", "fundingSources": [{"priority": 1, "x": 2}]}"#),
            (422, "fundingSources[0].x".into())
        );
        assert_eq!(field(r#"{"name": "#).0, 400);
        assert_eq!(field(r#"{"name": "a", "fundingSources": []} trailing"#).0, 400);
    }
}
