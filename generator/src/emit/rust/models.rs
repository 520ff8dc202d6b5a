//! `src/models/*.rs`: per collection a module with the record as the API returns it, the create and update
//! inputs, and an enum per select field.

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use crate::ir::naming::unraw;
use crate::ir::types::Shape;
use crate::ir::{Collection, CollectionType, Field, FieldType, Ir, Select};

pub fn module_index(ir: &Ir) -> TokenStream {
    let mods = ir.collections.iter().map(|c| {
        let module = ident(&c.module);
        let doc = format!(" The `{}` collection.", c.name);
        quote! {
            #[doc = #doc]
            pub mod #module;
        }
    });
    quote! {
        //! One module per collection, named after it.
        #(#mods)*
    }
}

pub fn collection(ir: &Ir, c: &Collection) -> TokenStream {
    let id = &c.id;
    let name = &c.name;
    let module_doc = format!(
        " The `{name}` {} collection (id `{id}`).{}",
        c.kind.as_str(),
        if c.kind == CollectionType::View { " Views are read-only." } else { "" }
    );
    let record = record(ir, c);
    let inputs = if c.kind == CollectionType::View { quote!() } else { inputs(c) };
    let enums = c.fields.iter().filter_map(|f| match &f.ty {
        FieldType::Select(s) => Some(select_enum(f, s)),
        _ => None,
    });
    quote! {
        #![doc = #module_doc]

        /// The collection id.
        pub const COLLECTION_ID: &str = #id;
        /// The collection name.
        pub const COLLECTION_NAME: &str = #name;

        #record
        #inputs
        #(#enums)*
    }
}

/// PocketBase's stand-in for "no limit" (`maxSelect` 2147483647).
const UNLIMITED: u64 = i32::MAX as u64;

const SERDE_CRATE: &str = "::pbgen_runtime::codegen::serde";

fn derives(extra: TokenStream) -> TokenStream {
    quote! {
        #[derive(Debug, Clone, PartialEq, #extra ::pbgen_runtime::codegen::serde::Serialize, ::pbgen_runtime::codegen::serde::Deserialize)]
        #[serde(crate = #SERDE_CRATE)]
    }
}

/// The record with every field the API can return, keys in PocketBase's (sorted) order.
fn record(ir: &Ir, c: &Collection) -> TokenStream {
    let derive = derives(quote!());
    let fields = c.fields_by_name().into_iter().filter(|f| !f.is_write_only()).map(|f| {
        let (ty, serde) = rust_type(f, false);
        let attrs = field_attrs(f, serde);
        let doc = field_doc(ir, f);
        let name = ident(&f.ident);
        quote! {
            #doc
            #attrs
            pub #name: #ty,
        }
    });
    let doc = format!(" A record of `{}` as PocketBase's API returns it (hidden fields only to superusers).", c.name);
    quote! {
        #[doc = #doc]
        #derive
        pub struct Record {
            #(#fields)*
        }
    }
}

/// `Create` (required fields plain, the rest optional) and `Update` (everything optional).
fn inputs(c: &Collection) -> TokenStream {
    let writable: Vec<&Field> = c.fields.iter().filter(|f| f.is_client_writable()).collect();
    let auth = c.kind == CollectionType::Auth;
    let create_fields = writable.iter().map(|f| {
        let (ty, serde) = rust_type(f, true);
        let name = ident(&f.ident);
        let doc = input_doc(f);
        // `id` is optional even though required: the server generates one when the client sends none.
        if f.required && f.name != "id" {
            let attrs = field_attrs(f, serde);
            quote! { #doc #attrs pub #name: #ty, }
        } else {
            let attrs = option_attrs(f);
            quote! { #doc #attrs pub #name: ::std::option::Option<#ty>, }
        }
    });
    // The primary key cannot change (PocketBase: `validation_pk_change`).
    let update_fields = writable.iter().filter(|f| f.name != "id").map(|f| {
        let (ty, _) = rust_type(f, true);
        let name = ident(&f.ident);
        let doc = input_doc(f);
        let attrs = option_attrs(f);
        quote! { #doc #attrs pub #name: ::std::option::Option<#ty>, }
    });
    let (create_auth, update_auth) = if auth {
        (
            quote! {
                /// Must equal `password`.
                #[serde(rename = "passwordConfirm")]
                pub password_confirm: ::std::string::String,
            },
            quote! {
                /// Must equal `password` when the password changes.
                #[serde(rename = "passwordConfirm", skip_serializing_if = "::std::option::Option::is_none")]
                pub password_confirm: ::std::option::Option<::std::string::String>,
                /// The current password; needed when a non-superuser changes the password.
                #[serde(rename = "oldPassword", skip_serializing_if = "::std::option::Option::is_none")]
                pub old_password: ::std::option::Option<::std::string::String>,
            },
        )
    } else {
        (quote!(), quote!())
    };
    let create_derive = derives(quote!());
    let update_derive = derives(quote!(Default,));
    let create_doc = format!(" The body that creates a record of `{}`.", c.name);
    let update_doc = format!(" The body that updates a record of `{}`; only the fields that are set change.", c.name);
    quote! {
        #[doc = #create_doc]
        #create_derive
        pub struct Create {
            #(#create_fields)*
            #create_auth
        }

        #[doc = #update_doc]
        #update_derive
        pub struct Update {
            #(#update_fields)*
            #update_auth
        }
    }
}

/// The Rust type of a field's value, and the serde `with` module it needs, if any. In inputs a single
/// select is the bare enum (absence is `Option`'s job there), in records it is `Option` for PocketBase's `""`.
fn rust_type(f: &Field, input: bool) -> (TokenStream, Option<TokenStream>) {
    let codegen = quote!(::pbgen_runtime::codegen);
    match f.ty.shape() {
        Shape::String | Shape::DateTime | Shape::Ref => (quote!(::std::string::String), None),
        Shape::RefList => (quote!(::std::vec::Vec<::std::string::String>), None),
        Shape::Number => (quote!(f64), Some(quote!(#codegen::number))),
        Shape::Bool => (quote!(bool), None),
        Shape::Json => (quote!(#codegen::serde_json::Value), None),
        Shape::GeoPoint => (quote!(#codegen::GeoPoint), None),
        Shape::Enum | Shape::EnumList => {
            let FieldType::Select(s) = &f.ty else { unreachable!("only selects have enum shapes") };
            let e = ident(&s.enum_ident);
            if f.ty.is_multi() {
                (quote!(::std::vec::Vec<#e>), None)
            } else if input {
                (quote!(#e), None)
            } else {
                (quote!(::std::option::Option<#e>), Some(quote!(#codegen::empty_as_none)))
            }
        }
    }
}

/// `#[serde(rename, with)]` for a plain (non-`Option`-wrapped) field.
fn field_attrs(f: &Field, with: Option<TokenStream>) -> TokenStream {
    let rename = rename(f);
    let with = with.map(|w| {
        let path = w.to_string().replace(' ', "");
        quote!(with = #path)
    });
    let parts: Vec<TokenStream> = rename.into_iter().chain(with).collect();
    if parts.is_empty() { quote!() } else { quote!(#[serde(#(#parts),*)]) }
}

/// Attributes for an `Option<T>` input field: omitted when `None`. Numbers and selects in inputs need no
/// special serde: a whole f64 serializes as `1.0`, which PocketBase accepts, and enums serialize as values.
fn option_attrs(f: &Field) -> TokenStream {
    let rename = rename(f);
    let parts: Vec<TokenStream> =
        rename.into_iter().chain([quote!(skip_serializing_if = "::std::option::Option::is_none")]).collect();
    quote!(#[serde(#(#parts),*)])
}

fn rename(f: &Field) -> Option<TokenStream> {
    let wire = &f.name;
    (unraw(&f.ident) != wire).then(|| quote!(rename = #wire))
}

fn field_doc(ir: &Ir, f: &Field) -> TokenStream {
    let mut lines: Vec<String> = f.help.lines().map(|l| format!(" {l}")).collect();
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!(" `{}`: {}.", f.name, describe(ir, f)));
    quote!(#(#[doc = #lines])*)
}

fn input_doc(f: &Field) -> TokenStream {
    let lines: Vec<String> = f.help.lines().map(|l| format!(" {l}")).collect();
    quote!(#(#[doc = #lines])*)
}

/// A one-line summary of the field's type and constraints for doc comments.
fn describe(ir: &Ir, f: &Field) -> String {
    let mut parts = vec![format!("{} field", f.ty.type_name())];
    if f.required {
        parts.push("required".into());
    }
    if f.hidden {
        parts.push("hidden".into());
    }
    match &f.ty {
        FieldType::Text(t) if t.max > 0 && t.min == t.max => parts.push(format!("exactly {} characters", t.max)),
        FieldType::Text(t) if t.max > 0 => parts.push(format!("{} to {} characters", t.min, t.max)),
        FieldType::Text(t) if t.min > 0 => parts.push(format!("at least {} characters", t.min)),
        FieldType::Number(n) if n.only_int => parts.push("integer".into()),
        FieldType::Select(s) if s.max_select <= 1 => parts.push(format!("one of {} values", s.values.len())),
        FieldType::Select(s) => parts.push(format!("up to {} of {} values", s.max_select, s.values.len())),
        FieldType::File(file) if file.max_select > 1 => parts.push(format!("up to {} file names", file.max_select)),
        FieldType::File(_) => parts.push("a file name".into()),
        FieldType::Relation(r) => {
            let target = &ir.collection(r.target).name;
            if r.max_select >= UNLIMITED {
                parts.push(format!("ids of any number of `{target}` records"));
            } else if f.ty.is_multi() {
                parts.push(format!("ids of up to {} `{target}` records", r.max_select));
            } else {
                parts.push(format!("the id of a `{target}` record"));
            }
        }
        FieldType::Date(_) | FieldType::Autodate { .. } => parts.push("`YYYY-MM-DD HH:MM:SS.sssZ` or empty".into()),
        _ => {}
    }
    parts.join(", ")
}

fn select_enum(f: &Field, s: &Select) -> TokenStream {
    let name = ident(&s.enum_ident);
    let doc = format!(" The values of the `{}` select field.", f.name);
    let variants = s.values.iter().map(|v| {
        let variant = ident(&v.variant);
        let value = &v.value;
        quote! {
            #[serde(rename = #value)]
            #variant,
        }
    });
    let all = s.values.iter().map(|v| ident(&v.variant));
    let arms = s.values.iter().map(|v| {
        let variant = ident(&v.variant);
        let value = &v.value;
        quote!(Self::#variant => #value,)
    });
    let derive = derives(quote!(Copy, Eq, Hash, PartialOrd, Ord,));
    quote! {
        #[doc = #doc]
        #derive
        pub enum #name {
            #(#variants)*
        }

        impl #name {
            /// Every value, in the schema's order.
            pub const ALL: &[Self] = &[#(Self::#all),*];

            /// The value as stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    #(#arms)*
                }
            }
        }
    }
}
