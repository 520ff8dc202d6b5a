//! Generates the blog API client from the OpenAPI document `gen` wrote (generated/blog/openapi.json) with
//! progenitor, into `$OUT_DIR/client.rs` (src/lib.rs includes it).

use std::path::Path;

use openapiv3::{OpenAPI, Operation, ReferenceOr};

fn main() {
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generated/blog/openapi.json");
    println!("cargo:rerun-if-changed={}", spec_path.display());
    let text = std::fs::read_to_string(&spec_path).unwrap_or_else(|e| panic!("read {}: {e}", spec_path.display()));
    let mut spec: OpenAPI =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not OpenAPI 3.0: {e}", spec_path.display()));
    keep_json_bodies(&mut spec);

    let mut settings = progenitor::GenerationSettings::default();
    settings.with_interface(progenitor::InterfaceStyle::Builder);
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor cannot generate a client from {}: {e}", spec_path.display()));
    let file = syn::parse2(tokens).expect("progenitor's output parses as a Rust file");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("client.rs");
    std::fs::write(&out, prettyplease::unparse(&file)).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
}

/// Drops the `multipart/form-data` alternative of request bodies that also accept `application/json` (record
/// create and update of collections with file fields). progenitor 0.15 takes one media type per body (more
/// panic with "more media types than expected") and none of them multipart, so the generated client sends
/// JSON, which sets every field but uploads no files. The document itself keeps both for the tools that
/// read them (Swagger UI, schemathesis).
fn keep_json_bodies(spec: &mut OpenAPI) {
    for item in spec.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else { continue };
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            keep_json_body(operation);
        }
    }
}

fn keep_json_body(operation: &mut Operation) {
    if let Some(ReferenceOr::Item(body)) = &mut operation.request_body
        && body.content.contains_key("application/json")
    {
        body.content.retain(|media_type, _| media_type == "application/json");
    }
}
