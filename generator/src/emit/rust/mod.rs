//! Rust output: token streams built with `quote!`, formatted in one place by prettyplease.

mod app;
mod crate_root;
mod hooks;
mod models;
mod schema;

use proc_macro2::TokenStream;

use super::rules::CollectionRules;
use super::{FileSet, Target};
use crate::diag::Errors;
use crate::ir::Ir;

pub fn emit(ir: &Ir, rules: &[CollectionRules], target: &Target, files: &mut FileSet) -> Result<(), Errors> {
    let mut add = |path: String, tokens: TokenStream| match format(tokens, &target.header()) {
        Ok(text) => files.add(path, text),
        // A token stream that does not parse is a bug in an emitter, not in the user's schema.
        Err(e) => Err(Errors::single(format!("internal error, please report it: {path}: {e}"))),
    };
    add("src/lib.rs".into(), crate_root::lib(ir, target))?;
    let app = app::app(ir, rules)
        .map_err(|e| Errors::single(format!("internal error, please report it: src/app.rs: {e}")))?;
    add("src/app.rs".into(), app)?;
    add("src/main.rs".into(), app::main(target))?;
    add("src/hooks.rs".into(), hooks::hooks(ir))?;
    // `models.rs` rather than `models/mod.rs`, so a collection named `mod` has a file of its own.
    add("src/models.rs".into(), models::module_index(ir))?;
    for c in &ir.collections {
        add(format!("src/models/{}.rs", file_stem(&c.module)), models::collection(ir, c))?;
    }
    add("src/schema.rs".into(), schema::tables(ir))
}

/// The one formatting choke point: tokens -> syn::File -> prettyplease, behind the @generated header.
fn format(tokens: TokenStream, header: &str) -> Result<String, syn::Error> {
    let file: syn::File = syn::parse2(tokens)?;
    Ok(format!("// {header}\n{}", space_out_items(&prettyplease::unparse(&file))))
}

/// A blank line between top-level items, which prettyplease does not put in (progenitor does the same).
/// Only lines at column 0 are looked at; string literals never span lines in our output (quote escapes `\n`).
fn space_out_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 16);
    let mut prev = "";
    for line in code.lines() {
        let imports = prev.starts_with("use ") && line.starts_with("use ");
        let item_ended = prev == "}" || (prev.ends_with(';') && !prev.starts_with(char::is_whitespace) && !imports);
        let after_inner_docs = prev.starts_with("//!") && !line.starts_with("//!");
        if !line.is_empty() && !line.starts_with(char::is_whitespace) && (item_ended || after_inner_docs) {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        prev = line;
    }
    out
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
