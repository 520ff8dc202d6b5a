//! The hand-written runtime that pbgen-generated crates link against.
//!
//! Generated code reaches everything through `codegen` (with the `server` feature). The filter language lives in [`filter`] and the
//! table descriptions in [`schema`]; both build without the `server` feature, so the generator checks API
//! rules with the same parser the server uses.

#[cfg(feature = "server")]
pub mod access;
#[cfg(feature = "server")]
pub mod api;
#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod events;
#[cfg(feature = "server")]
pub mod files;
pub mod filter;
mod gojson;
#[cfg(feature = "server")]
pub mod hooks;
#[cfg(feature = "server")]
pub mod mail;
pub mod meta;
#[cfg(feature = "server")]
pub mod migrate;
#[cfg(feature = "server")]
pub mod realtime;
#[cfg(feature = "server")]
pub mod record;
#[cfg(feature = "server")]
mod request;
pub mod schema;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod types;
#[cfg(feature = "server")]
mod ui;
#[cfg(feature = "server")]
pub mod validate;

/// The one import surface for generated code: re-exports, so generated crates depend on this crate only.
#[cfg(feature = "server")]
pub mod codegen {
    pub use crate::access::{CollectionRules, Rule};
    pub use crate::filter::sql::{CompiledRef, Conv, Macro, Param, Source};
    pub use crate::hooks::{HookError, HookResult, RecordHooks, typed, typed_ref};
    pub use crate::meta::{CollectionKind, CollectionMeta, FieldKind, FieldMeta, SchemaMeta};
    pub use crate::schema::{Column, Table, TableKind};
    pub use crate::server::{App, AuthSettings, CollectionApi, EmailTemplate, Server, main};
    pub use crate::types::{GeoPoint, empty_as_none, number};
    /// The allocator generated binaries declare as their `#[global_allocator]`.
    pub use mimalloc::MiMalloc as Allocator;
    pub use serde;
    pub use serde_json;
}
