// Scenarios: decimal texts DynamoDB can store are kept verbatim, zeros (incl. -0) normalise to "0", and non-finite, over-precise, too large or too small numbers are refused with a reason.
import { toStorableDecimal } from '../../src/orders/decimal';

describe('toStorableDecimal', () => {
  it.each([
    '4',
    '2.1',
    '-2.10',
    '12345678901234567890',
    '12345678901234567890123456789012345678', // 38 significant digits
    '1000000000000000000000000000000000000000000000', // trailing zeros are not significant
    '0.000000000000000000000000000000000000000000000012345',
    '1.5E+3',
    '1e-130',
    '-1e-130',
    '9.9999999999999999999999999999999999999e125',
  ])('keeps %s exactly', (text) => {
    expect(toStorableDecimal(text)).toEqual({ ok: true, text });
  });

  it.each(['0', '-0', '0.000', '-0.0e10', '0e-500'])('stores %s as 0', (text) => {
    expect(toStorableDecimal(text)).toEqual({ ok: true, text: '0' });
  });

  it.each([
    ['1e400', 'must be a finite number'],
    ['-1.7976931348623159e308', 'must be a finite number'],
    ['123456789012345678901234567890123456789', 'has 39 significant digits; at most 38 can be stored exactly'],
    ['1e126', 'is too large; the magnitude must be below 1e126'],
    ['-12.5e125', 'is too large; the magnitude must be below 1e126'],
    ['9.9e-131', 'is too small; a non-zero magnitude must be at least 1e-130'],
    ['0.0001e-127', 'is too small; a non-zero magnitude must be at least 1e-130'],
    ['1e-99999999999999999999', 'is too small; a non-zero magnitude must be at least 1e-130'],
    ['abc', 'must be a number'],
  ])('refuses %s', (text, message) => {
    expect(toStorableDecimal(text)).toEqual({ ok: false, message });
  });
});
