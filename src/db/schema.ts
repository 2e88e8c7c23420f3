import type { ColumnType, Generated } from 'kysely';

/**
 * Table types. Kept dialect-neutral: timestamps are ISO-8601 UTC text, booleans are 0/1
 * integers and JSON is text, so SQLite and PostgreSQL store and return the same values.
 */
export interface UsersTable {
  id: Generated<number>;
  login: string;
  login_lower: string;
  name: string | null;
  email: string | null;
  is_admin: number;
  password_hash: string | null;
  locked_at: string | null;
  created_at: string;
  /** Set when an administrator deleted the account; the row stays for what refers to it. */
  deleted_at: string | null;
  /** When the owner of `email` followed its verification link (or an operator vouched for it); null: unverified. */
  email_verified_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface PasswordResetsTable {
  id: Generated<number>;
  user_id: number;
  /** SHA-256 of the link's secret. */
  token_hash: string;
  created_by: number | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface CratesTable {
  id: Generated<number>;
  name: string;
  /** Lowercase with `-` as `_`: the unique key that stops look-alike crates. */
  canonical_name: string;
  description: string | null;
  homepage: string | null;
  documentation: string | null;
  repository: string | null;
  readme: string | null;
  keywords: string;
  categories: string;
  downloads: number;
  created_at: string;
  updated_at: string;
  /** An administrator's override of `max_features` for this crate; null: the registry's. */
  max_features: ColumnType<number | null, number | null | undefined, number | null>;
  /** An administrator's override of `max_crate_size` for this crate; null: the registry's. */
  max_upload_size: ColumnType<number | null, number | null | undefined, number | null>;
  /** The summary of the crate's versions (core/version-order.ts), kept by publish and yank. */
  max_version: ColumnType<string, string | undefined, string>;
  max_stable_version: ColumnType<string | null, string | null | undefined, string | null>;
  newest_version: ColumnType<string, string | undefined, string>;
  default_version: ColumnType<string | null, string | null | undefined, string | null>;
  num_versions: ColumnType<number, number | undefined, number>;
  all_yanked: ColumnType<number, number | undefined, number>;
  /** 1: only trusted-publishing tokens may publish new versions (crates.io's `trustpub_only`). */
  trustpub_only: ColumnType<number, number | undefined, number>;
}

export interface VersionsTable {
  id: Generated<number>;
  crate_id: number;
  num: string;
  /** The version without build metadata: unique per crate. */
  num_no_build: string;
  checksum: string;
  features: string;
  links: string | null;
  rust_version: string | null;
  license: string | null;
  description: string | null;
  crate_size: number;
  yanked: number;
  downloads: number;
  published_by: number | null;
  created_at: string;
  updated_at: string;
  /** The owner's reason for a yank; null when none was given or the version is not yanked. */
  yank_message: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON: the CI claims of a trusted publish (crates.io's `trustpub_data`); null for a token of a user. */
  trustpub_data: ColumnType<string | null, string | null | undefined, string | null>;
  /** From the uploaded Cargo.toml and file list (migration 014); null for versions published before. */
  edition: ColumnType<string | null, string | null | undefined, string | null>;
  has_lib: ColumnType<number | null, number | null | undefined, number | null>;
  /** JSON array of the binaries' names. */
  bin_names: ColumnType<string | null, string | null | undefined, string | null>;
  homepage: ColumnType<string | null, string | null | undefined, string | null>;
  documentation: ColumnType<string | null, string | null | undefined, string | null>;
  repository: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON array of the version's keywords, and its README's path in the package (migration 021); null before. */
  keywords: ColumnType<string | null, string | null | undefined, string | null>;
  readme_file: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DependenciesTable {
  id: Generated<number>;
  version_id: number;
  /** The real package name. */
  name: string;
  /** The name used in Cargo.toml when the dependency is renamed. */
  explicit_name: string | null;
  req: string;
  features: string;
  optional: number;
  default_features: number;
  target: string | null;
  kind: string;
  registry: string | null;
}

export interface CrateOwnersTable {
  crate_id: number;
  user_id: number;
  created_at: string;
  created_by: number | null;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** SHA-256 of the token, hex. The token itself is never stored. */
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  /** JSON array of endpoint scopes; never empty-means-all. */
  scopes: string;
  /** JSON array of crate patterns (`*` = every crate). */
  crate_patterns: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  revoked_by: number | null;
}

/** A crate's keywords, lowercased, one row each; follows the crate's highest version. */
export interface CrateKeywordsTable {
  crate_id: number;
  keyword: string;
  created_at: string;
}

/** The registry's categories; `slug` is `parent::child` for a subcategory. */
export interface CategoriesTable {
  slug: string;
  category: string;
  description: string;
  created_at: string;
  /** Crates in the category or any below it; kept by `recountCategories`. */
  crates_cnt: ColumnType<number, number | undefined, number>;
}

export interface CrateCategoriesTable {
  crate_id: number;
  slug: string;
}

export interface VersionDownloadsTable {
  version_id: number;
  date: string;
  downloads: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  action: string;
  user_id: number | null;
  token_id: number | null;
  crate_name: string | null;
  version: string | null;
  detail: string | null;
  created_at: string;
}

export interface SessionsTable {
  id: Generated<number>;
  user_id: number;
  /** SHA-256 of the cookie value. */
  session_hash: string;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
  /** When the session last proved the password (its sign-in, or a re-authentication). */
  reauth_at: string | null;
  /** For the sessions list (migration 019): touched at most every few minutes. */
  last_seen_at: string | null;
  user_agent: string | null;
  address: string | null;
  /** How it signed in: `password`, `oidc`, `signup`... */
  method: string | null;
}

/** An OpenID Connect identity linked to one account. */
export interface OidcIdentitiesTable {
  id: Generated<number>;
  user_id: number;
  issuer: string;
  subject: string;
  email: string | null;
  /** The provider's refresh token, AES-256-GCM under a server key (sync-oidc uses it), or null. */
  refresh_token: string | null;
  created_at: string;
  last_login_at: string | null;
}

/** A form kept while its sender re-authenticates at the identity provider. */
export interface PendingFormsTable {
  id_hash: string;
  session_hash: string;
  action: string;
  /** JSON array of [name, value]. */
  fields: string;
  expires_at: string;
}

/** Secrets of the server itself, created once (random) and shared by every instance. */
export interface ServerSecretsTable {
  name: string;
  value: string;
  created_at: string;
}

export interface IndexChangesTable {
  id: Generated<number>;
  crate_name: string;
  created_at: string;
}

export interface ReadmesTable {
  version_id: number;
  /** `markdown` (sanitized HTML) or `plain` (escaped text with a note). */
  format: string;
  html: string;
  created_at: string;
}

/** An upstream index file as the upstream sent it (`name` lowercased). */
export interface MirrorIndexFilesTable {
  name: string;
  body: string;
  upstream_etag: string | null;
  upstream_last_modified: string | null;
  /** The upstream's last refusal (404, 410, 451) while the file is still served from here. */
  upstream_status: number | null;
  /** The last time the upstream confirmed or replaced the file. */
  checked_at: string;
  changed_at: string;
  /** The crate's name as its lines spell it; null for a file with no line. */
  display_name: string | null;
  /** The version a page shows first (`summarizeUpstreamIndex`). */
  latest_version: string | null;
  num_versions: number;
}

/** A verified upstream .crate file in the blob store (`name` lowercased). */
export interface MirrorCrateFilesTable {
  name: string;
  version: string;
  checksum: string;
  blob_key: string;
  size: number;
  downloads: Generated<number>;
  created_at: string;
}

/** A deleted crate; its name is reserved until `available_at` (migration 016). */
export interface DeletedCratesTable {
  id: Generated<number>;
  name: string;
  canonical_name: string;
  created_at: string;
  deleted_at: string;
  deleted_by: number | null;
  available_at: string;
  message: string | null;
}

/** A crate's trusted publisher: a GitHub repository and workflow, or a GitLab project and CI file. */
export interface TrustpubConfigsTable {
  id: Generated<number>;
  crate_id: number;
  kind: 'github' | 'gitlab';
  owner: string;
  repo: string;
  match_key: string;
  workflow: string;
  environment: string | null;
  owner_id: string | null;
  issuer: string | null;
  created_at: string;
  created_by: number | null;
}

export interface TrustpubTokensTable {
  id: Generated<number>;
  token_hash: string;
  crate_ids: string;
  config_ids: string;
  trustpub_data: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export interface TrustpubUsedJtisTable {
  jti: string;
  expires_at: string;
}

export interface CrateOwnerInvitationsTable {
  crate_id: number;
  invited_user_id: number;
  invited_by_user_id: number | null;
  token_hash: string;
  created_at: string;
  expires_at: string;
}

export interface TeamsTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  created_at: string;
}

export interface TeamMembersTable {
  team_id: number;
  user_id: number;
  created_at: string;
}

export interface CrateOwnerTeamsTable {
  crate_id: number;
  team_id: number;
  created_at: string;
  created_by: number | null;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  /** Unique: the same work (one mail about one event to one user) is queued once. */
  job_key: string;
  payload: string;
  state: 'pending' | 'done' | 'failed';
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  run_at: string;
  locked_by: string | null;
  locked_until: string | null;
  row_version: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface EmailVerificationsTable {
  token_hash: string;
  user_id: number;
  email: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface PublishNoticeOptoutsTable {
  user_id: number;
  crate_id: number;
}

export interface Database {
  users: UsersTable;
  crates: CratesTable;
  versions: VersionsTable;
  crate_keywords: CrateKeywordsTable;
  categories: CategoriesTable;
  crate_categories: CrateCategoriesTable;
  dependencies: DependenciesTable;
  crate_owners: CrateOwnersTable;
  api_tokens: ApiTokensTable;
  version_downloads: VersionDownloadsTable;
  audit_log: AuditLogTable;
  sessions: SessionsTable;
  password_resets: PasswordResetsTable;
  oidc_identities: OidcIdentitiesTable;
  pending_forms: PendingFormsTable;
  index_changes: IndexChangesTable;
  server_secrets: ServerSecretsTable;
  readmes: ReadmesTable;
  mirror_index_files: MirrorIndexFilesTable;
  mirror_crate_files: MirrorCrateFilesTable;
  deleted_crates: DeletedCratesTable;
  trustpub_configs: TrustpubConfigsTable;
  trustpub_tokens: TrustpubTokensTable;
  trustpub_used_jtis: TrustpubUsedJtisTable;
  crate_owner_invitations: CrateOwnerInvitationsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  crate_owner_teams: CrateOwnerTeamsTable;
  jobs: JobsTable;
  email_verifications: EmailVerificationsTable;
  publish_notice_optouts: PublishNoticeOptoutsTable;
  user_totp: UserTotpTable;
  recovery_codes: RecoveryCodesTable;
  webauthn_credentials: WebauthnCredentialsTable;
  auth_challenges: AuthChallengesTable;
  factor_resets: FactorResetsTable;
  shared_state: SharedStateTable;
}

/** Second factors (migration 020, services/factors/). */
export interface UserTotpTable {
  user_id: number;
  /** Encrypted with the server key (services/factors/secret-box.ts); never plaintext. */
  secret: string;
  confirmed_at: string | null;
  /** The last time step a code was accepted for: no code of it or before is accepted again. */
  last_step: ColumnType<number | string | null, number | null | undefined, number | null>;
  created_at: string;
}

export interface RecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  used_at: string | null;
  created_at: string;
}

export interface WebauthnCredentialsTable {
  id: Generated<number>;
  user_id: number;
  credential_id: string;
  public_key: string;
  counter: ColumnType<number | string, number, number>;
  transports: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

export interface AuthChallengesTable {
  key_hash: string;
  purpose: string;
  user_id: number | null;
  challenge: string | null;
  detail: string;
  expires_at: string;
}

export interface FactorResetsTable {
  user_id: number;
  reset_at: string;
}

/** Counts every instance shares (migration 026, services/shared-state/). */
export interface SharedStateTable {
  key: string;
  value: string;
  version: string;
  expires_at: string;
}
