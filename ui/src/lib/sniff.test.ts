// @vitest-environment node
import { asText, sniff, sniffImage } from './sniff';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('sniff', () => {
  it('recognises image magic bytes', () => {
    expect(sniffImage(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))).toBe('image/png');
    expect(sniffImage(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('image/jpeg');
    expect(sniffImage(new TextEncoder().encode('GIF89a...'))).toBe('image/gif');
    expect(sniffImage(new TextEncoder().encode('GIF87a...'))).toBe('image/gif');
    expect(sniffImage(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffImage(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt '))).toBeNull();
    expect(sniffImage(bytes(0x89, 0x50))).toBeNull();
  });

  it('treats UTF-8 text as text', () => {
    const p = sniff(new TextEncoder().encode('안녕하세요\n你好\nhello'));
    expect(p).toEqual({ kind: 'text', text: '안녕하세요\n你好\nhello' });
    expect(asText(new TextEncoder().encode('\uFEFFbom'))).toBe('bom');
  });

  it('refuses binary and invalid UTF-8', () => {
    expect(sniff(bytes(0xc3, 0x28)).kind).toBe('none');
    expect(sniff(bytes(0x25, 0x50, 0x44, 0x46, 0x00, 0x01)).kind).toBe('none');
  });

  it('does not trust a name, only bytes: an SVG is text, never an image', () => {
    expect(sniff(new TextEncoder().encode('<svg onload="x()"></svg>')).kind).toBe('text');
  });
});
