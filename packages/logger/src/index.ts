/**
 * The one logger of every tessera service: pino, JSON lines, ISO timestamps, and secrets
 * redacted by path so that no token, key, API key, Authorization header or cookie reaches a
 * log (README, Token rules). Log with structured fields from trusted values; when a token must be
 * identified, log `redactToken(token)`.
 */
export type { DestinationStream, Logger } from 'pino';
export { createLogger, type LoggerOptions, REDACTION_CENSOR } from './create-logger.js';
export { redactToken } from './redact-token.js';
export { REDACTED_PATHS } from './redacted-paths.js';
