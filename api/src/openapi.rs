//! The OpenAPI 3.1 document, generated from the same types the handlers use, served at
//! `/api/v1/openapi.json`.

use crate::v1;
use utoipa::{
    openapi::{
        path::Operation,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        Content, Ref, RefOr, Response,
    },
    Modify, OpenApi,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from the server's config: `read` scope for GET, `write` for changes. A server \
                         without tokens (loopback only) needs none.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Routes anyone may call, token or not.
const PUBLIC: &[&str] = &["/healthz", "/readyz", "/api/v1/openapi.json"];

fn problem(description: &str) -> RefOr<Response> {
    let mut response = Response::new(description);
    response
        .content
        .insert("application/problem+json".into(), Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem")))));
    RefOr::T(response)
}

fn answers_with(operation: &Operation, status: &str, schema: &str) -> bool {
    let Some(RefOr::T(response)) = operation.responses.responses.get(status) else { return false };
    response.content.values().any(|content| {
        matches!(&content.schema, Some(RefOr::Ref(reference)) if reference.ref_location.ends_with(&format!("/{schema}")))
    })
}

/// The answers every operation can give beside its own: malformed or oversized bodies,
/// a missing or read-only token, an invalid field, an unreachable cluster; and 202 for
/// a change exported rather than applied.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let guarded = !PUBLIC.contains(&path.as_str());
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let changes = answers_with(operation, "200", "ChangeResult");
                let mut add = |status: &str, response: RefOr<Response>| {
                    operation.responses.responses.entry(status.to_string()).or_insert(response);
                };
                if guarded {
                    add("401", problem("No bearer token, or one the server does not know"));
                    add("403", problem("The token may only read"));
                    add("502", problem("The RPC node answered with an error"));
                    add("503", problem("The cluster or the store cannot answer right now"));
                }
                let has_body = operation.request_body.is_some();
                if has_body {
                    add("400", problem("The body is not JSON"));
                    add("413", problem("The body is larger than the server's limit"));
                    add("415", problem("The body is not sent as application/json"));
                }
                if has_body || operation.parameters.as_ref().is_some_and(|parameters| !parameters.is_empty()) {
                    add("422", problem("A field is invalid or breaks a rule"));
                }
                if changes {
                    add("409", problem("Nothing to change, a stale config version, or this server's key cannot sign"));
                }
                if let (true, Some(RefOr::T(mut exported))) =
                    (changes, operation.responses.responses.get("200").cloned())
                {
                    exported.description =
                        "Exported: the unsigned transaction in every form; nothing changed yet".into();
                    operation.responses.responses.insert("202".into(), RefOr::T(exported));
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Smart Treasury operator API",
        description = "Managed balances, predictions, the activity log, changes as transactions (signed here or \
            exported for a DAO or multisig) and Standard Webhooks. Amounts are exact decimal strings in token units \
            beside the base-unit integer; inputs take either, never a float. Errors are RFC 9457 problems.",
    ),
    paths(
        v1::managed_balance::list,
        v1::managed_balance::create,
        v1::managed_balance::get,
        v1::managed_balance::close,
        v1::managed_balance::update_thresholds,
        v1::managed_balance::update_settings,
        v1::managed_balance::enable,
        v1::managed_balance::disable,
        v1::funding_source::put,
        v1::funding_source::delete,
        v1::activity_log::get,
        v1::history::get,
        v1::predictions::get,
        v1::advice::get,
        v1::advice::stress_test,
        v1::advice::execute,
        v1::recommendation::get,
        v1::balance_adjustment::adjust,
        v1::treasury::get,
        v1::keeper::get,
        v1::treasury::pause,
        v1::treasury::unpause,
        v1::hook::create_destination,
        v1::hook::list_destinations,
        v1::hook::delete_destination,
        v1::hook::rotate_secret,
        v1::hook::list_deliveries,
        v1::hook::get_delivery,
        v1::hook::replay,
        v1::health::healthz,
        v1::health::readyz,
        v1::health::metrics,
    ),
    components(schemas(
        crate::error::Problem,
        crate::webhook::catalogue::WebhookPayload,
        v1::common::ChangeModeParam,
        v1::managed_balance::Level,
        v1::managed_balance::BandPosition,
        v1::hook::DeliveryStatus,
    )),
    modifiers(&BearerAuth, &CommonResponses),
    security((), ("bearer" = [])),
    tags(
        (name = "managed-balance", description = "Balances kept between min and max"),
        (name = "funding-source", description = "Where top-ups come from"),
        (name = "balance-adjustment", description = "Manual top-ups"),
        (name = "treasury", description = "The treasury itself"),
        (name = "advice", description = "The keeper planner's next move, the stress test, and executing the move"),
        (name = "keeper", description = "The keeper of this process"),
        (name = "hook", description = "Standard Webhooks destinations and deliveries"),
        (name = "health", description = "Liveness, readiness, metrics"),
    )
)]
pub struct ApiDoc;

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
