import { generateApiKey, hashApiKey, loadRealmWithKeys, realmWarnings } from '@tessera/config';
import type { Command } from 'commander';

/** `tessera realm check` and `tessera apikey …`: operator checks before a deploy. */
export function registerRealmCommands(program: Command, out: (line: string) => void): void {
  program
    .command('realm')
    .description('realm file tools')
    .command('check')
    .description(
      'validate a realm file and its key file together; exits non-zero naming every problem, and prints warnings (exit 0) for weaknesses such as a guessable keyHash',
    )
    .argument('<file>', 'realm file (YAML)')
    .action(async (file: string) => {
      const { realm, keyring } = await loadRealmWithKeys(file);
      const doc = realm.document;
      out(`${realm.source}: valid (${doc.mode})`);
      out(`  tenants: ${doc.tenants.map((t) => `${t.name} ${t.id}`).join(', ')}`);
      out(
        `  applications: ${doc.applications.length}, API keys: ${doc.apiKeys.length}, identity providers: ${doc.identityProviders.length}`,
      );
      out(
        `  keys (${realm.keysFile}): ${keyring.keys.map((k) => `${k.kid} ${k.alg} ${k.state}`).join(', ')}`,
      );
      // Warnings leave the exit status at 0: the realm is valid, only weaker than it could be.
      for (const warning of realmWarnings(realm)) out(`  warning: ${warning}`);
    });

  const apikey = program.command('apikey').description('API key tools');
  apikey
    .command('generate')
    .description('print a new random API key and the keyHash to put in the realm file')
    .action(() => {
      const key = generateApiKey();
      out(`key:     ${key}`);
      out(`keyHash: ${hashApiKey(key)}`);
    });
  apikey
    .command('hash')
    .description('print the keyHash of an API key, given as the argument or on standard input')
    .argument(
      '[key]',
      'the API key (omit to read it from standard input, which keeps it out of shell history)',
    )
    // Keys made elsewhere may start with '-'; they are the operand here, never an option.
    .allowUnknownOption()
    .action(async (key: string | undefined) => {
      const text = key ?? (await readStdin()).trim();
      if (text === '') throw new Error('no API key given');
      out(hashApiKey(text));
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
