//! The names PocketBase stores uploads under (`filesystem.normalizeName` + `inflector.Snakecase`).

use super::sniff;

const RANDOM_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The name PocketBase 0.40 stores an upload under: the snake_case of the original base name, `_`, 10
/// random `[a-z0-9]` and the cleaned extension, e.g. `My Cover Image.PNG` → `my_cover_image_qcekxa9z58.PNG`.
///
/// Exactly as PocketBase does it:
/// * only the last 300 bytes of `original` are looked at;
/// * the extension is everything from the second-to-last dot (`x.tar.gz` → `.tar.gz`, but also
///   `my.cover.image.png` → `.image.png`), keeps its case, loses every character but `[A-Za-z0-9_.*+=#-]`,
///   its surrounding dots, and all but its last 20 characters;
/// * with no (usable) extension, the one of the sniffed content type is used (`.txt` for text, `.png`, …,
///   or none for unknown binary data) — hence `content`;
/// * the base name (dots around it trimmed) is split at every character that is not an ASCII letter or
///   digit (so non-ASCII letters vanish: `Ünïcödé` → `n_c_d`), camelCase words are split (`myTestDB` →
///   `my_test_db`) and lower-cased; one shorter than 3 characters gets 10 more random characters
///   (`a.txt` → `asq0v7fx6g9_2anjclx3m8.txt`), one longer than 100 is cut to 100.
pub fn stored_name(original: &str, content: &[u8]) -> String {
    let mut name = original.as_bytes();
    if name.len() > 300 {
        name = &name[name.len() - 300..];
    }
    let original_ext = extension(name);
    let kept: Vec<u8> = original_ext
        .iter()
        .copied()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'*' | b'-' | b'+' | b'=' | b'#'))
        .collect();
    let mut ext = format!(".{}", String::from_utf8_lossy(trim_dots(&kept)));
    if ext == "." {
        ext = sniff::detect(content).ext.to_string();
    }
    if ext.len() > 20 {
        // ASCII only at this point
        ext = format!(".{}", String::from_utf8_lossy(trim_dots(&ext.as_bytes()[ext.len() - 20..])));
    }
    let base = &name[..name.len() - original_ext.len()];
    let mut clean = snakecase(trim_dots(base));
    if clean.len() < 3 {
        clean.push_str(&random_string(10));
    } else if clean.len() > 100 {
        clean.truncate(100);
    }
    format!("{clean}_{}{ext}", random_string(10))
}

/// `n` random characters of `[a-z0-9]`.
pub fn random_string(n: usize) -> String {
    (0..n).map(|_| RANDOM_ALPHABET[rand::random_range(0..RANDOM_ALPHABET.len())] as char).collect()
}

/// The extension with its dot, from the second-to-last dot when there are two (`""` without a dot).
fn extension(name: &[u8]) -> &[u8] {
    let Some(last) = name.iter().rposition(|c| *c == b'.') else { return &[] };
    match name[..last].iter().rposition(|c| *c == b'.') {
        Some(second) => &name[second..],
        None => &name[last..],
    }
}

fn trim_dots(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| *c != b'.').unwrap_or(b.len());
    let end = b.iter().rposition(|c| *c != b'.').map_or(start, |i| i + 1);
    &b[start..end.max(start)]
}

/// PocketBase's `inflector.Snakecase` over bytes: words are the runs of ASCII letters and digits; an
/// upper-case letter not preceded by another one starts a new word.
pub(crate) fn snakecase(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for word in s.split(|c| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push('_');
        }
        for (i, &c) in word.iter().enumerate() {
            if c.is_ascii_uppercase() && i > 0 && !word[i - 1].is_ascii_uppercase() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase() as char);
        }
    }
    out
}

/// Go's `filepath.Base` (Unix), which `multipart.Part.FileName` applies to the client's file name.
pub fn go_base(name: &str) -> String {
    if name.is_empty() {
        return ".".to_string();
    }
    let trimmed = name.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name without its random part(s), e.g. `my_cover_image_*.PNG`.
    fn shape(original: &str, content: &[u8]) -> String {
        let name = stored_name(original, content);
        let re = regex::Regex::new(r"_[a-z0-9]{10}").unwrap();
        re.replace_all(&name, "_*").into_owned()
    }

    #[test]
    fn names_as_pocketbase_makes_them() {
        // observed on PocketBase 0.40.6
        assert_eq!(shape("My Cover Image.PNG", b""), "my_cover_image_*.PNG");
        assert_eq!(shape("notes.txt", b"hi"), "notes_*.txt");
        assert_eq!(shape("noext", b"plain text no extension"), "noext_*.txt");
        assert_eq!(shape("noextpng", b"\x89PNG\r\n\x1a\n"), "noextpng_*.png");
        assert_eq!(shape("my.cover.image.png", b""), "my_cover_*.image.png");
        assert_eq!(shape("\u{dc}n\u{ef}c\u{f6}d\u{e9} \u{d1}ame (1).JSON", b""), "n_c_d_ame_1_*.JSON");
        assert_eq!(shape("C:\\dir\\name.txt", b""), "c_dir_name_*.txt");
        // from the code
        assert_eq!(shape("myTestDB.bin", b""), "my_test_db_*.bin");
        assert_eq!(shape("ABCdef1Ghi.x", b""), "abcdef1_ghi_*.x");
        assert_eq!(shape("data", b"\x00\x01"), "data_*");
        assert_eq!(shape("weird.\u{e9}", b"text"), "weird_*.txt");
    }

    #[test]
    fn short_names_get_more_random_characters() {
        let re = |p: &str| regex::Regex::new(p).unwrap();
        // observed: a.txt -> asq0v7fx6g9_2anjclx3m8.txt, x.tar.gz -> xuzqz0owgwf_2t0tddr9y3.tar.gz
        assert!(re(r"^a[a-z0-9]{10}_[a-z0-9]{10}\.txt$").is_match(&stored_name("a.txt", b"")));
        assert!(re(r"^x[a-z0-9]{10}_[a-z0-9]{10}\.tar\.gz$").is_match(&stored_name("x.tar.gz", b"")));
        assert!(re(r"^[a-z0-9]{10}_[a-z0-9]{10}\.hidden$").is_match(&stored_name(".hidden", b"")));
        assert!(re(r"^a[a-z0-9]{10}_[a-z0-9]{10}\.b$").is_match(&stored_name("a..b", b"")));
    }

    #[test]
    fn short_long_and_odd_names() {
        let name = stored_name(&format!("{}.txt", "x".repeat(150)), b"");
        assert_eq!(name.len(), 100 + 1 + 10 + 4);
        let name = stored_name(&format!("f.{}", "e".repeat(30)), b"");
        assert!(name.ends_with(&format!(".{}", "e".repeat(20))), "{name}");
        assert_eq!(name.len(), 1 + 10 + 1 + 10 + 1 + 20);
        let name = stored_name("x.a*b+c=d#e-f_g", b"");
        assert!(name.ends_with(".a*b+c=d#e-f_g"), "{name}");
    }

    #[test]
    fn snakecase_like_pocketbase() {
        assert_eq!(snakecase(b"X-Token"), "x_token");
        assert_eq!(snakecase(b"myHeader"), "my_header");
        assert_eq!(snakecase(b"ABC"), "abc");
        assert_eq!(snakecase(b"a__b"), "a_b");
    }

    #[test]
    fn base_names() {
        assert_eq!(go_base("dir/sub/name.txt"), "name.txt");
        assert_eq!(go_base("name.txt"), "name.txt");
        assert_eq!(go_base("dir/"), "dir");
        assert_eq!(go_base("///"), "/");
        assert_eq!(go_base("C:\\x\\y.txt"), "C:\\x\\y.txt");
    }
}
