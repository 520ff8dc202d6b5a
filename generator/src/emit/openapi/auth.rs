//! The auth endpoints of each auth collection, as PocketBase 0.40 defines them, and `/api/files/token`.

use openapiv3::{Operation, PathItem, ReferenceOr, Schema, SecurityRequirement};

use super::kit::{JSON, body, describe, item, json, no_content, object, operation, prop, reference, responses, string};
use super::names::{self, Component};
use super::{Components, Paths, params};
use crate::ir::{Collection, CollectionType, Ir};

pub fn add(ir: &Ir, paths: &mut Paths, components: &mut Components) {
    for c in ir.collections.iter().filter(|c| c.kind == CollectionType::Auth) {
        components.insert(names::component(c, Component::AuthResponse), auth_response(c));
        let base = format!("/api/collections/{}", c.name);
        paths.insert(format!("{base}/auth-methods"), PathItem { get: Some(auth_methods(c)), ..Default::default() });
        for (action, op) in [
            ("auth-with-password", auth_with_password(ir, c)),
            ("auth-refresh", auth_refresh(ir, c)),
            ("request-verification", request_verification(c)),
            ("confirm-verification", confirm_verification(c)),
            ("request-password-reset", request_password_reset(c)),
            ("confirm-password-reset", confirm_password_reset(c)),
            ("request-email-change", request_email_change(c)),
            ("confirm-email-change", confirm_email_change(c)),
        ] {
            paths.insert(format!("{base}/{action}"), PathItem { post: Some(op), ..Default::default() });
        }
    }
    paths.insert("/api/files/token".into(), PathItem { post: Some(file_token()), ..Default::default() });
}

/// Operations that need a signed-in requester.
pub fn signed_in() -> Option<Vec<SecurityRequirement>> {
    Some(vec![[(super::SECURITY_SCHEME.to_owned(), Vec::new())].into_iter().collect()])
}

fn auth_response(c: &Collection) -> Schema {
    describe(
        object(
            vec![
                prop("token", describe(string(), "The auth token: send it in the `Authorization` header.")),
                ("record".into(), reference(&names::component(c, Component::Record))),
            ],
            Vec::new(),
        ),
        "A signed-in record and its token (both keys unless `fields` narrows the response).",
    )
}

/// A JSON body of string properties, all required.
fn strings_body(keys: &[(&str, &str)], description: &str) -> ReferenceOr<openapiv3::RequestBody> {
    let props = keys.iter().map(|(k, d)| prop(k, describe(string(), *d))).collect();
    let required = keys.iter().map(|(k, _)| (*k).to_owned()).collect();
    body(vec![(JSON, item(object(props, required)))], description)
}

fn op(c: &Collection, verb: &str, summary: &str, description: &str, responses: openapiv3::Responses) -> Operation {
    operation(names::tag(c), names::operation(verb, c), summary, description.to_owned(), responses)
}

fn auth_methods(c: &Collection) -> Operation {
    let mut o = op(
        c,
        "auth_methods",
        &format!("Sign-in methods of {}", c.name),
        "Which sign-in methods the collection offers (password identity fields, OAuth2, MFA, OTP).",
        responses((200, json("The methods.", reference("AuthMethods"))), &[400, 404]),
    );
    o.parameters = vec![super::kit::query("fields", string(), "Comma-separated keys to keep, e.g. `password,mfa`.")];
    o
}

fn auth_with_password(ir: &Ir, c: &Collection) -> Operation {
    let mut o = op(
        c,
        "auth_with_password",
        &format!("Sign in to {} with a password", c.name),
        "Returns a token and the record. A wrong identity or password is a 400 \"Failed to authenticate.\"; \
         the collection's auth rule must hold. Sign-in attempts are rate limited (429).",
        responses(
            (200, json("Signed in.", reference(&names::component(c, Component::AuthResponse)))),
            &[400, 403, 404, 429],
        ),
    );
    o.parameters = params::shape(ir, c);
    let props = vec![
        prop("identity", describe(string(), "The value of one of the collection's identity fields (e.g. the email).")),
        prop("password", string()),
        prop("identityField", describe(string(), "Which identity field `identity` is; any of them when omitted.")),
    ];
    o.request_body =
        Some(body(vec![(JSON, item(object(props, vec!["identity".into(), "password".into()])))], "The credentials."));
    o
}

fn auth_refresh(ir: &Ir, c: &Collection) -> Operation {
    let mut o = op(
        c,
        "auth_refresh",
        &format!("Refresh a {} token", c.name),
        "A new token for the signed-in record (401 without a token, 403 for a token of another collection).",
        responses(
            (200, json("A new token.", reference(&names::component(c, Component::AuthResponse)))),
            &[400, 401, 403, 404],
        ),
    );
    o.parameters = params::shape(ir, c);
    o.security = signed_in();
    o
}

fn request_verification(c: &Collection) -> Operation {
    let mut o = op(
        c,
        "request_verification",
        &format!("Email a {} record a verification link", c.name),
        "Sends the verification email; 204 also when no record has that email (nothing is revealed).",
        responses((204, no_content("Accepted.")), &[400]),
    );
    o.request_body = Some(strings_body(&[("email", "The record's email.")], "Whom to verify."));
    o
}

fn confirm_verification(c: &Collection) -> Operation {
    let mut o = op(
        c,
        "confirm_verification",
        &format!("Verify a {} record", c.name),
        "Marks the record of a verification token as verified.",
        responses((204, no_content("Verified.")), &[400]),
    );
    o.request_body = Some(strings_body(&[("token", "The token from the verification email.")], "The token."));
    o
}

fn request_password_reset(c: &Collection) -> Operation {
    let mut o = op(
        c,
        "request_password_reset",
        &format!("Email a {} record a password reset link", c.name),
        "Sends the password reset email; 204 also when no record has that email (nothing is revealed).",
        responses((204, no_content("Accepted.")), &[400]),
    );
    o.request_body = Some(strings_body(&[("email", "The record's email.")], "Whose password to reset."));
    o
}

fn confirm_password_reset(c: &Collection) -> Operation {
    let mut o = op(
        c,
        "confirm_password_reset",
        &format!("Set a new {} password", c.name),
        "Sets the password of a reset token's record (its other tokens stop working).",
        responses((204, no_content("Password changed.")), &[400]),
    );
    o.request_body = Some(strings_body(
        &[
            ("token", "The token from the password reset email."),
            ("password", "The new password."),
            ("passwordConfirm", "Must equal `password`."),
        ],
        "The token and the new password.",
    ));
    o
}

fn request_email_change(c: &Collection) -> Operation {
    let mut o = op(
        c,
        "request_email_change",
        &format!("Email a {} record's new address a confirmation link", c.name),
        "For the signed-in record (401 without a token, 403 for a token of another collection).",
        responses((204, no_content("Accepted.")), &[400, 401, 403]),
    );
    o.request_body = Some(strings_body(&[("newEmail", "The new email address.")], "The new address."));
    o.security = signed_in();
    o
}

fn confirm_email_change(c: &Collection) -> Operation {
    let mut o = op(
        c,
        "confirm_email_change",
        &format!("Confirm a {} record's new email", c.name),
        "Changes the email of an email change token's record.",
        responses((204, no_content("Email changed.")), &[400]),
    );
    o.request_body = Some(strings_body(
        &[("token", "The token from the confirmation email."), ("password", "The record's current password.")],
        "The token and the password.",
    ));
    o
}

fn file_token() -> Operation {
    let token = object(
        vec![prop("token", describe(string(), "Valid for the collection's file token duration (180 s by default)."))],
        Vec::new(),
    );
    let mut o = operation(
        "files",
        "file_token".into(),
        "A token for protected files",
        "For any signed-in record: pass it as `?token=` to download protected files.".into(),
        responses((200, json("The token.", item(token))), &[400, 401]),
    );
    o.parameters = vec![super::kit::query("fields", string(), "Comma-separated keys to keep.")];
    o.security = signed_in();
    o
}

/// `AuthMethods`, shared by every auth collection.
pub fn auth_methods_schema() -> Schema {
    let enabled = |extra: Vec<(String, ReferenceOr<Schema>)>| {
        let mut props = vec![prop("enabled", super::kit::boolean())];
        props.extend(extra);
        item(object(props, Vec::new()))
    };
    let int = || prop("duration", describe(super::kit::integer(), "Seconds; 0 when disabled."));
    object(
        vec![
            ("password".into(), enabled(vec![prop("identityFields", super::kit::array(item(string())))])),
            (
                "oauth2".into(),
                enabled(vec![prop("providers", super::kit::array(item(object(Vec::new(), Vec::new()))))]),
            ),
            ("mfa".into(), enabled(vec![int()])),
            ("otp".into(), enabled(vec![int()])),
            prop("authProviders", describe(super::kit::array(item(object(Vec::new(), Vec::new()))), "Deprecated.")),
            prop("usernamePassword", describe(super::kit::boolean(), "Deprecated.")),
            prop("emailPassword", describe(super::kit::boolean(), "Deprecated.")),
        ],
        Vec::new(),
    )
}
