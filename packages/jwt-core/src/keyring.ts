/**
 * The issuer's signing keys, loaded from the keys file: every key admitted (strength, type,
 * private part) before anything is signed, public halves derived once for JWKS and PEM
 * publication, and verification keys pre-imported for the Validate RPC.
 */
import { TesseraError } from '@tessera/errors';
import { isSymmetric, type SigningAlgorithm } from './algorithms.js';
import {
  createJwsSigner,
  encodeSegment,
  type JwsSigner,
  signCompact,
  signWithHeaderSegment,
} from './jws-signer.js';
import { admitPrivateJwk } from './key-checks.js';
import type { KeyFileEntry, KeyState } from './key-file.js';
import {
  createVerificationKeySet,
  importForVerify,
  type VerificationKey,
  type VerificationKeySet,
} from './verification-keys.js';

/** A key of the keyring, as the rest of the issuer may see it: no private material. */
export interface KeyringKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly state: KeyState;
  /** True for HMAC keys, which are never published. */
  readonly symmetric: boolean;
  /** The public JWK with `kid`, `alg` and `use: "sig"`; undefined for HMAC. */
  readonly publicJwk: Readonly<Record<string, unknown>> | undefined;
  /** The public key as an SPKI PEM; undefined for HMAC. */
  readonly publicPem: string | undefined;
}

interface Slot {
  readonly key: KeyringKey;
  readonly signer: JwsSigner;
  /** The encoded header `{alg, kid, typ: "JWT"}` of sign(): the same for every token of the key. */
  readonly headerSegment: string;
}

/** The set of signing keys of a realm. Immutable: a reload builds a new Keyring. */
export class Keyring {
  /** Every key, in file order. */
  readonly keys: readonly KeyringKey[];
  readonly #slots: ReadonlyMap<string, Slot>;
  readonly #published: readonly KeyringKey[];
  readonly #verification: VerificationKeySet;

  private constructor(slots: readonly Slot[], verification: readonly VerificationKey[]) {
    this.keys = Object.freeze(slots.map((slot) => slot.key));
    this.#slots = new Map(slots.map((slot) => [slot.key.kid, slot]));
    this.#published = Object.freeze(this.keys.filter((key) => !key.symmetric));
    this.#verification = createVerificationKeySet(verification);
  }

  /**
   * Admits and imports keys. Refuses, with INVALID_ARGUMENT naming the kid: RSA moduli under
   * 2048 bits, HMAC secrets shorter than their hash output, a kty/crv its alg cannot use, an
   * asymmetric JWK without its private part, and duplicate kids.
   */
  static async fromEntries(entries: readonly KeyFileEntry[]): Promise<Keyring> {
    const slots: Slot[] = [];
    const verification: VerificationKey[] = [];
    const seen = new Set<string>();
    for (const [index, entry] of entries.entries()) {
      const origin = { kid: entry.kid, field: `keys[${index}]` };
      if (seen.has(entry.kid)) {
        throw new TesseraError('INVALID_ARGUMENT', `keys[${index}]: duplicate kid "${entry.kid}"`, {
          field: `keys[${index}].kid`,
          metadata: { kid: entry.kid },
        });
      }
      seen.add(entry.kid);
      if (entry.jwk.kid !== undefined && entry.jwk.kid !== entry.kid) {
        throw new TesseraError(
          'INVALID_ARGUMENT',
          `keys[${index}]: key "${entry.kid}" has a JWK whose kid is ${String(entry.jwk.kid)}`,
          { field: `keys[${index}].kid`, metadata: { kid: entry.kid } },
        );
      }
      const { privateKey, publicKey } = admitPrivateJwk(entry.jwk, entry.alg, origin);
      const publicJwk =
        publicKey === undefined
          ? undefined
          : Object.freeze({
              ...publicKey.export({ format: 'jwk' }),
              kid: entry.kid,
              alg: entry.alg,
              use: 'sig',
            });
      const publicPem =
        publicKey === undefined
          ? undefined
          : publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const key: KeyringKey = Object.freeze({
        kid: entry.kid,
        alg: entry.alg,
        state: entry.state,
        symmetric: isSymmetric(entry.alg),
        publicJwk,
        publicPem,
      });
      slots.push({
        key,
        signer: createJwsSigner(entry.alg, privateKey),
        headerSegment: encodeSegment({ alg: key.alg, kid: entry.kid, typ: 'JWT' }),
      });
      verification.push({
        kid: entry.kid,
        alg: entry.alg,
        key: await importForVerify(publicKey ?? privateKey, entry.alg),
      });
    }
    return new Keyring(slots, verification);
  }

  /** The key named `kid`, in any state. */
  get(kid: string): KeyringKey | undefined {
    return this.#slots.get(kid)?.key;
  }

  /** Keys that may be published for verification: non-HMAC, any state. */
  published(): readonly KeyringKey[] {
    return this.#published;
  }

  /** The public JWK Set of published keys, optionally limited to some kids (unknown ones are skipped). */
  jwks(kids?: readonly string[]): { keys: Record<string, unknown>[] } {
    const wanted = kids === undefined ? undefined : new Set(kids);
    return {
      keys: this.#published
        .filter((key) => wanted === undefined || wanted.has(key.kid))
        .map((key) => ({ ...key.publicJwk })),
    };
  }

  /**
   * Signs a payload with the named key, header `{alg, kid, typ: "JWT"}`. Refuses an unknown
   * or retired key with KEY_NOT_FOUND: a retired key only verifies the tokens it already signed.
   */
  async sign(kid: string, payload: Readonly<Record<string, unknown>>): Promise<string> {
    const slot = this.#signingSlot(kid);
    return signWithHeaderSegment(slot.signer, slot.headerSegment, payload);
  }

  /**
   * Signs with `header` laid over `{alg, kid}`, unchecked: any member, even `crit`, `jwk` or
   * another `kid`, goes into the protected header as given. For tools and tests that build
   * tokens the verifier must refuse; tokens are issued with sign(). Refuses unknown and
   * retired keys like sign().
   */
  async signWithHeader(
    kid: string,
    header: Readonly<Record<string, unknown>>,
    payload: Readonly<Record<string, unknown>>,
  ): Promise<string> {
    const slot = this.#signingSlot(kid);
    return signCompact(slot.signer, { alg: slot.key.alg, kid, ...header }, payload);
  }

  /** Verification keys for a TokenVerifier: every key in any state, HMAC included. */
  verificationKeys(): VerificationKeySet {
    return this.#verification;
  }

  #signingSlot(kid: string): Slot {
    const slot = this.#slots.get(kid);
    if (slot === undefined) {
      throw new TesseraError('KEY_NOT_FOUND', `no signing key "${kid}"`, { metadata: { kid } });
    }
    if (slot.key.state === 'retired') {
      throw new TesseraError('KEY_NOT_FOUND', `key "${kid}" is retired and no longer signs`, {
        metadata: { kid },
      });
    }
    return slot;
  }
}
