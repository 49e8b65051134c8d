//! The statuses that every operation shares because a layer or an extractor produces them, not
//! the handler: the session check (401, 403), the cross-site guard (403), the path, query and
//! JSON extractors (400, 404, 413, 415, 422). They are added to the OpenAPI document here, from
//! what each operation declares, so that no annotation can forget one; the statuses that only a
//! handler knows (409, 410, 429, …) stay in its `#[utoipa::path]`. How a client authenticates
//! (the session cookie or the same token as a bearer) is declared here too, for the same
//! operations.

use crate::auth::session::cookie_name;
use crate::http::error::ErrorBody;
use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Components, Content, OpenApi, Ref, RefOr, ResponseBuilder};

/// Operations that need no session: logging in, and the invite link (its token is the
/// credential).
const PUBLIC: &[(&str, &str)] =
    &[("post", "/api/session"), ("get", "/api/invites/{token}"), ("post", "/api/invites/{token}/accept")];

/// The security schemes: browsers send the session cookie, API clients the token of
/// `POST /api/session` as a bearer.
const SESSION_COOKIE: &str = "session_cookie";
const BEARER: &str = "bearer";

/// Adds the shared error statuses to every operation of `doc` that can produce them, and the
/// session it needs to every operation that is not public.
pub fn document_shared_parts(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Components::new);
    components.add_security_scheme(
        SESSION_COOKIE,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            cookie_name(false),
            "over HTTPS the cookie is named `__Host-kt_session`",
        ))),
    );
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                let public = PUBLIC.contains(&(method, path.as_str()));
                add_shared(operation, method != "get", public);
                if !public {
                    // Either one will do: two requirements in the list are alternatives.
                    operation.security = Some(vec![
                        SecurityRequirement::new(SESSION_COOKIE, Vec::<String>::new()),
                        SecurityRequirement::new(BEARER, Vec::<String>::new()),
                    ]);
                }
            }
        }
    }
}

fn add_shared(operation: &mut Operation, writes: bool, public: bool) {
    let params = operation.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(p.parameter_in.clone()),
        RefOr::Ref(_) => None,
    });
    let (mut in_path, mut in_query) = (false, false);
    for place in params {
        in_path |= matches!(place, ParameterIn::Path);
        in_query |= matches!(place, ParameterIn::Query);
    }
    let body = operation.request_body.is_some();

    let mut add = |status: &str, description: &str| {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error_response(description));
    };
    if in_path || in_query || body {
        add("400", "The path, query or body could not be read.");
    }
    if !public {
        add("401", "No valid session: log in first, or open the invite link.");
        add(
            "403",
            "Not allowed: the role, the case's need-to-know list, an invite instead of an account, \
             or a generated password that must be changed first.",
        );
    }
    if writes {
        add("403", "A browser marked the request as cross-site.");
    }
    if in_path {
        add("404", "No such thing, or the caller may not know it exists.");
    }
    if body {
        add("413", "The body is larger than the configured limit.");
        add("415", "The body is not JSON (`Content-Type: application/json`).");
        add("422", "A field of the body is not acceptable.");
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    let schema = RefOr::Ref(Ref::from_schema_name(ErrorBody::name()));
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(schema)))
        .build()
        .into()
}
