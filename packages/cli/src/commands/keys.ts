import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomically } from '@tessera/config';
import {
  generateKeyEntry,
  type KeyFileEntry,
  Keyring,
  type KeyState,
  parseKeyFile,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  toKeyFileJson,
} from '@tessera/jwt-core';
import { type Command, Option } from 'commander';

function readEntries(file: string): KeyFileEntry[] {
  return parseKeyFile(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** Atomically: the issuer re-reads the file every second and must never see half of it. */
function writeEntries(file: string, entries: readonly KeyFileEntry[]): void {
  writeFileAtomically(file, `${JSON.stringify(toKeyFileJson(entries), null, 2)}\n`, {
    mode: 0o600,
  });
}

/** `tessera keys …`: create keys, publish their public halves, move them through their lifecycle. */
export function registerKeyCommands(program: Command, out: (line: string) => void): void {
  const keys = program
    .command('keys')
    .description('manage the signing-key file (a JWKS with private keys)');

  keys
    .command('generate')
    .description('generate a key and add it to a key file (created when missing)')
    .requiredOption('-f, --file <path>', 'key file')
    .addOption(
      new Option('-a, --alg <alg>', 'algorithm').choices(SIGNING_ALGORITHMS).default('ES256'),
    )
    .option('-k, --kid <kid>', 'key id (default: random)')
    .addOption(
      new Option('-s, --state <state>', 'lifecycle state')
        .choices(['next', 'current', 'retired'])
        .default('next'),
    )
    .action(
      async (options: { file: string; alg: SigningAlgorithm; kid?: string; state: KeyState }) => {
        const entries = existsSync(options.file) ? readEntries(options.file) : [];
        const entry = await generateKeyEntry(options.alg, {
          ...(options.kid ? { kid: options.kid } : {}),
          state: options.state,
        });
        if (entries.some((e) => e.kid === entry.kid))
          throw new Error(`key ${entry.kid} already exists in ${options.file}`);
        const next = [...entries, entry];
        await Keyring.fromEntries(next);
        writeEntries(options.file, next);
        out(`added ${entry.alg} key ${entry.kid} (${entry.state}) to ${options.file}`);
      },
    );

  keys
    .command('public')
    .description('print the public JWKS of a key file (HMAC keys are never published)')
    .requiredOption('-f, --file <path>', 'key file')
    .action(async (options: { file: string }) => {
      const keyring = await Keyring.fromEntries(readEntries(options.file));
      out(JSON.stringify(keyring.jwks(), null, 2));
    });

  keys
    .command('list')
    .description('list the keys of a key file')
    .requiredOption('-f, --file <path>', 'key file')
    .action(async (options: { file: string }) => {
      const keyring = await Keyring.fromEntries(readEntries(options.file));
      for (const key of keyring.keys) out(`${key.kid}\t${key.alg}\t${key.state}`);
    });

  keys
    .command('set-state')
    .description('move a key through its lifecycle (next → current → retired)')
    .requiredOption('-f, --file <path>', 'key file')
    .requiredOption('-k, --kid <kid>', 'key id')
    .addOption(
      new Option('-s, --state <state>', 'new state')
        .choices(['next', 'current', 'retired'])
        .makeOptionMandatory(),
    )
    .action(async (options: { file: string; kid: string; state: KeyState }) => {
      const entries = readEntries(options.file);
      if (!entries.some((e) => e.kid === options.kid))
        throw new Error(`no key ${options.kid} in ${options.file}`);
      const next = entries.map((e) => (e.kid === options.kid ? { ...e, state: options.state } : e));
      await Keyring.fromEntries(next);
      writeEntries(options.file, next);
      out(`key ${options.kid} is now ${options.state}`);
    });
}
