//! A series' picture for the HTML report: one decoded frame, windowed to 8 bits, shrunk, as a PNG data URI, so the
//! page stays one self-contained file.

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;

/// Longest side of a thumbnail, in pixels.
const MAX_SIDE: usize = 192;

/// One decoded frame and how to read its samples.
pub struct Pixels<'a> {
    /// Samples, pixel-interleaved, little endian.
    pub data: &'a [u8],
    /// Height.
    pub rows: u16,
    /// Width.
    pub columns: u16,
    /// Samples per pixel (1 grey, 3 colour).
    pub samples: u16,
    /// Bits allocated per sample (8 or 16 drawn).
    pub bits_allocated: u16,
    /// Pixel Representation 1: samples are signed.
    pub signed: bool,
    /// Photometric Interpretation, upper case.
    pub photometric: &'a str,
}

/// The grey-level window of a monochrome image, from its header.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Window Center and Width (first values), in rescaled units.
    pub center_width: Option<(f64, f64)>,
    /// Rescale Slope and Intercept.
    pub slope: f64,
    /// Rescale Intercept.
    pub intercept: f64,
}

impl Window {
    /// Reads Window Center/Width and Rescale Slope/Intercept.
    pub fn of(obj: &DefaultDicomObject) -> Self {
        let first = |tag| {
            obj.get(tag)
                .and_then(|e| e.to_multi_float64().ok())
                .and_then(|v| v.first().copied())
                .filter(|v| v.is_finite())
        };
        let center_width = match (first(tags::WINDOW_CENTER), first(tags::WINDOW_WIDTH)) {
            (Some(c), Some(w)) if w >= 1.0 => Some((c, w)),
            _ => None,
        };
        Self {
            center_width,
            slope: first(tags::RESCALE_SLOPE)
                .filter(|&s| s != 0.0)
                .unwrap_or(1.0),
            intercept: first(tags::RESCALE_INTERCEPT).unwrap_or(0.0),
        }
    }
}

/// The frame as a PNG data URI, or `None` for layouts not drawn (bit-packed, odd sizes).
pub fn render(pixels: &Pixels, window: &Window) -> Option<String> {
    let (rows, columns) = (usize::from(pixels.rows), usize::from(pixels.columns));
    let samples = usize::from(pixels.samples);
    let unit = match pixels.bits_allocated {
        8 => 1,
        16 => 2,
        _ => return None,
    };
    if rows == 0 || columns == 0 || !(samples == 1 || samples == 3) {
        return None;
    }
    if pixels.data.len() < rows * columns * samples * unit {
        return None;
    }
    let sample = |index: usize| -> f64 {
        let at = index * unit;
        let raw = if unit == 1 {
            i64::from(pixels.data[at])
        } else {
            let v = u16::from_le_bytes([pixels.data[at], pixels.data[at + 1]]);
            if pixels.signed {
                i64::from(v as i16)
            } else {
                i64::from(v)
            }
        };
        raw as f64
    };
    let scale = (rows.max(columns) as f64 / MAX_SIDE as f64).max(1.0);
    let (height, width) = (
        ((rows as f64 / scale) as usize).max(1),
        ((columns as f64 / scale) as usize).max(1),
    );
    let at = |y: usize, x: usize| {
        let sy = ((y as f64 * scale) as usize).min(rows - 1);
        let sx = ((x as f64 * scale) as usize).min(columns - 1);
        (sy * columns + sx) * samples
    };
    let mut out = Vec::with_capacity(height * width * samples);
    if samples == 3 {
        let shift = if unit == 2 { 256.0 } else { 1.0 };
        for y in 0..height {
            for x in 0..width {
                let i = at(y, x);
                for s in 0..3 {
                    out.push((sample(i + s) / shift).clamp(0.0, 255.0) as u8);
                }
            }
        }
    } else {
        let value = |i: usize| sample(i) * window.slope + window.intercept;
        let (low, high) = match window.center_width {
            Some((c, w)) => (c - w / 2.0, c + w / 2.0),
            None => (0..rows * columns).fold((f64::MAX, f64::MIN), |(lo, hi), i| {
                let v = value(i);
                (lo.min(v), hi.max(v))
            }),
        };
        let span = (high - low).max(1e-9);
        let invert = pixels.photometric == "MONOCHROME1";
        for y in 0..height {
            for x in 0..width {
                let level = ((value(at(y, x)) - low) / span * 255.0).clamp(0.0, 255.0) as u8;
                out.push(if invert { 255 - level } else { level });
            }
        }
    }
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width as u32, height as u32);
    encoder.set_color(if samples == 3 {
        png::ColorType::Rgb
    } else {
        png::ColorType::Grayscale
    });
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&out).ok()?;
    writer.finish().ok()?;
    Some(format!("data:image/png;base64,{}", base64(&png_bytes)))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn monochrome1_is_inverted_and_windowed() {
        let data = [0u8, 0, 255, 255];
        let pixels = |photometric| Pixels {
            data: &data,
            rows: 2,
            columns: 2,
            samples: 1,
            bits_allocated: 8,
            signed: false,
            photometric,
        };
        let window = Window {
            slope: 1.0,
            ..Window::default()
        };
        let plain = render(&pixels("MONOCHROME2"), &window).unwrap();
        let inverted = render(&pixels("MONOCHROME1"), &window).unwrap();
        assert!(plain.starts_with("data:image/png;base64,"));
        assert_ne!(plain, inverted);
        assert_eq!(
            render(
                &Pixels {
                    bits_allocated: 12,
                    ..pixels("MONOCHROME2")
                },
                &window
            ),
            None
        );
    }
}
