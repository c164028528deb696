/**
 * The small user directory FusionAuth's issue and reconcile flows need: users (looked up by
 * id, email or username within a tenant) and their registrations to applications.
 */

/** A user's registration to one application. */
export interface Registration {
  readonly id: string;
  readonly userId: string;
  readonly applicationId: string;
  readonly roles: readonly string[];
  readonly username: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Epoch ms. */
  readonly insertInstant: number;
  /** Epoch ms; 0 when never. */
  readonly lastLoginInstant: number;
}

/** A directory user, with the FusionAuth fields the JWT flows read and return. */
export interface User {
  readonly id: string;
  readonly tenantId: string;
  /** Stored lower-cased for lookup; '' when none. */
  readonly email: string;
  readonly username: string;
  readonly verified: boolean;
  readonly active: boolean;
  readonly firstName: string;
  readonly lastName: string;
  readonly fullName: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly insertInstant: number;
  readonly lastUpdateInstant: number;
  readonly lastLoginInstant: number;
  readonly registrations: readonly Registration[];
}

/** Which user to find. */
export type UserSelector =
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'email'; readonly email: string }
  | { readonly kind: 'username'; readonly username: string };

/** The directory port. */
export interface Directory {
  /**
   * Creates or replaces a user (registrations are kept as stored; use upsertRegistration).
   * Email and username are unique within a tenant: another user holding either is
   * TesseraError ALREADY_EXISTS. Returns the stored user with its registrations.
   */
  upsertUser(
    user: Omit<User, 'registrations' | 'insertInstant' | 'lastUpdateInstant'> & {
      insertInstant?: number;
    },
  ): Promise<User>;
  getUser(tenantId: string, selector: UserSelector): Promise<User | undefined>;
  /** Creates or replaces the user's registration for its application; USER_NOT_FOUND when no such user. */
  upsertRegistration(
    tenantId: string,
    registration: Omit<Registration, 'id' | 'insertInstant'> & { id?: string },
  ): Promise<Registration>;
}
