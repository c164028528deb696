/**
 * Input bounds shared by key loading and token verification (README, Security model: bounded input).
 */

/** The longest kid accepted anywhere, in characters; longer ones are hostile or broken. */
export const MAX_KID_LENGTH = 256;

/** The longest token the verifier reads by default, in characters; longer ones are refused unread. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;
