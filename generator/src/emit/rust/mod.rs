//! Rust output: token streams built with `quote!`, formatted in one place by prettyplease.

mod crate_root;
mod models;
mod schema;

use proc_macro2::TokenStream;

use super::{FileSet, Target};
use crate::diag::Errors;
use crate::ir::Ir;

pub fn emit(ir: &Ir, target: &Target, files: &mut FileSet) -> Result<(), Errors> {
    let mut format_errors = Vec::new();
    let mut add = |path: String, tokens: TokenStream| match format(tokens, &target.header()) {
        Ok(text) => files.add(path, text),
        Err(e) => format_errors.push(format!("{path}: {e}")),
    };
    add("src/lib.rs".into(), crate_root::lib(ir, target));
    add("src/models/mod.rs".into(), models::module_index(ir));
    for c in &ir.collections {
        add(format!("src/models/{}.rs", file_stem(&c.module)), models::collection(ir, c));
    }
    add("src/schema.rs".into(), schema::tables(ir));
    if format_errors.is_empty() {
        Ok(())
    } else {
        // A token stream that does not parse is a bug in an emitter, not in the user's schema.
        Err(Errors::single(format!("internal error, please report it: {}", format_errors.join("; "))))
    }
}

/// The one formatting choke point: tokens -> syn::File -> prettyplease, behind the @generated header.
fn format(tokens: TokenStream, header: &str) -> Result<String, syn::Error> {
    let file: syn::File = syn::parse2(tokens)?;
    Ok(format!("// {header}\n{}", prettyplease::unparse(&file)))
}

/// The file name for a module ident (`r#type` lives in `type.rs`).
fn file_stem(module: &str) -> &str {
    crate::ir::naming::unraw(module)
}

/// An identifier from the IR, which the naming pass has made valid (raw identifiers included).
fn ident(name: &str) -> syn::Ident {
    match name.strip_prefix("r#") {
        Some(raw) => syn::Ident::new_raw(raw, proc_macro2::Span::call_site()),
        None => syn::Ident::new(name, proc_macro2::Span::call_site()),
    }
}
