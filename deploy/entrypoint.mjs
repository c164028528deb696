#!/usr/bin/env node
// The image's entry point: `tessera <component> [args…]` runs one component's bundle in this
// process, so signals reach the component directly and no shell is needed at run time.
// The components are the ones image-tree.mjs wrote to components.json beside this file (one
// per bundle of the build), so a new service is a new subcommand without editing this file.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const EX_USAGE = 64;

/** @type {Record<string, string>} subcommand → bundle path, relative to this file's folder. */
const components = JSON.parse(readFileSync(new URL('./components.json', import.meta.url), 'utf8'));
const name = process.argv[2];

if (name === undefined || name === '--help' || name === '-h' || !Object.hasOwn(components, name)) {
  const usage = `usage: tessera <${Object.keys(components).join(' | ')}> [arguments]\n`;
  const known = name === undefined || name === '--help' || name === '-h';
  (known ? process.stdout : process.stderr).write(
    known ? usage : `tessera: unknown component ${JSON.stringify(name)}\n${usage}`,
  );
  process.exit(known ? 0 : EX_USAGE);
}

// The component sees its own arguments where a directly started script would: argv[2] on.
process.argv.splice(2, 1);
process.title = `tessera-${name}`;
await import(pathToFileURL(new URL(components[name], import.meta.url).pathname).href);
