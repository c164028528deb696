import { createLogger } from '@tessera/logger';
import { describe, expect, it } from 'vitest';
import { defaultLogFormat, prettyLogLine } from '../src/start/pretty-log.js';

/** Lines exactly as a service's logger writes them. */
function serviceLines(write: (log: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  const log = createLogger({
    service: 'issuer',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line.trimEnd()) },
  });
  write(log);
  return lines;
}

describe('service log lines', () => {
  it('name their level ("level":"info"), not a number', () => {
    const [line] = serviceLines((log) => log.info({ port: 50051 }, 'issuer listening'));
    expect(JSON.parse(line ?? '')).toMatchObject({
      level: 'info',
      service: 'issuer',
      msg: 'issuer listening',
    });
    expect(line).toContain('"level":"info"');
  });
});

describe('prettyLogLine', () => {
  it('turns a JSON line into one readable line: time, level, service, message, fields', () => {
    const [line] = serviceLines((log) =>
      log.warn(
        { rpc: '/tessera.issuer.v1.IssuerService/Vend', code: 'OK', note: 'two words' },
        'rpc finished',
      ),
    );
    const pretty = prettyLogLine(line ?? '', { color: false });
    expect(pretty).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}issuer {2}rpc finished rpc=\/tessera\.issuer\.v1\.IssuerService\/Vend code=OK note="two words"$/,
    );
    expect(pretty).not.toContain('\n');
    expect(pretty).not.toContain('pid=');
  });

  it('keeps an error on the line as its type and message', () => {
    const [line] = serviceLines((log) => log.error({ err: new TypeError('bad thing') }, 'failed'));
    const pretty = prettyLogLine(line ?? '', { color: false });
    expect(pretty).toContain('ERROR issuer  failed err="TypeError: bad thing"');
    expect(pretty).not.toContain('\n');
  });

  it('colours the level only when asked', () => {
    const [line] = serviceLines((log) => log.info('hello'));
    expect(prettyLogLine(line ?? '', { color: true })).toContain('\u001b[32mINFO ');
    expect(prettyLogLine(line ?? '', { color: false })).not.toContain('\u001b[');
  });

  it('passes anything that is not a JSON object through untouched', () => {
    for (const line of ['Error: boom', '    at main (file.js:1:1)', '[1,2]', 'null', '{oops'])
      expect(prettyLogLine(line, { color: false })).toBe(line);
  });

  it('reads pino numeric levels too', () => {
    expect(prettyLogLine('{"level":50,"msg":"x","service":"gateway"}', { color: false })).toBe(
      'ERROR gateway x',
    );
  });

  it('is the default on a terminal only', () => {
    expect(defaultLogFormat(true)).toBe('pretty');
    expect(defaultLogFormat(false)).toBe('json');
    expect(defaultLogFormat(undefined)).toBe('json');
  });
});
