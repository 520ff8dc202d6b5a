//! `src/schema.rs`: the tables and indexes of every collection, for the server to create or upgrade.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::sql;
use crate::ir::{Collection, CollectionType, Ir};

pub fn tables(ir: &Ir) -> TokenStream {
    let tables = ir.collections.iter().map(table);
    quote! {
        //! The SQLite layout of every collection, as PocketBase lays it out.

        use ::pbgen_runtime::codegen::{Column, Table, TableKind};

        /// Every collection's table or view, sorted by name.
        pub const TABLES: &[Table] = &[#(#tables),*];
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
