const NOT_SHOWN = '(a URL that cannot be parsed; not shown)';

/**
 * A connection URL fit for a terminal or a log: its password replaced by `***`
 * (`redis://:***@cache:6379/0`). Text that is no URL is not shown at all, since it may hold a
 * password in a form the URL parser cannot find.
 */
export function maskedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return NOT_SHOWN;
  }
  // `host:6379 password=x` parses too, as an opaque URL of scheme `host:`: no authority part
  // means the parser found no password to mask, not that there is none.
  if (url.host === '') return NOT_SHOWN;
  if (url.password !== '') url.password = '***';
  // ioredis also reads options from the query (`?password=…`).
  for (const name of [...url.searchParams.keys()]) {
    if (name.toLowerCase().includes('pass')) url.searchParams.set(name, '***');
  }
  return url.href;
}
