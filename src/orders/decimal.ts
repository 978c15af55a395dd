// DynamoDB's Number type: at most 38 significant digits, magnitudes from 1e-130 to 9.99...e125 (or zero).
const MAX_SIGNIFICANT_DIGITS = 38;
const MAX_EXPONENT = 125;
const MIN_EXPONENT = -130;

const JSON_NUMBER = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

export type DecimalResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

/**
 * Checks that a JSON number's text can be stored exactly in DynamoDB and returns the text to store.
 * Works on the text, never on a float, so 2.1 stays 2.1 and 12345678901234567890 keeps every digit.
 * Any zero (including -0, 0.0, -0e5) is stored as "0": DynamoDB has no negative zero and a client
 * sending -0 means zero.
 */
export function toStorableDecimal(text: string): DecimalResult {
  const match = JSON_NUMBER.exec(text);
  if (!match) return { ok: false, message: 'must be a number' };
  // 1e400 is valid JSON but no finite number; say so rather than "out of range".
  if (!Number.isFinite(Number(text))) return { ok: false, message: 'must be a finite number' };

  const [, integerPart, fractionPart = '', exponentText = '0'] = match;
  const digits = integerPart + fractionPart;
  const first = digits.search(/[1-9]/);
  if (first === -1) return { ok: true, text: '0' };

  const significant = digits.slice(first).replace(/0+$/, '');
  if (significant.length > MAX_SIGNIFICANT_DIGITS) {
    return {
      ok: false,
      message: `has ${significant.length} significant digits; at most ${MAX_SIGNIFICANT_DIGITS} can be stored exactly`,
    };
  }
  // Decimal exponent of the leading significant digit (d.ddd x 10^adjusted).
  const adjusted = Number(exponentText) + integerPart.length - 1 - first;
  if (adjusted > MAX_EXPONENT) return { ok: false, message: 'is too large; the magnitude must be below 1e126' };
  if (adjusted < MIN_EXPONENT) return { ok: false, message: 'is too small; a non-zero magnitude must be at least 1e-130' };
  return { ok: true, text };
}
