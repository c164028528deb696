/**
 * One reconnect backoff for every loop that reconnects to a peer (key and revocation
 * streams, Redis, stream transports): capped exponential growth, jitter, reset on success.
 */
export { Backoff, type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export { ReconnectTimer, type ReconnectTimerOptions, type Timers } from './reconnect-timer.js';
