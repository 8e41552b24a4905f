//! What a compressed frame says about itself: the image size and components written in its own codestream
//! (JPEG SOF, JPEG-LS SOF55, JPEG 2000 SIZ) and the RLE segment table. Decoders trust the header's Rows and
//! Columns and pad or crop silently; comparing them with the codestream catches a fragment holding another image.

/// Size and sample layout as written inside a codestream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamGeometry {
    /// Image height.
    pub rows: u32,
    /// Image width.
    pub columns: u32,
    /// Components (samples per pixel).
    pub components: u32,
    /// Sample precision in bits (JPEG and JPEG-LS; 0 when the stream gives none per image).
    pub precision: u8,
    /// JPEG lossless process (SOF3/SOF7/SOF11/SOF15).
    pub lossless: bool,
}

/// The geometry of a JPEG or JPEG-LS stream: the first SOF marker segment. `None` when no SOF is found in the
/// marker segments before the first scan.
pub fn jpeg(data: &[u8]) -> Option<StreamGeometry> {
    if data.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while *data.get(at)? == 0xFF && *data.get(at + 1)? == 0xFF {
            at += 1;
        }
        if *data.get(at)? != 0xFF {
            return None;
        }
        let marker = *data.get(at + 1)?;
        let length = usize::from(u16::from_be_bytes([*data.get(at + 2)?, *data.get(at + 3)?]));
        let segment = data.get(at + 4..at + 2 + length)?;
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof || marker == 0xF7 {
            return Some(StreamGeometry {
                precision: *segment.first()?,
                rows: u32::from(u16::from_be_bytes([*segment.get(1)?, *segment.get(2)?])),
                columns: u32::from(u16::from_be_bytes([*segment.get(3)?, *segment.get(4)?])),
                components: u32::from(*segment.get(5)?),
                lossless: matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF),
            });
        }
        if marker == 0xDA {
            return None;
        }
        at += 2 + length;
    }
}

/// The geometry of a JPEG 2000 codestream (raw J2K, or the `jp2c` box of a JP2 file): its SIZ segment.
pub fn jpeg2000(data: &[u8]) -> Option<StreamGeometry> {
    let stream = if data.get(..4)? == [0xFF, 0x4F, 0xFF, 0x51] {
        data
    } else {
        let at = data.windows(4).position(|w| w == b"jp2c")?;
        data.get(at + 4..)?
    };
    if stream.get(..4)? != [0xFF, 0x4F, 0xFF, 0x51] {
        return None;
    }
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(stream.get(at..at + 4)?.try_into().ok()?))
    };
    // SOC (2), SIZ marker (2), Lsiz (2), Rsiz (2), then Xsiz at 8, Ysiz, XOsiz, YOsiz, tile sizes..., Csiz at 40.
    let (xsiz, ysiz, xosiz, yosiz) = (u32_at(8)?, u32_at(12)?, u32_at(16)?, u32_at(20)?);
    let components = u16::from_be_bytes([*stream.get(40)?, *stream.get(41)?]);
    Some(StreamGeometry {
        rows: ysiz.checked_sub(yosiz)?,
        columns: xsiz.checked_sub(xosiz)?,
        components: u32::from(components),
        precision: (*stream.get(42)? & 0x7F) + 1,
        lossless: false,
    })
}

/// Zero bytes in a row that a JPEG 2000 tile body cannot hold undamaged: an empty packet is one zero byte, and
/// MQ-coded data has no long zero runs, so a run this long is a zeroed sector, not a picture.
const J2K_ZERO_RUN: usize = 1024;

/// Damage visible in the tile data of a JPEG 2000 codestream, which OpenJPEG decodes without complaint: a long
/// run of zero bytes, or a byte pair that neither MQ coding nor packet headers can produce (0xFF is always
/// followed by a byte below 0x90 there; SOT, SOP, EPH, SOD and EOC markers excepted).
pub fn jpeg2000_tile_data_problem(data: &[u8]) -> Option<String> {
    let start = data.windows(2).position(|w| w == [0xFF, 0x93])? + 2;
    let body = &data[start..];
    let mut zeros = 0;
    for (i, pair) in body.windows(2).enumerate() {
        zeros = if pair[0] == 0 { zeros + 1 } else { 0 };
        if zeros == J2K_ZERO_RUN {
            return Some(format!(
                "{J2K_ZERO_RUN} zero bytes in a row inside the compressed tile data (byte {})",
                start + i + 1 - J2K_ZERO_RUN
            ));
        }
        if pair[0] == 0xFF && pair[1] >= 0x94 && pair[1] != 0xD9 {
            return Some(format!(
                "invalid byte pair FF {:02X} inside the compressed tile data (byte {})",
                pair[1],
                start + i
            ));
        }
    }
    None
}

/// Why an RLE fragment's segment table is unusable, if it is: PS3.5 G.4 wants one segment per byte of each
/// sample, each starting inside the fragment, in increasing order.
pub fn rle_table_problem(data: &[u8], segments_expected: u32) -> Option<String> {
    let Some(header) = data.get(..64) else {
        return Some(format!(
            "RLE fragment of {} bytes is shorter than its 64-byte header",
            data.len()
        ));
    };
    let word =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let count = word(0);
    if count != segments_expected {
        return Some(format!(
            "RLE header lists {count} segments where the image needs {segments_expected}"
        ));
    }
    let mut previous = 63u32;
    for i in 1..=count as usize {
        let offset = word(i * 4);
        if offset <= previous || offset as usize >= data.len() {
            return Some(format!(
                "RLE segment {i} starts at byte {offset}, outside its fragment of {} bytes",
                data.len()
            ));
        }
        previous = offset;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sof(marker: u8, precision: u8, rows: u16, columns: u16, components: u8) -> Vec<u8> {
        let mut data = vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, marker, 0x00, 0x0B,
        ];
        data.push(precision);
        data.extend(rows.to_be_bytes());
        data.extend(columns.to_be_bytes());
        data.extend([components, 1, 0x11, 0]);
        data
    }

    #[test]
    fn jpeg_sof_after_other_segments() {
        let g = jpeg(&sof(0xC3, 16, 128, 64, 1)).unwrap();
        assert_eq!(
            (g.rows, g.columns, g.components, g.precision),
            (128, 64, 1, 16)
        );
        assert!(g.lossless);
        let ls = jpeg(&sof(0xF7, 8, 10, 20, 3)).unwrap();
        assert_eq!(
            (ls.rows, ls.columns, ls.components, ls.lossless),
            (10, 20, 3, false)
        );
        assert_eq!(jpeg(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        assert_eq!(jpeg(&sof(0xC0, 8, 1, 1, 1)[..14]), None);
    }

    #[test]
    fn j2k_siz_raw_and_boxed() {
        let mut siz = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
        for v in [300u32, 200, 10, 0, 300, 200, 0, 0] {
            siz.extend(v.to_be_bytes());
        }
        siz.extend([0, 3, 7, 1, 1]);
        let g = jpeg2000(&siz).unwrap();
        assert_eq!(
            (g.rows, g.columns, g.components, g.precision),
            (200, 290, 3, 8)
        );
        let mut boxed = b"\0\0\0\x0cjP  \r\n\x87\n....jp2c".to_vec();
        boxed.extend(&siz);
        assert_eq!(jpeg2000(&boxed), Some(g));
        assert_eq!(jpeg2000(b"nothing"), None);
    }

    #[test]
    fn rle_segment_table() {
        let mut data = vec![0u8; 100];
        data[0] = 2;
        data[4] = 64;
        data[8] = 80;
        assert_eq!(rle_table_problem(&data, 2), None);
        assert!(rle_table_problem(&data, 1).unwrap().contains("2 segments"));
        data[8] = 200;
        assert!(rle_table_problem(&data, 2).unwrap().contains("outside"));
        assert!(rle_table_problem(&data[..10], 2).is_some());
    }
}
