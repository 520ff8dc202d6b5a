//! pbgen: reads a PocketBase schema and generates a Rust crate for it.
//!
//! Three typed stages: [`schema`] (a faithful mirror of PocketBase's JSON, legacy and data.db input
//! converted into it) -> [`ir`] (validated, resolved, named) -> [`emit`] (pure functions producing a
//! [`emit::FileSet`]). [`output`] writes a file set to disk or compares it with what is there.

pub mod cli;
pub mod diag;
pub mod emit;
pub mod ir;
pub mod output;
pub mod schema;

pub use diag::Errors;
pub use emit::{FileSet, Target};

/// Schema -> files, with every problem in the schema reported at once.
pub fn generate(schema: &schema::Schema, target: &Target) -> Result<FileSet, Errors> {
    generate_with(schema, diag::Diagnostics::default(), target)
}

/// Like [`generate`] for a schema that loaded with `problems` ([`schema::read_path`]): the rest is still
/// checked, so one run reports everything.
pub fn generate_with(schema: &schema::Schema, problems: diag::Diagnostics, target: &Target) -> Result<FileSet, Errors> {
    let ir = ir::lower_with(schema, problems)?;
    emit::emit(&ir, target)
}
