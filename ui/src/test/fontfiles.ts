// The code points a bundled font file has glyphs for, read from its cmap. A face's
// unicode-range alone over-claims: Noto Sans SC's names 80 Hangul syllables it has no
// glyph for. Reads WOFF2 (what the app's @font-face rules load first) with node's Brotli.
import { brotliDecompressSync } from 'node:zlib';

// WOFF2's known-table tags, by the index in a directory entry's flags (W3C WOFF2 §5.1).
const KNOWN_TAGS = [
  'cmap', 'head', 'hhea', 'hmtx', 'maxp', 'name', 'OS/2', 'post', 'cvt ', 'fpgm', 'glyf', 'loca',
  'prep', 'CFF ', 'VORG', 'EBDT', 'EBLC', 'gasp', 'hdmx', 'kern', 'LTSH', 'PCLT', 'VDMX', 'vhea',
  'vmtx', 'BASE', 'GDEF', 'GPOS', 'GSUB', 'EBSC', 'JSTF', 'MATH', 'CBDT', 'CBLC', 'COLR', 'CPAL',
  'SVG ', 'sbix', 'acnt', 'avar', 'bdat', 'bloc', 'bsln', 'cvar', 'fdsc', 'feat', 'fmtx', 'fvar',
  'gvar', 'hsty', 'just', 'lcar', 'mort', 'morx', 'opbd', 'prop', 'trak', 'Zapf', 'Silf', 'Glat',
  'Gloc', 'Feat', 'Sill',
];

function woff2Cmap(file: Buffer): Buffer {
  if (file.toString('latin1', 0, 4) !== 'wOF2') throw new Error('not WOFF2');
  const numTables = file.readUInt16BE(12);
  const compressedLength = file.readUInt32BE(20);
  let p = 48;
  const base128 = (): number => {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const byte = file[p++];
      v = v * 128 + (byte & 0x7f);
      if (!(byte & 0x80)) return v;
    }
    throw new Error('bad UIntBase128');
  };
  const tables: { tag: string; length: number }[] = [];
  for (let i = 0; i < numTables; i++) {
    const flags = file[p++];
    let tag = KNOWN_TAGS[flags & 0x3f];
    if ((flags & 0x3f) === 63) {
      tag = file.toString('latin1', p, p + 4);
      p += 4;
    }
    const version = flags >> 6;
    const origLength = base128();
    // glyf and loca are transformed at version 0, every other table at a non-zero one.
    const transformed = tag === 'glyf' || tag === 'loca' ? version === 0 : version !== 0;
    tables.push({ tag, length: transformed ? base128() : origLength });
  }
  // The tables follow each other in directory order, unpadded, in one Brotli stream.
  const data = brotliDecompressSync(file.subarray(p, p + compressedLength));
  let offset = 0;
  for (const t of tables) {
    if (t.tag === 'cmap') return data.subarray(offset, offset + t.length);
    offset += t.length;
  }
  throw new Error('no cmap table');
}

/** Code points mapped to a glyph by the font's format 4 and 12 cmap subtables. */
export function woff2CodePoints(file: Buffer): Set<number> {
  const cmap = woff2Cmap(file);
  const points = new Set<number>();
  const subtables = cmap.readUInt16BE(2);
  for (let i = 0; i < subtables; i++) {
    const off = cmap.readUInt32BE(4 + i * 8 + 4);
    const format = cmap.readUInt16BE(off);
    if (format === 12) {
      const groups = cmap.readUInt32BE(off + 12);
      for (let g = 0; g < groups; g++) {
        const start = cmap.readUInt32BE(off + 16 + g * 12);
        const end = cmap.readUInt32BE(off + 20 + g * 12);
        for (let c = start; c <= end; c++) points.add(c);
      }
    } else if (format === 4) {
      const segX2 = cmap.readUInt16BE(off + 6);
      for (let s = 0; s < segX2 / 2; s++) {
        const end = cmap.readUInt16BE(off + 14 + s * 2);
        const start = cmap.readUInt16BE(off + 16 + segX2 + s * 2);
        const delta = cmap.readInt16BE(off + 16 + 2 * segX2 + s * 2);
        const rangeOffsetAt = off + 16 + 3 * segX2 + s * 2;
        const rangeOffset = cmap.readUInt16BE(rangeOffsetAt);
        for (let c = start; c <= end && c !== 0xffff; c++) {
          let glyph: number;
          if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
          else {
            glyph = cmap.readUInt16BE(rangeOffsetAt + rangeOffset + (c - start) * 2);
            if (glyph) glyph = (glyph + delta) & 0xffff;
          }
          if (glyph) points.add(c);
        }
      }
    }
  }
  return points;
}
