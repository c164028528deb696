import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { credentialsMetadata, type PresentedCredentials, readCredentials } from '../src/index.js';

function metadata(entries: Record<string, string>): Metadata {
  const result = new Metadata();
  for (const [key, value] of Object.entries(entries)) result.set(key, value);
  return result;
}

const basic = (userAndPassword: string) =>
  `Basic ${Buffer.from(userAndPassword).toString('base64')}`;

describe('readCredentials', () => {
  it.each<[string, Record<string, string>, PresentedCredentials]>([
    ['a raw key', { authorization: 'raw-key-1' }, { apiKey: 'raw-key-1' }],
    ['Basic apikey:KEY', { authorization: basic('apikey:key-2') }, { apiKey: 'key-2' }],
    ['Basic with any user name', { authorization: basic('tenant-a:key-3') }, { apiKey: 'key-3' }],
    ['Basic with an empty user name', { authorization: basic(':key-4') }, { apiKey: 'key-4' }],
    ['Basic with a colon in the key', { authorization: basic('apikey:a:b') }, { apiKey: 'a:b' }],
    [
      'a lower-case scheme',
      { authorization: basic('u:key-5').replace('Basic', 'basic') },
      { apiKey: 'key-5' },
    ],
    ['Bearer', { authorization: 'Bearer eyJ.a.b' }, { bearer: 'eyJ.a.b' }],
    ['x-api-key', { 'x-api-key': 'key-6' }, { apiKey: 'key-6' }],
    [
      'authorization before x-api-key',
      { authorization: 'key-7', 'x-api-key': 'key-8' },
      { apiKey: 'key-7' },
    ],
    [
      'a bearer and an x-api-key',
      { authorization: 'Bearer t', 'x-api-key': 'key-9' },
      { apiKey: 'key-9', bearer: 't' },
    ],
    ['nothing', {}, {}],
    ['an empty value', { authorization: '  ' }, {}],
    ['an empty bearer', { authorization: 'Bearer ' }, {}],
    ['Basic without a colon', { authorization: basic('nocolon') }, {}],
    ['Basic with an empty password', { authorization: basic('apikey:') }, {}],
    ['Basic that is not base64', { authorization: 'Basic ***' }, {}],
    ['a value over 8 KiB', { authorization: 'k'.repeat(8 * 1024 + 1) }, {}],
    ['an x-api-key over 8 KiB', { 'x-api-key': 'k'.repeat(8 * 1024 + 1) }, {}],
  ])('reads %s', (_name, entries, expected) => {
    expect(readCredentials(metadata(entries))).toEqual(expected);
  });

  it('reads what credentialsMetadata writes', () => {
    expect(readCredentials(credentialsMetadata('key-10'))).toEqual({ apiKey: 'key-10' });
  });
});
