//! Files on disk, laid out as PocketBase's local filesystem does it:
//!
//! ```text
//! <data dir>/storage/<collectionId>/<recordId>/<filename>
//! <data dir>/storage/<collectionId>/<recordId>/<filename>.attrs             sidecar (JSON, see below)
//! <data dir>/storage/<collectionId>/<recordId>/thumbs_<filename>/<WxH>_<filename>   (+ its .attrs)
//! ```
//!
//! The `.attrs` sidecar is what PocketBase's blob driver reads back when serving: its `user.content_type`
//! becomes the `Content-Type` (and decides inline vs attachment and whether thumbs are made), so files
//! PocketBase wrote are served exactly as it would, and files written here carry the same sidecar so
//! PocketBase serves ours the same way. A file without a sidecar is `application/octet-stream`.
//! One line of JSON, no trailing newline, keys in this order:
//!
//! ```json
//! {"user.cache_control":"","user.content_disposition":"","user.content_encoding":"","user.content_language":"",
//!  "user.content_type":"image/png","user.metadata":{"original-filename":"My Cover Image.PNG"},"md5":"EADZvDAhJx/gZ+EOYGXY1w=="}
//! ```
//! (`md5` is the base64 MD5 of the content; thumbs have `"user.metadata":{}`.)
//!
//! Writes go to a temporary file next to the target and are renamed into place, so a reader never sees
//! a partial file.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

/// The `.attrs` sidecar (gocloud's `xattrs`, field order as PocketBase writes it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Attrs {
    #[serde(rename = "user.cache_control", default)]
    pub cache_control: String,
    #[serde(rename = "user.content_disposition", default)]
    pub content_disposition: String,
    #[serde(rename = "user.content_encoding", default)]
    pub content_encoding: String,
    #[serde(rename = "user.content_language", default)]
    pub content_language: String,
    #[serde(rename = "user.content_type", default)]
    pub content_type: String,
    #[serde(rename = "user.metadata", default)]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub md5: Option<String>,
}

/// `<data dir>/storage/<collectionId>/<recordId>`.
pub fn record_dir(data_dir: &Path, collection_id: &str, record_id: &str) -> PathBuf {
    data_dir.join("storage").join(collection_id).join(record_id)
}

/// Whether `name` can be a file of a record directory (PocketBase skips names with a path separator).
pub(crate) fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Where the thumb `size` (`100x100`, `0x200`, …) of `name` lives.
pub(crate) fn thumb_path(record_dir: &Path, name: &str, size: &str) -> PathBuf {
    record_dir.join(format!("thumbs_{name}")).join(format!("{size}_{name}"))
}

pub(crate) fn attrs_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".attrs");
    PathBuf::from(p)
}

/// The content type PocketBase serves `path` with: its sidecar's, `application/octet-stream` without
/// one; an unreadable sidecar is an error (PocketBase then answers 404).
pub(crate) fn read_content_type(path: &Path) -> io::Result<String> {
    match std::fs::read(attrs_path(path)) {
        Ok(bytes) => serde_json::from_slice::<Attrs>(&bytes)
            .map(|a| a.content_type)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok("application/octet-stream".to_string()),
        Err(e) => Err(e),
    }
}

/// Writes `content` to `path` with its sidecar (`content_type`, `metadata`), creating the directories:
/// the content goes to a temporary file first, then the sidecar, then the content is renamed into place
/// (the sidecar is removed again if that fails).
pub(crate) fn write_with_attrs(
    path: &Path,
    content: &[u8],
    content_type: &str,
    metadata: BTreeMap<String, String>,
) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no parent directory"))?;
    std::fs::create_dir_all(dir)?;
    let attrs = Attrs {
        content_type: content_type.to_string(),
        metadata: Some(metadata),
        md5: Some(base64(&Md5::digest(content))),
        ..Attrs::default()
    };
    let attrs_json = serde_json::to_vec(&attrs).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let tmp = temp_path(path);
    let result = (|| {
        write_file(&tmp, content)?;
        let attrs_file = attrs_path(path);
        let attrs_tmp = temp_path(&attrs_file);
        if let Err(e) = write_file(&attrs_tmp, &attrs_json).and_then(|()| std::fs::rename(&attrs_tmp, &attrs_file)) {
            let _ = std::fs::remove_file(&attrs_tmp);
            return Err(e);
        }
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&attrs_file);
            return Err(e);
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_file(path: &Path, content: &[u8]) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(content)?;
    f.sync_all()
}

/// `<path>.<nanoseconds in hex>.tmp`, next to the target (PocketBase's naming, so a crash leaves the
/// same kind of stray file).
fn temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut p = path.as_os_str().to_owned();
    p.push(format!(".{:x}.tmp", nanos.wrapping_add(SEQ.fetch_add(1, Ordering::Relaxed))));
    PathBuf::from(p)
}

/// Removes a file and its sidecar; a missing file is fine.
pub(crate) fn remove_with_attrs(path: &Path) -> io::Result<()> {
    ignore_missing(std::fs::remove_file(path))?;
    ignore_missing(std::fs::remove_file(attrs_path(path)))
}

pub(crate) fn ignore_missing(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Standard base64 with padding (how Go's JSON encodes the `[]byte` MD5).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_base64_as_go_writes_it() {
        // `printf 'hello world\n'` as PocketBase stored it
        assert_eq!(base64(&Md5::digest(b"hello world\n")), "b1kCrCNwJL3QwXbLkwY9xA==");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }

    #[test]
    fn sidecar_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/notes_x.txt");
        let meta = BTreeMap::from([("original-filename".to_string(), "notes.txt".to_string())]);
        write_with_attrs(&path, b"hello world\n", "text/plain; charset=utf-8", meta).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello world\n");
        assert_eq!(
            std::fs::read_to_string(attrs_path(&path)).unwrap(),
            r#"{"user.cache_control":"","user.content_disposition":"","user.content_encoding":"","user.content_language":"","user.content_type":"text/plain; charset=utf-8","user.metadata":{"original-filename":"notes.txt"},"md5":"b1kCrCNwJL3QwXbLkwY9xA=="}"#
        );
        assert_eq!(read_content_type(&path).unwrap(), "text/plain; charset=utf-8");
        // no stray temporary files
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 2);
        remove_with_attrs(&path).unwrap();
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 0);
        assert_eq!(read_content_type(&path).unwrap(), "application/octet-stream");
        remove_with_attrs(&path).unwrap();
    }
}
