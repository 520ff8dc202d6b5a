//! Record files as PocketBase 0.40.6 handles them: stored names, storage on disk (with PocketBase's
//! `.attrs` sidecars, so either server can serve the other's files), `GET /api/files/…` with thumbs,
//! ranges and conditional requests, and the multipart reader the create/update handlers use.
//!
//! # Writing files: the order that never loses or orphans a file
//!
//! For a create or update with uploads (PocketBase does the same around its DB write):
//! 1. [`read_multipart`] → body, [`Upload`](crate::validate::Upload)s and their bytes;
//!    [`prepare_create`](crate::validate::prepare_create)/[`prepare_update`](crate::validate::prepare_update),
//!    rules and the other checks.
//! 2. **Before** the write transaction: [`save_uploads`] the [`Prepared::uploads`](crate::validate::Prepared)
//!    (new names, so nothing existing is overwritten). If it fails, nothing was written (it cleans up
//!    after itself): answer with the error.
//! 3. Run the transaction. If it fails (or rolls back), [`discard_uploads`] the same uploads (on a create
//!    it also removes the record's directory if that left it empty), then answer with the error.
//! 4. **After** the commit: [`delete_files`] the [`Prepared::deleted_files`](crate::validate::Prepared)
//!    (replaced or removed files, with their thumbs). A failure there only leaves an unreferenced file
//!    behind: log it, the request still succeeds.
//!
//! Deleting a record: [`delete_record_dir`] after the commit.
//!
//! All file functions here are blocking (`std::fs`): call them from `spawn_blocking` or inside the
//! store's blocking closures.
//!
//! # Serving
//!
//! [`routes`] serves `GET`/`HEAD /api/files/{collection}/{record}/{filename}` as PocketBase does:
//! `{collection}` by name or id; 404 JSON for an unknown collection ("Missing or invalid collection
//! context."), record, or a file that is not in one of the record's file fields; non-protected files are
//! public whatever the view rule says; a protected file needs the view rule to pass for the `?token=`'s
//! requester (auth is not implemented yet, so: for a guest); `?thumb=` for the field's `thumbs` plus
//! `100x100`, for PNG/JPEG/GIF/WebP originals, made once and kept in `thumbs_<filename>/`;
//! `Content-Type` from the sidecar (a few extensions forced); `Content-Disposition` `inline` for images,
//! audio, video and PDF, else (or with `?download=1`) `attachment`, the name quoted; PocketBase's
//! `Cache-Control` and `Content-Security-Policy`; `Accept-Ranges`, `Last-Modified`, single and multiple
//! ranges, `If-Modified-Since` & co. exactly as Go's `http.ServeContent` (no ETag, as PocketBase).
//!
//! PocketBase also removes the global `X-Frame-Options` header from these responses: every response
//! of the download handler carries the [`ServedFile`] extension so the router's header layer can skip it.

mod multipart;
mod names;
mod serve;
pub mod sniff;
mod storage;
pub mod thumbs;

use std::io;
use std::path::Path;

use axum::Router;
use axum::routing::get;

pub(crate) use multipart::go_query;
pub use multipart::{
    JSON_PAYLOAD, MultipartBody, infer, read_multipart, read_multipart_bytes, read_urlencoded, unmarshal_form,
};
pub(crate) use names::snakecase;
pub use names::{go_base, random_string, stored_name};
pub use serve::{CACHE_CONTROL, CSP, FileAuth};
pub use storage::record_dir;

use crate::api::AppState;
use crate::validate::UploadedFile;

/// Marker extension on every response of the file download handler: PocketBase serves those without
/// `X-Frame-Options` (files may be embedded), so the layer adding it should skip responses that carry
/// this (`response.extensions().get::<ServedFile>().is_some()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedFile;

/// `GET`/`HEAD /api/files/{collection}/{record}/{filename}` (other methods: PocketBase's 404 JSON).
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/files/{collection}/{record}/{filename}",
        get(serve::download).head(serve::download).fallback(serve::other_method),
    )
}

/// Stores one upload of a record: `<data dir>/storage/<collectionId>/<recordId>/<file.name>` plus its
/// `.attrs` sidecar (the sniffed `file.mime`, `original-filename`, MD5), through a temporary file renamed
/// into place.
pub fn save(
    data_dir: &Path,
    collection_id: &str,
    record_id: &str,
    file: &UploadedFile,
    content: &[u8],
) -> io::Result<()> {
    if !storage::plain_name(&file.name) || !storage::plain_name(record_id) || !storage::plain_name(collection_id) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid file path {collection_id}/{record_id}/{}", file.name),
        ));
    }
    // PocketBase keeps at most 255 bytes of the original name in the sidecar
    let mut original = file.original_name.as_str();
    if original.len() > 255 {
        let mut end = 255;
        while !original.is_char_boundary(end) {
            end -= 1;
        }
        original = &original[..end];
    }
    let path = record_dir(data_dir, collection_id, record_id).join(&file.name);
    let metadata = std::collections::BTreeMap::from([("original-filename".to_string(), original.to_string())]);
    storage::write_with_attrs(&path, content, &file.mime, metadata)
}

/// Stores every upload that ends up in the record (`Prepared::uploads`), taking the bytes from
/// `body.files`. All or nothing: on the first failure the ones already written are removed again.
pub fn save_uploads(
    data_dir: &Path,
    collection_id: &str,
    record_id: &str,
    uploads: &[(String, UploadedFile)],
    body: &MultipartBody,
) -> io::Result<()> {
    for (i, (_, file)) in uploads.iter().enumerate() {
        let result = match body.content(&file.name) {
            Some(content) => save(data_dir, collection_id, record_id, file, content),
            None => Err(io::Error::new(io::ErrorKind::NotFound, format!("no content for upload {}", file.name))),
        };
        if let Err(e) = result {
            for (_, done) in &uploads[..i] {
                let _ = delete(data_dir, collection_id, record_id, &done.name);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// Removes the files [`save_uploads`] wrote, after the transaction failed. With `new_record`, also the
/// record's directory when nothing else is left in it (PocketBase does the same on a failed create).
pub fn discard_uploads(
    data_dir: &Path,
    collection_id: &str,
    record_id: &str,
    uploads: &[(String, UploadedFile)],
    new_record: bool,
) -> io::Result<()> {
    let mut result = Ok(());
    for (_, file) in uploads {
        if let Err(e) = delete(data_dir, collection_id, record_id, &file.name) {
            result = Err(e);
        }
    }
    if new_record {
        // only succeeds when empty
        let _ = std::fs::remove_dir(record_dir(data_dir, collection_id, record_id));
    }
    result
}

/// Deletes one stored file with its sidecar and its thumbs. A missing file is not an error; a name with a
/// path separator is ignored (as PocketBase ignores it).
pub fn delete(data_dir: &Path, collection_id: &str, record_id: &str, name: &str) -> io::Result<()> {
    if !storage::plain_name(name) || !storage::plain_name(record_id) || !storage::plain_name(collection_id) {
        return Ok(());
    }
    let dir = record_dir(data_dir, collection_id, record_id);
    storage::remove_with_attrs(&dir.join(name))?;
    if let Err(e) = storage::ignore_missing(std::fs::remove_dir_all(dir.join(format!("thumbs_{name}")))) {
        tracing::warn!("failed to delete the thumbs of {name}: {e}");
    }
    Ok(())
}

/// Deletes the files a committed update no longer references (`Prepared::deleted_files`: (field, name)).
/// Every file is attempted; the first error is returned (the caller logs it).
pub fn delete_files(
    data_dir: &Path,
    collection_id: &str,
    record_id: &str,
    files: &[(String, String)],
) -> io::Result<()> {
    let mut result = Ok(());
    for (_, name) in files {
        if let Err(e) = delete(data_dir, collection_id, record_id, name)
            && result.is_ok()
        {
            result = Err(e);
        }
    }
    result
}

/// Deletes a record's whole directory (every file, sidecar and thumb) after the record was deleted.
pub fn delete_record_dir(data_dir: &Path, collection_id: &str, record_id: &str) -> io::Result<()> {
    if !storage::plain_name(record_id) || !storage::plain_name(collection_id) {
        return Ok(());
    }
    storage::ignore_missing(std::fs::remove_dir_all(record_dir(data_dir, collection_id, record_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(original: &str, content: &[u8]) -> UploadedFile {
        UploadedFile {
            name: stored_name(original, content),
            original_name: original.to_string(),
            size: content.len() as u64,
            mime: sniff::detect(content).mime,
        }
    }

    #[test]
    fn save_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let a = upload("notes.txt", b"hello world\n");
        let b = upload("b.bin", b"\x00\x01");
        let body = MultipartBody {
            files: vec![(a.name.clone(), "hello world\n".into()), (b.name.clone(), vec![0u8, 1].into())],
            ..Default::default()
        };
        let uploads = vec![("attachments".to_string(), a.clone()), ("attachments".to_string(), b.clone())];
        save_uploads(dir.path(), "c1", "r1", &uploads, &body).unwrap();
        let rdir = record_dir(dir.path(), "c1", "r1");
        assert_eq!(std::fs::read(rdir.join(&a.name)).unwrap(), b"hello world\n");
        let attrs = std::fs::read_to_string(rdir.join(format!("{}.attrs", a.name))).unwrap();
        assert!(
            attrs.contains(
                r#""user.content_type":"text/plain; charset=utf-8","user.metadata":{"original-filename":"notes.txt"}"#
            ),
            "{attrs}"
        );
        // a thumb dir goes with its file
        std::fs::create_dir_all(rdir.join(format!("thumbs_{}", a.name))).unwrap();
        delete_files(dir.path(), "c1", "r1", &[("attachments".into(), a.name.clone())]).unwrap();
        assert!(!rdir.join(&a.name).exists());
        assert!(!rdir.join(format!("thumbs_{}", a.name)).exists());
        // a failed save leaves nothing behind
        let missing = upload("gone.txt", b"x");
        let uploads2 = vec![("attachments".to_string(), a.clone()), ("attachments".to_string(), missing)];
        assert!(save_uploads(dir.path(), "c1", "r2", &uploads2, &body).is_err());
        assert!(!record_dir(dir.path(), "c1", "r2").join(&a.name).exists());
        discard_uploads(dir.path(), "c1", "r2", &uploads2, true).unwrap();
        assert!(!record_dir(dir.path(), "c1", "r2").exists());
        delete_record_dir(dir.path(), "c1", "r1").unwrap();
        assert!(!rdir.exists());
        delete_record_dir(dir.path(), "c1", "r1").unwrap();
        // path separators are never followed
        assert!(delete(dir.path(), "c1", "r1", "../x").is_ok());
        assert!(save(dir.path(), "c1", "r1", &UploadedFile { name: "../x".into(), ..a }, b"").is_err());
    }
}
