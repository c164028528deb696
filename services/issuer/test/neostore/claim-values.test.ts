import { describe, expect, it } from 'vitest';
import {
  convertClaimArrayItem,
  convertClaimValue,
  CLAIM_VALUE_TYPES as T,
} from '../../src/domain/neostore/index.js';

type Row = readonly [rule: string, value: string, expected: unknown];

/** Runs `rows` for one value type; `Object.is` semantics, so -0 and 0 differ. */
function table(valueType: string | null | undefined, rows: readonly Row[]) {
  it.each(rows)('%s: %j', (_rule, value, expected) => {
    expect(convertClaimValue(value, valueType)).toStrictEqual(expected);
  });
}

describe('string and the default value type', () => {
  describe('#string', () =>
    table(T.string, [
      ['kept verbatim', 'user123', 'user123'],
      ['numbers stay text', '42', '42'],
      ['empty stays empty', '', ''],
    ]));
  describe('absent, null or empty valueType means #string (new Claim(...) default)', () => {
    it.each([undefined, null, ''])('valueType %j', (valueType) => {
      expect(convertClaimValue('42', valueType)).toBe('42');
      expect(convertClaimValue('true', valueType)).toBe('true');
    });
  });
  describe('unknown value types keep the string', () =>
    table('http://www.w3.org/2001/XMLSchema#uinteger32', [
      ['#uinteger32 is not converted', '5', '5'],
    ]));
  describe('value types are compared case-sensitively', () => {
    it.each([
      ['http://www.w3.org/2001/XMLSchema#Boolean', 'true'],
      ['json', '{}'],
      ['json_null', 'x'],
    ])('%s keeps %j', (valueType, value) => {
      expect(convertClaimValue(value, valueType)).toBe(value);
    });
  });
});

describe('#boolean (bool.TryParse)', () =>
  table(T.boolean, [
    ['"true" in lower case', 'true', true],
    ['"True" as .NET prints it', 'True', true],
    ['any letter case', 'fAlSe', false],
    ['surrounding white space is trimmed', ' true ', true],
    ['NUL characters are trimmed too', '\0false\0', false],
    ['Unicode white space (char.IsWhiteSpace) is trimmed', '\u3000TRUE\u00a0', true],
    ['1 is no boolean', '1', '1'],
    ['yes is no boolean', 'yes', 'yes'],
    ['inner white space', 't rue', 't rue'],
    ['empty', '', ''],
  ]));

describe('#integer and #integer32 (int.TryParse, NumberStyles.Any, invariant)', () => {
  const rows: readonly Row[] = [
    ['plain', '42', 42],
    ['negative', '-42', -42],
    ['leading "+"', '+42', 42],
    ['int.MaxValue', '2147483647', 2147483647],
    ['int.MinValue', '-2147483648', -2147483648],
    ['over int.MaxValue stays a string', '2147483648', '2147483648'],
    ['under int.MinValue stays a string', '-2147483649', '-2147483649'],
    ['thousands separators', '1,000,000', 1000000],
    ['a decimal point with a zero fraction', '42.0', 42],
    ['a non-zero fraction stays a string', '1.5', '1.5'],
    ['an exponent', '1e3', 1000],
    ['an exponent making a fraction whole', '1.5e1', 15],
    ['an exponent leaving a fraction stays a string', '15e-1', '15e-1'],
    ['parentheses mean negative', '(5)', -5],
    ['a trailing sign', '5-', -5],
    ['the invariant currency sign ¤', '\u00a412', 12],
    ['surrounding spaces and tabs', ' \t7 ', 7],
    ['trailing NUL characters', '5\0\0', 5],
    ['white space after a sign is refused', '- 5', '- 5'],
    ['...unless a currency sign came between', '-\u00a4 5', -5],
    ['a non-breaking space is no number white space', '\u00a05', '\u00a05'],
    ['hexadecimal is not allowed', '0x10', '0x10'],
    ['"$" is not the invariant currency sign', '$5', '$5'],
    ['negative zero is 0', '-0', 0],
    ['empty', '', ''],
    ['only the first 10 significant digits are read', '1.00000000001', 1],
    ['a fraction past the 10-digit buffer is not seen', '1234567890.1', 1234567890],
  ];
  describe('#integer', () => table(T.integer, rows));
  describe('#integer32', () => table(T.integer32, rows));
});

describe('#integer64 (long.TryParse, NumberStyles.Integer)', () =>
  table(T.integer64, [
    ['plain', '42', 42],
    ['negative with spaces around', ' -42 ', -42],
    ['leading "+"', '+5', 5],
    ['the largest exact JavaScript integer', '9007199254740991', 9007199254740991],
    ['the smallest exact JavaScript integer', '-9007199254740991', -9007199254740991],
    ['beyond 2^53 stays the exact string', '9007199254740993', '9007199254740993'],
    ['long.MaxValue stays the exact string', '9223372036854775807', '9223372036854775807'],
    ['over long.MaxValue does not parse', '9223372036854775808', '9223372036854775808'],
    ['thousands separators are not allowed', '1,000', '1,000'],
    ['a decimal point is not allowed', '1.0', '1.0'],
    ['an exponent is not allowed', '1e3', '1e3'],
    ['a trailing sign is not allowed', '5-', '5-'],
    ['trailing NUL characters are', '5\0', 5],
  ]));

describe('#double (double.TryParse, NumberStyles.Any, invariant)', () =>
  table(T.double, [
    ['a decimal', '1.5', 1.5],
    ['an integer', '42', 42],
    ['the nearest double', '0.1', 0.1],
    ['more digits than a double holds round to nearest', '3.14159265358979323846', Math.PI],
    ['an exponent', '1.5E-3', 0.0015],
    ['a leading "."', '.5', 0.5],
    ['a trailing "."', '5.', 5],
    ['thousands separators', '1,234.5', 1234.5],
    ['parentheses mean negative', '(1.5)', -1.5],
    ['negative zero keeps its sign', '-0', -0],
    ['an "e" without digits is no exponent', '1e', '1e'],
    ['a comma is a group separator, so 1,5 is 15', '1,5', 15],
    ['NaN parses but JSON cannot carry it', 'NaN', 'NaN'],
    ['Infinity parses but JSON cannot carry it', '-infinity', '-infinity'],
    ['overflow to Infinity is kept as text', '1e400', '1e400'],
    ['underflow is zero', '1e-400', 0],
    ['not a number', 'abc', 'abc'],
  ]));

describe('#dateTime (DateTime.TryParse, ToUniversalTime, written as ISO-8601 UTC)', () =>
  table(T.dateTime, [
    [
      'UTC stays UTC, no fraction printed when zero',
      '2024-01-02T03:04:05Z',
      '2024-01-02T03:04:05Z',
    ],
    ['an offset is applied', '2024-01-02T03:04:05+01:00', '2024-01-02T02:04:05Z'],
    ['an offset may cross midnight', '2024-01-01T00:30:00+01:00', '2023-12-31T23:30:00Z'],
    [
      'fraction trailing zeros are trimmed',
      '2024-01-02T03:04:05.1200000Z',
      '2024-01-02T03:04:05.12Z',
    ],
    ['seven fraction digits kept', '2024-01-02T03:04:05.1234567Z', '2024-01-02T03:04:05.1234567Z'],
    ['a date alone is midnight', '2024-01-02', '2024-01-02T00:00:00Z'],
    ['no offset is taken as UTC', '2024-01-02T03:04', '2024-01-02T03:04:00Z'],
    ['a space may separate date and time', '2024-01-02 03:04:05', '2024-01-02T03:04:05Z'],
    ['29 February of a leap year', '2024-02-29', '2024-02-29T00:00:00Z'],
    ['year 1 is in range', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
    ['30 February stays a string', '2024-02-30', '2024-02-30'],
    ['29 February of a common year stays a string', '2023-02-29', '2023-02-29'],
    ['hour 24 stays a string', '2024-01-02T24:00:00Z', '2024-01-02T24:00:00Z'],
    [
      'before year 1 in UTC stays a string',
      '0001-01-01T00:30:00+01:00',
      '0001-01-01T00:30:00+01:00',
    ],
    ['culture-dependent text stays a string', '1/2/2024', '1/2/2024'],
    ['not a date', 'tomorrow', 'tomorrow'],
  ]));

describe('JSON and JSON_ARRAY (embedded as parsed JSON)', () => {
  describe('JSON', () =>
    table(T.json, [
      ['an object', '{"a":1,"b":[true,null]}', { a: 1, b: [true, null] }],
      ['any JSON value, an array too', '[1,2]', [1, 2]],
      ['a JSON null is embedded as null', 'null', null],
      ['a string', '"x"', 'x'],
      ['surrounding JSON white space', ' {"a":1} ', { a: 1 }],
      ['invalid JSON stays a string', '{a:1}', '{a:1}'],
      ['trailing commas are invalid', '[1,]', '[1,]'],
      ['empty', '', ''],
      [
        'a number beyond 2^53 would change, so the text stays',
        '{"n":12345678901234567890}',
        '{"n":12345678901234567890}',
      ],
      ['a number JSON.stringify would print as null stays text', '[1e400]', '[1e400]'],
      ['a number written differently but equal is fine', '{"n":1.50}', { n: 1.5 }],
      ['trailing zeros of a whole number count toward its exponent', '[1000e-3]', [1]],
      ['a long run of trailing zeros is exact', `[1${'0'.repeat(300)}]`, [1e300]],
      [
        'a long numeral whose zeros a non-zero ends stays text',
        `[1${'0'.repeat(300)}1]`,
        `[1${'0'.repeat(300)}1]`,
      ],
      [
        'digits inside strings are not numbers',
        '{"n":"12345678901234567890"}',
        { n: '12345678901234567890' },
      ],
      [
        '64 levels of nesting are allowed',
        `${'['.repeat(64)}${']'.repeat(64)}`,
        JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`),
      ],
      [
        "65 levels exceed the reader's depth",
        `${'['.repeat(65)}${']'.repeat(65)}`,
        `${'['.repeat(65)}${']'.repeat(65)}`,
      ],
    ]));
  describe('JSON_ARRAY', () =>
    table(T.jsonArray, [
      ['an array', '["a",1]', ['a', 1]],
      ['an object is embedded too (JsonElement takes any value)', '{"a":1}', { a: 1 }],
      ['invalid JSON stays a string', '[1', '[1'],
    ]));
  it('keeps a "__proto__" member as data', () => {
    const value = convertClaimValue('{"__proto__":{"x":1}}', T.json);
    expect(JSON.stringify(value)).toBe('{"__proto__":{"x":1}}');
  });
});

describe('JSON_NULL (.NET writes an empty string)', () =>
  table(T.jsonNull, [
    ['any value becomes ""', 'whatever', ''],
    ['empty stays empty', '', ''],
  ]));

describe('convertClaimArrayItem: a value inside an array of repeated claim types', () => {
  it.each([
    [
      'a double is written through decimal: 15 significant digits',
      '3.141592653589793',
      Number('3.14159265358979'),
    ],
    ['0.1 + 0.2 is 0.3 after decimal rounding', '0.30000000000000004', 0.3],
    ['large doubles lose digits past the 15th', '123456789.123456789', 123456789.123457],
    ['below 1e-28 is zero in a decimal', '1e-30', 0],
    ['the largest decimal range is kept', '7.9e28', 7.9e28],
    ['past decimal range .NET overflows, so the text stays', '8e28', '8e28'],
    ['NaN stays text here too', 'NaN', 'NaN'],
  ] as const)('#double: %s (%j)', (_rule, value, expected) => {
    expect(convertClaimArrayItem(value, T.double)).toStrictEqual(expected);
  });

  it.each([
    [T.integer, '42', 42],
    [T.integer64, '9007199254740993', '9007199254740993'],
    [T.boolean, 'True', true],
    [T.dateTime, '2024-01-02T03:04:05Z', '2024-01-02T03:04:05Z'],
    [T.json, '{"a":1}', { a: 1 }],
    [null, 'x', 'x'],
  ] as const)('other types convert as a single value: %s %j', (valueType, value, expected) => {
    expect(convertClaimArrayItem(value, valueType)).toStrictEqual(expected);
  });
});
