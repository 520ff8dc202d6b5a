//! Thumbnails as PocketBase makes them: `disintegration/imaging` v1.6.2 (`Resize`/`Fit`/`Fill` with the
//! `Linear` filter) ported here, so sizes, crops and pixels follow it; decoding and encoding use the
//! `image` crate (PNG, JPEG, GIF, WebP in; the original's format out, WebP → PNG).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

/// The content types PocketBase makes thumbs for (the original's sidecar type).
pub const IMAGE_TYPES: [&str; 5] = ["image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp"];

/// The size every file field allows besides its `thumbs`.
pub const DEFAULT_SIZE: &str = "100x100";

/// Images larger than this many pixels (source or thumb) are not thumbnailed (the original is served):
/// a guard PocketBase does not have, against sizes that could not be allocated anyway.
const MAX_PIXELS: u64 = 100_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `WxH`: fill and crop from the center.
    Center,
    /// `WxHt`
    Top,
    /// `WxHb`
    Bottom,
    /// `WxHf`: fit inside, no crop, never enlarged.
    Fit,
}

/// A thumb size `^(\d+)x(\d+)(t|b|f)?$` (not both 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
    pub mode: Mode,
}

impl Size {
    pub fn parse(s: &str) -> Option<Size> {
        let (w, rest) = s.split_once('x')?;
        let (h, mode) = match rest.as_bytes().last()? {
            b't' => (&rest[..rest.len() - 1], Mode::Top),
            b'b' => (&rest[..rest.len() - 1], Mode::Bottom),
            b'f' => (&rest[..rest.len() - 1], Mode::Fit),
            _ => (rest, Mode::Center),
        };
        let num = |d: &str| -> Option<u32> {
            if d.is_empty() || !d.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // Go's Atoi error is ignored by PocketBase (0); absurd sizes are refused later anyway
            Some(d.parse::<u32>().unwrap_or(u32::MAX))
        };
        let (width, height) = (num(w)?, num(h)?);
        if width == 0 && height == 0 {
            return None;
        }
        Some(Size { width, height, mode })
    }

    /// The thumb's dimensions for a `w`×`h` source (what [`make`] produces).
    pub fn dimensions(&self, w: u32, h: u32) -> (u32, u32) {
        let src = Nrgba { width: w as usize, height: h as usize, pix: Vec::new() };
        let (w, h) = geometry(&src, *self);
        (w as u32, h as u32)
    }
}

/// The thumb of an image `content` whose sidecar type is `content_type`: the encoded bytes and their
/// content type (`image/jpeg` and `image/gif` keep their format, everything else becomes PNG).
pub fn make(content: &[u8], content_type: &str, size: Size) -> Result<(Vec<u8>, &'static str), String> {
    let img = decode(content)?;
    if largest_image(img.width, img.height, size) > MAX_PIXELS {
        return Err("image too large".into());
    }
    let thumb = transform(&img, size);
    if thumb.width == 0 || thumb.height == 0 {
        return Err("empty thumb".into());
    }
    let mut out = Vec::new();
    let kind = match content_type {
        "image/jpeg" => {
            encode_jpeg(&thumb, &mut out)?;
            "image/jpeg"
        }
        "image/gif" => {
            encode_gif(&thumb, &mut out)?;
            "image/gif"
        }
        _ => {
            encode_png(&thumb, &mut out)?;
            "image/png"
        }
    };
    Ok((out, kind))
}

/// The pixel count of the largest image [`transform`] allocates (source, intermediate or result).
fn largest_image(sw: usize, sh: usize, size: Size) -> u64 {
    let px = |w: usize, h: usize| w as u64 * h as u64;
    let src = Nrgba { width: sw, height: sh, pix: Vec::new() };
    let (tw, th) = geometry(&src, size);
    let mut largest = px(sw, sh).max(px(tw, th));
    let (w, h) = (size.width as usize, size.height as usize);
    if sw > 0 && sh > 0 && w > 0 && h > 0 && size.mode != Mode::Fit && (sw < 100 || sh < 100) {
        // fill of a small source resizes to cover first, then crops
        let cover = if (sw as f64 / sh as f64) < (w as f64 / h as f64) {
            resize_dims(sw, sh, w, 0)
        } else {
            resize_dims(sw, sh, 0, h)
        };
        largest = largest.max(px(cover.0, cover.1));
    }
    largest
}

/// 8-bit non-premultiplied RGBA, Go's `image.NRGBA` with its origin at 0,0.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Nrgba {
    pub width: usize,
    pub height: usize,
    pub pix: Vec<u8>,
}

impl Nrgba {
    fn new(width: usize, height: usize) -> Self {
        Nrgba { width, height, pix: vec![0; width * height * 4] }
    }

    fn opaque(&self) -> bool {
        self.pix.chunks_exact(4).all(|p| p[3] == 255)
    }
}

/// Decodes the first frame; JPEGs are turned upright by their EXIF orientation (imaging's
/// `AutoOrientation`, which only reads JPEG EXIF).
fn decode(content: &[u8]) -> Result<Nrgba, String> {
    let reader = ImageReader::new(Cursor::new(content)).with_guessed_format().map_err(|e| e.to_string())?;
    let format = reader.format();
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let orientation = if format == Some(ImageFormat::Jpeg) { decoder.orientation().ok() } else { None };
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let (width, height) = (img.width() as usize, img.height() as usize);
    // 16-bit channels keep their high byte, as Go's scanner does
    let pix = match img {
        DynamicImage::ImageRgba16(i) => i.into_raw().iter().map(|v| (v >> 8) as u8).collect(),
        DynamicImage::ImageRgb16(i) => i
            .into_raw()
            .chunks_exact(3)
            .flat_map(|p| [(p[0] >> 8) as u8, (p[1] >> 8) as u8, (p[2] >> 8) as u8, 255])
            .collect(),
        DynamicImage::ImageLuma16(i) => i
            .into_raw()
            .iter()
            .flat_map(|v| {
                let g = (v >> 8) as u8;
                [g, g, g, 255]
            })
            .collect(),
        DynamicImage::ImageLumaA16(i) => i
            .into_raw()
            .chunks_exact(2)
            .flat_map(|p| {
                let g = (p[0] >> 8) as u8;
                [g, g, g, (p[1] >> 8) as u8]
            })
            .collect(),
        other => other.into_rgba8().into_raw(),
    };
    Ok(Nrgba { width, height, pix })
}

/// PocketBase's `createThumb` geometry: `Wx0`/`0xH` resize keeping the aspect ratio, `f` fits, the rest
/// fill and crop (center, top or bottom).
pub(crate) fn transform(img: &Nrgba, size: Size) -> Nrgba {
    let (w, h) = (size.width as usize, size.height as usize);
    if w == 0 || h == 0 {
        return resize(img, w, h);
    }
    match size.mode {
        Mode::Fit => fit(img, w, h),
        Mode::Top => fill(img, w, h, Anchor::Top),
        Mode::Bottom => fill(img, w, h, Anchor::Bottom),
        Mode::Center => fill(img, w, h, Anchor::Center),
    }
}

/// The dimensions [`transform`] produces, without touching pixels.
fn geometry(img: &Nrgba, size: Size) -> (usize, usize) {
    let (w, h) = (size.width as usize, size.height as usize);
    let (sw, sh) = (img.width, img.height);
    if sw == 0 || sh == 0 {
        return (0, 0);
    }
    if w == 0 || h == 0 {
        return resize_dims(sw, sh, w, h);
    }
    match size.mode {
        Mode::Fit => {
            if sw <= w && sh <= h {
                return (sw, sh);
            }
            let (fw, fh) = fit_dims(sw, sh, w, h);
            resize_dims(sw, sh, fw, fh)
        }
        _ => (w, h),
    }
}

fn resize_dims(sw: usize, sh: usize, w: usize, h: usize) -> (usize, usize) {
    let (mut w, mut h) = (w, h);
    if w == 0 {
        w = (h as f64 * sw as f64 / sh as f64 + 0.5).floor().max(1.0) as usize;
    }
    if h == 0 {
        h = (w as f64 * sh as f64 / sw as f64 + 0.5).floor().max(1.0) as usize;
    }
    (w, h)
}

fn fit_dims(sw: usize, sh: usize, w: usize, h: usize) -> (usize, usize) {
    let src_ratio = sw as f64 / sh as f64;
    let max_ratio = w as f64 / h as f64;
    if src_ratio > max_ratio { (w, (w as f64 / src_ratio) as usize) } else { ((h as f64 * src_ratio) as usize, h) }
}

#[derive(Clone, Copy)]
enum Anchor {
    Center,
    Top,
    Bottom,
}

/// imaging's `Resize` with the `Linear` filter; a 0 width or height keeps the aspect ratio.
fn resize(img: &Nrgba, w: usize, h: usize) -> Nrgba {
    if w == 0 && h == 0 || img.width == 0 || img.height == 0 {
        return Nrgba::new(0, 0);
    }
    let (w, h) = resize_dims(img.width, img.height, w, h);
    match (img.width != w, img.height != h) {
        (true, true) => resize_vertical(&resize_horizontal(img, w), h),
        (true, false) => resize_horizontal(img, w),
        (false, true) => resize_vertical(img, h),
        (false, false) => img.clone(),
    }
}

fn fit(img: &Nrgba, w: usize, h: usize) -> Nrgba {
    if img.width == 0 || img.height == 0 {
        return Nrgba::new(0, 0);
    }
    if img.width <= w && img.height <= h {
        return img.clone();
    }
    let (fw, fh) = fit_dims(img.width, img.height, w, h);
    resize(img, fw, fh)
}

fn fill(img: &Nrgba, w: usize, h: usize, anchor: Anchor) -> Nrgba {
    let (sw, sh) = (img.width, img.height);
    if sw == 0 || sh == 0 {
        return Nrgba::new(0, 0);
    }
    if sw == w && sh == h {
        return img.clone();
    }
    let src_ratio = sw as f64 / sh as f64;
    let dst_ratio = w as f64 / h as f64;
    if sw >= 100 && sh >= 100 {
        // crop to the target's aspect ratio, then resize
        let tmp = if src_ratio < dst_ratio {
            let crop_h = sw as f64 * h as f64 / w as f64;
            crop_anchor(img, sw, (crop_h.max(1.0) + 0.5) as usize, anchor)
        } else {
            let crop_w = sh as f64 * w as f64 / h as f64;
            crop_anchor(img, (crop_w.max(1.0) + 0.5) as usize, sh, anchor)
        };
        resize(&tmp, w, h)
    } else {
        // resize to cover, then crop
        let tmp = if src_ratio < dst_ratio { resize(img, w, 0) } else { resize(img, 0, h) };
        crop_anchor(&tmp, w, h, anchor)
    }
}

/// imaging's `CropAnchor`: the `w`×`h` rectangle at the anchor, clipped to the image.
fn crop_anchor(img: &Nrgba, w: usize, h: usize, anchor: Anchor) -> Nrgba {
    let (iw, ih) = (img.width as i64, img.height as i64);
    let (w, h) = (w as i64, h as i64);
    // Go's integer division truncates toward zero, like Rust's
    let x = (iw - w) / 2;
    let y = match anchor {
        Anchor::Top => 0,
        Anchor::Bottom => ih - h,
        Anchor::Center => (ih - h) / 2,
    };
    let (x0, y0) = (x.max(0), y.max(0));
    let (x1, y1) = ((x + w).min(iw), (y + h).min(ih));
    if x1 <= x0 || y1 <= y0 {
        return Nrgba::new(0, 0);
    }
    let (cw, ch) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let mut out = Nrgba::new(cw, ch);
    for row in 0..ch {
        let src = ((y0 as usize + row) * img.width + x0 as usize) * 4;
        out.pix[row * cw * 4..(row + 1) * cw * 4].copy_from_slice(&img.pix[src..src + cw * 4]);
    }
    out
}

/// imaging's `precomputeWeights` for the `Linear` filter (support 1).
fn weights(dst: usize, src: usize) -> Vec<Vec<(usize, f64)>> {
    let du = src as f64 / dst as f64;
    let scale = du.max(1.0);
    let ru = scale.ceil();
    (0..dst)
        .map(|v| {
            let fu = (v as f64 + 0.5) * du - 0.5;
            let begin = ((fu - ru).ceil() as i64).max(0);
            let end = ((fu + ru).floor() as i64).min(src as i64 - 1);
            let mut ws = Vec::new();
            let mut sum = 0.0;
            for u in begin..=end {
                let x = ((u as f64 - fu) / scale).abs();
                let w = if x < 1.0 { 1.0 - x } else { 0.0 };
                if w != 0.0 {
                    sum += w;
                    ws.push((u as usize, w));
                }
            }
            if sum != 0.0 {
                for w in &mut ws {
                    w.1 /= sum;
                }
            }
            ws
        })
        .collect()
}

fn clamp(x: f64) -> u8 {
    let v = (x + 0.5) as i64;
    v.clamp(0, 255) as u8
}

/// One output pixel from weighted source pixels (alpha-weighted colors, as imaging does).
fn blend(taps: &[(usize, f64)], px: impl Fn(usize) -> [u8; 4], out: &mut [u8]) {
    let (mut r, mut g, mut b, mut a) = (0.0, 0.0, 0.0, 0.0);
    for &(i, w) in taps {
        let s = px(i);
        let aw = s[3] as f64 * w;
        r += s[0] as f64 * aw;
        g += s[1] as f64 * aw;
        b += s[2] as f64 * aw;
        a += aw;
    }
    if a != 0.0 {
        let inv = 1.0 / a;
        out[0] = clamp(r * inv);
        out[1] = clamp(g * inv);
        out[2] = clamp(b * inv);
        out[3] = clamp(a);
    }
}

fn resize_horizontal(img: &Nrgba, width: usize) -> Nrgba {
    let mut dst = Nrgba::new(width, img.height);
    let ws = weights(width, img.width);
    for y in 0..img.height {
        let row = &img.pix[y * img.width * 4..(y + 1) * img.width * 4];
        for (x, taps) in ws.iter().enumerate() {
            let j = (y * width + x) * 4;
            blend(taps, |i| [row[i * 4], row[i * 4 + 1], row[i * 4 + 2], row[i * 4 + 3]], &mut dst.pix[j..j + 4]);
        }
    }
    dst
}

fn resize_vertical(img: &Nrgba, height: usize) -> Nrgba {
    let mut dst = Nrgba::new(img.width, height);
    let ws = weights(height, img.height);
    for x in 0..img.width {
        for (y, taps) in ws.iter().enumerate() {
            let j = (y * img.width + x) * 4;
            let pix = &img.pix;
            let w = img.width;
            blend(
                taps,
                |i| {
                    let k = (i * w + x) * 4;
                    [pix[k], pix[k + 1], pix[k + 2], pix[k + 3]]
                },
                &mut dst.pix[j..j + 4],
            );
        }
    }
    dst
}

fn encode_png(img: &Nrgba, out: &mut Vec<u8>) -> Result<(), String> {
    use image::ImageEncoder;
    let encoder = image::codecs::png::PngEncoder::new(out);
    // Go's PNG encoder writes opaque NRGBA as RGB
    if img.opaque() {
        let rgb = rgb_of(img, false);
        encoder.write_image(&rgb, img.width as u32, img.height as u32, image::ExtendedColorType::Rgb8)
    } else {
        encoder.write_image(&img.pix, img.width as u32, img.height as u32, image::ExtendedColorType::Rgba8)
    }
    .map_err(|e| e.to_string())
}

fn encode_jpeg(img: &Nrgba, out: &mut Vec<u8>) -> Result<(), String> {
    use image::ImageEncoder;
    // Go's JPEG encoder reads premultiplied colors (transparent areas come out black); quality 95
    let rgb = rgb_of(img, true);
    image::codecs::jpeg::JpegEncoder::new_with_quality(out, 95)
        .write_image(&rgb, img.width as u32, img.height as u32, image::ExtendedColorType::Rgb8)
        .map_err(|e| e.to_string())
}

fn encode_gif(img: &Nrgba, out: &mut Vec<u8>) -> Result<(), String> {
    let frame = image::RgbaImage::from_raw(img.width as u32, img.height as u32, img.pix.clone())
        .ok_or_else(|| "bad buffer".to_string())?;
    let mut encoder = image::codecs::gif::GifEncoder::new(out);
    encoder.encode_frame(image::Frame::new(frame)).map_err(|e| e.to_string())
}

fn rgb_of(img: &Nrgba, premultiply: bool) -> Vec<u8> {
    img.pix
        .chunks_exact(4)
        .flat_map(|p| {
            if premultiply && p[3] != 255 {
                let m = |c: u8| ((c as u32 * 0x101 * p[3] as u32 / 0xff) >> 8) as u8;
                [m(p[0]), m(p[1]), m(p[2])]
            } else {
                [p[0], p[1], p[2]]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(s: &str) -> Size {
        Size::parse(s).unwrap()
    }

    #[test]
    fn sizes() {
        assert_eq!(size("100x100"), Size { width: 100, height: 100, mode: Mode::Center });
        assert_eq!(size("50x50t").mode, Mode::Top);
        assert_eq!(size("50x50b").mode, Mode::Bottom);
        assert_eq!(size("50x50f").mode, Mode::Fit);
        assert_eq!(size("0x200"), Size { width: 0, height: 200, mode: Mode::Center });
        for bad in ["0x0", "100x100x", "abc", "x100", "100x", "100x100z", "-1x5", "100X100", " 1x1"] {
            assert_eq!(Size::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn geometry_as_pocketbase() {
        // observed on PocketBase 0.40.6 with a 400x300 source
        for (s, want) in [
            ("100x100", (100, 100)),
            ("300x0", (300, 225)),
            ("0x200", (267, 200)),
            ("50x50t", (50, 50)),
            ("50x50b", (50, 50)),
            ("50x50f", (50, 37)),
        ] {
            assert_eq!(size(s).dimensions(400, 300), want, "{s}");
        }
        // a 5x5 source: fill enlarges, fit does not
        assert_eq!(size("100x100").dimensions(5, 5), (100, 100));
        assert_eq!(size("100x100f").dimensions(5, 5), (5, 5));
        assert_eq!(size("1000x10f").dimensions(400, 300), (13, 10));
    }

    fn gradient(w: usize, h: usize) -> Nrgba {
        let mut img = Nrgba::new(w, h);
        for y in 0..h {
            for x in 0..w {
                let i = (y * w + x) * 4;
                img.pix[i..i + 4].copy_from_slice(&[(x * 255 / (w - 1)) as u8, (y * 255 / (h - 1)) as u8, 128, 255]);
            }
        }
        img
    }

    #[test]
    fn transforms_produce_the_geometry() {
        let img = gradient(400, 300);
        for s in ["100x100", "300x0", "0x200", "50x50t", "50x50b", "50x50f", "600x100", "10x400", "7x3f"] {
            let t = transform(&img, size(s));
            assert_eq!((t.width as u32, t.height as u32), size(s).dimensions(400, 300), "{s}");
        }
        let small = gradient(5, 5);
        let t = transform(&small, size("100x100"));
        assert_eq!((t.width, t.height), (100, 100));
    }

    #[test]
    fn crops_follow_the_anchor() {
        let img = gradient(400, 300);
        let top = transform(&img, size("50x50t"));
        let bottom = transform(&img, size("50x50b"));
        // green grows downwards: the top crop starts at 0, the bottom one ends at 255
        assert!(top.pix[1] < 10, "{}", top.pix[1]);
        assert!(bottom.pix[(49 * 50) * 4 + 1] > 245, "{}", bottom.pix[(49 * 50) * 4 + 1]);
    }

    #[test]
    fn encodes_in_the_original_format() {
        let mut png = Vec::new();
        encode_png(&gradient(40, 30), &mut png).unwrap();
        let (thumb, kind) = make(&png, "image/png", size("20x0")).unwrap();
        assert_eq!(kind, "image/png");
        let decoded = image::load_from_memory(&thumb).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (20, 15));
        let (thumb, kind) = make(&png, "image/jpeg", size("10x10")).unwrap();
        assert_eq!((kind, &thumb[..2]), ("image/jpeg", &[0xFF, 0xD8][..]));
        let (thumb, kind) = make(&png, "image/gif", size("10x10")).unwrap();
        assert_eq!((kind, &thumb[..3]), ("image/gif", &b"GIF"[..]));
        let (_, kind) = make(&png, "image/webp", size("10x10")).unwrap();
        assert_eq!(kind, "image/png");
        assert!(make(b"not an image", "image/png", size("10x10")).is_err());
        // sizes that could not be allocated are refused (the original is served)
        assert!(make(&png, "image/png", size("100000x100000")).is_err());
        assert!(largest_image(1, 99, size("10000x10000")) > MAX_PIXELS);
        assert_eq!(largest_image(400, 300, size("100x100")), 120_000);
    }
}
