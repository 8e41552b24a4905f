//! A strict walk of a JPEG 2000 codestream's packet headers (Tier-2, ISO 15444-1 B.9 and B.10): every packet
//! header of every tile is decoded (inclusion and zero-bitplane tag trees, passes, code-block lengths), its
//! body skipped, and the packets must use up each tile's data exactly. Damage to a packet header shifts every
//! later length, so the sum no longer fits, which OpenJPEG accepts silently. Streams using what this walk does
//! not model (custom precincts, progression changes, packed headers, coding modes with several segments per
//! pass, sub-sampling, high-throughput blocks, images wider or taller than one precinct) are not walked.

/// Default precinct exponent (one precinct per resolution below 2^15 samples).
const PRECINCT: u32 = 15;

/// Walks the codestream `data` (raw J2K). `Err` says how its packets do not fit.
pub fn check(data: &[u8]) -> Result<(), String> {
    match Stream::parse(data) {
        Some(Ok(stream)) => stream.walk(),
        Some(Err(e)) => Err(e),
        None => Ok(()),
    }
}

/// The COD segment: Scod, progression order, layers, decomposition levels, code-block size exponents.
type CodingStyle = (u8, u8, u32, u32, (u32, u32));

/// One level of a tag tree: width, height, and its nodes' (value, lower bound).
type TreeLevel = (usize, usize, Vec<(u32, u32)>);

/// What the main header says, and each tile's data.
struct Stream {
    size: [i64; 4],
    tile: [i64; 4],
    components: usize,
    levels: u32,
    layers: u32,
    order: u8,
    sop: bool,
    eph: bool,
    block: (u32, u32),
    tiles: Vec<(u32, Vec<u8>)>,
}

fn be16(data: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *data.get(at)?,
        *data.get(at + 1)?,
    ])))
}

fn be32(data: &[u8], at: usize) -> Option<i64> {
    Some(i64::from(u32::from_be_bytes(
        data.get(at..at + 4)?.try_into().ok()?,
    )))
}

impl Stream {
    /// `None`: not walked (a feature not modelled, or no codestream); `Some(Err)`: damaged structure.
    fn parse(data: &[u8]) -> Option<Result<Self, String>> {
        if data.get(..2)? != [0xFF, 0x4F] {
            return None;
        }
        let mut at = 2;
        let (mut size, mut tile, mut components) = ([0i64; 4], [0i64; 4], 0);
        let mut cod: Option<CodingStyle> = None;
        let mut tiles: Vec<(u32, Vec<u8>)> = Vec::new();
        loop {
            if *data.get(at)? != 0xFF {
                return Some(Err(format!("no marker at byte {at} of the codestream")));
            }
            let marker = *data.get(at + 1)?;
            if marker == 0xD9 {
                break;
            }
            let length = be16(data, at + 2)?;
            let segment = data.get(at + 4..at + 2 + length)?;
            match marker {
                0x51 => {
                    if be16(data, at + 4)? & 0x4000 != 0 {
                        return None; // High-throughput (Part 15) blocks.
                    }
                    let field = |i: usize| be32(segment, 2 + 4 * i);
                    size = [field(0)?, field(1)?, field(2)?, field(3)?];
                    tile = [field(4)?, field(5)?, field(6)?, field(7)?];
                    components = be16(segment, 34)?;
                    for c in 0..components {
                        if segment.get(37 + 3 * c..39 + 3 * c)? != [1, 1] {
                            return None; // Sub-sampled components.
                        }
                    }
                }
                0x52 => {
                    let scod = *segment.first()?;
                    let style = *segment.get(8)?;
                    if scod & 1 != 0 || style & 0x45 != 0 {
                        return None; // Custom precincts; bypass, terminate-all or HT code-blocks.
                    }
                    cod = Some((
                        scod,
                        *segment.get(1)?,
                        be16(segment, 2)? as u32,
                        u32::from(*segment.get(5)?),
                        (
                            u32::from(*segment.get(6)?) + 2,
                            u32::from(*segment.get(7)?) + 2,
                        ),
                    ));
                }
                0x53 | 0x5F | 0x60 | 0x61 => return None, // COC, POC, PPM, PPT.
                0x90 => {
                    // Tile-parts: SOT, its header, SOD, its data up to Psot.
                    let index = be16(segment, 0)? as u32;
                    let psot = be32(segment, 2)? as usize;
                    // Psot 0: the last tile-part, up to the EOC marker (a DICOM fragment may pad after it).
                    let end = if psot == 0 {
                        data.windows(2).rposition(|w| w == [0xFF, 0xD9])?
                    } else {
                        at.checked_add(psot)?
                    };
                    let mut header = at + 2 + length;
                    loop {
                        let m = be16(data, header)?;
                        if m == 0xFF93 {
                            break;
                        }
                        if matches!(m, 0xFF52 | 0xFF53 | 0xFF5F | 0xFF61) {
                            return None; // Coding style, progression or packed headers per tile.
                        }
                        header += 2 + be16(data, header + 2)?;
                    }
                    let Some(body) = data.get(header + 2..end) else {
                        return Some(Err(format!(
                            "tile-part of tile {index} ends past the codestream"
                        )));
                    };
                    match tiles.iter_mut().find(|(i, _)| *i == index) {
                        Some((_, bytes)) => bytes.extend_from_slice(body),
                        None => tiles.push((index, body.to_vec())),
                    }
                    at = end;
                    continue;
                }
                _ => {}
            }
            at += 2 + length;
        }
        let (scod, order, layers, levels, block) = cod?;
        let too_large = size[0] > 1 << PRECINCT || size[1] > 1 << PRECINCT;
        if components == 0 || too_large || order > 4 || levels > 32 || tile[0] <= 0 || tile[1] <= 0
        {
            return None;
        }
        Some(Ok(Self {
            size,
            tile,
            components,
            levels,
            layers,
            order,
            sop: scod & 2 != 0,
            eph: scod & 4 != 0,
            block,
            tiles,
        }))
    }

    fn walk(&self) -> Result<(), String> {
        let across = ceil_div(self.size[0] - self.tile[2], self.tile[0]).max(1);
        for (index, body) in &self.tiles {
            let (p, q) = (i64::from(*index) % across, i64::from(*index) / across);
            let x0 = (self.tile[2] + p * self.tile[0]).max(self.size[2]);
            let x1 = (self.tile[2] + (p + 1) * self.tile[0]).min(self.size[0]);
            let y0 = (self.tile[3] + q * self.tile[1]).max(self.size[3]);
            let y1 = (self.tile[3] + (q + 1) * self.tile[1]).min(self.size[1]);
            self.walk_tile(body, [x0, y0, x1, y1])
                .map_err(|e| format!("tile {index}: {e}"))?;
        }
        Ok(())
    }

    /// Walks one tile's packets in its progression order; they must end exactly where its data ends.
    fn walk_tile(&self, data: &[u8], area: [i64; 4]) -> Result<(), String> {
        let resolutions = self.levels + 1;
        // One precinct per (component, resolution): its bands' code-block state.
        let mut precincts: Vec<Option<Precinct>> = (0..self.components * resolutions as usize)
            .map(|i| Precinct::new(area, self.levels, i as u32 % resolutions, self.block))
            .collect();
        let mut order = Vec::new();
        let (layers, comps) = (self.layers, self.components as u32);
        match self.order {
            0 => {
                for l in 0..layers {
                    for r in 0..resolutions {
                        for c in 0..comps {
                            order.push((c, r, l));
                        }
                    }
                }
            }
            1 => {
                for r in 0..resolutions {
                    for l in 0..layers {
                        for c in 0..comps {
                            order.push((c, r, l));
                        }
                    }
                }
            }
            2 => {
                for r in 0..resolutions {
                    for c in 0..comps {
                        for l in 0..layers {
                            order.push((c, r, l));
                        }
                    }
                }
            }
            _ => {
                for c in 0..comps {
                    for r in 0..resolutions {
                        for l in 0..layers {
                            order.push((c, r, l));
                        }
                    }
                }
            }
        }
        let mut at = 0usize;
        for (n, (c, r, layer)) in order.into_iter().enumerate() {
            let Some(precinct) = &mut precincts[(c * resolutions + r) as usize] else {
                continue;
            };
            if self.sop && data.get(at..at + 2) == Some(&[0xFF, 0x91]) {
                at += 6;
            }
            let mut bits = Bits::new(data, at);
            let body = precinct
                .packet(&mut bits, layer)
                .ok_or_else(|| format!("packet {n} header runs past the tile data"))?;
            at = bits.aligned_end();
            if self.eph {
                if data.get(at..at + 2) != Some(&[0xFF, 0x92]) {
                    return Err(format!("packet {n}: no EPH marker after its header"));
                }
                at += 2;
            }
            at = at
                .checked_add(body)
                .filter(|&end| end <= data.len())
                .ok_or_else(|| format!("packet {n} claims data past the tile's end"))?;
        }
        if at != data.len() {
            return Err(format!(
                "the packets use {at} of the tile's {} bytes",
                data.len()
            ));
        }
        Ok(())
    }
}

fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1).div_euclid(b)
}

/// Packet header bits, with the bit stuffed after each 0xFF byte (B.10.1).
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
    buf: u32,
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], at: usize) -> Self {
        Self {
            data,
            at,
            buf: 0,
            count: 0,
        }
    }

    fn byte_in(&mut self) -> Option<()> {
        self.buf = (self.buf << 8) & 0xFFFF;
        self.count = if self.buf == 0xFF00 { 7 } else { 8 };
        self.buf |= u32::from(*self.data.get(self.at)?);
        self.at += 1;
        Some(())
    }

    fn bit(&mut self) -> Option<u32> {
        if self.count == 0 {
            self.byte_in()?;
        }
        self.count -= 1;
        Some((self.buf >> self.count) & 1)
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v = 0;
        for _ in 0..n {
            v = v << 1 | self.bit()?;
        }
        Some(v)
    }

    /// Where the header ends: after its last byte, and after the stuffed byte that follows a final 0xFF.
    fn aligned_end(&self) -> usize {
        if self.buf & 0xFF == 0xFF {
            self.at + 1
        } else {
            self.at
        }
    }
}

/// A tag tree (B.10.2): lower bounds of each node's value, learnt bit by bit.
struct TagTree {
    /// Per level, from the leaves: width, height, and the nodes' (value, low).
    levels: Vec<TreeLevel>,
}

impl TagTree {
    fn new(mut w: usize, mut h: usize) -> Self {
        let mut levels = Vec::new();
        loop {
            levels.push((w, h, vec![(u32::MAX, 0); w * h]));
            if w <= 1 && h <= 1 {
                break;
            }
            w = w.div_ceil(2);
            h = h.div_ceil(2);
        }
        Self { levels }
    }

    /// Whether the leaf's value is below `threshold`, reading the bits that tell.
    fn decode(&mut self, bits: &mut Bits, leaf: usize, threshold: u32) -> Option<bool> {
        let (w0, _, _) = self.levels[0];
        let (mut x, mut y) = (leaf % w0.max(1), leaf / w0.max(1));
        let mut path = Vec::with_capacity(self.levels.len());
        for (level, (w, _, _)) in self.levels.iter().enumerate() {
            path.push((level, y * w + x));
            x /= 2;
            y /= 2;
        }
        let mut low = 0;
        for &(level, i) in path.iter().rev() {
            let node = &mut self.levels[level].2[i];
            if low > node.1 {
                node.1 = low;
            } else {
                low = node.1;
            }
            while low < threshold && low < node.0 {
                if bits.bit()? == 1 {
                    node.0 = low;
                } else {
                    low += 1;
                }
            }
            node.1 = low;
        }
        let (value, _) = self.levels[0].2[leaf];
        Some(value < threshold)
    }
}

/// The code-blocks of one band of a precinct.
struct Band {
    blocks: usize,
    inclusion: TagTree,
    zero_planes: TagTree,
    /// Per code-block: included in an earlier layer, and its Lblock.
    state: Vec<(bool, u32)>,
}

/// A precinct (here: a whole resolution of a tile-component) and its bands.
struct Precinct {
    bands: Vec<Band>,
}

impl Precinct {
    /// `None` when the resolution is empty (no packets).
    fn new(area: [i64; 4], levels: u32, r: u32, block: (u32, u32)) -> Option<Self> {
        let scale = 1i64 << (levels - r);
        let [x0, y0, x1, y1] = area;
        if ceil_div(x1, scale) <= ceil_div(x0, scale) || ceil_div(y1, scale) <= ceil_div(y0, scale)
        {
            return None;
        }
        let (nb, offsets): (u32, &[(i64, i64)]) = if r == 0 {
            (levels, &[(0, 0)])
        } else {
            (levels - r + 1, &[(1, 0), (0, 1), (1, 1)])
        };
        let reduce = if r == 0 { 0 } else { 1 };
        let (cw, ch) = (
            block.0.min(PRECINCT - reduce),
            block.1.min(PRECINCT - reduce),
        );
        let bands = offsets
            .iter()
            .map(|&(xob, yob)| {
                let shift = |v: i64, ob: i64| {
                    let half = if nb == 0 { 0 } else { ob << (nb - 1) };
                    ceil_div(v - half, 1i64 << nb)
                };
                let (bx0, bx1) = (shift(x0, xob), shift(x1, xob));
                let (by0, by1) = (shift(y0, yob), shift(y1, yob));
                let count = |lo: i64, hi: i64, e: u32| {
                    if hi > lo {
                        (ceil_div(hi, 1 << e) - lo.div_euclid(1 << e)) as usize
                    } else {
                        0
                    }
                };
                let (nx, ny) = (count(bx0, bx1, cw), count(by0, by1, ch));
                let blocks = nx * ny;
                Band {
                    blocks,
                    inclusion: TagTree::new(nx, ny),
                    zero_planes: TagTree::new(nx, ny),
                    state: vec![(false, 3); blocks],
                }
            })
            .collect();
        Some(Self { bands })
    }

    /// Decodes one packet header; returns its body's length.
    fn packet(&mut self, bits: &mut Bits, layer: u32) -> Option<usize> {
        if bits.bit()? == 0 {
            return Some(0);
        }
        let mut body = 0usize;
        for band in &mut self.bands {
            for block in 0..band.blocks {
                let (included, lblock) = band.state[block];
                let now = if included {
                    bits.bit()? == 1
                } else {
                    band.inclusion.decode(bits, block, layer + 1)?
                };
                if !now {
                    continue;
                }
                if !included {
                    let mut planes = 0;
                    while !band.zero_planes.decode(bits, block, planes + 1)? {
                        planes += 1;
                        if planes > 74 {
                            return None;
                        }
                    }
                }
                let passes = if bits.bit()? == 0 {
                    1
                } else if bits.bit()? == 0 {
                    2
                } else {
                    match bits.bits(2)? {
                        3 => match bits.bits(5)? {
                            31 => 37 + bits.bits(7)?,
                            n => 6 + n,
                        },
                        n => 3 + n,
                    }
                };
                let mut lblock = lblock;
                while bits.bit()? == 1 {
                    lblock += 1;
                    if lblock > 32 {
                        return None;
                    }
                }
                let length = bits.bits(lblock + passes.ilog2())?;
                band.state[block] = (true, lblock);
                body = body.checked_add(length as usize)?;
            }
        }
        Some(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_tree_of_b_10_2() {
        // One leaf of value 1 (bits: 0 then 1 at the root), threshold 2.
        let data = [0b0100_0000];
        let mut bits = Bits::new(&data, 0);
        let mut tree = TagTree::new(1, 1);
        assert_eq!(tree.decode(&mut bits, 0, 2), Some(true));
        assert_eq!(tree.levels[0].2[0].0, 1);
    }

    /// An 8 x 8 one-component codestream, one layer, no wavelet levels, whose one tile holds `tile`.
    fn codestream(tile: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
        for v in [8u32, 8, 0, 0, 8, 8, 0, 0] {
            out.extend(v.to_be_bytes());
        }
        out.extend([0, 1, 7, 1, 1]);
        out.extend([0xFF, 0x52, 0, 12, 0, 0, 0, 1, 0, 0, 2, 2, 0, 1]);
        out.extend([0xFF, 0x90, 0, 10, 0, 0]);
        out.extend((12 + 2 + tile.len() as u32).to_be_bytes());
        out.extend([0, 1, 0xFF, 0x93]);
        out.extend(tile);
        out.extend([0xFF, 0xD9]);
        out
    }

    #[test]
    fn packets_must_fill_the_tile() {
        // Header bits: packet not empty, included (tag tree), no zero bit-plane, one pass, Lblock kept, length
        // 5 in 3 bits: 1 1 1 0 0 101.
        assert_eq!(check(&codestream(&[0xE5, 1, 2, 3, 4, 5])), Ok(()));
        let longer = check(&codestream(&[0xE5, 1, 2, 3, 4, 5, 6])).unwrap_err();
        assert!(longer.contains("use 6 of the tile's 7 bytes"), "{longer}");
        assert!(check(&codestream(&[0xE6, 1, 2, 3, 4, 5])).is_err());
        // The last tile-part's length left open (Psot 0), the fragment padded after EOC.
        let mut open = codestream(&[0xE5, 1, 2, 3, 4, 5, 6]);
        let sot = open.windows(2).position(|w| w == [0xFF, 0x90]).unwrap();
        open[sot + 6..sot + 10].fill(0);
        open.push(0);
        let longer = check(&open).unwrap_err();
        assert!(longer.contains("use 6 of the tile's 7 bytes"), "{longer}");
        open.remove(open.len() - 4);
        assert_eq!(check(&open), Ok(()));
    }

    #[test]
    fn not_a_codestream_is_not_walked() {
        assert_eq!(check(b"nothing"), Ok(()));
    }
}
