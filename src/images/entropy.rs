//! A strict walk of a Huffman-coded JPEG's entropy-coded data (sequential DCT, processes 1, 2 and 4, and
//! lossless, process 14): every code of every block or sample is decoded, without reconstructing pixels, and
//! the scan must end exactly where its data ends. Bytes zeroed or flipped inside the scan desynchronise the
//! codes, so the data runs out early or is left over, which the Rust decoders accept silently (they pad or
//! ignore) and IJG reports as "Corrupt JPEG data: premature end of data segment" or "extraneous bytes before
//! marker".

/// Bytes an encoder may leave after a scan's last code without the image being damaged: IJG's decoder reads up
/// to this far ahead into its bit buffer, so neither it nor the encoders tested against it notice them (seen:
/// 2 bytes in one frame of pydicom's `color3d_jpeg_baseline.dcm`, which dcmdjpeg decodes without a warning).
const LEFTOVER_ALLOWED: usize = 8;

/// One Huffman table in the form of JPEG F.2.2.3: per code length, the largest code and where its values start.
#[derive(Clone)]
struct Huffman {
    max_code: [i32; 17],
    val_offset: [i32; 17],
    values: Vec<u8>,
}

impl Huffman {
    fn new(counts: &[u8], values: &[u8]) -> Self {
        let mut max_code = [-1i32; 17];
        let mut val_offset = [0i32; 17];
        let (mut code, mut k) = (0i32, 0i32);
        for length in 1..=16 {
            let n = i32::from(counts[length - 1]);
            val_offset[length] = k - code;
            code += n;
            k += n;
            max_code[length] = if n > 0 { code - 1 } else { -1 };
            code <<= 1;
        }
        Self {
            max_code,
            val_offset,
            values: values.to_vec(),
        }
    }
}

/// Reads the entropy-coded bits of one scan: removes stuffed zero bytes and stops at a marker.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
    byte: u8,
    left: u8,
    /// A marker was reached while bits were still needed.
    ran_out: bool,
}

impl<'a> Bits<'a> {
    fn bit(&mut self) -> u32 {
        if self.left == 0 {
            match (self.data.get(self.at), self.data.get(self.at + 1)) {
                (Some(0xFF), Some(0x00)) => {
                    self.byte = 0xFF;
                    self.at += 2;
                }
                (Some(0xFF), _) | (None, _) => {
                    self.ran_out = true;
                    self.byte = 0;
                }
                (Some(&b), _) => {
                    self.byte = b;
                    self.at += 1;
                }
            }
            self.left = 8;
        }
        self.left -= 1;
        u32::from(self.byte >> self.left & 1)
    }

    fn bits(&mut self, n: u8) {
        for _ in 0..n {
            self.bit();
        }
    }

    fn decode(&mut self, table: &Huffman) -> Result<u8, String> {
        let mut code = 0i32;
        for length in 1..=16 {
            code = code << 1 | self.bit() as i32;
            if code <= table.max_code[length] {
                let index = (table.val_offset[length] + code) as usize;
                return table.values.get(index).copied().ok_or_else(bad_code);
            }
        }
        Err(bad_code())
    }

    /// Drops the partial byte, as at a restart marker or the scan's end.
    fn align(&mut self) {
        self.left = 0;
    }
}

fn bad_code() -> String {
    "bad Huffman code".into()
}

#[derive(Clone, Copy, Default)]
struct Component {
    id: u8,
    h: u8,
    v: u8,
}

/// Walks every scan of a Huffman-coded sequential or lossless JPEG; `Err` says how the data is corrupt.
/// Progressive and arithmetic-coded streams are not walked (`Ok`).
pub fn check(data: &[u8]) -> Result<(), String> {
    let mut dc: [Option<Huffman>; 4] = Default::default();
    let mut ac: [Option<Huffman>; 4] = Default::default();
    let mut frame: Option<(u32, u32, Vec<Component>, bool)> = None;
    let mut restart = 0u32;
    let mut at = 2;
    let u16_at = |i: usize| -> Option<usize> {
        Some(usize::from(u16::from_be_bytes([
            *data.get(i)?,
            *data.get(i + 1)?,
        ])))
    };
    while at + 2 <= data.len() {
        if data[at] != 0xFF {
            return Err(format!("data where a marker should be, at byte {at}"));
        }
        let marker = data[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        if marker == 0xD9 {
            return Ok(());
        }
        let length = u16_at(at + 2).ok_or("cut marker segment")?;
        let segment = data
            .get(at + 4..at + 2 + length)
            .ok_or("cut marker segment")?;
        match marker {
            0xC0 | 0xC1 | 0xC3 => {
                let rows = u16_at(at + 5).ok_or("short SOF")? as u32;
                let columns = u16_at(at + 7).ok_or("short SOF")? as u32;
                let n = usize::from(*segment.get(5).ok_or("short SOF")?);
                let components = (0..n)
                    .map(|i| {
                        let c = segment.get(6 + 3 * i..9 + 3 * i)?;
                        Some(Component {
                            id: c[0],
                            h: (c[1] >> 4).max(1),
                            v: (c[1] & 15).max(1),
                        })
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or("short SOF")?;
                frame = Some((rows, columns, components, marker == 0xC3));
            }
            0xC2 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return Ok(()),
            0xC4 => {
                let mut rest = segment;
                while rest.len() >= 17 {
                    let (class, id) = (rest[0] >> 4, usize::from(rest[0] & 3));
                    let counts = &rest[1..17];
                    let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
                    let values = rest.get(17..17 + total).ok_or("short DHT")?;
                    let table = Some(Huffman::new(counts, values));
                    if class == 0 {
                        dc[id] = table;
                    } else {
                        ac[id] = table;
                    }
                    rest = &rest[17 + total..];
                }
            }
            0xDD => restart = u16_at(at + 4).ok_or("short DRI")? as u32,
            0xDA => {
                let (rows, columns, components, lossless) =
                    frame.as_ref().ok_or("scan before frame header")?;
                let end = walk_scan(
                    data,
                    at + 2 + length,
                    segment,
                    (*rows, *columns),
                    components,
                    *lossless,
                    restart,
                    (&dc, &ac),
                )?;
                at = end;
                continue;
            }
            _ => {}
        }
        at += 2 + length;
    }
    Err("the data ends without an end-of-image marker".into())
}

type Tables<'t> = (&'t [Option<Huffman>; 4], &'t [Option<Huffman>; 4]);

/// Decodes every code of one scan starting at `start`; returns the offset of the marker that ends it.
#[allow(clippy::too_many_arguments)]
fn walk_scan(
    data: &[u8],
    start: usize,
    header: &[u8],
    (rows, columns): (u32, u32),
    components: &[Component],
    lossless: bool,
    restart: u32,
    (dc, ac): Tables,
) -> Result<usize, String> {
    let n = usize::from(*header.first().ok_or("short SOS")?);
    let mut scan = Vec::with_capacity(n);
    for i in 0..n {
        let (id, tables) = (
            *header.get(1 + 2 * i).ok_or("short SOS")?,
            *header.get(2 + 2 * i).ok_or("short SOS")?,
        );
        let component = *components
            .iter()
            .find(|c| c.id == id)
            .ok_or("scan of an unknown component")?;
        let dc_table = dc[usize::from(tables >> 4 & 3)]
            .as_ref()
            .ok_or("missing Huffman table")?;
        let ac_table = ac[usize::from(tables & 3)].as_ref();
        if !lossless && ac_table.is_none() {
            return Err("missing Huffman table".into());
        }
        scan.push((component, dc_table, ac_table));
    }
    let h_max = u32::from(components.iter().map(|c| c.h).max().unwrap_or(1));
    let v_max = u32::from(components.iter().map(|c| c.v).max().unwrap_or(1));
    let unit = if lossless { 1 } else { 8 };
    let (mcus, per_mcu): (u64, Vec<u32>) = if scan.len() == 1 {
        // Non-interleaved: one unit per MCU over the component's own size.
        let c = scan[0].0;
        let width = (columns * u32::from(c.h)).div_ceil(h_max).div_ceil(unit);
        let height = (rows * u32::from(c.v)).div_ceil(v_max).div_ceil(unit);
        (u64::from(width) * u64::from(height), vec![1])
    } else {
        let width = columns.div_ceil(unit * h_max);
        let height = rows.div_ceil(unit * v_max);
        (
            u64::from(width) * u64::from(height),
            scan.iter()
                .map(|(c, ..)| u32::from(c.h) * u32::from(c.v))
                .collect(),
        )
    };
    let mut bits = Bits {
        data,
        at: start,
        byte: 0,
        left: 0,
        ran_out: false,
    };
    let mut next_rst = 0u8;
    for mcu in 0..mcus {
        if restart > 0 && mcu > 0 && mcu % u64::from(restart) == 0 {
            bits.align();
            if data.get(bits.at..bits.at + 2) != Some(&[0xFF, 0xD0 + next_rst][..]) {
                return Err(format!(
                    "restart marker {next_rst} missing at MCU {mcu} of {mcus}"
                ));
            }
            bits.at += 2;
            next_rst = (next_rst + 1) % 8;
        }
        for ((_, dc_table, ac_table), &units) in scan.iter().zip(&per_mcu) {
            for _ in 0..units {
                let size = bits.decode(dc_table)?;
                if size > 16 {
                    return Err(bad_code());
                }
                if !(lossless && size == 16) {
                    bits.bits(size);
                }
                if let Some(ac_table) = ac_table.filter(|_| !lossless) {
                    let mut k = 1;
                    while k < 64 {
                        let rs = bits.decode(ac_table)?;
                        let (run, size) = (rs >> 4, rs & 15);
                        if size == 0 {
                            if run != 15 {
                                break;
                            }
                            k += 16;
                        } else {
                            k += usize::from(run);
                            bits.bits(size);
                            k += 1;
                        }
                    }
                    if k > 64 {
                        return Err("coefficients past the end of a block".into());
                    }
                }
            }
        }
        if bits.ran_out {
            return Err(format!(
                "premature end of data segment (MCU {} of {mcus})",
                mcu + 1
            ));
        }
    }
    bits.align();
    let mut end = bits.at;
    while data.get(end) == Some(&0xFF) && data.get(end + 1) == Some(&0xFF) {
        end += 1;
    }
    let extra = data[end..]
        .windows(2)
        .position(|w| w[0] == 0xFF && w[1] != 0 && !(0xD0..=0xD7).contains(&w[1]))
        .unwrap_or(data.len() - end);
    if extra > LEFTOVER_ALLOWED {
        return Err(format!("{extra} extraneous bytes after the last MCU"));
    }
    Ok(end + extra)
}
