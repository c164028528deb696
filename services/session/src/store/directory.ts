/**
 * The small user directory FusionAuth's issue and reconcile flows need: users (looked up by
 * id, email, username or identity-provider link within a tenant) and their registrations to
 * applications.
 */

/**
 * A user's identity at an identity provider: the provider's id and the value of its unique
 * identity claim. Reconcile finds users by this link, so one provider can never sign in a
 * user another provider created.
 */
export interface IdentityLink {
  readonly identityProviderId: string;
  readonly subject: string;
}

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
  /** Links are only ever added (upsertUser's `identityLink`); in no particular order. */
  readonly identityLinks: readonly IdentityLink[];
}

/** Which user to find. */
export type UserSelector =
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'email'; readonly email: string }
  | { readonly kind: 'username'; readonly username: string }
  | { readonly kind: 'identity'; readonly link: IdentityLink };

/** What `Directory.upsertUser` takes. */
export type UserUpsert = Omit<
  User,
  'registrations' | 'identityLinks' | 'insertInstant' | 'lastUpdateInstant'
> & {
  insertInstant?: number;
  /** Also link this identity to the user (kept with the links it already has). */
  identityLink?: IdentityLink;
};

/** The directory port. */
export interface Directory {
  /**
   * Creates or replaces a user (registrations and identity links are kept as stored; use
   * upsertRegistration, and `identityLink` to add a link). Email, username and identity links
   * are unique within a tenant: another user holding one is TesseraError ALREADY_EXISTS
   * (field `user.email`, `user.username` or `identity_link`) and nothing is written. Returns
   * the stored user with its registrations and links.
   */
  upsertUser(user: UserUpsert): Promise<User>;
  getUser(tenantId: string, selector: UserSelector): Promise<User | undefined>;
  /** Creates or replaces the user's registration for its application; USER_NOT_FOUND when no such user. */
  upsertRegistration(
    tenantId: string,
    registration: Omit<Registration, 'id' | 'insertInstant'> & { id?: string },
  ): Promise<Registration>;
}
