//! `src/schema.rs`: what the server knows about every collection — its fields with their options (the
//! metadata the validators and the filter compiler read) and its SQLite table, laid out as PocketBase does.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::sql;
use crate::ir::{Collection, CollectionType, Field, FieldType, Ir};

pub fn tables(ir: &Ir) -> TokenStream {
    let collections = ir.collections.iter().map(|c| collection_meta(ir, c));
    let tables = ir.collections.iter().map(table);
    quote! {
        //! The schema as the server sees it: collection and field metadata, and the SQLite layout.

        use ::pbgen_runtime::codegen::{
            CollectionKind, CollectionMeta, Column, FieldKind, FieldMeta, SchemaMeta, Table, TableKind,
        };

        /// Every collection, sorted by name.
        pub static SCHEMA: SchemaMeta<'static> = SchemaMeta { collections: &[#(#collections),*] };

        /// Every collection's table or view, sorted by name.
        pub const TABLES: &[Table] = &[#(#tables),*];
    }
}

fn collection_meta(ir: &Ir, c: &Collection) -> TokenStream {
    let (id, name, system) = (&c.id, &c.name, c.system);
    let kind = match c.kind {
        CollectionType::Base => quote!(CollectionKind::Base),
        CollectionType::Auth => quote!(CollectionKind::Auth),
        CollectionType::View => quote!(CollectionKind::View),
    };
    let fields = c.fields.iter().map(|f| field_meta(ir, f));
    quote! {
        CollectionMeta {
            id: #id,
            name: #name,
            kind: #kind,
            system: #system,
            fields: &[#(#fields),*],
        }
    }
}

fn field_meta(ir: &Ir, f: &Field) -> TokenStream {
    let (name, system, hidden, presentable, required) = (&f.name, f.system, f.hidden, f.presentable, f.required);
    let kind = field_kind(ir, &f.ty);
    quote! {
        FieldMeta {
            name: #name,
            system: #system,
            hidden: #hidden,
            presentable: #presentable,
            required: #required,
            kind: #kind,
        }
    }
}

fn option_f64(v: Option<f64>) -> TokenStream {
    match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

fn field_kind(ir: &Ir, ty: &FieldType) -> TokenStream {
    match ty {
        FieldType::Text(t) => {
            let (min, max, pattern, generate, pk) = (t.min, t.max, &t.pattern, &t.autogenerate_pattern, t.primary_key);
            quote!(FieldKind::Text { min: #min, max: #max, pattern: #pattern, autogenerate_pattern: #generate, primary_key: #pk })
        }
        FieldType::Number(n) => {
            let (min, max, only_int) = (option_f64(n.min), option_f64(n.max), n.only_int);
            quote!(FieldKind::Number { min: #min, max: #max, only_int: #only_int })
        }
        FieldType::Bool => quote!(FieldKind::Bool),
        FieldType::Email(d) | FieldType::Url(d) => {
            let (except, only) = (&d.except_domains, &d.only_domains);
            let variant = if matches!(ty, FieldType::Email(_)) { quote!(Email) } else { quote!(Url) };
            quote!(FieldKind::#variant { except_domains: &[#(#except),*], only_domains: &[#(#only),*] })
        }
        FieldType::Editor(e) => {
            let (max_size, convert) = (e.max_size, e.convert_urls);
            quote!(FieldKind::Editor { max_size: #max_size, convert_urls: #convert })
        }
        FieldType::Date(d) => {
            let (min, max) = (&d.min, &d.max);
            quote!(FieldKind::Date { min: #min, max: #max })
        }
        FieldType::Autodate { on_create, on_update } => {
            quote!(FieldKind::Autodate { on_create: #on_create, on_update: #on_update })
        }
        FieldType::Select(s) => {
            let values = s.values.iter().map(|v| &v.value);
            let max = s.max_select;
            quote!(FieldKind::Select { values: &[#(#values),*], max_select: #max })
        }
        FieldType::File(file) => {
            let (max_select, max_size, mimes, protected, thumbs) =
                (file.max_select, file.max_size, &file.mime_types, file.protected, &file.thumbs);
            quote!(FieldKind::File {
                max_select: #max_select,
                max_size: #max_size,
                mime_types: &[#(#mimes),*],
                protected: #protected,
                thumbs: &[#(#thumbs),*],
            })
        }
        FieldType::Relation(r) => {
            let target = &ir.collection(r.target).name;
            let (cascade, min, max) = (r.cascade_delete, r.min_select, r.max_select);
            quote!(FieldKind::Relation { collection: #target, cascade_delete: #cascade, min_select: #min, max_select: #max })
        }
        FieldType::Json(j) => {
            let max_size = j.max_size;
            quote!(FieldKind::Json { max_size: #max_size })
        }
        FieldType::Password(p) => {
            let (min, max, pattern, cost) = (p.min, p.max, &p.pattern, p.cost);
            quote!(FieldKind::Password { min: #min, max: #max, pattern: #pattern, cost: #cost })
        }
        FieldType::GeoPoint => quote!(FieldKind::GeoPoint),
    }
}

fn table(c: &Collection) -> TokenStream {
    let name = &c.name;
    let create = sql::create(c);
    let (kind, columns) = if c.kind == CollectionType::View {
        (quote!(TableKind::View), Vec::new())
    } else {
        let columns =
            sql::columns(c).into_iter().map(|(name, ddl)| quote!(Column { name: #name, ddl: #ddl })).collect();
        (quote!(TableKind::Table), columns)
    };
    let indexes = c.indexes.iter().map(|i| &i.sql);
    quote! {
        Table {
            name: #name,
            kind: #kind,
            create: #create,
            columns: &[#(#columns),*],
            indexes: &[#(#indexes),*],
        }
    }
}
