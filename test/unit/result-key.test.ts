// Scenarios: results/auction=<id>/customer=<c>/<seg>.json; `/`, `%`, space, `.`/`..`, ASCII and C1 control chars, a lone surrogate, emoji, 128 three-byte characters and the worst 128-character ids stay <= 1024 bytes; injectivity (decodable round trip over a tricky sample and random ids, no two ids share a key); two customers / two auctions never collide; run file keys.
import fc from 'fast-check';
import { keySegment, resultKey, runFileKey } from '../../src/results/result-key';

const AUCTION = '2026-12-01T2100Z';
/** The longest customer id (src/auctions/customer.ts allows 64 characters). */
const LONGEST_CUSTOMER = 'c'.repeat(64);
const S3_KEY_MAX_BYTES = 1024;

/**
 * The inverse of keySegment, written from its documented format (`%XX` for ASCII, `%uXXXX` for UTF-16
 * units, anything else literal): if it recovers every id, no two ids can share a key.
 */
function decodeSegment(segment: string): string {
  return segment.replace(/%u([0-9A-F]{4})|%([0-9A-F]{2})/g, (_m, unit: string | undefined, ascii: string | undefined) =>
    String.fromCharCode(parseInt(unit ?? ascii!, 16)),
  );
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('resultKey', () => {
  it('names the auction, the customer and the record_id in Athena-friendly prefixes', () => {
    expect(resultKey(AUCTION, 'alpha', 'unique_id_1')).toBe('results/auction=2026-12-01T2100Z/customer=alpha/unique_id_1.json');
  });

  it.each([
    ['a slash (no extra prefix level)', 'a/b', 'a%2Fb'],
    ['a percent sign', '100%', '100%25'],
    ['an already encoded slash', 'a%2Fb', 'a%252Fb'],
    ['a space', 'my order', 'my%20order'],
    ['a plus and an ampersand', 'a+b&c', 'a%2Bb%26c'],
    ['dot-dot', '..', '..'],
    ['a leading slash and dot segments', '/../x', '%2F..%2Fx'],
    ['NUL and newline', 'a\u0000b\nc', 'a%00b%0Ac'],
    ['DEL', 'x\u007f', 'x%7F'],
    ['a C1 control', 'x\u0085', 'x%u0085'],
    ['a no-break space', 'x\u00a0y', 'x%u00A0y'],
    ['a zero-width joiner (format)', 'x\u200dy', 'x%u200Dy'],
    ['a lone high surrogate', 'x\ud800', 'x%uD800'],
    ['a lone low surrogate', '\udc00x', '%uDC00x'],
    ['an emoji (kept as UTF-8)', 'order-😀', 'order-😀'],
    ['an astral private-use character (kept as UTF-8)', 'x\u{F0000}', 'x\u{F0000}'],
    ['accents and CJK (kept as UTF-8)', 'café-注文', 'café-注文'],
    ['unreserved punctuation', 'A-z_0.9~', 'A-z_0.9~'],
  ])('encodes %s', (_case, recordId, segment) => {
    expect(keySegment(recordId)).toBe(segment);
    expect(resultKey(AUCTION, 'alpha', recordId)).toBe(`results/auction=2026-12-01T2100Z/customer=alpha/${segment}.json`);
  });

  it('never lets an id add a path level or a dot-only segment', () => {
    for (const recordId of ['..', '.', '../..', 'a/../b', '/', '//']) {
      // Act
      const segments = resultKey(AUCTION, 'alpha', recordId).split('/');

      // Assert
      expect(segments).toHaveLength(4);
      expect(segments[3]).not.toMatch(/^\.{1,2}$/);
    }
  });

  it('keeps a 128-character id of three-byte characters within S3 key limits', () => {
    // Arrange
    const recordId = '€'.repeat(128);

    // Act
    const key = resultKey(AUCTION, LONGEST_CUSTOMER, recordId);

    // Assert
    expect(bytes(recordId)).toBe(384);
    expect(key).toBe(`results/auction=2026-12-01T2100Z/customer=${LONGEST_CUSTOMER}/${recordId}.json`);
    expect(bytes(key)).toBeLessThanOrEqual(S3_KEY_MAX_BYTES);
  });

  it.each([
    ['escaped BMP separators', '\u2028'],
    ['escaped C1 controls', '\u0085'],
    ['four-byte emoji', '😀'],
    // The API counts record_id in code points, so 128 astral characters (256 UTF-16 units) are valid ids.
    ['astral private-use characters', '\u{F0000}'],
    ['astral format (tag) characters', '\u{E0041}'],
  ])('keeps the worst 128-character ids within S3 key limits: %s', (_case, char) => {
    // Arrange
    const recordId = char.repeat(128);

    // Act
    const key = resultKey(AUCTION, LONGEST_CUSTOMER, recordId);

    // Assert
    expect([...recordId]).toHaveLength(128);
    expect(bytes(key)).toBeLessThanOrEqual(S3_KEY_MAX_BYTES);
    expect(decodeSegment(keySegment(recordId))).toBe(recordId);
  });

  it('is injective over a tricky sample: every id decodes back and no two share a key', () => {
    // Arrange: ids that a naive encoder would confuse with each other.
    const ids = [
      'a/b', 'a%2Fb', 'a%2fb', 'a_2Fb', 'a b', 'a%20b', 'a+b', 'a\u00a0b', 'a%u00A0b', 'a\u0085b', 'a%u0085b',
      '.', '..', '...', '%', '%%', '%25', 'u', '%u', '\ud800', '%uD800', '%uD83D%uDE00', '😀', '\u{F0000}',
      '%uDB80%uDC00', '\udb80', '\udc00', '\udc00\udb80', 'A', 'a', 'é', 'e\u0301', '\u0000', '%00',
      'x.json', 'x', 'x.json.json', '\t', '%09', '~', '%7E',
    ];

    // Act
    const keys = ids.map((id) => resultKey(AUCTION, 'alpha', id));

    // Assert
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(keys).size).toBe(ids.length);
    for (const id of ids) expect(decodeSegment(keySegment(id))).toBe(id);
  });

  it('decodes back any id, whatever UTF-16 units it holds', () => {
    const unit = fc.oneof(
      fc.constantFrom('/', '%', ' ', '.', 'u', 'A', '0', '+', '\u0085', '\u2028', '😀'),
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1, maxLength: 128 }), (id) => {
        const segment = keySegment(id);
        expect(segment).not.toContain('/');
        expect(decodeSegment(segment)).toBe(id);
      }),
      { numRuns: 500 },
    );
  });

  it('never lets two customers or two auctions collide on the same record_id', () => {
    // Arrange
    const tuples: Array<[string, string, string]> = [
      [AUCTION, 'alpha', 'order-1'],
      [AUCTION, 'beta', 'order-1'],
      ['2026-12-01T2200Z', 'alpha', 'order-1'],
      [AUCTION, 'alpha', 'order-2'],
      // A record_id that looks like another customer's prefix stays one segment.
      [AUCTION, 'alpha', 'customer=beta/order-1'],
      [AUCTION, 'alpha-beta', 'order-1'],
      [AUCTION, 'alpha', 'beta/order-1'],
    ];

    // Act
    const keys = tuples.map(([auction, customer, recordId]) => resultKey(auction, customer, recordId));

    // Assert
    expect(new Set(keys).size).toBe(tuples.length);
    expect(keys[1]).toBe('results/auction=2026-12-01T2100Z/customer=beta/order-1.json');
    expect(keys[2]).toBe('results/auction=2026-12-01T2200Z/customer=alpha/order-1.json');
    expect(keys[4]).toBe('results/auction=2026-12-01T2100Z/customer=alpha/customer%3Dbeta%2Forder-1.json');
  });
});

describe('runFileKey', () => {
  it('keeps the working files of one execution under the auction', () => {
    expect(runFileKey(AUCTION, 'exec-1', 'results.json')).toBe('runs/auction=2026-12-01T2100Z/exec-1/results.json');
    expect(runFileKey(AUCTION, 'manual run/1', 'failed-orders.json')).toBe('runs/auction=2026-12-01T2100Z/manual%20run%2F1/failed-orders.json');
  });
});
