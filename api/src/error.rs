//! Every failure as one RFC 9457 problem (`application/problem+json`): a stable type, a
//! title, the status, what went wrong in words, the fields at fault, and, when the
//! program refused a change, its error by the IDL's name.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use smart_treasury_client::{program_error, read::ReadError, SendError};
use utoipa::ToSchema;

/// One field at fault, by its JSON name (`min`, `fundingSources[1].priority`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub detail: String,
}

/// The program's own error, as its IDL names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProgramErrorInfo {
    pub code: u32,
    pub name: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProblemDocument {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_error: Option<ProgramErrorInfo>,
}

/// A problem, boxed: handlers return it on every error path, so it stays one pointer wide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Problem(Box<ProblemDocument>);

impl std::ops::Deref for Problem {
    type Target = ProblemDocument;

    fn deref(&self) -> &ProblemDocument {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDocument {
        &mut self.0
    }
}

impl utoipa::PartialSchema for Problem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ProblemDocument as utoipa::PartialSchema>::schema()
    }
}

impl ToSchema for Problem {
    fn name() -> std::borrow::Cow<'static, str> {
        "Problem".into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <ProblemDocument as ToSchema>::schemas(schemas);
    }
}

pub type ApiResult<T> = Result<T, Problem>;

fn problem(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Problem {
    Problem(Box::new(ProblemDocument {
        kind: format!("urn:smart-treasury:problem:{slug}"),
        title: title.to_string(),
        status: status.as_u16(),
        detail: detail.into(),
        errors: Vec::new(),
        program_error: None,
    }))
}

impl Problem {
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// A value that breaks a rule or does not fit its field (422).
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let (field, detail) = (field.into(), detail.into());
        let mut problem =
            problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", "Invalid field", format!("{field}: {detail}"));
        problem.errors.push(FieldError { field, detail });
        problem
    }

    /// Several fields at fault at once (422).
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(|error| format!("{}: {}", error.field, error.detail)).collect::<Vec<_>>();
        let mut problem =
            problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", "Invalid field", detail.join("; "));
        problem.errors = errors;
        problem
    }

    /// A body that is not JSON at all (400).
    pub fn malformed(detail: impl Into<String>) -> Self {
        problem(StatusCode::BAD_REQUEST, "malformed-request", "Malformed request", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        problem(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// The request clashes with the current state (a stale config version, a request id
    /// in flight).
    pub fn conflict(detail: impl Into<String>) -> Self {
        problem(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    pub fn too_large(limit: usize) -> Self {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            format!("the body is larger than {limit} bytes"),
        )
    }

    pub fn unsupported_media_type() -> Self {
        problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the body as JSON with `Content-Type: application/json`",
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        problem(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        problem(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    pub fn method_not_allowed() -> Self {
        problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed", "see /api/v1/openapi.json")
    }

    /// The cluster or the store cannot answer right now (503).
    pub fn unavailable(detail: impl Into<String>) -> Self {
        problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", detail)
    }

    /// The RPC node answered with an error (502).
    pub fn upstream(detail: impl Into<String>) -> Self {
        problem(StatusCode::BAD_GATEWAY, "rpc-error", "RPC error", detail)
    }

    /// A failure of this server; the cause is logged, not shown.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server failed to answer; its log says why",
        )
    }

    /// The program refused a change: 409 for a stale config version (read again and
    /// retry), 422 for anything else.
    pub fn program(code: u32, detail: impl Into<String>) -> Self {
        let known = program_error::program_error(code);
        let name = known.map_or_else(|| format!("Custom{code}"), |error| error.name.clone());
        let mut problem = if name == "StaleConfigVersion" {
            problem(StatusCode::CONFLICT, "stale-config-version", "Stale config version", detail)
        } else {
            problem(StatusCode::UNPROCESSABLE_ENTITY, "program-error", "Refused by the program", detail)
        };
        problem.program_error =
            Some(ProgramErrorInfo { code, name, message: known.map_or_else(String::new, |error| error.msg.clone()) });
        problem
    }
}

impl From<ReadError> for Problem {
    fn from(error: ReadError) -> Self {
        match &error {
            ReadError::Unreachable { .. } => Self::unavailable(error.to_string()),
            ReadError::Rpc { .. } => Self::upstream(error.to_string()),
            ReadError::NotFound { .. } => Self::not_found(error.to_string()),
            ReadError::Invalid { .. } => Self::invalid("account", error.to_string()),
        }
    }
}

impl From<SendError> for Problem {
    fn from(error: SendError) -> Self {
        match (error.program_code(), error) {
            (_, SendError::Read(read)) => read.into(),
            (Some(code), failed) => Self::program(code, failed.to_string()),
            (None, failed) => Self::invalid("transaction", failed.to_string()),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_errors_carry_their_idl_name() {
        let stale = u32::from(smart_treasury::error::TreasuryError::StaleConfigVersion);
        let problem = Problem::program(stale, "built on version 3");
        assert_eq!(problem.status, 409);
        assert_eq!(problem.program_error.as_ref().unwrap().name, "StaleConfigVersion");
        let thresholds = u32::from(smart_treasury::error::TreasuryError::InvalidThresholds);
        assert_eq!(Problem::program(thresholds, "x").status, 422);
    }

    #[test]
    fn a_field_problem_names_the_field() {
        let json = serde_json::to_value(Problem::invalid("min", "must not be above target")).unwrap();
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"][0]["field"], "min");
        assert_eq!(json["type"], "urn:smart-treasury:problem:invalid-field");
        assert!(json.get("programError").is_none());
    }
}
