//! `src/hooks.rs`: a typed hooks trait (one method per collection and write event, each with a default
//! body) and its adapter to the runtime, so user code extends the server without editing generated files.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ident;
use crate::ir::naming::unraw;
use crate::ir::{CollectionType, Ir};

const EVENTS: [(&str, bool, bool); 6] = [
    // (event, runs before the write (may refuse), gets a mutable record)
    ("before_create", true, true),
    ("after_create", false, false),
    ("before_update", true, true),
    ("after_update", false, false),
    ("before_delete", true, false),
    ("after_delete", false, false),
];

pub fn hooks(ir: &Ir) -> TokenStream {
    let writable: Vec<_> = ir.collections.iter().filter(|c| c.kind != CollectionType::View).collect();
    let methods = writable.iter().flat_map(|c| {
        let module = ident(&c.module);
        EVENTS.iter().map(move |(event, before, mutable)| {
            let name = format_ident!("{}_{event}", unraw(&c.module));
            let doc = format!(
                " `{}`: {}",
                c.name,
                if *before {
                    "runs inside the write transaction; an error rolls the write back and answers 400 with its message."
                } else {
                    "runs after the write is committed."
                }
            );
            let record = if *mutable { quote!(&mut models::#module::Record) } else { quote!(&models::#module::Record) };
            if *before {
                quote! {
                    #[doc = #doc]
                    fn #name(&self, record: #record) -> HookResult {
                        let _ = record;
                        Ok(())
                    }
                }
            } else {
                quote! {
                    #[doc = #doc]
                    fn #name(&self, record: #record) {
                        let _ = record;
                    }
                }
            }
        })
    });
    let adapters = EVENTS.iter().map(|(event, before, mutable)| {
        let method = format_ident!("{event}");
        let arms = writable.iter().map(|c| {
            let module = ident(&c.module);
            let name = &c.name;
            let hook = format_ident!("{}_{event}", unraw(&c.module));
            match (*before, *mutable) {
                (true, true) => quote!(#name => typed(record, |r: &mut models::#module::Record| self.0.#hook(r)),),
                (true, false) => quote!(#name => typed_ref(record, |r: &models::#module::Record| self.0.#hook(r)),),
                (false, _) => quote!(#name => { let _ = typed_ref(record, |r: &models::#module::Record| { self.0.#hook(r); Ok(()) }); }),
            }
        });
        let record = if *mutable { quote!(&mut Map<String, Value>) } else { quote!(&Map<String, Value>) };
        if *before {
            quote! {
                fn #method(&self, collection: &str, record: #record) -> HookResult {
                    match collection {
                        #(#arms)*
                        _ => Ok(()),
                    }
                }
            }
        } else {
            quote! {
                fn #method(&self, collection: &str, record: #record) {
                    match collection {
                        #(#arms)*
                        _ => {}
                    }
                }
            }
        }
    });
    quote! {
        //! Hooks around writes: implement [`Hooks`] (override only what you need) and serve the app with
        //! `app::APP` + `Adapter(your_hooks)`, e.g.
        //! `pbgen_runtime::codegen::Server::new(&app::APP).with_hooks(hooks::Adapter(MyHooks)).main()`.

        use ::pbgen_runtime::codegen::serde_json::{Map, Value};
        use ::pbgen_runtime::codegen::{HookResult, RecordHooks, typed, typed_ref};

        use crate::models;

        /// One method per collection and write event; every method has a default that does nothing.
        pub trait Hooks: Send + Sync + 'static {
            #(#methods)*
        }

        /// Adapts your [`Hooks`] to the runtime's untyped hooks.
        pub struct Adapter<H>(pub H);

        impl<H: Hooks> RecordHooks for Adapter<H> {
            #(#adapters)*
        }
    }
}
