//! Content sniffing exactly as PocketBase 0.40.6 does it: a port of `github.com/gabriel-vasile/mimetype`
//! v1.4.15 (the version linked into the 0.40.6 binary), which PocketBase uses for the MIME type stored in a
//! file's `.attrs` sidecar (served as `Content-Type`, checked against a file field's `mimeTypes`, deciding
//! inline vs attachment and whether thumbs are made) and for the extension of an upload named without one.
//!
//! The detector tree, its order and every matcher are ported as written, with one exception: the library
//! parses OLE2 compound files (`internal/cdf`) to tell `.doc`/`.xls`/`.ppt`/`.msg`/`.msi` apart; here only
//! its fallback checks (the root storage CLSID and the sub-headers) run, so those formats are recognized
//! when the CLSID sits in the first 4 KiB (the usual case), `.msi` is never reported (it needs the parser)
//! and anything else stays `application/x-ole-storage`.

/// What the detector found: the MIME type (with `; charset=…` for text, HTML and XML, as PocketBase stores
/// it) and the extension mimetype associates with it (`""` for some), used for uploads without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub mime: String,
    pub ext: &'static str,
}

/// mimetype's read limit: only the first 4096 bytes are inspected.
const LIMIT: usize = 4096;

/// The MIME type of `content` (only its first 4096 bytes are looked at).
pub fn detect(content: &[u8]) -> Detected {
    let input = &content[..content.len().min(LIMIT)];
    let limit = LIMIT as u32;
    let mut node: &'static Node = &ROOT;
    'descend: loop {
        for child in node.children {
            if (child.detect)(input, limit) {
                node = child;
                continue 'descend;
            }
        }
        break;
    }
    let head = &input[..input.len().min(1024)];
    let charset = match node.mime {
        "text/plain" => charset_from_plain(head),
        "text/html" => charset_from_html(head),
        "text/xml" => charset_from_xml(head),
        _ => String::new(),
    };
    let mime = if charset.is_empty() { node.mime.to_string() } else { format!("{}; charset={charset}", node.mime) };
    Detected { mime, ext: node.ext }
}

type Detector = fn(&[u8], u32) -> bool;

struct Node {
    mime: &'static str,
    ext: &'static str,
    detect: Detector,
    children: &'static [&'static Node],
}

macro_rules! node {
    ($name:ident, $mime:expr, $ext:expr, $detect:expr) => {
        static $name: Node = Node { mime: $mime, ext: $ext, detect: $detect, children: &[] };
    };
    ($name:ident, $mime:expr, $ext:expr, $detect:expr, [$($child:ident),* $(,)?]) => {
        static $name: Node = Node { mime: $mime, ext: $ext, detect: $detect, children: &[$(&$child),*] };
    };
}

node!(
    ROOT,
    "application/octet-stream",
    "",
    |_, _| true,
    [
        XPM, SEVEN_Z, ZIP, PDF, FDF, OLE, PS, PSD, P7S, OGG, PNG, JPG, JXL, JP2, JPX, JPM, JXS, GIF, WEBP, EXE, ELF,
        AR, TAR, XAR, BZ2, FITS, TIFF, BMP, LOTUS, ICO, FLAC, MIDI, APE, MUSE_PACK, AMR, WAV, AIFF, AU, MPEG,
        QUICK_TIME, MP4, WEBM, AVI, FLV, MKV, ASF, AAC, VOC, M3U, RMVB, GZIP, CLASS, SWF, CRX, TTF, WOFF, WOFF2, OTF,
        TTC, EOT, WASM, SHX, DBF, DCM, RAR, DJVU, MOBI, LIT, BPG, CBOR, SQLITE3, DWG, NES, LNK, MACHO, QCP, ICNS, HDR,
        MRC, MDB, ACCDB, ZSTD, CAB, RPM, XZ, LZIP, TORRENT, CPIO, TZIF, XCF, PAT, GBR, GLB, CAB_IS, JXR, PARQUET,
        ONE_NOTE, CHM, WPD, DXF, GRIB, ZLIB, INF, HLP, FM, BUFR, PYC, PCAP, MP3, TEXT,
    ]
);

node!(XZ, "application/x-xz", ".xz", |r, _| r.starts_with(&[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]));
node!(GZIP, "application/gzip", ".gz", |r, _| r.starts_with(&[0x1f, 0x8b]));
node!(SEVEN_Z, "application/x-7z-compressed", ".7z", |r, _| r.starts_with(&[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]));
node!(
    ZIP,
    "application/zip",
    ".zip",
    zip,
    [DOCX, PPTX, XLSX, EPUB, APK, JAR, ODT, ODS, ODP, ODG, ODF, ODC, SXC, KMZ, VISIO]
);
node!(TAR, "application/x-tar", ".tar", tar);
node!(XAR, "application/x-xar", ".xar", |r, _| r.starts_with(&[0x78, 0x61, 0x72, 0x21]));
node!(BZ2, "application/x-bzip2", ".bz2", |r, _| r.starts_with(&[0x42, 0x5A, 0x68]));
node!(PDF, "application/pdf", ".pdf", |r, _| contains(&r[..r.len().min(1024)], b"%PDF-"));
node!(FDF, "application/vnd.fdf", ".fdf", |r, _| r.starts_with(b"%FDF"));
node!(XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", |r, _| msoxml(r, b"xl/"));
node!(DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", |r, _| msoxml(
    r, b"word/"
));
node!(PPTX, "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx", |r, _| msoxml(
    r, b"ppt/"
));
node!(VISIO, "application/vnd.ms-visio.drawing.main+xml", ".vsdx", |r, _| msoxml(r, b"visio/"));
node!(EPUB, "application/epub+zip", ".epub", |r, _| offset(r, b"mimetypeapplication/epub+zip", 30));
node!(JAR, "application/java-archive", ".jar", jar);
node!(APK, "application/vnd.android.package-archive", ".apk", apk);
node!(
    OLE,
    "application/x-ole-storage",
    "",
    |r, _| r.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
    [MSI, MSG, XLS, PUB, PPT, DOC]
);
node!(MSI, "application/x-ms-installer", ".msi", |_, _| false);
node!(DOC, "application/msword", ".doc", doc);
node!(PPT, "application/vnd.ms-powerpoint", ".ppt", ppt);
node!(PUB, "application/vnd.ms-publisher", ".pub", |r, _| ole_clsid(
    r,
    &[0x01, 0x12, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46]
));
node!(XLS, "application/vnd.ms-excel", ".xls", xls);
node!(MSG, "application/vnd.ms-outlook", ".msg", |r, _| ole_clsid(
    r,
    &[0x0B, 0x0D, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46]
));
node!(PS, "application/postscript", ".ps", |r, _| r.starts_with(b"%!PS-Adobe-"));
node!(FITS, "application/fits", ".fits", |r, _| r.starts_with(b"SIMPLE  =                    T"));
node!(OGG, "application/ogg", ".ogg", |r, _| r.starts_with(b"OggS\x00"), [OGG_AUDIO, OGG_VIDEO]);
node!(OGG_AUDIO, "audio/ogg", ".oga", |r, _| r.len() >= 37
    && [&b"\x7fFLAC"[..], b"\x01vorbis", b"OpusHead", b"Speex   "].iter().any(|s| r[28..].starts_with(s)));
node!(OGG_VIDEO, "video/ogg", ".ogv", |r, _| r.len() >= 37
    && [&b"\x80theora"[..], b"fishead\x00", b"\x01video\x00\x00\x00"].iter().any(|s| r[28..].starts_with(s)));
node!(
    TEXT,
    "text/plain",
    ".txt",
    text,
    [
        SVG, HTML, XML, PHP, JS, LUA, PERL, PYTHON, RUBY, JSON, NDJSON, RTF, SRT, TCL, CSV, TSV, VCARD, ICALENDAR,
        WARC, VTT, SHELL, NETPBM, NETPGM, NETPPM, NETPAM, RFC822, GEDCOM,
    ]
);
node!(
    XML,
    "text/xml",
    ".xml",
    |r, _| markup(r, &[b"<?XML"]),
    [RSS, ATOM, X3D, KML, XLIFF, COLLADA, GML, GPX, TCX, AMF, THREEMF, XFDF, OWL2, XHTML, CDXXML,]
);
node!(XHTML, "application/xhtml+xml", ".html", xhtml);
node!(JSON, "application/json", ".json", |r, l| json_helper(r, l, Query::None, b"{["), [GEOJSON, HAR, GLTF, CDXJSON]);
node!(HAR, "application/json", ".har", |r, l| json_helper(r, l, Query::Har, b"{"));
node!(CSV, "text/csv", ".csv", |r, l| separated_values(r, b',', l));
node!(TSV, "text/tab-separated-values", ".tsv", |r, l| separated_values(r, b'\t', l));
node!(GEOJSON, "application/geo+json", ".geojson", |r, l| json_helper(r, l, Query::Geo, b"{"));
node!(NDJSON, "application/x-ndjson", ".ndjson", ndjson);
node!(CDXJSON, "application/vnd.cyclonedx+json", ".json", |r, l| json_helper(r, l, Query::Cdx, b"{"));
node!(HTML, "text/html", ".html", html);
node!(PHP, "text/x-php", ".php", php);
node!(RTF, "text/rtf", ".rtf", |r, _| r.starts_with(b"{\\rtf"));
node!(JS, "text/javascript", ".js", |r, _| shebang(
    r,
    &[
        (b"/bin/node", NONE),
        (b"/usr/bin/node", NONE),
        (b"/bin/nodejs", NONE),
        (b"/usr/bin/nodejs", NONE),
        (b"/usr/bin/env node", CWS),
        (b"/usr/bin/env -S node", CWS),
        (b"/usr/bin/env nodejs", CWS),
        (b"/usr/bin/env -S nodejs", CWS),
    ]
));
node!(SRT, "application/x-subrip", ".srt", srt);
node!(VTT, "text/vtt", ".vtt", vtt);
node!(LUA, "text/x-lua", ".lua", |r, _| shebang(
    r,
    &[
        (b"/usr/bin/lua", FW),
        (b"/usr/local/bin/lua", FW),
        (b"/usr/bin/env lua", CWS | FW),
        (b"/usr/bin/env -S lua", CWS | FW),
    ]
));
node!(PERL, "text/x-perl", ".pl", |r, _| shebang(
    r,
    &[(b"/usr/bin/perl", FW), (b"/usr/bin/env perl", CWS | FW), (b"/usr/bin/env -S perl", CWS | FW),]
));
node!(PYTHON, "text/x-python", ".py", |r, _| shebang(
    r,
    &[
        (b"/usr/bin/python", NONE),
        (b"/usr/local/bin/python", NONE),
        (b"/usr/bin/env python", CWS),
        (b"/usr/bin/env -S python", CWS),
        (b"/usr/bin/python2", NONE),
        (b"/usr/local/bin/python2", NONE),
        (b"/usr/bin/env python2", CWS),
        (b"/usr/bin/env -S python2", CWS),
        (b"/usr/bin/python3", NONE),
        (b"/usr/local/bin/python3", NONE),
        (b"/usr/bin/env python3", CWS),
        (b"/usr/bin/env -S python3", CWS),
    ]
));
node!(PYC, "application/x-bytecode.python", ".pyc", pyc);
node!(RUBY, "text/x-ruby", ".rb", |r, _| shebang(
    r,
    &[
        (b"/usr/bin/ruby", NONE),
        (b"/usr/local/bin/ruby", NONE),
        (b"/usr/bin/env ruby", CWS),
        (b"/usr/bin/env -S ruby", CWS),
    ]
));
node!(SHELL, "text/x-shellscript", ".sh", |r, _| shebang(
    r,
    &[
        (b"/bin/sh", FW),
        (b"/bin/bash", FW),
        (b"/usr/local/bin/bash", FW),
        (b"/usr/bin/env bash", CWS | FW),
        (b"/usr/bin/env -S bash", CWS | FW),
        (b"/bin/csh", FW),
        (b"/usr/local/bin/csh", FW),
        (b"/usr/bin/env csh", CWS | FW),
        (b"/usr/bin/env -S csh", CWS | FW),
        (b"/bin/dash", FW),
        (b"/usr/local/bin/dash", FW),
        (b"/usr/bin/env dash", CWS | FW),
        (b"/usr/bin/env -S dash", CWS | FW),
        (b"/bin/ksh", FW),
        (b"/usr/local/bin/ksh", FW),
        (b"/usr/bin/env ksh", CWS | FW),
        (b"/usr/bin/env -S ksh", CWS | FW),
        (b"/bin/tcsh", FW),
        (b"/usr/local/bin/tcsh", FW),
        (b"/usr/bin/env tcsh", CWS | FW),
        (b"/usr/bin/env -S tcsh", CWS | FW),
        (b"/bin/zsh", FW),
        (b"/usr/local/bin/zsh", FW),
        (b"/usr/bin/env zsh", CWS | FW),
        (b"/usr/bin/env -S zsh", CWS | FW),
    ]
));
node!(TCL, "text/x-tcl", ".tcl", |r, _| shebang(
    r,
    &[
        (b"/usr/bin/tcl", NONE),
        (b"/usr/local/bin/tcl", NONE),
        (b"/usr/bin/env tcl", CWS),
        (b"/usr/bin/env -S tcl", CWS),
        (b"/usr/bin/tclsh", NONE),
        (b"/usr/local/bin/tclsh", NONE),
        (b"/usr/bin/env tclsh", CWS),
        (b"/usr/bin/env -S tclsh", CWS),
        (b"/usr/bin/wish", NONE),
        (b"/usr/local/bin/wish", NONE),
        (b"/usr/bin/env wish", CWS),
        (b"/usr/bin/env -S wish", CWS),
    ]
));
node!(VCARD, "text/vcard", ".vcf", |r, _| ci_prefix(r, &[b"BEGIN:VCARD\n", b"BEGIN:VCARD\r\n"]));
node!(ICALENDAR, "text/calendar", ".ics", |r, _| ci_prefix(r, &[b"BEGIN:VCALENDAR\n", b"BEGIN:VCALENDAR\r\n"]));
node!(SVG, "image/svg+xml", ".svg", |r, _| svg_without_xml_declaration(r) || svg_with_xml_declaration(r));
node!(RSS, "application/rss+xml", ".rss", |r, _| xml(r, &[(b"<rss", b"")]));
node!(OWL2, "application/owl+xml", ".owl", |r, _| xml(
    r,
    &[(b"<Ontology", b"xmlns=\"http://www.w3.org/2002/07/owl#\"")]
));
node!(ATOM, "application/atom+xml", ".atom", |r, _| xml(r, &[(b"<feed", b"xmlns=\"http://www.w3.org/2005/Atom\"")]));
node!(X3D, "model/x3d+xml", ".x3d", |r, _| xml(
    r,
    &[(b"<X3D", b"xmlns:xsd=\"http://www.w3.org/2001/XMLSchema-instance\"")]
));
node!(KML, "application/vnd.google-earth.kml+xml", ".kml", |r, _| xml(
    r,
    &[
        (b"<kml", b"xmlns=\"http://www.opengis.net/kml/2.2\""),
        (b"<kml", b"xmlns=\"http://earth.google.com/kml/2.0\""),
        (b"<kml", b"xmlns=\"http://earth.google.com/kml/2.1\""),
        (b"<kml", b"xmlns=\"http://earth.google.com/kml/2.2\""),
    ]
));
node!(KMZ, "application/vnd.google-earth.kmz", ".kmz", |r, _| zip_has(r, &[(b"doc.kml", false)], 100));
node!(XLIFF, "application/x-xliff+xml", ".xlf", |r, _| xml(
    r,
    &[(b"<xliff", b"xmlns=\"urn:oasis:names:tc:xliff:document:1.2\"")]
));
node!(COLLADA, "model/vnd.collada+xml", ".dae", |r, _| xml(
    r,
    &[(b"<COLLADA", b"xmlns=\"http://www.collada.org/2005/11/COLLADASchema\"")]
));
node!(GML, "application/gml+xml", ".gml", |r, _| xml(
    r,
    &[
        (b"", b"xmlns:gml=\"http://www.opengis.net/gml\""),
        (b"", b"xmlns:gml=\"http://www.opengis.net/gml/3.2\""),
        (b"", b"xmlns:gml=\"http://www.opengis.net/gml/3.3/exr\""),
    ]
));
node!(GPX, "application/gpx+xml", ".gpx", |r, _| xml(r, &[(b"<gpx", b"xmlns=\"http://www.topografix.com/GPX/1/1\"")]));
node!(TCX, "application/vnd.garmin.tcx+xml", ".tcx", |r, _| xml(
    r,
    &[(b"<TrainingCenterDatabase", b"xmlns=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2\"")]
));
node!(AMF, "application/x-amf", ".amf", |r, _| xml(r, &[(b"<amf", b"")]));
node!(THREEMF, "application/vnd.ms-package.3dmanufacturing-3dmodel+xml", ".3mf", |r, _| xml(
    r,
    &[(b"<model", b"xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\"")]
));
node!(CDXXML, "application/vnd.cyclonedx+xml", ".xml", |r, _| xml(
    r,
    &[(b"<bom", b"xmlns=\"http://cyclonedx.org/schema/bom/")]
));
node!(PNG, "image/png", ".png", |r, _| r.starts_with(&[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), [APNG]);
node!(APNG, "image/apng", ".apng", apng);
node!(JPG, "image/jpeg", ".jpg", |r, _| r.starts_with(&[0xFF, 0xD8, 0xFF]));
node!(JXL, "image/jxl", ".jxl", |r, _| r.starts_with(&[0xFF, 0x0A])
    || r.starts_with(b"\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a"));
node!(JP2, "image/jp2", ".jp2", |r, _| jpeg2k(r, &[0x6a, 0x70, 0x32, 0x20]));
node!(JPX, "image/jpx", ".jpf", |r, _| jpeg2k(r, &[0x6a, 0x70, 0x78, 0x20]));
node!(JPM, "image/jpm", ".jpm", |r, _| jpeg2k(r, &[0x6a, 0x70, 0x6D, 0x20]));
node!(JXS, "image/jxs", ".jxs", |r, _| r
    .starts_with(&[0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x53, 0x20, 0x0D, 0x0A, 0x87, 0x0A]));
node!(XPM, "image/x-xpixmap", ".xpm", |r, _| r.starts_with(b"/* XPM */"));
node!(BPG, "image/bpg", ".bpg", |r, _| r.starts_with(&[0x42, 0x50, 0x47, 0xFB]));
node!(GIF, "image/gif", ".gif", |r, _| r.starts_with(b"GIF87a") || r.starts_with(b"GIF89a"));
node!(WEBP, "image/webp", ".webp", |r, _| r.len() > 12 && &r[0..4] == b"RIFF" && &r[8..12] == b"WEBP");
node!(TIFF, "image/tiff", ".tiff", |r, _| r.starts_with(&[0x49, 0x49, 0x2A, 0x00])
    || r.starts_with(&[0x4D, 0x4D, 0x00, 0x2A]));
node!(BMP, "image/bmp", ".bmp", bmp);
node!(LOTUS, "application/vnd.lotus-1-2-3", ".123", lotus123);
node!(ICO, "image/x-icon", ".ico", |r, _| r.starts_with(&[0x00, 0x00, 0x01, 0x00])
    || r.starts_with(&[0x00, 0x00, 0x02, 0x00]));
node!(ICNS, "image/x-icns", ".icns", |r, _| r.starts_with(b"icns"));
node!(PSD, "image/vnd.adobe.photoshop", ".psd", |r, _| r.starts_with(b"8BPS"));
node!(HEIC, "image/heic", ".heic", |r, _| ftyp(r, &[b"heic", b"heix"]));
node!(HEIC_SEQ, "image/heic-sequence", ".heic", |r, _| ftyp(r, &[b"hevc", b"hevx"]));
node!(HEIF, "image/heif", ".heif", |r, _| ftyp(r, &[b"mif1", b"heim", b"heis", b"avic"]));
node!(HEIF_SEQ, "image/heif-sequence", ".heif", |r, _| ftyp(r, &[b"msf1", b"hevm", b"hevs", b"avcs"]));
node!(HDR, "image/vnd.radiance", ".hdr", |r, _| r.starts_with(b"#?RADIANCE\n"));
node!(AVIF, "image/avif", ".avif", |r, _| ftyp(r, &[b"avif", b"avis"]));
node!(MP3, "audio/mpeg", ".mp3", mp3);
node!(FLAC, "audio/flac", ".flac", |r, _| r.starts_with(b"fLaC\x00\x00\x00\x22"));
node!(MIDI, "audio/midi", ".midi", |r, _| r.starts_with(b"MThd"));
node!(APE, "audio/ape", ".ape", |r, _| r.starts_with(b"MAC \x96\x0F\x00\x00\x34\x00\x00\x00\x18\x00\x00\x00\x90\xE3"));
node!(MUSE_PACK, "audio/musepack", ".mpc", |r, _| r.starts_with(b"MPCK"));
node!(WAV, "audio/wav", ".wav", |r, _| r.len() > 12 && &r[..4] == b"RIFF" && &r[8..12] == b"WAVE");
node!(AIFF, "audio/aiff", ".aiff", |r, _| r.len() > 12 && &r[..4] == b"FORM" && &r[8..12] == b"AIFF");
node!(AU, "audio/basic", ".au", |r, _| r.starts_with(b".snd"));
node!(AMR, "audio/amr", ".amr", |r, _| r.starts_with(b"#!AMR"));
node!(AAC, "audio/aac", ".aac", |r, _| r.len() > 1 && r[0] == 0xFF && (r[1] == 0xF1 || r[1] == 0xF9));
node!(VOC, "audio/x-unknown", ".voc", |r, _| r.starts_with(b"Creative Voice File"));
node!(A_MP4, "audio/mp4", ".mp4", |r, _| ftyp(r, &[b"F4A ", b"F4B ", b"M4B ", b"M4P ", b"MSNV", b"NDAS"]));
node!(M4A, "audio/x-m4a", ".m4a", |r, _| ftyp(r, &[b"M4A "]));
node!(M3U, "application/vnd.apple.mpegurl", ".m3u", |r, _| r.starts_with(b"#EXTM3U\n")
    || r.starts_with(b"#EXTM3U\r\n"));
node!(M4V, "video/x-m4v", ".m4v", |r, _| ftyp(r, &[b"M4V ", b"M4VH", b"M4VP"]));
node!(MJ2, "video/mj2", ".mj2", |r, _| ftyp(r, &[b"mj2s", b"mjp2", b"MFSM", b"MGSV"]));
node!(DVB, "video/vnd.dvb.file", ".dvb", |r, _| ftyp(
    r,
    &[
        b"dby1", b"dsms", b"dts1", b"dts2", b"dts3", b"dxo ", b"dmb1", b"dmpf", b"drc1", b"dv1a", b"dv1b", b"dv2a",
        b"dv2b", b"dv3a", b"dv3b", b"dvr1", b"dvt1", b"emsg",
    ]
));
node!(
    MP4,
    "video/mp4",
    ".mp4",
    |r, _| r.len() >= 12 && r[0] == 0 && &r[4..8] == b"ftyp",
    [AVIF, THREE_GP, THREE_G2, A_MP4, MQV, M4A, M4V, HEIC, HEIC_SEQ, HEIF, HEIF_SEQ, MJ2, DVB,]
);
node!(WEBM, "video/webm", ".webm", |r, _| matroska(r, b"webm"));
node!(MPEG, "video/mpeg", ".mpeg", |r, _| r.len() > 3
    && r.starts_with(&[0x00, 0x00, 0x01])
    && (0xB0..=0xBF).contains(&r[3]));
node!(QUICK_TIME, "video/quicktime", ".mov", quick_time);
node!(MQV, "video/quicktime", ".mqv", |r, _| ftyp(r, &[b"mqt "]));
node!(THREE_GP, "video/3gpp", ".3gp", |r, _| ftyp(
    r,
    &[b"3gp1", b"3gp2", b"3gp3", b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gs7", b"3ge6", b"3ge7", b"3gg6",]
));
node!(THREE_G2, "video/3gpp2", ".3g2", |r, _| ftyp(
    r,
    &[b"3g24", b"3g25", b"3g26", b"3g2a", b"3g2b", b"3g2c", b"KDDI"]
));
node!(AVI, "video/x-msvideo", ".avi", |r, _| r.len() > 16 && &r[..4] == b"RIFF" && &r[8..16] == b"AVI LIST");
node!(FLV, "video/x-flv", ".flv", |r, _| r.starts_with(b"FLV\x01"));
node!(MKV, "video/matroska", ".mkv", |r, _| matroska(r, b"matroska"));
node!(ASF, "video/x-ms-asf", ".asf", |r, _| r
    .starts_with(&[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C]));
node!(RMVB, "application/vnd.rn-realmedia-vbr", ".rmvb", |r, _| r.starts_with(b".RMF"));
node!(CLASS, "application/x-java-applet", ".class", |r, _| class_or_macho_fat(r) && r[7] > 30);
node!(SWF, "application/x-shockwave-flash", ".swf", |r, _| r.starts_with(b"CWS")
    || r.starts_with(b"FWS")
    || r.starts_with(b"ZWS"));
node!(CRX, "application/x-chrome-extension", ".crx", crx);
node!(TTF, "font/ttf", ".ttf", |r, _| r.starts_with(&[0x00, 0x01, 0x00, 0x00]) && has_sfnt_table(r));
node!(WOFF, "font/woff", ".woff", |r, _| r.starts_with(b"wOFF"));
node!(WOFF2, "font/woff2", ".woff2", |r, _| r.starts_with(b"wOF2"));
node!(OTF, "font/otf", ".otf", |r, _| r.len() > 48 && r.starts_with(b"OTTO\x00") && contains(&r[12..48], b"CFF "));
node!(TTC, "font/collection", ".ttc", |r, _| r.len() > 7
    && r.starts_with(b"ttcf")
    && (r[4..8] == [0, 1, 0, 0] || r[4..8] == [0, 2, 0, 0]));
node!(EOT, "application/vnd.ms-fontobject", ".eot", |r, _| r.len() > 35
    && r[34..36] == [0x4C, 0x50]
    && (r[8..11] == [2, 0, 1] || r[8..11] == [1, 0, 0] || r[8..11] == [2, 0, 2]));
node!(WASM, "application/wasm", ".wasm", |r, _| r.starts_with(&[0x00, 0x61, 0x73, 0x6D]));
node!(SHP, "application/vnd.shp", ".shp", shp);
node!(SHX, "application/vnd.shx", ".shx", |r, _| r.starts_with(&[0x00, 0x00, 0x27, 0x0A]), [SHP]);
node!(DBF, "application/x-dbf", ".dbf", dbf);
node!(EXE, "application/vnd.microsoft.portable-executable", ".exe", |r, _| r.len() > 1 && r[0] == 0x4D && r[1] == 0x5A);
node!(
    ELF,
    "application/x-elf",
    "",
    |r, _| r.starts_with(&[0x7F, 0x45, 0x4C, 0x46]),
    [ELF_OBJ, ELF_EXE, ELF_LIB, ELF_DUMP]
);
node!(ELF_OBJ, "application/x-object", "", |r, _| elf_type(r, 1));
node!(ELF_EXE, "application/x-executable", "", |r, _| elf_type(r, 2));
node!(ELF_LIB, "application/x-sharedlib", ".so", |r, _| elf_type(r, 3));
node!(ELF_DUMP, "application/x-coredump", "", |r, _| elf_type(r, 4));
node!(AR, "application/x-archive", ".a", |r, _| r.starts_with(b"!<arch>"), [DEB]);
node!(DEB, "application/vnd.debian.binary-package", ".deb", |r, _| offset(r, b"debian-binary", 8));
node!(RPM, "application/x-rpm", ".rpm", |r, _| r.starts_with(&[0xed, 0xab, 0xee, 0xdb]) || r.starts_with(b"drpm"));
node!(DCM, "application/dicom", ".dcm", |r, _| r.len() > 131 && &r[128..132] == b"DICM");
node!(
    ODT,
    "application/vnd.oasis.opendocument.text",
    ".odt",
    |r, _| offset(r, b"mimetypeapplication/vnd.oasis.opendocument.text", 30),
    [OTT]
);
node!(OTT, "application/vnd.oasis.opendocument.text-template", ".ott", |r, _| offset(
    r,
    b"mimetypeapplication/vnd.oasis.opendocument.text-template",
    30
));
node!(
    ODS,
    "application/vnd.oasis.opendocument.spreadsheet",
    ".ods",
    |r, _| offset(r, b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet", 30),
    [OTS]
);
node!(OTS, "application/vnd.oasis.opendocument.spreadsheet-template", ".ots", |r, _| offset(
    r,
    b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet-template",
    30
));
node!(
    ODP,
    "application/vnd.oasis.opendocument.presentation",
    ".odp",
    |r, _| offset(r, b"mimetypeapplication/vnd.oasis.opendocument.presentation", 30),
    [OTP]
);
node!(OTP, "application/vnd.oasis.opendocument.presentation-template", ".otp", |r, _| offset(
    r,
    b"mimetypeapplication/vnd.oasis.opendocument.presentation-template",
    30
));
node!(
    ODG,
    "application/vnd.oasis.opendocument.graphics",
    ".odg",
    |r, _| offset(r, b"mimetypeapplication/vnd.oasis.opendocument.graphics", 30),
    [OTG]
);
node!(OTG, "application/vnd.oasis.opendocument.graphics-template", ".otg", |r, _| offset(
    r,
    b"mimetypeapplication/vnd.oasis.opendocument.graphics-template",
    30
));
node!(ODF, "application/vnd.oasis.opendocument.formula", ".odf", |r, _| offset(
    r,
    b"mimetypeapplication/vnd.oasis.opendocument.formula",
    30
));
node!(ODC, "application/vnd.oasis.opendocument.chart", ".odc", |r, _| offset(
    r,
    b"mimetypeapplication/vnd.oasis.opendocument.chart",
    30
));
node!(SXC, "application/vnd.sun.xml.calc", ".sxc", |r, _| offset(r, b"mimetypeapplication/vnd.sun.xml.calc", 30));
node!(RAR, "application/vnd.rar", ".rar", |r, _| r.starts_with(b"Rar!\x1A\x07\x00")
    || r.starts_with(b"Rar!\x1A\x07\x01\x00"));
node!(DJVU, "image/vnd.djvu", ".djvu", |r, _| r.len() >= 12
    && r.starts_with(b"AT&TFORM")
    && [&b"DJVM"[..], b"DJVU", b"DJVI", b"THUM"].iter().any(|s| r[12..].starts_with(s)));
node!(MOBI, "application/x-mobipocket-ebook", ".mobi", |r, _| offset(r, b"BOOKMOBI", 60));
node!(LIT, "application/x-ms-reader", ".lit", |r, _| r.starts_with(b"ITOLITLS"));
node!(SQLITE3, "application/vnd.sqlite3", ".sqlite", |r, _| r.starts_with(b"SQLite format 3\x00"));
node!(DWG, "image/vnd.dwg", ".dwg", dwg);
node!(WARC, "application/warc", ".warc", |r, _| r.starts_with(b"WARC/1.0") || r.starts_with(b"WARC/1.1"));
node!(NES, "application/vnd.nintendo.snes.rom", ".nes", |r, _| r.starts_with(&[0x4E, 0x45, 0x53, 0x1A]));
node!(LNK, "application/x-ms-shortcut", ".lnk", |r, _| r
    .starts_with(&[0x4C, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00]));
node!(MACHO, "application/x-mach-binary", ".macho", macho);
node!(QCP, "audio/qcelp", ".qcp", |r, _| r.len() > 12 && &r[..4] == b"RIFF" && &r[8..12] == b"QLCM");
node!(MRC, "application/marc", ".mrc", marc);
node!(MDB, "application/x-msaccess", ".mdb", |r, _| offset(r, b"Standard Jet DB", 4));
node!(ACCDB, "application/x-msaccess", ".accdb", |r, _| offset(r, b"Standard ACE DB", 4));
node!(ZSTD, "application/zstd", ".zst", |r, _| r.len() >= 4 && {
    let sig = u32::from_le_bytes([r[0], r[1], r[2], r[3]]);
    (0xFD2FB522..=0xFD2FB528).contains(&sig) || (0x184D2A50..=0x184D2A5F).contains(&sig)
});
node!(CAB, "application/vnd.ms-cab-compressed", ".cab", |r, _| r.starts_with(b"MSCF\x00\x00\x00\x00"));
node!(CAB_IS, "application/x-installshield", ".cab", |r, _| r.len() > 7
    && &r[0..4] == b"ISc("
    && r[6] == 0
    && matches!(r[7], 1 | 2 | 4));
node!(LZIP, "application/lzip", ".lz", |r, _| r.starts_with(b"LZIP"));
node!(TORRENT, "application/x-bittorrent", ".torrent", |r, _| r.starts_with(b"d8:announce"));
node!(CPIO, "application/x-cpio", ".cpio", |r, _| r.len() >= 6
    && (u16::from_le_bytes([r[0], r[1]]) == 0o70707
        || r.starts_with(b"070707")
        || r.starts_with(b"070701")
        || r.starts_with(b"070702")));
node!(TZIF, "application/tzif", "", |r, _| r.len() >= 44
    && r.starts_with(b"TZif")
    && u32::from_be_bytes([r[36], r[37], r[38], r[39]]) != 0
    && matches!(r[4], 0x00 | 0x32 | 0x33));
node!(P7S, "application/pkcs7-signature", ".p7s", p7s);
node!(XCF, "image/x-xcf", ".xcf", |r, _| r.starts_with(b"gimp xcf"));
node!(PAT, "image/x-gimp-pat", ".pat", |r, _| offset(r, b"GPAT", 20));
node!(GBR, "image/x-gimp-gbr", ".gbr", |r, _| offset(r, b"GIMP", 20));
node!(XFDF, "application/vnd.adobe.xfdf", ".xfdf", |r, _| xml(
    r,
    &[(b"<xfdf", b"xmlns=\"http://ns.adobe.com/xfdf/\"")]
));
node!(GLB, "model/gltf-binary", ".glb", |r, _| r.starts_with(b"glTF\x02\x00\x00\x00")
    || r.starts_with(b"glTF\x01\x00\x00\x00"));
node!(GLTF, "model/gltf+json", ".gltf", |r, l| json_helper(r, l, Query::Gltf, b"{"));
node!(JXR, "image/jxr", ".jxr", |r, _| r.starts_with(&[0x49, 0x49, 0xBC, 0x01]));
node!(PARQUET, "application/vnd.apache.parquet", ".parquet", |r, _| r.starts_with(b"PAR1"));
node!(NETPBM, "image/x-portable-bitmap", ".pbm", |r, _| netp(r, &[b"P1\n", b"P4\n"]));
node!(NETPGM, "image/x-portable-graymap", ".pgm", |r, _| netp(r, &[b"P2\n", b"P5\n"]));
node!(NETPPM, "image/x-portable-pixmap", ".ppm", |r, _| netp(r, &[b"P3\n", b"P6\n"]));
node!(NETPAM, "image/x-portable-arbitrarymap", ".pam", netpam);
node!(CBOR, "application/cbor", ".cbor", |r, _| r.starts_with(&[0xD9, 0xD9, 0xF7]));
node!(ONE_NOTE, "application/onenote", ".one", |r, _| r
    .starts_with(&[0xe4, 0x52, 0x5c, 0x7b, 0x8c, 0xd8, 0xa7, 0x4d, 0xae, 0xb1, 0x53, 0x78, 0xd0, 0x29, 0x96, 0xd3]));
node!(CHM, "application/vnd.ms-htmlhelp", ".chm", |r, _| r.starts_with(b"ITSF\x03\x00\x00\x00\x60\x00\x00\x00"));
node!(WPD, "application/vnd.wordperfect", ".wpd", |r, _| r.len() >= 10
    && r.starts_with(b"\xffWPC")
    && r[8] == 1
    && r[9] == 10);
node!(DXF, "image/vnd.dxf", ".dxf", |r, _| [
    &b"  0\x0ASECTION\x0A"[..],
    b"  0\x0D\x0ASECTION\x0D\x0A",
    b"0\x0ASECTION\x0A",
    b"0\x0D\x0ASECTION\x0D\x0A"
]
.iter()
.any(|s| r.starts_with(s)));
node!(RFC822, "message/rfc822", ".eml", rfc822);
node!(GRIB, "application/grib", ".grb", |r, _| r.len() > 7 && r.starts_with(b"GRIB") && (r[7] == 1 || r[7] == 2));
node!(ZLIB, "application/zlib", "", |r, _| r.len() > 1
    && r[0] == b'x'
    && u16::from_be_bytes([r[0], r[1]]) % 31 == 0
    && !text(r, 0));
node!(INF, "application/x-os2-inf", ".inf", |r, _| r.starts_with(b"HSP\x01\x9b\x00"));
node!(HLP, "application/x-os2-hlp", ".hlp", |r, _| r.starts_with(b"HSP\x10\x9b\x00"));
node!(FM, "application/vnd.framemaker", ".fm", frame_maker);
node!(BUFR, "application/bufr", ".bufr", |r, _| r.len() > 7
    && r.starts_with(b"BUFR")
    && (r[7] == 0x03 || r[7] == 0x04));
node!(GEDCOM, "text/vnd.familysearch.gedcom", ".ged", gedcom);
node!(PCAP, "application/vnd.tcpdump.pcap", ".pcap", |r, _| r.len() >= 4 && {
    let (be, le) = (u32::from_be_bytes([r[0], r[1], r[2], r[3]]), u32::from_le_bytes([r[0], r[1], r[2], r[3]]));
    be == 0xa1b2c3d4 || be == 0xa1b23c4d || le == 0xa1b2c3d4 || le == 0xa1b23c4d
});

// ------------------------------------------------------------------------------------------------
// Byte scanning (mimetype's internal/scan)

type Flags = u8;
const NONE: Flags = 0;
/// One whitespace in the pattern matches one or more in the input.
const CWS: Flags = 1;
/// An upper-case letter in the pattern matches either case in the input.
const IGNORE_CASE: Flags = 2;
/// The match must be followed by whitespace or the end of input.
const FW: Flags = 4;

fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

fn trim_lws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| is_ws(**c)).count();
    &b[n..]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    index(hay, needle).is_some()
}

fn index(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn peek(s: &[u8]) -> u8 {
    s.first().copied().unwrap_or(0)
}

fn pop(s: &mut &[u8]) -> u8 {
    match s.split_first() {
        Some((b, rest)) => {
            *s = rest;
            *b
        }
        None => 0,
    }
}

/// Go's `Advance`: fails (and leaves `s` alone) when fewer than `n` bytes remain.
fn advance(s: &mut &[u8], n: usize) -> bool {
    if s.len() < n {
        return false;
    }
    *s = &s[n..];
    true
}

fn pop_until<'a>(s: &mut &'a [u8], stops: &[u8]) -> &'a [u8] {
    let i = s.iter().position(|b| stops.contains(b)).unwrap_or(s.len());
    let (head, rest) = s.split_at(i);
    *s = rest;
    head
}

/// The next line (one trailing `\r` dropped), advancing past its `\n`.
fn line<'a>(s: &mut &'a [u8]) -> &'a [u8] {
    let mut l = pop_until(s, b"\n");
    if l.last() == Some(&b'\r') {
        l = &l[..l.len() - 1];
    }
    advance(s, 1);
    l
}

fn u16_le(s: &mut &[u8]) -> Option<u16> {
    let v = u16::from_le_bytes([*s.first()?, *s.get(1)?]);
    *s = &s[2..];
    Some(v)
}

fn u32_le(s: &mut &[u8]) -> Option<u32> {
    if s.len() < 4 {
        return None;
    }
    let v = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
    *s = &s[4..];
    Some(v)
}

fn u32_be(s: &mut &[u8]) -> Option<u32> {
    if s.len() < 4 {
        return None;
    }
    let v = u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
    *s = &s[4..];
    Some(v)
}

/// How many bytes of `b` the pattern `p` matched at its start, or `None`.
fn match_at(mut b: &[u8], mut p: &[u8], flags: Flags) -> Option<usize> {
    let l = b.len();
    if p.is_empty() {
        return Some(0);
    }
    if l == 0 {
        return None;
    }
    if flags == NONE || flags == FW {
        if !b.starts_with(p) {
            return None;
        }
        b = &b[p.len()..];
        p = &[];
    } else {
        while !b.is_empty() {
            if p.is_empty() {
                break;
            }
            if flags & IGNORE_CASE != 0 && p[0].is_ascii_uppercase() {
                if b[0].to_ascii_uppercase() != p[0] {
                    return None;
                }
                b = &b[1..];
                p = &p[1..];
            } else if flags & CWS != 0 && is_ws(p[0]) {
                p = &p[1..];
                if !is_ws(b[0]) {
                    return None;
                }
                b = &b[1..];
                if !p.is_empty() && !is_ws(p[0]) {
                    b = trim_lws(b);
                }
            } else {
                if b[0] != p[0] {
                    return None;
                }
                b = &b[1..];
                p = &p[1..];
            }
        }
    }
    if !p.is_empty() {
        return None;
    }
    if flags & FW != 0 && !b.is_empty() && !is_ws(b[0]) {
        return None;
    }
    Some(l - b.len())
}

/// Where `p` first matches in `b` and how many bytes it took.
fn search(b: &[u8], p: &[u8], flags: Flags) -> Option<(usize, usize)> {
    if p.is_empty() {
        return Some((0, 0));
    }
    if b.is_empty() {
        return None;
    }
    if flags == NONE {
        return index(b, p).map(|i| (i, p.len()));
    }
    for i in 0..b.len() {
        if b.len() - i < p.len() {
            return None;
        }
        if let Some(l) = match_at(&b[i..], p, flags) {
            return Some((i, l));
        }
    }
    None
}

// ------------------------------------------------------------------------------------------------
// Shared matchers (internal/magic/magic.go)

fn offset(raw: &[u8], sig: &[u8], at: usize) -> bool {
    raw.len() > at && raw[at..].starts_with(sig)
}

fn ci_prefix(raw: &[u8], sigs: &[&[u8]]) -> bool {
    sigs.iter().any(|sig| {
        raw.len() > sig.len()
            && sig.iter().zip(raw).all(|(&s, &r)| if s.is_ascii_uppercase() { r & 0xDF == s } else { r == s })
    })
}

fn xml(raw: &[u8], sigs: &[(&[u8], &[u8])]) -> bool {
    let b = trim_lws(raw);
    if b.is_empty() {
        return false;
    }
    let b = &b[..b.len().min(512)];
    sigs.iter().any(|(local, ns)| {
        if local.is_empty() {
            return index(b, ns).is_some_and(|i| i > 0);
        }
        if ns.is_empty() {
            return index(b, local).is_some_and(|i| i > 0);
        }
        // Go compares with -1 for a missing namespace, which never passes
        match (index(b, local), index(b, ns)) {
            (Some(l), Some(n)) => l < n,
            _ => false,
        }
    })
}

fn markup(raw: &[u8], sigs: &[&[u8]]) -> bool {
    let mut b = raw;
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        b = &b[3..];
    }
    let b = trim_lws(b);
    if b.is_empty() {
        return false;
    }
    sigs.iter().any(|sig| {
        b.len() > sig.len()
            && sig.iter().zip(b).all(|(&s, &r)| if s.is_ascii_uppercase() { r & 0xDF == s } else { r == s })
            && (is_ws(b[sig.len()]) || b[sig.len()] == b'>')
    })
}

fn ftyp(raw: &[u8], sigs: &[&[u8]]) -> bool {
    raw.len() >= 12 && sigs.iter().any(|s| &raw[8..12] == *s)
}

fn shebang(raw: &[u8], sigs: &[(&[u8], Flags)]) -> bool {
    let mut s = raw;
    let l = line(&mut s);
    if l.len() < 2 || l[0] != b'#' || l[1] != b'!' {
        return false;
    }
    let l = trim_lws(&l[2..]);
    sigs.iter().any(|(sig, flags)| match_at(l, sig, *flags).is_some())
}

// ------------------------------------------------------------------------------------------------
// Archives, documents, office

fn zip(raw: &[u8], _: u32) -> bool {
    raw.len() > 3 && raw[0] == 0x50 && raw[1] == 0x4B && matches!(raw[2], 3 | 5 | 7) && matches!(raw[3], 4 | 6 | 8)
}

/// The name of the next local file header at or after the start of `b` (empty when there is none).
fn zip_next<'a>(b: &mut &'a [u8]) -> &'a [u8] {
    let Some(n) = index(b, b"PK\x03\x04") else { return &[] };
    advance(b, n);
    if !advance(b, 0x1A) {
        return &[];
    }
    let Some(l) = u16_le(b) else { return &[] };
    if !advance(b, 2) {
        return &[];
    }
    if b.len() < l as usize {
        return &[];
    }
    &b[..l as usize]
}

fn zip_entry_matches(name: &[u8], entries: &[(&[u8], bool)]) -> bool {
    entries.iter().any(|(e, dir)| if *dir { name.starts_with(e) } else { name == *e })
}

fn zip_has(raw: &[u8], entries: &[(&[u8], bool)], stop_after: usize) -> bool {
    let mut b = raw;
    for _ in 0..stop_after {
        let f = zip_next(&mut b);
        if f.is_empty() {
            break;
        }
        if zip_entry_matches(f, entries) {
            return true;
        }
    }
    false
}

fn msoxml(raw: &[u8], dir: &[u8]) -> bool {
    let mut b = raw;
    for i in 0..100 {
        let f = zip_next(&mut b);
        if f.is_empty() {
            break;
        }
        if f.starts_with(dir) {
            return true;
        }
        if i == 0
            && f != b"[Content_Types].xml"
            && !f.starts_with(b"_rels/")
            && !f.starts_with(b"docProps/")
            && !f.starts_with(b"customXml/")
            && !f.starts_with(b"[trash]/")
        {
            return false;
        }
    }
    false
}

fn jar(raw: &[u8], _: u32) -> bool {
    let executable = {
        let mut b = raw;
        advance(&mut b, 0x1A);
        match u16_le(&mut b) {
            Some(off) => {
                advance(&mut b, off as usize + 2);
                u16_le(&mut b) == Some(0xCAFE)
            }
            None => false,
        }
    };
    executable || zip_has(raw, &[(b"META-INF/", false), (b"META-INF/MANIFEST.MF", false)], 1)
}

fn apk(raw: &[u8], _: u32) -> bool {
    // a Zipflinger virtual entry (stored, zero CRC and sizes, empty name) marks an APK
    let mut b = raw;
    let flinger = (|| {
        index(b, b"PK\x03\x04")?;
        if !advance(&mut b, 0x08) {
            return None;
        }
        (u16_le(&mut b)? == 0).then_some(())?;
        if !advance(&mut b, 0x04) {
            return None;
        }
        (u32_le(&mut b)? == 0).then_some(())?;
        (u32_le(&mut b)? == 0).then_some(())?;
        (u32_le(&mut b)? == 0).then_some(())?;
        (u16_le(&mut b)? == 0).then_some(())?;
        let extra = u16_le(&mut b)?;
        advance(&mut b, extra as usize).then_some(())
    })();
    if flinger.is_some() {
        return true;
    }
    zip_has(
        raw,
        &[
            (b"AndroidManifest.xml", false),
            (b"META-INF/com/android/build/gradle/app-metadata.properties", false),
            (b"classes.dex", false),
            (b"resources.arsc", false),
            (b"res/drawable", false),
        ],
        100,
    )
}

fn tar(raw: &[u8], _: u32) -> bool {
    if raw.len() < 512 {
        return false;
    }
    let raw = &raw[..512];
    if contains(&raw[..100], b"/gpkg-1\x00") {
        return false;
    }
    let field = &raw[148..156];
    let start = field.iter().position(|b| *b != b' ' && *b != 0).unwrap_or(field.len());
    let end = field.iter().rposition(|b| *b != b' ' && *b != 0).map_or(start, |i| i + 1);
    let field = &field[start..end.max(start)];
    if field.is_empty() {
        return false;
    }
    let mut recorded: i64 = 0;
    for &b in field {
        if b == 0 {
            break;
        }
        if !(b'0'..=b'7').contains(&b) {
            return false;
        }
        recorded = (recorded << 3) | (b - b'0') as i64;
    }
    let (mut unsigned, mut signed) = (0i64, 0i64);
    for (i, &c) in raw.iter().enumerate() {
        let c = if (148..156).contains(&i) { b' ' } else { c };
        unsigned += c as i64;
        signed += c as i8 as i64;
    }
    recorded == unsigned || recorded == signed
}

/// The root storage CLSID of an OLE2 compound file (mimetype's `matchOleClsid`).
fn ole_clsid(raw: &[u8], clsid: &[u8]) -> bool {
    if raw.len() < 512 {
        return false;
    }
    let sector: i64 = if raw[26] == 0x04 && raw[27] == 0x00 { 4096 } else { 512 };
    let first = u32::from_le_bytes([raw[48], raw[49], raw[50], raw[51]]) as i64;
    let at = sector * (1 + first) + 80;
    if at < 0 || raw.len() as i64 <= at + 16 {
        return false;
    }
    raw[at as usize..].starts_with(clsid)
}

// The three below are mimetype's fallbacks for when its CDF parser cannot narrow the type down (see the
// module documentation).

fn doc(raw: &[u8], _: u32) -> bool {
    [
        [0x06u8, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46],
        [0x00, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46],
        [0x07, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46],
    ]
    .iter()
    .any(|c| ole_clsid(raw, c))
}

fn ppt(raw: &[u8], _: u32) -> bool {
    if ole_clsid(raw, &[0x10, 0x8d, 0x81, 0x64, 0x9b, 0x4f, 0xcf, 0x11, 0x86, 0xea, 0x00, 0xaa, 0x00, 0xb9, 0x29, 0xe8])
        || ole_clsid(
            raw,
            &[0x70, 0xae, 0x7b, 0xea, 0x3b, 0xfb, 0xcd, 0x11, 0xa9, 0x03, 0x00, 0xaa, 0x00, 0x51, 0x0e, 0xa3],
        )
    {
        return true;
    }
    let n = raw.len();
    if n < 520 {
        return false;
    }
    if [&[0xA0u8, 0x46, 0x1D, 0xF0][..], &[0x00, 0x6E, 0x1E, 0xF0], &[0x0F, 0x00, 0xE8, 0x03]]
        .iter()
        .any(|h| raw[512..].starts_with(h))
    {
        return true;
    }
    n > 1152
        && contains(
            &raw[1152..n.min(4096)],
            b"P\x00o\x00w\x00e\x00r\x00P\x00o\x00i\x00n\x00t\x00 D\x00o\x00c\x00u\x00m\x00e\x00n\x00t",
        )
}

fn xls(raw: &[u8], _: u32) -> bool {
    if ole_clsid(raw, &[0x10, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00])
        || ole_clsid(raw, &[0x20, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00])
    {
        return true;
    }
    let n = raw.len();
    if n < 520 {
        return false;
    }
    let subs: [&[u8]; 7] = [
        &[0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00],
        &[0xFD, 0xFF, 0xFF, 0xFF, 0x10],
        &[0xFD, 0xFF, 0xFF, 0xFF, 0x1F],
        &[0xFD, 0xFF, 0xFF, 0xFF, 0x22],
        &[0xFD, 0xFF, 0xFF, 0xFF, 0x23],
        &[0xFD, 0xFF, 0xFF, 0xFF, 0x28],
        &[0xFD, 0xFF, 0xFF, 0xFF, 0x29],
    ];
    if subs.iter().any(|h| raw[512..].starts_with(h)) {
        return true;
    }
    n > 1152 && contains(&raw[1152..n.min(4096)], b"W\x00k\x00s\x00S\x00S\x00W\x00o\x00r\x00k\x00B\x00o\x00o\x00k")
}

fn p7s(raw: &[u8], _: u32) -> bool {
    if raw.starts_with(b"-----BEGIN PKCS7") {
        return true;
    }
    if raw.len() < 20 {
        return false;
    }
    let signed_data = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];
    [[0x30u8, 0x80], [0x30, 0x81], [0x30, 0x82], [0x30, 0x83], [0x30, 0x84]]
        .iter()
        .enumerate()
        .any(|(i, h)| raw.starts_with(h) && raw[i + 2..].starts_with(&signed_data))
}

fn lotus123(raw: &[u8], _: u32) -> bool {
    if raw.len() <= 20 {
        return false;
    }
    let version = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    if version == 0x00000200 {
        return raw[6] != 0 && raw[7] == 0;
    }
    version == 0x00001a00 && raw[20] > 0 && raw[20] < 32
}

fn frame_maker(raw: &[u8], _: u32) -> bool {
    if !raw.starts_with(b"<MakerFile")
        && !raw.starts_with(b"<MakerDictionary")
        && match_at(raw, b"<BOOKFILE", IGNORE_CASE).is_none()
    {
        return false;
    }
    raw[..raw.len().min(512)].contains(&0)
}

fn crx(raw: &[u8], limit: u32) -> bool {
    if raw.len() < 16 || !raw.starts_with(b"Cr24") {
        return false;
    }
    let pubkey = u32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]) as u64;
    let sig = u32::from_le_bytes([raw[12], raw[13], raw[14], raw[15]]) as u64;
    let at = 16 + pubkey + sig;
    (raw.len() as u64) >= at && zip(&raw[at as usize..], limit)
}

// ------------------------------------------------------------------------------------------------
// Images, audio, video, fonts, binaries

fn apng(raw: &[u8], _: u32) -> bool {
    let mut b = raw;
    advance(&mut b, 8);
    for _ in 0..32 {
        if b.is_empty() {
            break;
        }
        let size = u32_be(&mut b).unwrap_or(0);
        if b.starts_with(b"acTL") {
            return true;
        }
        if b.starts_with(b"IDAT") {
            return false;
        }
        if !advance(&mut b, size.wrapping_add(8) as usize) {
            return false;
        }
    }
    false
}

fn jpeg2k(raw: &[u8], sig: &[u8]) -> bool {
    raw.len() >= 24
        && (raw[4..8] == [0x6A, 0x50, 0x20, 0x20] || raw[4..8] == [0x6A, 0x50, 0x32, 0x20])
        && &raw[20..24] == sig
}

fn bmp(raw: &[u8], _: u32) -> bool {
    if raw.len() < 18 || raw[0] != b'B' || raw[1] != b'M' {
        return false;
    }
    let format = u32::from_le_bytes([raw[14], raw[15], raw[16], raw[17]]);
    [48, 24, 16, 64, 52, 56, 40, 124, 108].contains(&format)
}

fn dwg(raw: &[u8], _: u32) -> bool {
    if raw.len() < 6 || raw[0] != 0x41 || raw[1] != 0x43 {
        return false;
    }
    let versions: [&[u8; 4]; 15] = [
        b"1.40", b"1.50", b"2.10", b"1002", b"1003", b"1004", b"1006", b"1009", b"1012", b"1014", b"1015", b"1018",
        b"1021", b"1024", b"1032",
    ];
    versions.iter().any(|v| &raw[2..6] == *v)
}

fn mp3(raw: &[u8], _: u32) -> bool {
    if raw.len() < 3 {
        return false;
    }
    if id3v2(raw) {
        return true;
    }
    match u16::from_be_bytes([raw[0], raw[1]]) & 0xFFFE {
        0xFFFA | 0xFFF2 | 0xFFE2 | 0xFFFC | 0xFFF4 | 0xFFF5 => return true,
        _ => {}
    }
    if raw.starts_with(b"MO3") || raw.starts_with(&[0x00, 0x00, 0x01, 0x40, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00]) {
        return false;
    }
    mp3_frame(raw) > 0
}

fn id3v2(raw: &[u8]) -> bool {
    if raw.len() < 10 || !raw.starts_with(b"ID3") {
        return false;
    }
    if raw[3] < 2 || raw[3] > 4 || raw[4] != 0 || raw[5] & 0b1111 != 0 {
        return false;
    }
    if raw[6..10].iter().any(|b| b & 0x80 != 0) {
        return false;
    }
    let size = (raw[6] as u32) << 21 | (raw[7] as u32) << 14 | (raw[8] as u32) << 7 | raw[9] as u32;
    size > 0 && size < 10 * 1024 * 1024
}

/// The size of the first MP3 (layer III) frame found in the first 2 KiB, confirmed by the frames after it;
/// 0 when there is none (mimetype's `mp3.ExtractFrame`).
fn mp3_frame(b: &[u8]) -> usize {
    const HEADER: usize = 4;
    let limit = b.len().min(2048 + HEADER);
    let mut i = 0;
    while i + HEADER < limit {
        let Some(j) = b[i..limit - HEADER].iter().position(|x| *x == 0xFF) else { break };
        i += j;
        let h = Mp3Header([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        if h.valid() {
            let frame = h.frame_bytes();
            let with_pad = frame + h.padding();
            let valid_here = frame > 0 && i + with_pad <= b.len() && mp3_match_frame(&b[i..]);
            let exact = i == 0 && with_pad == b.len();
            if valid_here || exact {
                return with_pad;
            }
        }
        i += 1;
    }
    0
}

fn mp3_match_frame(buf: &[u8]) -> bool {
    let h = Mp3Header([buf[0], buf[1], buf[2], buf[3]]);
    let mut i = h.frame_bytes() + h.padding();
    for n in 0..10 {
        if i + 4 > buf.len() {
            return n >= 2;
        }
        let next = Mp3Header([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
        if !(next.valid() && (h.0[1] ^ next.0[1]) & 0xFE == 0 && (h.0[2] ^ next.0[2]) & 0x0C == 0) {
            return false;
        }
        i += next.frame_bytes() + next.padding();
    }
    true
}

struct Mp3Header([u8; 4]);

impl Mp3Header {
    fn mpeg1(&self) -> bool {
        self.0[1] & 0x8 != 0
    }
    fn mpeg25(&self) -> bool {
        self.0[1] & 0x10 == 0
    }
    fn bitrate_index(&self) -> u8 {
        self.0[2] >> 4
    }
    fn sample_rate_index(&self) -> u8 {
        self.0[2] >> 2 & 3
    }
    fn padding(&self) -> usize {
        usize::from(self.0[2] & 0x2 != 0)
    }
    fn valid(&self) -> bool {
        let h = &self.0;
        h[0] == 0xff
            && ((h[1] & 0xF0) == 0xf0 || (h[1] & 0xFE) == 0xe2)
            && (h[1] >> 1 & 3) == 1
            && self.bitrate_index() != 15
            && self.sample_rate_index() != 3
            && h[3] & 0b11 != 2
            && h[2] & 0xF0 != 0
    }
    fn frame_bytes(&self) -> usize {
        const HALF: [[usize; 15]; 2] = [
            [0, 4, 8, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 72, 80],
            [0, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160],
        ];
        let bitrate = 2 * HALF[usize::from(self.mpeg1())][self.bitrate_index() as usize];
        let mut rate = [44100, 48000, 32000][self.sample_rate_index() as usize];
        if !self.mpeg1() {
            rate >>= 1;
        }
        if self.mpeg25() {
            rate >>= 1;
        }
        if bitrate == 0 || rate == 0 {
            return 0;
        }
        let samples = if self.0[1] & 14 == 2 { 576 } else { 1152 };
        samples * bitrate * 125 / rate
    }
}

fn matroska(raw: &[u8], kind: &[u8]) -> bool {
    if !raw.starts_with(b"\x1A\x45\xDF\xA3") {
        return false;
    }
    let max = raw.len().min(4096);
    match index(&raw[..max], b"\x42\x82") {
        Some(i) if i > 0 && raw.len() > i + 2 => {
            let i = i + 2;
            let v = raw[i] as u32;
            let (mut mask, mut n) = (128u32, 1usize);
            while n < 8 && v & mask == 0 {
                mask >>= 1;
                n += 1;
            }
            raw.len() > i + n && raw[i + n..].starts_with(kind)
        }
        _ => false,
    }
}

fn quick_time(raw: &[u8], _: u32) -> bool {
    if raw.len() < 12 {
        return false;
    }
    if &raw[4..12] == b"ftypqt  " || &raw[4..12] == b"ftypmoov" {
        return raw[0] == 0x00;
    }
    [&b"moov\x00"[..], b"mdat\x00", b"free\x00", b"skip\x00", b"pnot\x00"].iter().any(|a| &raw[4..9] == *a)
        || raw.starts_with(b"\x00\x00\x00\x08wide")
}

fn has_sfnt_table(raw: &[u8]) -> bool {
    if raw.len() < 16 {
        return false;
    }
    const TABLES: [&[u8; 4]; 70] = [
        b"acnt", b"ankr", b"avar", b"bdat", b"bhed", b"bloc", b"bsln", b"cmap", b"cvar", b"cvt ", b"EBSC", b"fdsc",
        b"feat", b"fmtx", b"fond", b"fpgm", b"fvar", b"gasp", b"gcid", b"glyf", b"gvar", b"hdmx", b"head", b"hhea",
        b"hmtx", b"hvgl", b"hvpm", b"just", b"kern", b"kerx", b"lcar", b"loca", b"ltag", b"maxp", b"meta", b"mort",
        b"morx", b"name", b"opbd", b"OS/2", b"GSUB", b"GPOS", b"BASE", b"JSTF", b"GDEF", b"MATH", b"CBDT", b"CBLC",
        b"CFF ", b"CFF2", b"COLR", b"CPAL", b"DSIG", b"EBDT", b"EBLC", b"HVAR", b"LTSH", b"MERG", b"MVAR", b"PCLT",
        b"post", b"prep", b"sbix", b"STAT", b"SVG ", b"VDMX", b"vhea", b"vmtx", b"VORG", b"VVAR",
    ];
    TABLES.iter().any(|t| &raw[12..16] == *t)
}

fn shp(raw: &[u8], _: u32) -> bool {
    if raw.len() < 112 {
        return false;
    }
    let be = |i: usize| u32::from_be_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    let le = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    if be(0) != 9994 || (4..24).step_by(4).any(|i| be(i) != 0) || le(28) != 1000 {
        return false;
    }
    [0, 1, 3, 5, 8, 11, 13, 15, 18, 21, 23, 25, 28, 31].contains(&le(108))
}

fn dbf(raw: &[u8], _: u32) -> bool {
    if raw.len() < 68 {
        return false;
    }
    if raw[2] == 0 || raw[2] > 12 || raw[3] == 0 || raw[3] > 31 {
        return false;
    }
    if raw[12] != 0 || raw[13] != 0 || raw[30] != 0 || raw[31] != 0 || raw[28] > 0x01 {
        return false;
    }
    [
        0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x42, 0x62, 0x7B, 0x82, 0x83, 0x87, 0x8A, 0x8B, 0x8E, 0xB3, 0xCB,
        0xE5, 0xF5, 0xF4, 0xFB,
    ]
    .contains(&raw[0])
}

fn elf_type(raw: &[u8], t: u8) -> bool {
    raw.len() > 17 && ((raw[16] == t && raw[17] == 0) || (raw[16] == 0 && raw[17] == t))
}

fn class_or_macho_fat(raw: &[u8]) -> bool {
    raw.len() >= 8 && u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]) == 0xcafebabe
}

fn macho(raw: &[u8], _: u32) -> bool {
    if class_or_macho_fat(raw) && raw[7] < 0x14 {
        return true;
    }
    if raw.len() < 4 {
        return false;
    }
    let be = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let le = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    [0xfeedface, 0xfeedfacf].iter().any(|m| *m == be || *m == le)
}

fn marc(raw: &[u8], _: u32) -> bool {
    raw.len() >= 24
        && &raw[20..24] == b"4500"
        && raw[..5].iter().all(u8::is_ascii_digit)
        && raw[..raw.len().min(2048)].contains(&0x1E)
}

fn pyc(raw: &[u8], _: u32) -> bool {
    if raw.len() < 8 {
        return false;
    }
    const MAGIC: [u32; 89] = [
        0x02099900, 0x03099900, 0x892e0d0a, 0x04170d0a, 0x994e0d0a, 0xfcc40d0a, 0xfdc40d0a, 0x87c60d0a, 0x88c60d0a,
        0x2aeb0d0a, 0x2beb0d0a, 0x2ded0d0a, 0x2eed0d0a, 0x3bf20d0a, 0x3cf20d0a, 0x45f20d0a, 0x59f20d0a, 0x63f20d0a,
        0x6df20d0a, 0x6ef20d0a, 0x77f20d0a, 0x81f20d0a, 0x8bf20d0a, 0x8cf20d0a, 0x95f20d0a, 0x9ff20d0a, 0xa9f20d0a,
        0xb3f20d0a, 0xb4f20d0a, 0xc7f20d0a, 0xd1f20d0a, 0xd2f20d0a, 0xdbf20d0a, 0xe5f20d0a, 0xeff20d0a, 0xf9f20d0a,
        0x03f30d0a, 0x04f30d0a, 0x0af30d0a, 0xb80b0d0a, 0xc20b0d0a, 0xcc0b0d0a, 0xd60b0d0a, 0xe00b0d0a, 0xea0b0d0a,
        0xf40b0d0a, 0xf50b0d0a, 0xff0b0d0a, 0x090c0d0a, 0x130c0d0a, 0x1d0c0d0a, 0x1f0c0d0a, 0x270c0d0a, 0x3b0c0d0a,
        0x450c0d0a, 0x4f0c0d0a, 0x580c0d0a, 0x620c0d0a, 0x6c0c0d0a, 0x760c0d0a, 0x800c0d0a, 0x8a0c0d0a, 0x940c0d0a,
        0x9e0c0d0a, 0xb20c0d0a, 0xbc0c0d0a, 0xc60c0d0a, 0xd00c0d0a, 0xda0c0d0a, 0xe40c0d0a, 0xee0c0d0a, 0xf80c0d0a,
        0x020d0d0a, 0x0c0d0d0a, 0x160d0d0a, 0x170d0d0a, 0x200d0d0a, 0x210d0d0a, 0x2a0d0d0a, 0x2b0d0d0a, 0x2c0d0d0a,
        0x2d0d0d0a, 0x2f0d0d0a, 0x300d0d0a, 0x310d0d0a, 0x320d0d0a, 0x330d0d0a, 0x3e0d0d0a, 0x3f0d0d0a,
    ];
    if MAGIC.contains(&u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]])) {
        return true;
    }
    if raw[2] == 0x0d && raw[3] == 0x0a {
        if u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]) > 3 {
            return false;
        }
        if raw[1] == 0x0d || raw[1] == 0x0e {
            return true;
        }
        return matches!(u16::from_le_bytes([raw[0], raw[1]]), 240 | 256 | 336 | 384 | 416);
    }
    false
}

// ------------------------------------------------------------------------------------------------
// Text formats

fn text(raw: &[u8], _: u32) -> bool {
    if !charset_from_bom(raw).is_empty() {
        return true;
    }
    !raw[..raw.len().min(4096)]
        .iter()
        .any(|&b| b <= 0x08 || b == 0x0B || (0x0E..=0x1A).contains(&b) || (0x1C..=0x1F).contains(&b))
}

fn html(raw: &[u8], _: u32) -> bool {
    markup(
        raw,
        &[
            b"<!DOCTYPE HTML",
            b"<HTML",
            b"<HEAD",
            b"<SCRIPT",
            b"<IFRAME",
            b"<H1",
            b"<DIV",
            b"<FONT",
            b"<TABLE",
            b"<A",
            b"<STYLE",
            b"<TITLE",
            b"<B",
            b"<BODY",
            b"<BR",
            b"<P",
            b"<!--",
        ],
    )
}

fn xhtml(raw: &[u8], _: u32) -> bool {
    let b = &raw[..raw.len().min(1024)];
    search(b, b"<!DOCTYPE HTML", CWS | IGNORE_CASE).is_some() || search(b, b"<HTML XMLNS=", CWS | IGNORE_CASE).is_some()
}

fn php(raw: &[u8], _: u32) -> bool {
    ci_prefix(raw, &[b"<?PHP", b"<?\n", b"<?\r", b"<? "])
        || shebang(
            raw,
            &[
                (b"/usr/local/bin/php", NONE),
                (b"/usr/bin/php", NONE),
                (b"/usr/bin/env php", CWS),
                (b"/usr/bin/env -S php", CWS),
            ],
        )
}

fn svg_without_xml_declaration(raw: &[u8]) -> bool {
    let mut s = trim_lws(raw);
    while skip_a_comment(&mut s) {}
    if !s.starts_with(b"<svg") {
        return false;
    }
    loop {
        let (name, val, more) = get_an_attribute(&mut s);
        if name == b"xmlns" && val == b"http://www.w3.org/2000/svg" {
            return true;
        }
        if !more {
            return false;
        }
    }
}

fn svg_with_xml_declaration(raw: &[u8]) -> bool {
    let mut s = trim_lws(raw);
    if !s.starts_with(b"<?xml") {
        return false;
    }
    let mut has_version = false;
    loop {
        let (name, _, more) = get_an_attribute(&mut s);
        if name == b"version" {
            has_version = true;
            break;
        }
        if !more {
            break;
        }
    }
    let s = &s[..s.len().min(4096)];
    has_version && contains(s, b"<svg")
}

fn srt(raw: &[u8], _: u32) -> bool {
    let mut s = raw;
    if line(&mut s) != b"1" {
        return false;
    }
    let l = line(&mut s);
    if l.len() != 29 || l.contains(&b'.') {
        return false;
    }
    let Some(i) = index(l, b" --> ") else { return false };
    let (Some(t0), Some(t1)) = (srt_time(&l[..i]), srt_time(&l[i + 5..])) else { return false };
    if t0 > t1 {
        return false;
    }
    !line(&mut s).is_empty()
}

/// Go's `time.Parse("15:04:05,000", s)` as milliseconds.
fn srt_time(s: &[u8]) -> Option<u64> {
    let mut s = s;
    let digits = |s: &mut &[u8], min: usize, max: usize| -> Option<u64> {
        let n = s.iter().take(max).take_while(|b| b.is_ascii_digit()).count();
        if n < min {
            return None;
        }
        let v = s[..n].iter().fold(0u64, |a, b| a * 10 + (b - b'0') as u64);
        *s = &s[n..];
        Some(v)
    };
    let expect = |s: &mut &[u8], c: u8| -> Option<()> { (pop(s) == c).then_some(()) };
    let h = digits(&mut s, 1, 2)?;
    expect(&mut s, b':')?;
    let m = digits(&mut s, 2, 2)?;
    expect(&mut s, b':')?;
    let sec = digits(&mut s, 2, 2)?;
    expect(&mut s, b',')?;
    let ms = digits(&mut s, 3, 3)?;
    if !s.is_empty() || h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

fn vtt(raw: &[u8], _: u32) -> bool {
    let bom = [0xEF, 0xBB, 0xBF];
    let body = raw.strip_prefix(&bom[..]).unwrap_or(raw);
    if let Some(rest) = body.strip_prefix(b"WEBVTT") {
        return rest.is_empty() || matches!(rest[0], b'\n' | b'\r' | b' ' | b'\t');
    }
    false
}

fn rfc822(raw: &[u8], _: u32) -> bool {
    const HINTS: [(&[u8], Flags); 16] = [
        (b"Message-ID: ", IGNORE_CASE),
        (b"From: ", NONE),
        (b"To: ", NONE),
        (b"CC: ", IGNORE_CASE),
        (b"Date: ", NONE),
        (b"Subject: ", NONE),
        (b"Received: ", NONE),
        (b"Relay-Version: ", NONE),
        (b"#! rnews", NONE),
        (b"N#! rnews", NONE),
        (b"Forward to", NONE),
        (b"Pipe to", NONE),
        (b"DELIVERED-TO: ", IGNORE_CASE),
        (b"RETURN-PATH: ", IGNORE_CASE),
        (b"Content-Type: ", NONE),
        (b"Content-Transfer-Encoding: ", NONE),
    ];
    let has_hint = |l: &[u8]| HINTS.iter().any(|(h, f)| match_at(l, h, *f).is_some());
    let mut s = raw;
    if !has_hint(line(&mut s)) {
        return false;
    }
    (0..20).any(|_| has_hint(line(&mut s)))
}

fn gedcom(raw: &[u8], _: u32) -> bool {
    if raw.is_empty() {
        return false;
    }
    let mut b = &raw[..raw.len().min(4096)];
    for bom in [&[0xEFu8, 0xBB, 0xBF][..], &[0xFE, 0xFF], &[0xFF, 0xFE]] {
        if b.starts_with(bom) {
            b = &b[bom.len()..];
            break;
        }
    }
    b = trim_lws(b);
    if line(&mut b) != b"0 HEAD" {
        return false;
    }
    (0..10).any(|_| line(&mut b) == b"1 GEDC")
}

fn netp(raw: &[u8], prefixes: &[&[u8]]) -> bool {
    let Some(p) = prefixes.iter().rev().find(|p| raw.starts_with(p)) else { return false };
    let mut s = &raw[p.len()..];
    let mut l: &[u8] = &[];
    for _ in 0..128 {
        l = line(&mut s);
        if peek(l) == b'#' {
            continue;
        }
        l = trim_lws(l);
        if s.is_empty() || !l.is_empty() {
            break;
        }
    }
    let spaces = [b' ', b'\r', b'\n', 0x0c, b'\t'];
    let width = pop_until(&mut l, &spaces);
    let mut l = trim_lws(l);
    let height = pop_until(&mut l, &spaces);
    matches!((go_parse_int(width), go_parse_int(height)), (Some(w), Some(h)) if w > 0 && h > 0)
}

/// Go's `strconv.ParseInt(s, 10, 64)`.
fn go_parse_int(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse::<i64>().ok()
}

fn netpam(raw: &[u8], _: u32) -> bool {
    if !raw.starts_with(b"P7\n") {
        return false;
    }
    let (mut w, mut h, mut d, mut m) = (false, false, false, false);
    let mut s = raw;
    for _ in 0..128 {
        let l = line(&mut s);
        if l.is_empty() || peek(l) == b'#' {
            if s.is_empty() {
                return false;
            }
            continue;
        } else if l.starts_with(b"TUPLTYPE") {
            continue;
        } else if l.starts_with(b"WIDTH ") {
            w = true;
        } else if l.starts_with(b"HEIGHT ") {
            h = true;
        } else if l.starts_with(b"DEPTH ") {
            d = true;
        } else if l.starts_with(b"MAXVAL ") {
            m = true;
        } else if l.starts_with(b"ENDHDR") {
            return w && h && d && m;
        }
    }
    false
}

/// CSV/TSV: a header of 2+ fields and at least one more record with as many (up to 10 records looked at).
fn separated_values(input: &[u8], comma: u8, limit: u32) -> bool {
    let mut s = input;
    let (header, more) = count_fields(&mut s, comma);
    if header < 2 || !more {
        return false;
    }
    let mut lines = 1;
    loop {
        let (fields, more) = count_fields(&mut s, comma);
        if !more && fields == 0 {
            break;
        }
        if fields == header {
            lines += 1;
        } else {
            let maybe_truncated = limit > 0 && input.len() as u64 >= limit as u64;
            if maybe_truncated && fields < header && s.is_empty() {
                break;
            }
            return false;
        }
        if lines >= 10 {
            return true;
        }
    }
    lines >= 2
}

/// mimetype's CSV field counter (a port of `encoding/csv` that only counts): the fields of the next
/// non-empty, non-comment (`#`) record, and whether there was one.
fn count_fields(s: &mut &[u8], comma: u8) -> (usize, bool) {
    fn read_line<'a>(s: &mut &'a [u8]) -> (&'a [u8], bool) {
        let i = s.iter().position(|b| *b == b'\n').map_or(s.len(), |i| i + 1);
        let (l, rest) = s.split_at(i);
        *s = rest;
        let n = l.len();
        if n > 0 && l[n - 1] == b'\r' {
            return (&l[..n - 1], false);
        }
        if n >= 2 && l[n - 2] == b'\r' && l[n - 1] == b'\n' {
            return (&l[..n - 2], true);
        }
        (l, false)
    }
    let nl_len = |b: &[u8]| usize::from(b.last() == Some(&b'\n'));
    let mut finished = false;
    let (mut l, mut cut_short);
    loop {
        (l, cut_short) = read_line(s);
        if finished {
            return (0, false);
        }
        finished = s.is_empty() && l.is_empty();
        if l.len() == nl_len(l) || l[0] == b'#' {
            continue;
        }
        break;
    }
    let mut fields = 0;
    'field: loop {
        if l.is_empty() || l[0] != b'"' {
            fields += 1;
            match l.iter().position(|b| *b == comma) {
                Some(i) => {
                    l = &l[i + 1..];
                    continue 'field;
                }
                None => break 'field,
            }
        }
        l = &l[1..];
        loop {
            if let Some(i) = l.iter().position(|b| *b == b'"') {
                l = &l[i + 1..];
                let next = peek(l);
                if next == b'"' {
                    l = &l[1..];
                } else if next == comma {
                    l = &l[1..];
                    fields += 1;
                    continue 'field;
                } else if nl_len(l) == l.len() {
                    fields += 1;
                    break 'field;
                }
            } else if !l.is_empty() || cut_short {
                (l, cut_short) = read_line(s);
            } else {
                fields += 1;
                break 'field;
            }
        }
    }
    (fields, fields != 0)
}

// ------------------------------------------------------------------------------------------------
// JSON (internal/json): a scanner that tolerates input cut at the read limit

/// A key path and the values accepted there (none: any value).
type QueryRule = (&'static [&'static [u8]], &'static [&'static [u8]]);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Query {
    None,
    Geo,
    Har,
    Gltf,
    Cdx,
}

impl Query {
    /// (path, accepted values; none = any value)
    fn rules(self) -> &'static [QueryRule] {
        match self {
            Query::None => &[],
            Query::Geo => &[(
                &[b"type"],
                &[
                    b"\"Feature\"",
                    b"\"FeatureCollection\"",
                    b"\"Point\"",
                    b"\"LineString\"",
                    b"\"Polygon\"",
                    b"\"MultiPoint\"",
                    b"\"MultiLineString\"",
                    b"\"MultiPolygon\"",
                    b"\"GeometryCollection\"",
                ],
            )],
            Query::Har => &[(&[b"log", b"version"], &[]), (&[b"log", b"creator"], &[]), (&[b"log", b"entries"], &[])],
            Query::Gltf => &[(&[b"asset", b"version"], &[b"\"1.0\"", b"\"2.0\""])],
            Query::Cdx => &[(&[b"bomFormat"], &[b"\"CycloneDX\""])],
        }
    }
}

const TOK_ARRAY: u8 = 1;
const TOK_OBJECT: u8 = 2;
const TOK_OTHER: u8 = 3;

struct JsonParser<'a> {
    inspected: usize,
    path: Vec<&'a [u8]>,
    first_token: u8,
    satisfied: bool,
    rules: &'static [QueryRule],
}

impl<'a> JsonParser<'a> {
    /// (bytes parsed, bytes inspected, first token, query satisfied)
    fn parse(query: Query, raw: &'a [u8]) -> (usize, usize, u8, bool) {
        let mut p =
            JsonParser { inspected: 0, path: Vec::new(), first_token: 0, satisfied: false, rules: query.rules() };
        let n = p.any(raw, 0);
        (n, p.inspected, p.first_token, p.satisfied)
    }

    fn space(&mut self, b: &[u8]) -> usize {
        let n = b.iter().take_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n')).count();
        self.inspected += n;
        n
    }

    fn constant(&mut self, b: &[u8], c: &[u8]) -> usize {
        for (i, ch) in c.iter().enumerate() {
            if b.get(i) == Some(ch) {
                self.inspected += 1;
            } else {
                return 0;
            }
        }
        c.len()
    }

    fn string(&mut self, b: &[u8]) -> usize {
        let mut n = 0;
        while n < b.len() {
            let c = b[n];
            n += 1;
            self.inspected += 1;
            match c {
                b'\\' => {
                    if n >= b.len() {
                        return 0;
                    }
                    match b[n] {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                            n += 1;
                            self.inspected += 1;
                        }
                        b'u' => {
                            n += 1;
                            self.inspected += 1;
                            let mut j = 0;
                            while j < 4 && n < b.len() {
                                if !b[n].is_ascii_hexdigit() {
                                    return 0;
                                }
                                n += 1;
                                self.inspected += 1;
                                j += 1;
                            }
                        }
                        _ => return 0,
                    }
                }
                b'"' => return n,
                _ => {}
            }
        }
        0
    }

    fn number(&mut self, b: &[u8]) -> usize {
        let mut got = false;
        let mut i = 0;
        let digits = |this: &mut Self, i: &mut usize, got: &mut bool| {
            while *i < b.len() && b[*i].is_ascii_digit() {
                *got = true;
                *i += 1;
                this.inspected += 1;
            }
        };
        'out: {
            if b.is_empty() {
                break 'out;
            }
            if b[0] == b'-' {
                i += 1;
                self.inspected += 1;
            }
            digits(self, &mut i, &mut got);
            if i >= b.len() {
                break 'out;
            }
            if b[i] == b'.' {
                i += 1;
                self.inspected += 1;
            }
            digits(self, &mut i, &mut got);
            if i >= b.len() {
                break 'out;
            }
            if got && (b[i] == b'e' || b[i] == b'E') {
                i += 1;
                self.inspected += 1;
                got = false;
                if i >= b.len() {
                    break 'out;
                }
                if b[i] == b'+' || b[i] == b'-' {
                    i += 1;
                    self.inspected += 1;
                }
                digits(self, &mut i, &mut got);
            }
        }
        if got { i } else { 0 }
    }

    fn array(&mut self, b: &'a [u8], lvl: usize) -> usize {
        if !self.rules.is_empty() {
            self.path.push(b"[");
        }
        if b.is_empty() {
            return 0;
        }
        let mut n = 0;
        while n < b.len() {
            n += self.space(&b[n..]);
            if n >= b.len() {
                return 0;
            }
            if b[n] == b']' {
                self.inspected += 1;
                if !self.rules.is_empty() {
                    self.path.pop();
                }
                return n + 1;
            }
            let inner = self.any(&b[n..], lvl);
            if inner == 0 {
                return 0;
            }
            n += inner;
            if n >= b.len() {
                return 0;
            }
            match b[n] {
                b',' => {
                    n += 1;
                    self.inspected += 1;
                }
                b']' => {
                    self.inspected += 1;
                    return n + 1;
                }
                _ => return 0,
            }
        }
        0
    }

    fn object(&mut self, b: &'a [u8], lvl: usize) -> usize {
        let mut n = 0;
        while n < b.len() {
            n += self.space(&b[n..]);
            if n >= b.len() {
                return 0;
            }
            if b[n] == b'}' {
                self.inspected += 1;
                return n + 1;
            }
            if b[n] != b'"' {
                return 0;
            }
            n += 1;
            self.inspected += 1;
            let key_len = self.string(&b[n..]);
            if key_len == 0 {
                return 0;
            }
            let mut matched = None;
            if !self.rules.is_empty() {
                self.path.push(&b[n..n + key_len - 1]);
            }
            if !self.satisfied {
                matched = self.rules.iter().position(|(path, _)| {
                    path.len() == self.path.len() && path.iter().zip(&self.path).all(|(a, b)| a == b)
                });
            }
            n += key_len;
            n += self.space(&b[n..]);
            if n >= b.len() {
                return 0;
            }
            if b[n] != b':' {
                return 0;
            }
            n += 1;
            self.inspected += 1;
            n += self.space(&b[n..]);
            if n >= b.len() {
                return 0;
            }
            let val_len = self.any(&b[n..], lvl);
            if val_len == 0 {
                return 0;
            }
            if let Some(q) = matched {
                let vals = self.rules[q].1;
                let got = trim_ascii_space(&b[n..n + val_len]);
                if vals.is_empty() || vals.contains(&got) {
                    self.satisfied = true;
                }
            }
            n += val_len;
            if n >= b.len() {
                return 0;
            }
            match b[n] {
                b',' => {
                    if !self.rules.is_empty() {
                        self.path.pop();
                    }
                    n += 1;
                    self.inspected += 1;
                }
                b'}' => {
                    if !self.rules.is_empty() {
                        self.path.pop();
                    }
                    self.inspected += 1;
                    return n + 1;
                }
                _ => return 0,
            }
        }
        0
    }

    fn any(&mut self, b: &'a [u8], lvl: usize) -> usize {
        if lvl > 4096 {
            return 0;
        }
        if self.rules.is_empty() {
            self.satisfied = true;
        }
        let mut n = self.space(b);
        if n >= b.len() {
            return 0;
        }
        let (tok, rv) = match b[n] {
            b'"' => {
                n += 1;
                self.inspected += 1;
                (TOK_OTHER, self.string(&b[n..]))
            }
            b'[' => {
                n += 1;
                self.inspected += 1;
                (TOK_ARRAY, self.array(&b[n..], lvl + 1))
            }
            b'{' => {
                n += 1;
                self.inspected += 1;
                (TOK_OBJECT, self.object(&b[n..], lvl + 1))
            }
            b't' => (TOK_OTHER, self.constant(&b[n..], b"true")),
            b'f' => (TOK_OTHER, self.constant(&b[n..], b"false")),
            b'n' => (TOK_OTHER, self.constant(&b[n..], b"null")),
            _ => (TOK_OTHER, self.number(&b[n..])),
        };
        if lvl == 0 {
            self.first_token = tok;
        }
        if rv == 0 {
            return n;
        }
        n += rv;
        n + self.space(&b[n..])
    }
}

/// Go's `bytes.TrimSpace` (ASCII whitespace and, for valid UTF-8, Unicode spaces; JSON values only ever
/// carry the ASCII ones).
fn trim_ascii_space(b: &[u8]) -> &[u8] {
    let is = |c: &u8| matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ');
    let start = b.iter().position(|c| !is(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !is(c)).map_or(start, |i| i + 1);
    &b[start..end.max(start)]
}

fn json_helper(raw: &[u8], limit: u32, query: Query, want: &[u8]) -> bool {
    let first = raw.iter().copied().find(|b| !is_ws(*b)).unwrap_or(0);
    if !want.contains(&first) {
        return false;
    }
    let (parsed, inspected, _, satisfied) = JsonParser::parse(query, raw);
    if !satisfied {
        return false;
    }
    if limit == 0 || raw.len() < limit as usize {
        return parsed == raw.len();
    }
    inspected == raw.len() && !raw.is_empty()
}

fn ndjson(raw: &[u8], _: u32) -> bool {
    let (mut lines, mut containers) = (0, 0);
    let mut s = raw;
    while !s.is_empty() {
        let l = line(&mut s);
        let (parsed, inspected, first, _) = JsonParser::parse(Query::None, l);
        if s.is_empty() {
            if inspected != l.len() {
                return false;
            }
        } else if parsed != l.len() {
            return false;
        }
        if first == TOK_ARRAY || first == TOK_OBJECT {
            containers += 1;
        }
        lines += 1;
    }
    lines > 1 && containers > 0
}

// ------------------------------------------------------------------------------------------------
// Markup attributes (internal/markup) and charsets (internal/charset)

/// Reads the next `name=value` attribute of a tag: (name, value, whether more may follow).
fn get_an_attribute<'a>(s: &mut &'a [u8]) -> (&'a [u8], &'a [u8], bool) {
    while is_ws(peek(s)) || peek(s) == b'/' {
        advance(s, 1);
    }
    if peek(s) == b'>' {
        return (&[], &[], false);
    }
    let orig: &'a [u8] = s;
    let mut end = 0;
    loop {
        let c = pop(s);
        if c == 0 {
            return (&[], &[], false);
        }
        if c == b'=' && end > 0 {
            let (val, more) = get_a_value(s);
            return (&orig[..end], val, more);
        } else if is_ws(c) {
            while is_ws(peek(s)) {
                advance(s, 1);
            }
            if peek(s) != b'=' {
                return (&orig[..end], &[], true);
            }
            advance(s, 1);
            while is_ws(peek(s)) {
                advance(s, 1);
            }
            let (val, more) = get_a_value(s);
            return (&orig[..end], val, more);
        } else if c == b'/' || c == b'>' {
            return (&orig[..end], &[], false);
        } else {
            end += 1;
        }
    }
}

fn get_a_value<'a>(s: &mut &'a [u8]) -> (&'a [u8], bool) {
    while is_ws(peek(s)) {
        advance(s, 1);
    }
    let orig: &'a [u8] = s;
    let mut end = 0;
    let c = pop(s);
    if c == 0 {
        return (&[], false);
    }
    end += 1;
    match c {
        b'"' | b'\'' => {
            let val = pop_until(s, &[c]);
            if pop(s) != c {
                return (&[], false);
            }
            return (val, peek(s) != 0 && peek(s) != b'>');
        }
        b'>' => return (&[], false),
        _ => {}
    }
    loop {
        let c = pop(s);
        if c == 0 {
            return (&[], false);
        }
        if is_ws(c) {
            return (&orig[..end], true);
        }
        if c == b'>' {
            return (&orig[..end], false);
        }
        end += 1;
    }
}

fn skip_a_comment(s: &mut &[u8]) -> bool {
    if s.starts_with(b"<!--")
        && let Some(i) = index(&s[2..], b"-->")
    {
        advance(s, i + 2 + 3);
        return true;
    }
    false
}

fn charset_from_bom(content: &[u8]) -> &'static str {
    const BOMS: [(&[u8], &str); 5] = [
        (&[0xEF, 0xBB, 0xBF], "utf-8"),
        (&[0x00, 0x00, 0xFE, 0xFF], "utf-32be"),
        (&[0xFF, 0xFE, 0x00, 0x00], "utf-32le"),
        (&[0xFE, 0xFF], "utf-16be"),
        (&[0xFF, 0xFE], "utf-16le"),
    ];
    BOMS.iter().find(|(bom, _)| content.starts_with(bom)).map_or("", |(_, enc)| enc)
}

fn charset_from_plain(content: &[u8]) -> String {
    if content.is_empty() {
        return String::new();
    }
    let bom = charset_from_bom(content);
    if !bom.is_empty() {
        return bom.to_string();
    }
    // drop a possibly partial rune at the end, then UTF-8 (ASCII included) or a Latin charset
    let mut head = content;
    let mut i = content.len();
    while i > 0 && i + 4 > content.len() + 1 {
        i -= 1;
        let b = content[i];
        if b < 0x80 {
            break;
        }
        if b & 0xC0 != 0x80 {
            head = &content[..i];
            break;
        }
    }
    if std::str::from_utf8(head).is_ok() {
        return "utf-8".to_string();
    }
    // libmagic's text_chars: plain ASCII text (T) and ISO-8859 (I) bytes only
    let is_text = |b: u8| matches!(b, 7..=13 | 27 | 0x20..=0x7E | 0x85 | 0xA0..=0xFF);
    let mut control = false;
    for &b in content {
        if !is_text(b) {
            return String::new();
        }
        if (0x80..=0x9F).contains(&b) {
            control = true;
        }
    }
    if control { "windows-1252" } else { "iso-8859-1" }.to_string()
}

fn charset_from_xml(content: &[u8]) -> String {
    let mut s = content;
    loop {
        s = trim_lws(s);
        if s.len() <= 5 {
            break;
        }
        let Some(i) = index(s, b"<?xml") else { break };
        advance(&mut s, i + 5);
        loop {
            let (name, val, more) = get_an_attribute(&mut s);
            if name.starts_with(b"encoding") && !val.is_empty() {
                return String::from_utf8_lossy(val).into_owned();
            }
            if !more {
                break;
            }
        }
    }
    charset_from_plain(content)
}

fn charset_from_html(content: &[u8]) -> String {
    let bom = charset_from_bom(content);
    if !bom.is_empty() {
        return bom.to_string();
    }
    let found = charset_from_meta(content);
    if !found.is_empty() {
        return found;
    }
    charset_from_plain(content)
}

/// The HTML prescan for `<meta charset=…>` / `<meta http-equiv=content-type content="…charset=…">`.
fn charset_from_meta(content: &[u8]) -> String {
    let mut s = content;
    loop {
        if skip_a_comment(&mut s) {
            continue;
        }
        if s.len() <= 5 {
            return String::new();
        }
        if match_at(s, b"<BODY", IGNORE_CASE).is_some() {
            return String::new();
        }
        if match_at(s, b"<META", IGNORE_CASE).is_none() {
            s = &s[1..];
            continue;
        }
        s = &s[5..];
        let c = pop(&mut s);
        if c == 0 || (!is_ws(c) && c != b'/') {
            return String::new();
        }
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut got_pragma = false;
        // 0: don't know, 1: need pragma, 2: don't need pragma
        let mut need_pragma = 0;
        let mut charset: Vec<u8> = Vec::new();
        loop {
            let (name, val, more) = get_an_attribute(&mut s);
            let name = name.to_ascii_lowercase();
            let skip = seen.contains(&name)
                || (name.is_empty() && val.is_empty() && (need_pragma == 0 || (need_pragma == 1 && !got_pragma)));
            let processed = !skip;
            if processed {
                seen.push(name.clone());
                match name.as_slice() {
                    b"http-equiv" if match_at(val, b"CONTENT-TYPE", IGNORE_CASE).is_some() => got_pragma = true,
                    b"content" => {
                        charset = charset_from_content(val).to_vec();
                        if !charset.is_empty() {
                            need_pragma = 1;
                        }
                    }
                    b"charset" => {
                        charset = val.to_vec();
                        need_pragma = 2;
                    }
                    _ => {}
                }
            }
            if !more {
                break;
            }
        }
        if need_pragma == 0 || (need_pragma == 1 && !got_pragma) {
            continue;
        }
        return String::from_utf8_lossy(&charset).into_owned();
    }
}

fn charset_from_content(val: &[u8]) -> &[u8] {
    let mut s = val;
    loop {
        let Some(i) = index(s, b"charset") else { return &[] };
        advance(&mut s, i + 7);
        while is_ws(peek(s)) {
            advance(&mut s, 1);
        }
        if pop(&mut s) != b'=' {
            continue;
        }
        while is_ws(peek(s)) {
            advance(&mut s, 1);
        }
        let q = peek(s);
        if q == 0 {
            return &[];
        }
        if q == b'"' || q == b'\'' {
            advance(&mut s, 1);
            return trim_ascii_space(pop_until(&mut s, &[q]));
        }
        return trim_ascii_space(pop_until(&mut s, &[b';', b'\t', b'\n', 0x0c, b'\r', b' ']));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(b: &[u8]) -> String {
        detect(b).mime
    }

    #[test]
    fn common_types() {
        assert_eq!(m(b"hello world\n"), "text/plain; charset=utf-8");
        assert_eq!(m(b""), "text/plain");
        assert_eq!(m(b"caf\xe9 x"), "text/plain; charset=iso-8859-1");
        // mimetype drops a trailing byte that starts a rune before checking UTF-8
        assert_eq!(m(b"caf\xe9"), "text/plain; charset=utf-8");
        assert_eq!(m(b"a\x85b\xe9c"), "text/plain; charset=windows-1252");
        assert_eq!(m(b"\x93quoted\x94"), "text/plain");
        assert_eq!(m(b"\x00\x01\x02"), "application/octet-stream");
        assert_eq!(m(br#"{"a": [1, 2]}"#), "application/json");
        assert_eq!(m(br#"{"a": [1, 2"#), "text/plain; charset=utf-8");
        assert_eq!(m(b"42"), "text/plain; charset=utf-8");
        assert_eq!(m(b"a,b\n1,2\n3,4\n"), "text/csv");
        assert_eq!(m(b"a\tb\n1\t2\n"), "text/tab-separated-values");
        assert_eq!(m(b"<html><body>hi</body></html>"), "text/html; charset=utf-8");
        assert_eq!(m(b"<html><head><meta charset=\"latin1\"></head>"), "text/html; charset=latin1");
        assert_eq!(m(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>"), "text/xml; charset=ISO-8859-1");
        assert_eq!(m(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/svg+xml");
        assert_eq!(m(b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"), "image/svg+xml");
        assert_eq!(m(b"#!/bin/sh\necho hi\n"), "text/x-shellscript");
        assert_eq!(m(b"#!/usr/bin/env  python3\n"), "text/x-python");
        assert_eq!(m(b"{\"a\":1}\n{\"b\":2}\n"), "application/x-ndjson");
        assert_eq!(m(b"%PDF-1.4\n%secret\n"), "application/pdf");
        assert_eq!(m(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), "image/png");
        assert_eq!(m(b"\xff\xd8\xff\xe0"), "image/jpeg");
        assert_eq!(m(b"GIF89a...."), "image/gif");
        assert_eq!(m(b"RIFF\x00\x00\x00\x00WEBPVP8 "), "image/webp");
        assert_eq!(m(b"\x1f\x8b\x08\x00rest"), "application/gzip");
        assert_eq!(m(b"ID3\x04\x00\x00\x00\x00\x00\x10rest"), "audio/mpeg");
        assert_eq!(m(b"\x00\x00\x00\x18ftypmp42"), "video/mp4");
        assert_eq!(m(b"\x00\x00\x00\x18ftypM4A "), "audio/x-m4a");
        assert_eq!(m(b"1\n00:02:16,612 --> 00:02:19,376\nHello\n"), "application/x-subrip");
        assert_eq!(m(b"WEBVTT\n\n"), "text/vtt");
    }

    #[test]
    fn extensions() {
        assert_eq!(detect(b"plain text no extension").ext, ".txt");
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n").ext, ".png");
        assert_eq!(detect(b"\x00\x01").ext, "");
    }

    #[test]
    fn zip_containers() {
        let mut z = b"PK\x03\x04".to_vec();
        z.extend_from_slice(&[0; 22]);
        z.extend_from_slice(&(19u16).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(b"[Content_Types].xml");
        z.extend_from_slice(b"PK\x03\x04");
        z.extend_from_slice(&[0; 22]);
        z.extend_from_slice(&(17u16).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(b"word/document.xml");
        assert_eq!(m(&z), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    }
}
