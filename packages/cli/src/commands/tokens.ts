import { credentials, type Metadata } from '@grpc/grpc-js';
import { type commonV1, issuerV1 } from '@tessera/contracts';
import { createChannelOptions, credentialsMetadata, unaryCall } from '@tessera/grpc-runtime';
import { type Command, Option } from 'commander';
import { EXIT } from '../exit-codes.js';
import { hostPort, integerIn } from '../option-parsers.js';

interface ConnectionOptions {
  address: string;
  apiKey: string;
  tenant?: string;
  deadline: number;
}

/** The longest lifetime `--ttl` accepts: ten years, the realm's own upper bound applies too. */
const MAX_TTL_SECONDS = 10 * 366 * 24 * 3600;

function connectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--address <host:port>', 'issuer address')
        .env('TESSERA_ISSUER_ADDRESS')
        .default('127.0.0.1:50051')
        .argParser(hostPort()),
    )
    .addOption(
      new Option('--api-key <key>', 'API key').env('TESSERA_API_KEY').makeOptionMandatory(),
    )
    .option('--tenant <id>', 'tenant id (optional with one tenant or a tenant-locked key)')
    .addOption(
      new Option('--deadline <ms>', 'call deadline in milliseconds (1–600000)')
        .default(5000)
        .argParser(integerIn(1, 600_000)),
    );
}

async function withClient<T>(
  options: ConnectionOptions,
  use: (client: issuerV1.IssuerServiceClient, metadata: Metadata, deadlineMs: number) => Promise<T>,
): Promise<T> {
  const client = new issuerV1.IssuerServiceClient(
    options.address,
    credentials.createInsecure(),
    createChannelOptions(),
  );
  try {
    return await use(client, credentialsMetadata(options.apiKey), options.deadline);
  } finally {
    client.close();
  }
}

/** `tessera vend` and `tessera validate`: talk to a running issuer. */
export function registerTokenCommands(program: Command, out: (line: string) => void): void {
  connectionOptions(
    program
      .command('vend')
      .description('vend a token with the given claims from a running issuer; prints the token')
      .option('--claims <json>', 'claims as a JSON object', '{}')
      .addOption(
        new Option('--ttl <seconds>', "lifetime in seconds (default 0: the tenant's)")
          .default(0)
          .argParser(integerIn(0, MAX_TTL_SECONDS)),
      )
      .option('--key-id <kid>', "sign with this key instead of the tenant's current key"),
  ).action(async (options: ConnectionOptions & { claims: string; ttl: number; keyId?: string }) => {
    const response = await withClient(options, (client, metadata, deadlineMs) =>
      unaryCall(
        client.vend.bind(client),
        {
          tenantId: options.tenant ?? '',
          claimsJson: options.claims,
          keyId: options.keyId ?? '',
          timeToLiveSeconds: options.ttl,
        },
        { deadlineMs, metadata },
      ),
    );
    out(response.token);
  });

  connectionOptions(
    program
      .command('validate')
      .description(
        'validate a token with a running issuer; prints the claims; exits 0 valid, 1 invalid, 3 issuer unavailable',
      )
      .argument('<token>', 'the token')
      .option('--audience <aud>', 'require this audience'),
  ).action(async (token: string, options: ConnectionOptions & { audience?: string }) => {
    const response = await withClient(options, (client, metadata, deadlineMs) =>
      unaryCall(
        client.validate.bind(client),
        { tenantId: options.tenant ?? '', token, audience: options.audience ?? '' },
        { deadlineMs, metadata },
      ),
    );
    if (response.valid) {
      out(
        JSON.stringify(
          {
            valid: true,
            keyId: response.keyId,
            tenantId: response.tenantId,
            claims: JSON.parse(response.claimsJson),
          },
          null,
          2,
        ),
      );
    } else {
      const reason = response.reason.replace(
        'VALIDATION_REASON_',
        '',
      ) as keyof typeof commonV1.ValidationReason;
      out(JSON.stringify({ valid: false, reason }, null, 2));
      process.exitCode = EXIT.INVALID;
    }
  });

  connectionOptions(
    program
      .command('session')
      .description(
        'start a session for a user (what an internal login service does): prints the tokens as JSON',
      )
      .requiredOption('--user <id>', 'the authenticated user id')
      .requiredOption('--application <id>', 'the application the session is for')
      .option('--authentication-type <type>', 'FusionAuth authenticationType', 'PASSWORD'),
  ).action(
    async (
      options: ConnectionOptions & {
        user: string;
        application: string;
        authenticationType: string;
      },
    ) => {
      const response = await withClient(options, (client, metadata, deadlineMs) =>
        unaryCall(
          client.startSession.bind(client),
          {
            tenantId: options.tenant ?? '',
            applicationId: options.application,
            userId: options.user,
            authenticationType: options.authenticationType,
            presenter: undefined,
            device: undefined,
            requestId: '',
            scopes: [],
            dataJson: '',
          },
          { deadlineMs, metadata },
        ),
      );
      out(
        JSON.stringify(
          {
            token: response.token,
            refreshToken: response.refreshToken,
            refreshTokenId: response.refreshTokenId,
            tokenExpirationInstant: Number(response.tokenExpirationInstant),
          },
          null,
          2,
        ),
      );
    },
  );
}
