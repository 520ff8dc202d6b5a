//! File downloads of each collection with file fields (`/api/files/{collection}/{record}/{filename}`).

use openapiv3::PathItem;

use super::Paths;
use super::kit::{binary, boolean, describe, item, operation, path, query, response, responses, string};
use super::names;
use crate::ir::{Collection, FieldType, Ir};

pub fn add(ir: &Ir, paths: &mut Paths) {
    for c in &ir.collections {
        let thumbs = thumbs(c);
        if thumbs.is_none() {
            continue;
        }
        let mut op = operation(
            names::tag(c),
            names::operation("download_file", c),
            &format!("Download a file of a {} record", c.name),
            "The file, with a sniffed `Content-Type`; images are `inline`, other files `attachment`. Files of a \
             protected field need a `token` from `POST /api/files/token` and a passing view rule; other files are \
             public. `Range` requests are answered. An unknown file is a 404."
                .into(),
            responses((200, response("The file.", "*/*", item(binary()))), &[400, 404]),
        );
        op.parameters = vec![
            path("record", "The record id."),
            path("filename", "The stored file name, as the record's file field holds it."),
            query(
                "thumb",
                string(),
                &format!(
                    "For png, jpg, gif and webp images: a thumbnail `WxH` (center crop), `WxHt` (top), `WxHb` \
                     (bottom), `WxHf` (fit), `Wx0` or `0xH` (keep the aspect ratio). Sizes this collection allows: \
                     {}. Other sizes serve the original.",
                    thumbs.unwrap_or_default()
                ),
            ),
            query("token", string(), "A file token, for files of a protected field."),
            query(
                "download",
                describe(boolean(), "Force `Content-Disposition: attachment`."),
                "Download instead of display.",
            ),
        ];
        let file = format!("/api/files/{}/{{record}}/{{filename}}", c.name);
        paths.insert(file, PathItem { get: Some(op), ..Default::default() });
    }
}

/// The thumb sizes the collection's file fields allow (`100x100` always), or `None` without file fields.
fn thumbs(c: &Collection) -> Option<String> {
    let mut sizes = vec!["100x100".to_owned()];
    let mut any = false;
    for f in &c.fields {
        if let FieldType::File(file) = &f.ty {
            any = true;
            sizes.extend(file.thumbs.iter().cloned());
        }
    }
    sizes.sort();
    sizes.dedup();
    any.then(|| sizes.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "))
}
