//! `src/app.rs` (every collection with its API rules, compiled to SQL by `gen`) and `src/main.rs`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::Target;
use crate::emit::rules::{CollectionRules, RuleSql};
use crate::ir::{AuthOptions, Collection, Ir};

pub fn app(ir: &Ir, rules: &[CollectionRules]) -> Result<TokenStream, syn::Error> {
    let collections = ir
        .collections
        .iter()
        .zip(rules)
        .enumerate()
        .map(|(i, (c, rules))| {
            let i = proc_macro2::Literal::usize_unsuffixed(i);
            let [list, view, create, update, delete] = &rules.crud;
            let [list, view, create, update, delete] =
                [rule(list)?, rule(view)?, rule(create)?, rule(update)?, rule(delete)?];
            let auth = match (&c.auth, &rules.auth) {
                (Some(options), Some([auth_rule, manage_rule, mfa_rule])) => {
                    let settings = auth_settings(c, options, [rule(auth_rule)?, rule(manage_rule)?, rule(mfa_rule)?]);
                    quote!(Some(#settings))
                }
                _ => quote!(None),
            };
            Ok(quote! {
                CollectionApi {
                    meta: &SCHEMA.collections[#i],
                    rules: CollectionRules { list: #list, view: #view, create: #create, update: #update, delete: #delete },
                    auth: #auth,
                }
            })
        })
        .collect::<Result<Vec<_>, syn::Error>>()?;
    let has_filters = rules
        .iter()
        .flat_map(|r| r.crud.iter().chain(r.auth.iter().flatten()))
        .any(|r| matches!(r, RuleSql::Filter { .. }));
    let has_auth = rules.iter().any(|r| r.auth.is_some());
    let settings_import = has_auth.then(|| {
        quote!(
            use ::pbgen_runtime::codegen::AuthSettings;
        )
    });
    let sql_import = has_filters.then(|| {
        quote!(
            use ::pbgen_runtime::codegen as sql;
        )
    });
    Ok(quote! {
        //! The app: every collection with its API rules, compiled to SQL when `gen` ran.

        #sql_import
        #settings_import
        use ::pbgen_runtime::codegen::{App, CollectionApi, CollectionRules, Rule};

        use crate::schema::{SCHEMA, TABLES};

        /// The whole app: serve it with `pbgen_runtime::codegen::main(&APP)` (what `src/main.rs` does), or
        /// build the router yourself and merge your own routes into it.
        pub static APP: App = App::new(&SCHEMA, TABLES, COLLECTIONS).with_openapi(OPENAPI);

        /// The OpenAPI document of this API (`openapi.json` beside `src/`), served at `/api/openapi.json`.
        pub const OPENAPI: &str = include_str!("../openapi.json");

        static COLLECTIONS: &[CollectionApi] = &[#(#collections),*];
    })
}

/// PocketBase's defaults for settings an (older) export may leave out.
fn or(value: u64, default: u64) -> u64 {
    if value == 0 { default } else { value }
}

fn auth_settings(c: &Collection, o: &AuthOptions, [auth_rule, manage_rule, mfa_rule]: [TokenStream; 3]) -> TokenStream {
    let duration = |t: &Option<crate::schema::TokenConfig>| t.as_ref().map_or(0, |t| t.duration);
    let superusers = c.name == "_superusers";
    let auth_token = or(duration(&o.auth_token), if superusers { 86_400 } else { 432_000 });
    let file_token = or(duration(&o.file_token), 180);
    let verification = or(duration(&o.verification_token), 86_400);
    let reset = or(duration(&o.password_reset_token), 1_800);
    let email_change = or(duration(&o.email_change_token), 1_800);
    let (password_auth, identity) = match &o.password_auth {
        Some(p) => (p.enabled, p.identity_fields.clone()),
        None => (true, vec!["email".to_owned()]),
    };
    let oauth2 = o.oauth2.as_ref().is_some_and(|t| t.enabled);
    let (mfa, mfa_duration) = o.mfa.as_ref().map_or((false, 600), |m| (m.enabled, or(m.duration, 600)));
    let (otp, otp_duration) = o.otp.as_ref().map_or((false, 180), |m| (m.enabled, or(m.duration, 180)));
    let otp_length = o.otp.as_ref().map_or(8, |m| or(m.length, 8));
    // PocketBase's new auth collections have login alerts on
    let auth_alert = o.auth_alert.as_ref().is_none_or(|a| a.enabled);
    let otp_template = o.otp.as_ref().and_then(|m| m.email_template.clone());
    let auth_alert_template = o.auth_alert.as_ref().and_then(|a| a.email_template.clone());
    let [
        verification_template,
        reset_password_template,
        confirm_email_change_template,
        otp_template,
        auth_alert_template,
    ] = [
        &o.verification_template,
        &o.reset_password_template,
        &o.confirm_email_change_template,
        &otp_template,
        &auth_alert_template,
    ]
    .map(|t| match t {
        Some(crate::schema::EmailTemplate { subject, body }) => {
            quote!(Some(::pbgen_runtime::codegen::EmailTemplate { subject: #subject, body: #body }))
        }
        None => quote!(None),
    });
    quote! {
        AuthSettings {
            password_auth: #password_auth,
            identity_fields: &[#(#identity),*],
            auth_rule: #auth_rule,
            manage_rule: #manage_rule,
            auth_token_duration: #auth_token,
            file_token_duration: #file_token,
            verification_token_duration: #verification,
            password_reset_token_duration: #reset,
            email_change_token_duration: #email_change,
            oauth2: #oauth2,
            mfa: #mfa,
            mfa_duration: #mfa_duration,
            mfa_rule: #mfa_rule,
            otp: #otp,
            otp_duration: #otp_duration,
            otp_length: #otp_length,
            auth_alert: #auth_alert,
            verification_template: #verification_template,
            reset_password_template: #reset_password_template,
            confirm_email_change_template: #confirm_email_change_template,
            otp_template: #otp_template,
            auth_alert_template: #auth_alert_template,
        }
    }
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

        /// The server allocates per request, and the runtime's allocator (mimalloc) is much faster at that
        /// than the system's under many threads. A hand-written `main` chooses its own.
        #[global_allocator]
        static ALLOCATOR: ::pbgen_runtime::codegen::Allocator = ::pbgen_runtime::codegen::Allocator;

        fn main() -> ::std::process::ExitCode {
            ::pbgen_runtime::codegen::main(&#lib::app::APP)
        }
    }
}
