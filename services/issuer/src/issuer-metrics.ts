import { Counter, type Registry } from 'prom-client';

/** The issuer's own metrics, beside the RED metrics every gRPC server has. */
export interface IssuerMetrics {
  /** Tokens signed, by RPC. */
  readonly tokensIssued: Counter<'rpc'>;
  /** Validation outcomes: VALID or the reason code. */
  readonly validations: Counter<'result'>;
}

/** Registers the issuer's metrics in `registry`. */
export function createIssuerMetrics(registry: Registry): IssuerMetrics {
  return {
    tokensIssued: new Counter({
      name: 'tessera_tokens_issued_total',
      help: 'Tokens signed by the issuer, by RPC.',
      labelNames: ['rpc'],
      registers: [registry],
    }),
    validations: new Counter({
      name: 'tessera_token_validations_total',
      help: 'Token validations by outcome (VALID or the reason it failed).',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
