//! `src/app.rs` (every collection with its API rules, compiled to SQL by `gen`) and `src/main.rs`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::Target;
use crate::emit::rules::RuleSql;
use crate::ir::Ir;

pub fn app(ir: &Ir, rules: &[[RuleSql; 5]]) -> Result<TokenStream, syn::Error> {
    let collections = ir
        .collections
        .iter()
        .zip(rules)
        .enumerate()
        .map(|(i, (c, [list, view, create, update, delete]))| {
            let _ = c;
            let i = proc_macro2::Literal::usize_unsuffixed(i);
            let [list, view, create, update, delete] =
                [rule(list)?, rule(view)?, rule(create)?, rule(update)?, rule(delete)?];
            Ok(quote! {
                CollectionApi {
                    meta: &SCHEMA.collections[#i],
                    rules: CollectionRules { list: #list, view: #view, create: #create, update: #update, delete: #delete },
                }
            })
        })
        .collect::<Result<Vec<_>, syn::Error>>()?;
    let has_filters = rules.iter().flatten().any(|r| matches!(r, RuleSql::Filter { .. }));
    let sql_import = has_filters.then(|| {
        quote!(
            use ::pbgen_runtime::codegen as sql;
        )
    });
    Ok(quote! {
        //! The app: every collection with its API rules, compiled to SQL when `gen` ran.

        #sql_import
        use ::pbgen_runtime::codegen::{App, CollectionApi, CollectionRules, Rule};

        use crate::schema::{SCHEMA, TABLES};

        /// The whole app: serve it with `pbgen_runtime::codegen::main(&APP)` (what `src/main.rs` does), or
        /// build the router yourself and merge your own routes into it.
        pub static APP: App = App::new(&SCHEMA, TABLES, COLLECTIONS);

        static COLLECTIONS: &[CollectionApi] = &[#(#collections),*];
    })
}

fn rule(rule: &RuleSql) -> Result<TokenStream, syn::Error> {
    Ok(match rule {
        RuleSql::SuperusersOnly => quote!(Rule::SuperusersOnly),
        RuleSql::Public => quote!(Rule::Public),
        RuleSql::Filter { source, compiled } => {
            let entries = compiled
                .iter()
                .map(|(auth, expr)| {
                    let expr: syn::Expr = syn::parse_str(expr)?;
                    let auth = match auth {
                        Some(name) => quote!(Some(#name)),
                        None => quote!(None),
                    };
                    Ok(quote!((#auth, #expr)))
                })
                .collect::<Result<Vec<_>, syn::Error>>()?;
            quote!(Rule::Filter { source: #source, compiled: &[#(#entries),*] })
        }
    })
}

pub fn main(target: &Target) -> TokenStream {
    let lib = super::ident(&target.lib_name());
    quote! {
        //! `serve [--http 127.0.0.1:8090] [--dir ./pb_data]`, like PocketBase's own binary.

        fn main() -> ::std::process::ExitCode {
            ::pbgen_runtime::codegen::main(&#lib::app::APP)
        }
    }
}
