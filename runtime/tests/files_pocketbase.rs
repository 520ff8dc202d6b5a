//! Differential test of `pbgen_runtime::files` against the real PocketBase binary (`pocketbase` on PATH, or
//! `$PB_BIN`; the test fails when it is missing).
//!
//! It builds a database for `schemas/blog.json` with `.ci/pb-make-db`, starts `pocketbase serve`, and as a
//! superuser uploads through PocketBase's API: images (PNG, JPEG with an EXIF orientation, GIF, WebP), text,
//! a protected file on an unpublished and on a published post, and ~100 content samples for the sniffer.
//! Then it copies `pb_data` (files keep their modification times) and serves the copy with
//! [`files::routes`] in-process (a hand-written `App` with the blog's `posts` collection, the view rule
//! compiled as `gen` compiles it), and sends both servers the same requests: originals, `?download=`,
//! every thumb size (twice: made, then cached), protected files, 404s, ranges, `HEAD`, conditional
//! requests. It compares status, the file headers, bodies (thumbs: dimensions and pixels), and that
//! PocketBase drops `X-Frame-Options` exactly where our handler marks the response.
//!
//! It also checks, for every sample, that the sniffed MIME type and the extension given to a name without
//! one are PocketBase's (its `.attrs` sidecars and stored names), and that PocketBase serves files written
//! by [`files::save`] like its own.

mod support;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pbgen_runtime::access::{CollectionRules, Rule};
use pbgen_runtime::api::AppState;
use pbgen_runtime::files::{self, ServedFile, sniff};
use pbgen_runtime::filter::sql::{CompiledRef, Conv, Param, Source};
use pbgen_runtime::meta::{CollectionKind, CollectionMeta, FieldKind, FieldMeta, SchemaMeta};
use pbgen_runtime::server::{App, CollectionApi};
use pbgen_runtime::validate::UploadedFile;
use serde_json::{Value, json};
use support::{Resp, SU_EMAIL, SU_PASS, http, multipart, repo_root, start_pocketbase};

const POSTS_ID: &str = "pbc_1125843985";

// ------------------------------------------------------------------------------------------------
// The blog's `posts` collection, as far as files go

static POST_FIELDS: &[FieldMeta<'static>] = &[
    field(
        "id",
        FieldKind::Text {
            min: 15,
            max: 15,
            pattern: "^[a-z0-9]+$",
            autogenerate_pattern: "[a-z0-9]{15}",
            primary_key: true,
        },
    ),
    field("published", FieldKind::Bool),
    field("author", FieldKind::Relation { collection: "users", cascade_delete: true, min_select: 0, max_select: 1 }),
    field(
        "cover",
        FieldKind::File {
            max_select: 1,
            max_size: 5242880,
            mime_types: &["image/jpeg", "image/png", "image/gif", "image/webp"],
            protected: false,
            thumbs: &["100x100", "300x0", "0x200", "50x50t", "50x50b", "50x50f"],
        },
    ),
    field(
        "attachments",
        FieldKind::File { max_select: 5, max_size: 10485760, mime_types: &[], protected: false, thumbs: &[] },
    ),
    field(
        "privateDoc",
        FieldKind::File { max_select: 1, max_size: 1048576, mime_types: &[], protected: true, thumbs: &[] },
    ),
];

const fn field(name: &'static str, kind: FieldKind<'static>) -> FieldMeta<'static> {
    FieldMeta { name, system: false, hidden: false, presentable: false, required: false, kind }
}

static COLLECTIONS_META: &[CollectionMeta<'static>] =
    &[CollectionMeta { id: POSTS_ID, name: "posts", kind: CollectionKind::Base, system: false, fields: POST_FIELDS }];
static SCHEMA: SchemaMeta<'static> = SchemaMeta { collections: COLLECTIONS_META };

/// `published = true || author = @request.auth.id`, as `gen` compiles it.
const AUTH_ID: Param<&str> = Param::Request { source: Source::Auth, path: "id", conv: Conv::Value, like: false };
static VIEW_RULE: &[(Option<&str>, CompiledRef<'static>)] = &[(
    None,
    CompiledRef {
        sql: "(`posts`.`published` = 1 OR (CASE WHEN (? IS NULL OR ? = '') THEN (`posts`.`author` = '' OR `posts`.`author` IS NULL) ELSE `posts`.`author` = ? END))",
        params: &[AUTH_ID, AUTH_ID, AUTH_ID],
    },
)];
const VIEW: Rule = Rule::Filter { source: "published = true || author = @request.auth.id", compiled: VIEW_RULE };
static COLLECTIONS: &[CollectionApi] = &[CollectionApi {
    meta: &COLLECTIONS_META[0],
    rules: CollectionRules {
        list: VIEW,
        view: VIEW,
        create: Rule::SuperusersOnly,
        update: Rule::SuperusersOnly,
        delete: Rule::SuperusersOnly,
    },
    auth: None,
}];
static APP: App = App::new(&SCHEMA, &[], COLLECTIONS);

// ------------------------------------------------------------------------------------------------
// The PocketBase process and our server

struct Ours {
    port: u16,
    _rt: tokio::runtime::Runtime,
}

/// Our file routes over `dir`, with a layer that exposes the [`ServedFile`] marker as a header.
fn start_ours(dir: PathBuf) -> Ours {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let store = pbgen_runtime::store::Store::open(&dir, 2).expect("open the copied data.db");
    let state = AppState::new(pbgen_runtime::api::Shared {
        app: &APP,
        store,
        data_dir: Arc::new(dir),
        hooks: Arc::new(pbgen_runtime::hooks::NoHooks),
        events: Default::default(),
        mail: Default::default(),
    });
    let router = files::routes().with_state(state).layer(axum::middleware::map_response(
        |mut r: axum::response::Response| async move {
            if r.extensions().get::<ServedFile>().is_some() {
                r.headers_mut().insert("x-served-file", axum::http::HeaderValue::from_static("1"));
            }
            r
        },
    ));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, router).await });
    Ours { port, _rt: rt }
}

/// Copies `pb_data` (the database and storage), keeping file modification times.
fn copy_data(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            if name == "storage" {
                copy_tree(&src, &dst);
            }
        } else if name.to_string_lossy().starts_with("data.db") {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
            let mtime = std::fs::metadata(&src).unwrap().modified().unwrap();
            std::fs::File::options().write(true).open(&dst).unwrap().set_modified(mtime).unwrap();
        }
    }
}

// ------------------------------------------------------------------------------------------------
// PocketBase's API as the superuser

struct Api {
    port: u16,
    token: String,
}

impl Api {
    fn post(&self, path: &str, body: &Value) -> Value {
        let bytes = serde_json::to_vec(body).unwrap();
        let r = http(self.port, "POST", path, &[("Authorization", &self.token)], Some(("application/json", &bytes)))
            .unwrap();
        assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.body));
        r.json()
    }

    fn create_post(&self, slug: &str, author: &str, published: bool, files: &[(&str, &str, &[u8])]) -> Value {
        let published = published.to_string();
        let (ctype, body) = multipart(
            &[("title", "Files"), ("slug", slug), ("status", "live"), ("author", author), ("published", &published)],
            files,
        );
        let r = http(
            self.port,
            "POST",
            "/api/collections/posts/records",
            &[("Authorization", &self.token)],
            Some((&ctype, &body)),
        )
        .unwrap();
        assert_eq!(r.status, 200, "create {slug}: {}", String::from_utf8_lossy(&r.body));
        r.json()
    }
}

// ------------------------------------------------------------------------------------------------
// Test content

fn gradient(w: u32, h: u32) -> image::RgbaImage {
    image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x * 255 / (w - 1)) as u8, (y * 255 / (h - 1)) as u8, ((x + y) % 256) as u8, 255])
    })
}

fn encode(img: &image::RgbaImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match format {
        image::ImageFormat::Jpeg => {
            image::DynamicImage::ImageRgba8(img.clone()).to_rgb8().write_to(&mut out, format).unwrap()
        }
        _ => img.write_to(&mut out, format).unwrap(),
    }
    out.into_inner()
}

/// A JPEG with an EXIF orientation (6: rotate 90° clockwise to display).
fn jpeg_with_orientation(img: &image::RgbaImage, orientation: u8) -> Vec<u8> {
    let jpeg = encode(img, image::ImageFormat::Jpeg);
    let mut tiff = b"II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00".to_vec();
    tiff.extend_from_slice(&[orientation, 0, 0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Content for the sniffer, named without an extension so PocketBase derives one from the type.
fn sniff_samples() -> Vec<(String, Vec<u8>)> {
    let mut s: Vec<Vec<u8>> = vec![
        b"hello world\n".to_vec(),
        b"caf\xe9 au lait".to_vec(),
        b"caf\xe9".to_vec(),
        b"a\x85b\xe9c".to_vec(),
        b"\x93quoted\x94".to_vec(),
        b"\xef\xbb\xbfbom text".to_vec(),
        b"\xff\xfeu\x00t\x00f\x001\x006\x00".to_vec(),
        b"<!DOCTYPE html><html><body>x</body></html>".to_vec(),
        b"<html><head><meta charset=\"iso-8859-1\"></head><body>x</body></html>".to_vec(),
        b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"></head></html>".to_vec(),
        b"<!-- comment --><p>para</p>".to_vec(),
        b"\xef\xbb\xbf  <HTML>".to_vec(),
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><root/>".to_vec(),
        b"<?xml version='1.0' encoding='ISO-8859-1'?><root>\xe9</root>".to_vec(),
        b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel/></rss>".to_vec(),
        b"<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>".to_vec(),
        b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\"/>".to_vec(),
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>".to_vec(),
        b"<?xml version=\"1.0\"?><!DOCTYPE html><html xmlns=\"http://www.w3.org/1999/xhtml\"></html>".to_vec(),
        br#"{"a": [1, 2], "b": {"c": null}}"#.to_vec(),
        b"[1, 2, 3]".to_vec(),
        b"42".to_vec(),
        br#"{"a": 1"#.to_vec(),
        br#"{"type": "Feature", "geometry": null, "properties": {}}"#.to_vec(),
        br#"{"asset": {"version": "2.0"}}"#.to_vec(),
        b"{\"a\":1}\n{\"b\":2}\n".to_vec(),
        b"a,b,c\n1,2,3\n4,5,6\n".to_vec(),
        b"a\tb\n1\t2\n".to_vec(),
        b"\"x,y\",b\n\"1\"\"2\",3\n".to_vec(),
        b"a,b\n1\n".to_vec(),
        b"#!/bin/sh\necho hi\n".to_vec(),
        b"#!/usr/bin/env  bash\n".to_vec(),
        b"#!/usr/bin/python3\nprint(1)\n".to_vec(),
        b"#!/usr/bin/env node\n".to_vec(),
        b"#!/usr/bin/perl -w\n".to_vec(),
        b"#! /usr/bin/env ruby\n".to_vec(),
        b"<?php echo 1; ?>".to_vec(),
        b"{\\rtf1\\ansi hi}".to_vec(),
        b"BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n".to_vec(),
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_vec(),
        b"1\n00:02:16,612 --> 00:02:19,376\nHello\n".to_vec(),
        b"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n".to_vec(),
        b"From: a@b.c\nTo: d@e.f\nSubject: x\n\nbody".to_vec(),
        b"0 HEAD\n1 GEDC\n2 VERS 5.5.1\n".to_vec(),
        b"P1\n2 2\n0 1\n1 0\n".to_vec(),
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec(),
        b"%!PS-Adobe-3.0\n".to_vec(),
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03".to_vec(),
        b"BZh91AY&SY".to_vec(),
        b"\xfd7zXZ\x00\x00\x04".to_vec(),
        b"7z\xbc\xaf\x27\x1c\x00\x04".to_vec(),
        b"Rar!\x1a\x07\x01\x00".to_vec(),
        b"\x28\xb5\x2f\xfd\x00\x58".to_vec(),
        b"ID3\x04\x00\x00\x00\x00\x00\x10rest of tag".to_vec(),
        b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec(),
        b"fLaC\x00\x00\x00\x22\x10\x00".to_vec(),
        b"MThd\x00\x00\x00\x06".to_vec(),
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2".to_vec(),
        b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00M4A mp42".to_vec(),
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec(),
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1".to_vec(),
        b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ".to_vec(),
        b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webmB\x87".to_vec(),
        b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\x82\x88matroska".to_vec(),
        b"RIFF\x00\x00\x00\x00AVI LIST\x00\x00".to_vec(),
        b"FLV\x01\x05\x00\x00\x00\x09".to_vec(),
        b"wOFF\x00\x01\x00\x00".to_vec(),
        b"wOF2\x00\x01\x00\x00".to_vec(),
        b"\x00asm\x01\x00\x00\x00".to_vec(),
        b"SQLite format 3\x00\x10\x00".to_vec(),
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00".to_vec(),
        b"MZ\x90\x00\x03\x00".to_vec(),
        b"\xca\xfe\xba\xbe\x00\x00\x00\x34".to_vec(),
        b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00".to_vec(),
        b"\xd9\xd9\xf7\xa1".to_vec(),
        b"8BPS\x00\x01".to_vec(),
        b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00".to_vec(),
        b"\x00\x00\x01\x00\x01\x00\x10\x10".to_vec(),
        b"II*\x00\x08\x00\x00\x00".to_vec(),
        b"GIF89a\x01\x00\x01\x00".to_vec(),
        b"\xff\xd8\xff\xe0\x00\x10JFIF".to_vec(),
        b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1e\x01vorbis\x00\x00\x00\x00\x02".to_vec(),
        b"x\x9c\xcbH\xcd\xc9\xc9\x07\x00\x06,\x02\x15".to_vec(),
        b"\x00\x01\x02\x03\x04\x05".to_vec(),
        b"".to_vec(),
        b"d8:announce35:http://tracker".to_vec(),
        b"!<arch>\ndebian-binary   ".to_vec(),
    ];
    // MP3 frames after garbage (found by the frame scanner): MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    let mut mp3 = b"xyz".to_vec();
    for _ in 0..4 {
        let mut frame = vec![0u8; 417];
        frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        mp3.extend_from_slice(&frame);
    }
    s.push(mp3);
    // a tar archive
    let mut tar = vec![0u8; 1024];
    tar[..5].copy_from_slice(b"a.txt");
    tar[100..108].copy_from_slice(b"0000644\0");
    tar[124..136].copy_from_slice(b"00000000005\0");
    tar[257..265].copy_from_slice(b"ustar\x0000");
    tar[148..156].copy_from_slice(b"        ");
    let sum: u32 = tar[..512].iter().map(|b| *b as u32).sum();
    tar[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    s.push(tar);
    // zip containers: plain, OOXML document, EPUB, JAR
    let zip_entry = |name: &str, data: &[u8]| {
        let mut e = b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        e.extend_from_slice(&(data.len() as u32).to_le_bytes());
        e.extend_from_slice(&(data.len() as u32).to_le_bytes());
        e.extend_from_slice(&(name.len() as u16).to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        e.extend_from_slice(name.as_bytes());
        e.extend_from_slice(data);
        e
    };
    s.push(zip_entry("readme.txt", b"hello"));
    s.push([zip_entry("[Content_Types].xml", b"<Types/>"), zip_entry("word/document.xml", b"<w/>")].concat());
    s.push([zip_entry("[Content_Types].xml", b"<Types/>"), zip_entry("xl/workbook.xml", b"<w/>")].concat());
    s.push(zip_entry("mimetype", b"application/epub+zip"));
    s.push(zip_entry("mimetype", b"application/vnd.oasis.opendocument.text"));
    s.push([zip_entry("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n")].concat());
    // APNG: an acTL chunk before IDAT
    let mut apng = encode(&gradient(4, 4), image::ImageFormat::Png);
    let ihdr_end = 8 + 8 + 13 + 4;
    let actl = b"\x00\x00\x00\x08acTL\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00";
    apng.splice(ihdr_end..ihdr_end, actl.iter().copied());
    s.push(apng);
    // an OLE2 file whose root storage has Word's CLSID
    let mut ole = vec![0u8; 1024];
    ole[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    ole[592..608].copy_from_slice(&[
        0x06, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
    ]);
    s.push(ole);
    // a JSON document longer than the 4 KiB read limit (only its head is inspected)
    s.push(format!("{{\"items\": [{}]}}", vec!["{\"k\": \"value\"}"; 400].join(", ")).into_bytes());
    // a CSV cut at the read limit
    s.push((0..600).map(|i| format!("{i},{},x\n", i * 2)).collect::<String>().into_bytes());
    s.into_iter().enumerate().map(|(i, c)| (format!("sample_{i:03}"), c)).collect()
}

// ------------------------------------------------------------------------------------------------
// Comparison

/// Headers that must be identical (when either side sends them).
const COMPARED: [&str; 9] = [
    "content-type",
    "content-disposition",
    "cache-control",
    "content-security-policy",
    "accept-ranges",
    "content-length",
    "content-range",
    "last-modified",
    "x-content-type-options",
];

#[derive(Clone, Copy, PartialEq)]
enum Check {
    /// Byte-identical body, every compared header.
    Exact,
    /// A generated thumb: same type and disposition, same dimensions, pixels within `tolerance` (mean
    /// absolute difference per channel; `None`: dimensions only). Length and dates differ.
    Image(Option<f64>),
    /// `multipart/byteranges`: identical once the random boundary is replaced.
    Multipart,
}

struct Diff(Vec<String>);

impl Diff {
    fn check(&mut self, what: &str, ok: bool, detail: impl FnOnce() -> String) {
        if !ok {
            self.0.push(format!("{what}: {}", detail()));
        }
    }
}

fn compare(d: &mut Diff, pb: u16, ours: u16, method: &str, path: &str, headers: &[(&str, &str)], check: Check) {
    let a = http(pb, method, path, headers, None).unwrap();
    let b = http(ours, method, path, headers, None).unwrap();
    let what = format!("{method} {path} {headers:?}");
    d.check(&what, a.status == b.status, || format!("status {} vs ours {}", a.status, b.status));
    // PocketBase drops X-Frame-Options exactly where our handler sets the marker
    let pb_xfo = a.header("x-frame-options").is_some();
    let marked = b.header("x-served-file").is_some();
    d.check(&what, pb_xfo != marked, || format!("x-frame-options present={pb_xfo} but marker={marked}"));
    if a.status == 404 || a.header("content-type") == Some("application/json") {
        d.check(&what, a.json() == b.json(), || format!("body {} vs ours {}", a.json(), b.json()));
        return;
    }
    for h in COMPARED {
        let skip = match check {
            Check::Image(_) => matches!(h, "content-length" | "last-modified"),
            Check::Multipart => h == "content-type",
            Check::Exact => false,
        };
        // Go's http.Error sets nosniff on a 416; elsewhere it comes from the router's security headers,
        // which this in-process router does not have
        if skip || h == "x-content-type-options" && a.status != 416 {
            continue;
        }
        d.check(&what, a.header(h) == b.header(h), || format!("{h}: {:?} vs ours {:?}", a.header(h), b.header(h)));
    }
    match check {
        Check::Exact => {
            d.check(&what, a.body == b.body, || format!("body {} bytes vs ours {} bytes", a.body.len(), b.body.len()))
        }
        Check::Multipart => {
            let boundary = |r: &Resp| {
                r.header("content-type")
                    .and_then(|c| c.split_once("boundary="))
                    .map(|(_, b)| b.to_string())
                    .unwrap_or_default()
            };
            let (ba, bb) = (boundary(&a), boundary(&b));
            d.check(&what, ba.len() == bb.len() && !ba.is_empty(), || format!("boundaries {ba:?} / {bb:?}"));
            let norm = |r: &Resp, bnd: &str| String::from_utf8_lossy(&r.body).replace(bnd, "B");
            d.check(&what, norm(&a, &ba) == norm(&b, &bb), || {
                format!("{:?} vs ours {:?}", norm(&a, &ba), norm(&b, &bb))
            });
            d.check(&what, a.header("content-length") == b.header("content-length"), || "content-length".into());
        }
        Check::Image(tolerance) if method != "HEAD" && a.status == 200 => {
            let (Ok(ia), Ok(ib)) = (image::load_from_memory(&a.body), image::load_from_memory(&b.body)) else {
                d.0.push(format!("{what}: undecodable thumb"));
                return;
            };
            d.check(&what, (ia.width(), ia.height()) == (ib.width(), ib.height()), || {
                format!("thumb {}x{} vs ours {}x{}", ia.width(), ia.height(), ib.width(), ib.height())
            });
            if let (Some(tol), true) = (tolerance, (ia.width(), ia.height()) == (ib.width(), ib.height())) {
                let (pa, pb) = (ia.to_rgba8().into_raw(), ib.to_rgba8().into_raw());
                let diff = pa.iter().zip(&pb).map(|(x, y)| (*x as f64 - *y as f64).abs()).sum::<f64>()
                    / pa.len().max(1) as f64;
                d.check(&what, diff <= tol, || format!("mean pixel difference {diff:.3} > {tol}"));
            }
        }
        Check::Image(_) => {}
    }
}

// ------------------------------------------------------------------------------------------------

#[test]
fn files_are_served_like_pocketbase() {
    let pb = start_pocketbase(&repo_root().join("schemas/blog.json"));
    let auth = http(
        pb.port,
        "POST",
        "/api/collections/_superusers/auth-with-password",
        &[],
        Some(("application/json", json!({"identity": SU_EMAIL, "password": SU_PASS}).to_string().as_bytes())),
    )
    .unwrap();
    let api = Api { port: pb.port, token: auth.json()["token"].as_str().expect("superuser token").to_string() };
    let collection =
        http(pb.port, "GET", "/api/collections/posts", &[("Authorization", &api.token)], None).unwrap().json();
    assert_eq!(collection["id"], POSTS_ID, "the blog schema's posts id");
    let user = api.post(
        "/api/collections/users/records",
        &json!({"email": "files@example.com", "password": "password123", "passwordConfirm": "password123"}),
    );
    let author = user["id"].as_str().unwrap();

    let img = gradient(400, 300);
    let png = encode(&img, image::ImageFormat::Png);
    let jpg = encode(&img, image::ImageFormat::Jpeg);
    let gif = encode(&gradient(120, 90), image::ImageFormat::Gif);
    let webp = encode(&img, image::ImageFormat::WebP);
    let oriented = jpeg_with_orientation(&img, 6);
    let small = encode(&gradient(5, 5), image::ImageFormat::Png);
    let text = b"hello world\n".to_vec();

    // an unpublished post: its protected file is hidden from guests; its other files are public
    let a = api.create_post(
        "files-a",
        author,
        false,
        &[
            ("cover", "My Cover Image.PNG", &png),
            ("attachments", "notes.txt", &text),
            ("attachments", "photo.jpg", &jpg),
            ("attachments", "anim.gif", &gif),
            ("attachments", "pic.webp", &webp),
            ("attachments", "tiny.png", &small),
            ("privateDoc", "secret.txt", b"top secret\n"),
        ],
    );
    // a published post: its protected file is viewable by a guest
    let b = api.create_post(
        "files-b",
        author,
        true,
        &[
            ("cover", "rotated.jpg", &oriented),
            ("privateDoc", "public.pdf", b"%PDF-1.4\n%public\n"),
            ("attachments", "page.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
        ],
    );
    // the sniffer's samples, five per post
    let samples = sniff_samples();
    let mut sample_posts = Vec::new();
    for (i, chunk) in samples.chunks(5).enumerate() {
        let files: Vec<(&str, &str, &[u8])> =
            chunk.iter().map(|(n, c)| ("attachments", n.as_str(), c.as_slice())).collect();
        sample_posts.push((api.create_post(&format!("samples-{i}"), author, true, &files), chunk.to_vec()));
    }

    let name = |r: &Value, f: &str, i: usize| -> String {
        match &r[f] {
            Value::Array(items) => items[i].as_str().unwrap().to_string(),
            v => v.as_str().unwrap().to_string(),
        }
    };
    let (a_id, b_id) = (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string());
    let cover = name(&a, "cover", 0);
    let (txt, jpg_name, gif_name, webp_name, tiny) = (
        name(&a, "attachments", 0),
        name(&a, "attachments", 1),
        name(&a, "attachments", 2),
        name(&a, "attachments", 3),
        name(&a, "attachments", 4),
    );
    let (secret, public, rotated, svg) =
        (name(&a, "privateDoc", 0), name(&b, "privateDoc", 0), name(&b, "cover", 0), name(&b, "attachments", 0));

    // --- our server over a copy of PocketBase's data, taken before any thumb exists
    let copy_dir = tempfile::tempdir().unwrap();
    let ours_data = copy_dir.path().join("pb_data");
    copy_data(&pb.data, &ours_data);
    let ours = start_ours(ours_data.clone());
    let mut d = Diff(Vec::new());
    let (p, o) = (pb.port, ours.port);
    let file = |rec: &str, f: &str| format!("/api/files/posts/{rec}/{f}");

    // originals, by collection name and id
    for f in [&cover, &txt, &jpg_name, &gif_name, &webp_name, &tiny] {
        compare(&mut d, p, o, "GET", &file(&a_id, f), &[], Check::Exact);
    }
    compare(&mut d, p, o, "GET", &format!("/api/files/{POSTS_ID}/{a_id}/{cover}"), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &file(&b_id, &svg), &[], Check::Exact);
    for q in ["download=1", "download=0", "download=true", "download=yes", "download=1&download=0"] {
        compare(&mut d, p, o, "GET", &format!("{}?{q}", file(&a_id, &cover)), &[], Check::Exact);
        compare(&mut d, p, o, "GET", &format!("{}?{q}", file(&a_id, &txt)), &[], Check::Exact);
    }

    // thumbs: made, then served from the cache
    for round in 0..2 {
        for size in ["100x100", "300x0", "0x200", "50x50t", "50x50b", "50x50f"] {
            let path = format!("{}?thumb={size}", file(&a_id, &cover));
            compare(&mut d, p, o, "GET", &path, &[], Check::Image(Some(1.0)));
            if round == 1 {
                compare(&mut d, p, o, "HEAD", &path, &[], Check::Image(None));
            }
        }
        // not in the field's thumbs, or not a size: the original
        for size in ["200x200", "100x100x", "abc", "0x0"] {
            compare(&mut d, p, o, "GET", &format!("{}?thumb={size}", file(&a_id, &cover)), &[], Check::Exact);
        }
        // 100x100 is always allowed; other sizes are not on a field without thumbs
        compare(
            &mut d,
            p,
            o,
            "GET",
            &format!("{}?thumb=100x100", file(&a_id, &jpg_name)),
            &[],
            Check::Image(Some(4.0)),
        );
        compare(&mut d, p, o, "GET", &format!("{}?thumb=100x100", file(&a_id, &gif_name)), &[], Check::Image(None));
        compare(
            &mut d,
            p,
            o,
            "GET",
            &format!("{}?thumb=100x100", file(&a_id, &webp_name)),
            &[],
            Check::Image(Some(1.0)),
        );
        compare(&mut d, p, o, "GET", &format!("{}?thumb=100x100", file(&a_id, &tiny)), &[], Check::Image(Some(1.0)));
        compare(&mut d, p, o, "GET", &format!("{}?thumb=300x0", file(&a_id, &tiny)), &[], Check::Exact);
        compare(&mut d, p, o, "GET", &format!("{}?thumb=100x100", file(&a_id, &txt)), &[], Check::Exact);
        compare(
            &mut d,
            p,
            o,
            "GET",
            &format!("{}?thumb=100x100&download=1", file(&a_id, &cover)),
            &[],
            Check::Image(Some(1.0)),
        );
        // EXIF orientation 6: the 400x300 JPEG is a 300x400 picture
        for size in ["300x0", "0x200", "100x100", "50x50f"] {
            compare(
                &mut d,
                p,
                o,
                "GET",
                &format!("{}?thumb={size}", file(&b_id, &rotated)),
                &[],
                Check::Image(Some(4.0)),
            );
        }
    }

    // protected files: hidden when the view rule fails for a guest, served when it passes
    compare(&mut d, p, o, "GET", &file(&a_id, &secret), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &format!("{}?token=garbage", file(&a_id, &secret)), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &file(&b_id, &public), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &format!("{}?token=garbage", file(&b_id, &public)), &[], Check::Exact);

    // 404s
    compare(&mut d, p, o, "GET", &format!("/api/files/nope/{a_id}/{cover}"), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &file("nope00000000000", &cover), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &file(&a_id, "nope.txt"), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &file(&b_id, &cover), &[], Check::Exact);
    compare(&mut d, p, o, "POST", &file(&a_id, &cover), &[], Check::Exact);
    compare(&mut d, p, o, "HEAD", &file(&a_id, "nope.txt"), &[], Check::Exact);

    // ranges, HEAD and conditional requests
    let t = file(&a_id, &txt);
    for range in [
        "bytes=2-5",
        "bytes=-3",
        "bytes=10-",
        "bytes=5-100",
        "bytes=50-60",
        "foo=1-2",
        "bytes=5-2",
        "bytes=0-",
        "bytes=-0",
        "bytes= 1-2 ,",
    ] {
        compare(&mut d, p, o, "GET", &t, &[("Range", range)], Check::Exact);
    }
    compare(&mut d, p, o, "GET", &t, &[("Range", "bytes=0-1,4-5")], Check::Multipart);
    compare(&mut d, p, o, "GET", &t, &[("Range", "bytes=0-0,-1")], Check::Multipart);
    compare(&mut d, p, o, "HEAD", &t, &[("Range", "bytes=0-0,-1")], Check::Multipart);
    compare(&mut d, p, o, "GET", &file(&a_id, &cover), &[("Range", "bytes=0-99,200-299,-10")], Check::Multipart);
    compare(&mut d, p, o, "HEAD", &t, &[], Check::Exact);
    compare(&mut d, p, o, "HEAD", &t, &[("Range", "bytes=1-2")], Check::Exact);
    let last_modified = http(p, "GET", &t, &[], None).unwrap().header("last-modified").unwrap().to_string();
    for h in [
        ("If-Modified-Since", last_modified.as_str()),
        ("If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"),
        ("If-Modified-Since", "garbage"),
        ("If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"),
        ("If-Unmodified-Since", last_modified.as_str()),
        ("If-None-Match", "*"),
        ("If-None-Match", "\"abc\""),
        ("If-Match", "\"abc\""),
        ("If-Match", "*"),
    ] {
        compare(&mut d, p, o, "GET", &t, &[h], Check::Exact);
    }
    for ir in [last_modified.as_str(), "Sat, 01 Jan 2000 00:00:00 GMT", "\"etag\""] {
        compare(&mut d, p, o, "GET", &t, &[("Range", "bytes=1-2"), ("If-Range", ir)], Check::Exact);
    }

    // a file the record lists but the storage lost: 404 (also asked for as a thumb)
    for data in [&pb.data, &ours_data] {
        std::fs::remove_file(data.join(format!("storage/{POSTS_ID}/{a_id}/{tiny}"))).unwrap();
    }
    compare(&mut d, p, o, "GET", &file(&a_id, &tiny), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &format!("{}?thumb=50x50", file(&a_id, &tiny)), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &format!("{}?thumb=100x100", file(&a_id, &tiny)), &[], Check::Exact);
    compare(&mut d, p, o, "GET", &format!("{}?thumb=100x100", file(&a_id, &gif_name)), &[], Check::Image(None));

    // --- the sniffer: PocketBase's sidecar types and the extensions of names without one
    let mut sniffed = 0;
    for (record, chunk) in &sample_posts {
        let id = record["id"].as_str().unwrap();
        for (i, (original, content)) in chunk.iter().enumerate() {
            let stored = name(record, "attachments", i);
            let attrs_path = pb.data.join(format!("storage/{POSTS_ID}/{id}/{stored}.attrs"));
            let attrs: Value = serde_json::from_slice(&std::fs::read(&attrs_path).unwrap()).unwrap();
            let want = attrs["user.content_type"].as_str().unwrap();
            let got = sniff::detect(content);
            if std::env::var_os("FILES_TEST_VERBOSE").is_some() {
                eprintln!("{original}: {want} -> {stored}");
            }
            d.check(
                &format!("sniff {original} {:?}", String::from_utf8_lossy(&content[..content.len().min(40)])),
                got.mime == want,
                || format!("pocketbase {want:?}, ours {:?}", got.mime),
            );
            let ext =
                stored.strip_prefix(&format!("{original}_")).map(|rest| rest[10..].to_string()).unwrap_or_default();
            d.check(&format!("extension of {original} ({want})"), got.ext == ext, || {
                format!("pocketbase {stored:?}, ours {:?}", got.ext)
            });
            let shape = files::stored_name(original, content);
            d.check(
                &format!("stored name of {original}"),
                shape.len() == stored.len() && shape.ends_with(&ext),
                || format!("pocketbase {stored:?}, ours {shape:?}"),
            );
            sniffed += 1;
        }
    }
    assert_eq!(sniffed, samples.len());

    // --- PocketBase serves files written by files::save like its own
    let mine: Vec<(&str, &[u8])> =
        vec![("Report 2024.PDF", b"%PDF-1.7\n%ours\n"), ("data", b"a,b\n1,2\n"), ("pic.png", &small)];
    let c = api.create_post("files-c", author, true, &[]);
    let c_id = c["id"].as_str().unwrap();
    let mut names = Vec::new();
    for (original, content) in &mine {
        let up = UploadedFile {
            name: files::stored_name(original, content),
            original_name: original.to_string(),
            size: content.len() as u64,
            mime: sniff::detect(content).mime,
        };
        files::save(&pb.data, POSTS_ID, c_id, &up, content).unwrap();
        names.push(up);
    }
    {
        let conn = rusqlite::Connection::open(pb.data.join("data.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        let list = serde_json::to_string(&names.iter().map(|u| u.name.clone()).collect::<Vec<_>>()).unwrap();
        conn.execute("UPDATE posts SET attachments = ? WHERE id = ?", (list, c_id)).unwrap();
    }
    for (up, (_, content)) in names.iter().zip(&mine) {
        let r = http(p, "GET", &file(c_id, &up.name), &[], None).unwrap();
        let what = format!("pocketbase serving our {}", up.name);
        d.check(&what, r.status == 200, || format!("status {}", r.status));
        d.check(&what, r.header("content-type") == Some(up.mime.as_str()), || {
            format!("content-type {:?} (ours {:?})", r.header("content-type"), up.mime)
        });
        d.check(&what, r.body == *content, || "body".into());
        let inline = up.mime == "application/pdf" || up.mime == "image/png";
        let want = format!("{}; filename=\"{}\"", if inline { "inline" } else { "attachment" }, up.name);
        d.check(&what, r.header("content-disposition") == Some(want.as_str()), || {
            format!("{:?}", r.header("content-disposition"))
        });
        // and its thumbs of our PNG
        if up.mime == "image/png" {
            let r = http(p, "GET", &format!("{}?thumb=100x100", file(c_id, &up.name)), &[], None).unwrap();
            let dims = image::load_from_memory(&r.body).map(|i| (i.width(), i.height())).ok();
            d.check(&what, dims == Some((100, 100)), || format!("thumb {dims:?}"));
        }
    }
    // the sidecars we write are byte-identical in form to PocketBase's (only the md5 and name differ)
    let ours_attrs =
        std::fs::read_to_string(pb.data.join(format!("storage/{POSTS_ID}/{c_id}/{}.attrs", names[0].name))).unwrap();
    let theirs_attrs =
        std::fs::read_to_string(pb.data.join(format!("storage/{POSTS_ID}/{b_id}/{public}.attrs"))).unwrap();
    let shape = |s: &str| {
        regex::Regex::new(r#""(md5|original-filename)":"[^"]*""#).unwrap().replace_all(s, "\"$1\":\"…\"").into_owned()
    };
    d.check("sidecar format", shape(&ours_attrs) == shape(&theirs_attrs), || {
        format!("{ours_attrs}\nvs PocketBase's\n{theirs_attrs}")
    });

    assert!(d.0.is_empty(), "{} difference(s) with PocketBase:\n{}", d.0.len(), d.0.join("\n"));
}
