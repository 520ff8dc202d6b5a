//! A typed Rust client for the blog server's API, generated at build time by
//! [progenitor](https://github.com/oxidecomputer/progenitor) from the OpenAPI document `gen` writes
//! (generated/blog/openapi.json, also served at `/api/openapi.json`); see build.rs for what it is given.
//!
//! Operations are `Client` methods named after the document's operationIds (`list_posts`, `create_posts`,
//! `auth_with_password_users`, ...) that return builders: set parameters and `body`, then `.send().await`.
//! Errors the server documents arrive as `Error::ErrorResponse` holding PocketBase's error JSON
//! ([`types::Error`]). Sign in with `auth_with_password_users` and build a client whose `reqwest::Client`
//! sends the token in the `Authorization` header ([`Client::new_with_client`]).

include!(concat!(env!("OUT_DIR"), "/client.rs"));
