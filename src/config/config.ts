import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { CRATE_DELETION_POLICIES, type CrateDeletionPolicy } from '../core/crate-deletion.js';
import { DEFAULT_METADATA_LIMITS, type MetadataLimits } from '../core/publish-metadata.js';
import { domainList, oidcIssuerUrl, scopeList, stringList } from './oidc.js';
import { parseTrustedIssuers, type TrustedIssuer } from './trusted-issuers.js';
import { parsePreset, parseRateLimit, presetLimit, type RateLimit } from './rate-limits.js';
import { bucketName, bucketPath, checkStorage, keyPrefix } from './storage.js';

/**
 * Every setting Wharf reads, validated once at boot. Environment variables (WHARF_*) win over
 * the config file (wharf.toml, or the path in WHARF_CONFIG). Defaults are safe for one machine.
 */
export interface Config extends Readonly<MetadataLimits> {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** What clients see, without a trailing slash. */
  readonly publicUrl: string;
  readonly registryName: string;
  readonly maxCrateSize: number;
  readonly maxUnpackedSize: number;
  readonly authRequired: boolean;
  readonly logLevel: string;
  /** `json` lines for machines, `pretty` lines for people (the default when stdout is a terminal). */
  readonly logFormat: 'json' | 'pretty';
  /** How often batched download counts are written to the database. */
  readonly downloadFlushMs: number;
  /** Bytes of popular .crate files kept in memory for downloads (0: none). */
  readonly crateCacheBytes: number;
  readonly maxTokensPerUser: number;
  /** How often each instance polls for index changes made by other instances. */
  readonly changePollMs: number;
  /** PostgreSQL connection URL; null means the embedded SQLite database under dataDir. */
  readonly databaseUrl: string | null;
  /** Redis for the limits every instance shares; null keeps them in the database. */
  readonly redisUrl: string | null;
  /** Prefix of every key Wharf writes in Redis. */
  readonly redisPrefix: string;
  readonly databasePoolMax: number;
  /** Apply migrations at start (the default for SQLite); PostgreSQL deployments run `wharf migrate`. */
  readonly autoMigrate: boolean;
  /** Public keys (id -> PEM, ECDSA P-256) that sign leaked-token reports from a secret scanner. */
  readonly secretScanningKeys: Readonly<Record<string, string>>;
  /** Whether anyone may create an account on the web (off: accounts come from admins). */
  readonly allowSignup: boolean;
  /** Publish rate limits per user (null: unlimited); see rate-limits.ts. Admins are never limited. */
  readonly rateLimitPreset: string;
  readonly rateLimitNewCrates: RateLimit | null;
  readonly rateLimitNewVersions: RateLimit | null;
  readonly rateLimitYanks: RateLimit | null;
  /** A request must arrive whole within this time, and its headers within headersTimeoutMs (slow clients). */
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /**
   * The reverse proxies whose X-Forwarded-For is believed (addresses, CIDR ranges, or `loopback`,
   * `linklocal`, `uniquelocal`); empty: none, the client is the connection's peer.
   */
  readonly trustProxy: readonly string[];
  /** How long a sign-in or a re-entered password allows creating tokens and admin actions. */
  readonly reauthMinutes: number;
  /**
   * Who must have a second factor (services/factors/): `off`; `publishers` (tokens that may publish
   * need one); `everyone` (every sign-in without one goes to enrolment first).
   */
  readonly require2fa: 'off' | 'publishers' | 'everyone';
  /**
   * The upstream sparse index mirrored at /mirror/index/ (`https://index.crates.io/`, stored
   * without `sparse+` and with a trailing slash); null: no upstream is ever contacted.
   */
  readonly mirrorUpstream: string | null;
  /** Serve the mirror from its cache only (an air-gapped copy); never contact the upstream. */
  readonly mirrorOffline: boolean;
  /** Seconds a mirrored index file is served before it is revalidated with the upstream. */
  readonly mirrorIndexTtl: number;
  /** How long one upstream request (headers and body) may take before it is abandoned. */
  readonly mirrorTimeoutMs: number;
  /**
   * A folder that receives a static copy of the private index (services/static-index/): every
   * crate's file and its `.gz`, and `config.json`, for nginx or a CDN to serve; null: none.
   */
  readonly staticIndexDir: string | null;
  /**
   * Instead of a folder, a bucket (`BUCKET` or `BUCKET/PREFIX`) that receives the static copy,
   * reached with the s3_* service settings (endpoint, region, credentials); null: none.
   */
  readonly staticIndexBucket: string | null;
  /**
   * Where the static copy's `crates/` folder is served: when set, the copy also holds every
   * version's .crate (`crates/{name}/{version}/{sha256}.crate`) and its config.json's `dl` points there.
   */
  readonly staticDlBaseUrl: string | null;
  /** CI issuers whose OIDC tokens are exchanged for trusted-publishing tokens; empty: none. */
  readonly trustedIssuers: readonly TrustedIssuer[];
  /**
   * `cargo owner --add USER` invites the user, who becomes an owner on accepting (crates.io's
   * way); off: the user is added at once.
   */
  readonly ownerInvitations: boolean;
  /**
   * Who may delete a crate: `rfc3660` (crates.io's rule: its owners, within the grace period or
   * when it has one owner, few downloads and no dependents), `owners` (its owners, always, unless
   * another crate depends on it) or `admins` (administrators only). Administrators always may.
   */
  readonly crateDeletion: CrateDeletionPolicy;
  /** Hours after its first publish during which an owner may delete a crate under `rfc3660`. */
  readonly crateDeletionGraceHours: number;
  /** Under `rfc3660`, after the grace period: downloads allowed per started month of the crate's life. */
  readonly crateDeletionMonthlyDownloads: number;
  /** Hours a deleted crate's name stays reserved (nobody may publish it); 0: free at once. */
  readonly deletedNameReserveHours: number;
  /** The SMTP server mail is sent through (`smtp://` or `smtps://`, credentials allowed); null: no e-mail at all. */
  readonly smtpUrl: string | null;
  /** The From of every message. */
  readonly mailFrom: string;
  /** Serve README images from other hosts through /img/ (the CSP allows images from Wharf only). */
  readonly imageProxy: boolean;
  /** Let the image proxy reach loopback, private and link-local addresses (intranets, tests). */
  readonly imageProxyAllowPrivate: boolean;
  /** How long one proxied image (redirects, headers and body) may take. */
  readonly imageProxyTimeoutMs: number;
  /** Largest image the proxy passes on. */
  readonly imageProxyMaxBytes: number;
  /** Single sign-on (README "Single sign-on"): the OpenID Connect issuer; null: no single sign-on. */
  readonly oidcIssuer: string | null;
  readonly oidcClientId: string | null;
  /** From `oidc_client_secret`, or read from the file WHARF_OIDC_CLIENT_SECRET_FILE names. */
  readonly oidcClientSecret: string | null;
  readonly oidcClientSecretFile: string | null;
  readonly oidcScopes: readonly string[];
  /** The button reads "Sign in with NAME". */
  readonly oidcName: string;
  /** E-mail domains (verified by the provider) allowed to sign in; empty: any. */
  readonly oidcAllowedDomains: readonly string[];
  /** Groups (in `oidcGroupsClaim`) allowed to sign in; empty: any. */
  readonly oidcAllowedGroups: readonly string[];
  readonly oidcGroupsClaim: string;
  /** Members of these groups are admins; rights follow the groups at every sign-in. */
  readonly oidcAdminGroups: readonly string[];
  /** Whether a first sign-in creates the account (default: on when an allowed list is set). */
  readonly oidcAutoCreate: boolean;
  /** Password sign-in only for the logins in `oidcBreakGlassAdmins`; everyone else goes to the provider. */
  readonly oidcOnly: boolean;
  readonly oidcBreakGlassAdmins: readonly string[];
  /** Where .crate files live: `fs` (under dataDir) or `s3` (a bucket of any S3-compatible service; config/storage.ts). */
  readonly storage: 'fs' | 's3';
  readonly s3Bucket: string | null;
  /** Prepended to every key: empty, or ending with `/`. */
  readonly s3Prefix: string;
  readonly s3Region: string;
  /** The service's URL for anything but AWS S3 (MinIO, Ceph RGW, R2...); null: AWS's own. */
  readonly s3Endpoint: string | null;
  readonly s3ForcePathStyle: boolean;
  /** Both or neither; neither: the SDK's standard chain (environment, files, instance roles). */
  readonly s3AccessKeyId: string | null;
  readonly s3SecretAccessKey: string | null;
  /** Lifetime of a presigned download URL (`downloads = "redirect"`). */
  readonly s3PresignSeconds: number;
  /** `proxy`: Wharf sends the bytes; `redirect`: a 302 to a presigned URL of the bucket (needs s3). */
  readonly downloads: 'proxy' | 'redirect';
}

/** Whether /mirror/ is served: with an upstream, or offline from what was imported. */
export const mirrorEnabled = (config: Config): boolean => config.mirrorUpstream !== null || config.mirrorOffline;

type Source = Record<string, unknown>;

interface Setting {
  key: keyof Config;
  env: string;
  file: string;
  parse: (value: unknown) => unknown;
  fallback: (partial: Partial<Config>) => unknown;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const SETTINGS: Setting[] = [
  { key: 'host', env: 'WHARF_HOST', file: 'host', parse: nonEmptyString, fallback: () => '127.0.0.1' },
  { key: 'port', env: 'WHARF_PORT', file: 'port', parse: integerIn(0, 65535), fallback: () => 8000 },
  { key: 'dataDir', env: 'WHARF_DATA_DIR', file: 'data_dir', parse: (v) => resolve(nonEmptyString(v)), fallback: () => resolve('data') },
  {
    key: 'publicUrl',
    env: 'WHARF_PUBLIC_URL',
    file: 'public_url',
    parse: httpUrl,
    fallback: (c) => `http://${c.host?.includes(':') ? `[${c.host}]` : c.host}:${c.port}`,
  },
  { key: 'registryName', env: 'WHARF_REGISTRY_NAME', file: 'registry_name', parse: registryName, fallback: () => 'wharf' },
  { key: 'maxCrateSize', env: 'WHARF_MAX_CRATE_SIZE', file: 'max_crate_size', parse: byteSize, fallback: () => 10 * 1024 * 1024 },
  { key: 'maxUnpackedSize', env: 'WHARF_MAX_UNPACKED_SIZE', file: 'max_unpacked_size', parse: byteSize, fallback: () => 512 * 1024 * 1024 },
  ...metadataLimitSettings(),
  { key: 'authRequired', env: 'WHARF_AUTH_REQUIRED', file: 'auth_required', parse: boolean, fallback: () => false },
  { key: 'logLevel', env: 'WHARF_LOG_LEVEL', file: 'log_level', parse: oneOf(LOG_LEVELS), fallback: () => 'info' },
  { key: 'logFormat', env: 'WHARF_LOG_FORMAT', file: 'log_format', parse: oneOf(['json', 'pretty']), fallback: () => (process.stdout.isTTY ? 'pretty' : 'json') },
  { key: 'downloadFlushMs', env: 'WHARF_DOWNLOAD_FLUSH_MS', file: 'download_flush_ms', parse: integerIn(10, 3_600_000), fallback: () => 5000 },
  { key: 'crateCacheBytes', env: 'WHARF_CRATE_CACHE_BYTES', file: 'crate_cache_bytes', parse: byteSizeOrZero, fallback: () => 32 * 1024 * 1024 },
  { key: 'maxTokensPerUser', env: 'WHARF_MAX_TOKENS_PER_USER', file: 'max_tokens_per_user', parse: integerIn(1, 1_000_000), fallback: () => 500 },
  { key: 'changePollMs', env: 'WHARF_CHANGE_POLL_MS', file: 'change_poll_ms', parse: integerIn(10, 60_000), fallback: () => 250 },
  { key: 'databaseUrl', env: 'WHARF_DATABASE_URL', file: 'database_url', parse: postgresUrl, fallback: () => null },
  { key: 'databasePoolMax', env: 'WHARF_DATABASE_POOL_MAX', file: 'database_pool_max', parse: integerIn(1, 1000), fallback: () => 10 },
  { key: 'redisUrl', env: 'WHARF_REDIS_URL', file: 'redis_url', parse: redisUrl, fallback: () => null },
  { key: 'redisPrefix', env: 'WHARF_REDIS_PREFIX', file: 'redis_prefix', parse: nonEmptyString, fallback: () => 'wharf:' },
  { key: 'autoMigrate', env: 'WHARF_AUTO_MIGRATE', file: 'auto_migrate', parse: boolean, fallback: (c) => !c.databaseUrl },
  { key: 'secretScanningKeys', env: 'WHARF_SECRET_SCANNING_KEYS', file: 'secret_scanning_keys', parse: publicKeys, fallback: () => ({}) },
  { key: 'allowSignup', env: 'WHARF_ALLOW_SIGNUP', file: 'allow_signup', parse: boolean, fallback: () => false },
  { key: 'rateLimitPreset', env: 'WHARF_RATE_LIMIT_PRESET', file: 'rate_limit_preset', parse: parsePreset, fallback: () => 'default' },
  { key: 'rateLimitNewCrates', env: 'WHARF_RATE_LIMIT_NEW_CRATES', file: 'rate_limit_new_crates', parse: parseRateLimit, fallback: (c) => presetLimit(c.rateLimitPreset, 'newCrates') },
  { key: 'rateLimitNewVersions', env: 'WHARF_RATE_LIMIT_NEW_VERSIONS', file: 'rate_limit_new_versions', parse: parseRateLimit, fallback: (c) => presetLimit(c.rateLimitPreset, 'newVersions') },
  { key: 'rateLimitYanks', env: 'WHARF_RATE_LIMIT_YANKS', file: 'rate_limit_yanks', parse: parseRateLimit, fallback: (c) => presetLimit(c.rateLimitPreset, 'yanks') },
  { key: 'requestTimeoutMs', env: 'WHARF_REQUEST_TIMEOUT_MS', file: 'request_timeout_ms', parse: integerIn(1000, 3_600_000), fallback: () => 120_000 },
  { key: 'headersTimeoutMs', env: 'WHARF_HEADERS_TIMEOUT_MS', file: 'headers_timeout_ms', parse: integerIn(500, 600_000), fallback: () => 30_000 },
  { key: 'trustProxy', env: 'WHARF_TRUST_PROXY', file: 'trust_proxy', parse: proxyList, fallback: () => [] },
  { key: 'reauthMinutes', env: 'WHARF_REAUTH_MINUTES', file: 'reauth_minutes', parse: integerIn(1, 1440), fallback: () => 15 },
  { key: 'require2fa', env: 'WHARF_REQUIRE_2FA', file: 'require_2fa', parse: oneOf(['off', 'publishers', 'everyone']), fallback: () => 'off' },
  { key: 'mirrorUpstream', env: 'WHARF_MIRROR_UPSTREAM', file: 'mirror_upstream', parse: sparseIndexUrl, fallback: () => null },
  { key: 'mirrorOffline', env: 'WHARF_MIRROR_OFFLINE', file: 'mirror_offline', parse: boolean, fallback: () => false },
  { key: 'mirrorIndexTtl', env: 'WHARF_MIRROR_INDEX_TTL', file: 'mirror_index_ttl', parse: integerIn(0, 86_400), fallback: () => 60 },
  { key: 'mirrorTimeoutMs', env: 'WHARF_MIRROR_TIMEOUT_MS', file: 'mirror_timeout_ms', parse: integerIn(100, 600_000), fallback: () => 30_000 },
  { key: 'staticIndexDir', env: 'WHARF_STATIC_INDEX_DIR', file: 'static_index_dir', parse: (v) => resolve(nonEmptyString(v)), fallback: () => null },
  { key: 'staticIndexBucket', env: 'WHARF_STATIC_INDEX_BUCKET', file: 'static_index_bucket', parse: bucketPath, fallback: () => null },
  { key: 'staticDlBaseUrl', env: 'WHARF_STATIC_DL_BASE_URL', file: 'static_dl_base_url', parse: httpUrl, fallback: () => null },
  { key: 'imageProxy', env: 'WHARF_IMAGE_PROXY', file: 'image_proxy', parse: boolean, fallback: () => true },
  { key: 'imageProxyAllowPrivate', env: 'WHARF_IMAGE_PROXY_ALLOW_PRIVATE', file: 'image_proxy_allow_private', parse: boolean, fallback: () => false },
  { key: 'imageProxyTimeoutMs', env: 'WHARF_IMAGE_PROXY_TIMEOUT_MS', file: 'image_proxy_timeout_ms', parse: integerIn(100, 600_000), fallback: () => 10_000 },
  { key: 'imageProxyMaxBytes', env: 'WHARF_IMAGE_PROXY_MAX_BYTES', file: 'image_proxy_max_bytes', parse: byteSize, fallback: () => 5 * 1024 * 1024 },
  { key: 'trustedIssuers', env: 'WHARF_TRUSTED_PUBLISHING_ISSUERS', file: 'trusted_publishing', parse: parseTrustedIssuers, fallback: () => [] },
  { key: 'ownerInvitations', env: 'WHARF_OWNER_INVITATIONS', file: 'owner_invitations', parse: boolean, fallback: () => true },
  { key: 'crateDeletion', env: 'WHARF_CRATE_DELETION', file: 'crate_deletion', parse: oneOf([...CRATE_DELETION_POLICIES]), fallback: () => 'rfc3660' },
  { key: 'crateDeletionGraceHours', env: 'WHARF_CRATE_DELETION_GRACE_HOURS', file: 'crate_deletion_grace_hours', parse: integerIn(0, 87_600), fallback: () => 72 },
  {
    key: 'crateDeletionMonthlyDownloads',
    env: 'WHARF_CRATE_DELETION_MONTHLY_DOWNLOADS',
    file: 'crate_deletion_monthly_downloads',
    parse: integerIn(0, 1_000_000_000),
    fallback: () => 1000,
  },
  { key: 'deletedNameReserveHours', env: 'WHARF_DELETED_NAME_RESERVE_HOURS', file: 'deleted_name_reserve_hours', parse: integerIn(0, 87_600), fallback: () => 24 },
  { key: 'smtpUrl', env: 'WHARF_SMTP_URL', file: 'smtp_url', parse: smtpUrl, fallback: () => null },
  { key: 'mailFrom', env: 'WHARF_MAIL_FROM', file: 'mail_from', parse: mailFrom, fallback: (c) => `Wharf <wharf@${new URL(c.publicUrl ?? 'http://localhost').hostname.replace(/^\[|\]$/g, '')}>` },
  { key: 'oidcIssuer', env: 'WHARF_OIDC_ISSUER', file: 'oidc_issuer', parse: oidcIssuerUrl, fallback: () => null },
  { key: 'oidcClientId', env: 'WHARF_OIDC_CLIENT_ID', file: 'oidc_client_id', parse: nonEmptyString, fallback: () => null },
  { key: 'oidcClientSecret', env: 'WHARF_OIDC_CLIENT_SECRET', file: 'oidc_client_secret', parse: nonEmptyString, fallback: () => null },
  { key: 'oidcClientSecretFile', env: 'WHARF_OIDC_CLIENT_SECRET_FILE', file: 'oidc_client_secret_file', parse: nonEmptyString, fallback: () => null },
  { key: 'oidcScopes', env: 'WHARF_OIDC_SCOPES', file: 'oidc_scopes', parse: scopeList, fallback: () => ['openid', 'profile', 'email'] },
  { key: 'oidcName', env: 'WHARF_OIDC_NAME', file: 'oidc_name', parse: nonEmptyString, fallback: () => 'single sign-on' },
  { key: 'oidcAllowedDomains', env: 'WHARF_OIDC_ALLOWED_DOMAINS', file: 'oidc_allowed_domains', parse: domainList, fallback: () => [] },
  { key: 'oidcAllowedGroups', env: 'WHARF_OIDC_ALLOWED_GROUPS', file: 'oidc_allowed_groups', parse: stringList, fallback: () => [] },
  { key: 'oidcGroupsClaim', env: 'WHARF_OIDC_GROUPS_CLAIM', file: 'oidc_groups_claim', parse: nonEmptyString, fallback: () => 'groups' },
  { key: 'oidcAdminGroups', env: 'WHARF_OIDC_ADMIN_GROUPS', file: 'oidc_admin_groups', parse: stringList, fallback: () => [] },
  {
    key: 'oidcAutoCreate',
    env: 'WHARF_OIDC_AUTO_CREATE',
    file: 'oidc_auto_create',
    parse: boolean,
    fallback: (c) => (c.oidcAllowedDomains?.length ?? 0) > 0 || (c.oidcAllowedGroups?.length ?? 0) > 0,
  },
  { key: 'oidcOnly', env: 'WHARF_OIDC_ONLY', file: 'oidc_only', parse: boolean, fallback: () => false },
  { key: 'oidcBreakGlassAdmins', env: 'WHARF_OIDC_BREAK_GLASS_ADMINS', file: 'oidc_break_glass_admins', parse: stringList, fallback: () => [] },
  { key: 'storage', env: 'WHARF_STORAGE', file: 'storage', parse: oneOf(['fs', 's3']), fallback: () => 'fs' },
  { key: 's3Bucket', env: 'WHARF_S3_BUCKET', file: 's3_bucket', parse: bucketName, fallback: () => null },
  { key: 's3Prefix', env: 'WHARF_S3_PREFIX', file: 's3_prefix', parse: keyPrefix, fallback: () => '' },
  { key: 's3Region', env: 'WHARF_S3_REGION', file: 's3_region', parse: nonEmptyString, fallback: () => 'us-east-1' },
  { key: 's3Endpoint', env: 'WHARF_S3_ENDPOINT', file: 's3_endpoint', parse: s3EndpointUrl, fallback: () => null },
  { key: 's3ForcePathStyle', env: 'WHARF_S3_FORCE_PATH_STYLE', file: 's3_force_path_style', parse: boolean, fallback: () => false },
  { key: 's3AccessKeyId', env: 'WHARF_S3_ACCESS_KEY_ID', file: 's3_access_key_id', parse: nonEmptyString, fallback: () => null },
  { key: 's3SecretAccessKey', env: 'WHARF_S3_SECRET_ACCESS_KEY', file: 's3_secret_access_key', parse: nonEmptyString, fallback: () => null },
  { key: 's3PresignSeconds', env: 'WHARF_S3_PRESIGN_SECONDS', file: 's3_presign_seconds', parse: integerIn(10, 3600), fallback: () => 300 },
  { key: 'downloads', env: 'WHARF_DOWNLOADS', file: 'downloads', parse: oneOf(['proxy', 'redirect']), fallback: () => 'proxy' },
];

/** Each setting's names, in the order Wharf reads them (for the sample file and its test). */
export const SETTING_NAMES: readonly { key: keyof Config; env: string; file: string }[] = SETTINGS.map(({ key, env, file }) => ({ key, env, file }));

/** The value every setting takes when neither the file nor the environment sets it. */
export function defaultSettings(): Partial<Config> {
  const result: Partial<Config> = {};
  for (const setting of SETTINGS) (result as Record<string, unknown>)[setting.key] = setting.fallback(result);
  return result;
}

/** The publish metadata bounds (core/publish-metadata.ts), one setting each: `max_features` is WHARF_MAX_FEATURES. */
function metadataLimitSettings(): Setting[] {
  const ranges: Record<keyof MetadataLimits, [number, number]> = {
    maxFeatures: [1, 1_000_000],
    maxDependencies: [0, 1_000_000],
    maxKeywords: [0, 10_000],
    maxKeywordLength: [1, 10_000],
    maxCategories: [0, 10_000],
    maxDescriptionLength: [1, 1024 * 1024],
    maxFeatureNameLength: [1, 1024 * 1024],
  };
  return Object.entries(ranges).map(([key, [min, max]]) => {
    const file = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return {
      key: key as keyof MetadataLimits,
      env: `WHARF_${file.toUpperCase()}`,
      file,
      parse: integerIn(min, max),
      fallback: () => DEFAULT_METADATA_LIMITS[key as keyof MetadataLimits],
    };
  });
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Loads the configuration from the environment and the optional file; throws ConfigError listing every bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const file = readConfigFile(env, problems);
  const knownFileKeys = new Set(SETTINGS.map((s) => s.file));
  for (const key of Object.keys(file)) {
    if (!knownFileKeys.has(key)) problems.push(`config file: unknown setting \`${key}\``);
  }

  const result: Partial<Config> = {};
  for (const setting of SETTINGS) {
    const record = result as Record<string, unknown>;
    if (setting.key in overrides) {
      record[setting.key] = overrides[setting.key];
      continue;
    }
    const fromEnv = env[setting.env];
    const [origin, raw] =
      fromEnv !== undefined && fromEnv !== '' ? [setting.env, fromEnv] : [`${setting.file} (config file)`, file[setting.file]];
    if (raw === undefined) {
      // A default derived from a setting that was refused (public_url from a bad port) cannot be
      // worked out; the refusal is what to report.
      try {
        record[setting.key] = setting.fallback(result);
      } catch (err) {
        if (problems.length === 0) throw err;
      }
      continue;
    }
    try {
      record[setting.key] = setting.parse(raw);
    } catch (err) {
      problems.push(`${origin}: ${(err as Error).message}`);
    }
  }
  checkOidc(result, problems);
  checkStorage(result, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const config = result as Config;
  const publicUrl = config.publicUrl.replace(/\/+$/, '');
  // An issuer's audience defaults to the registry's own URL, known only once public_url is read.
  const trustedIssuers = Object.freeze(config.trustedIssuers.map((i) => Object.freeze({ ...i, audience: i.audience ?? publicUrl })));
  const staticDlBaseUrl = config.staticDlBaseUrl?.replace(/\/+$/, '') ?? null;
  return Object.freeze({ ...config, publicUrl, trustedIssuers, staticDlBaseUrl });
}

/** Single sign-on needs a client id, reads its secret from a file when asked, and cannot lock everyone out. */
function checkOidc(c: Partial<Config>, problems: string[]): void {
  const record = c as Record<string, unknown>;
  if (c.oidcClientSecret == null && c.oidcClientSecretFile) {
    try {
      record.oidcClientSecret = readFileSync(c.oidcClientSecretFile, 'utf8').trim() || null;
      if (record.oidcClientSecret === null) problems.push(`WHARF_OIDC_CLIENT_SECRET_FILE: the file ${c.oidcClientSecretFile} is empty`);
    } catch (err) {
      problems.push(`WHARF_OIDC_CLIENT_SECRET_FILE: cannot read ${c.oidcClientSecretFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (c.oidcIssuer && !c.oidcClientId) problems.push('oidc_client_id: must be set when oidc_issuer is');
  if (c.oidcOnly && !c.oidcIssuer) problems.push('oidc_only: needs oidc_issuer (otherwise no one could sign in)');
}

function readConfigFile(env: NodeJS.ProcessEnv, problems: string[]): Source {
  const explicit = env.WHARF_CONFIG;
  const path = resolve(explicit ?? 'wharf.toml');
  if (!existsSync(path)) {
    if (explicit) problems.push(`WHARF_CONFIG: the file ${path} does not exist`);
    return {};
  }
  try {
    return parseToml(readFileSync(path, 'utf8')) as Source;
  } catch (err) {
    problems.push(`config file ${path}: ${(err as Error).message.split('\n')[0]}`);
    return {};
  }
}

function nonEmptyString(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new Error('must be a non-empty string');
  return v.trim();
}

function integerIn(min: number, max: number) {
  return (v: unknown): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`must be an integer from ${min} to ${max}, got \`${String(v)}\``);
    return n;
  };
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** A byte count, as a number or a string such as `10MB` or `512 MiB` (binary units); also read by the CLI. */
export function byteSize(v: unknown): number {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim().toLowerCase() : '';
  const m = /^(\d+)\s*([a-z]*)$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2] ?? ''] : undefined;
  if (!m || unit === undefined) throw new Error(`must be a size such as 10485760 or 10MB, got \`${String(v)}\``);
  const n = Number(m[1]) * unit;
  if (n < 1024 || n > 4 * 1024 ** 3) throw new Error(`must be between 1KB and 4GB, got \`${String(v)}\``);
  return n;
}

/** A size as `byteSize` reads it, or 0 to turn something off. */
function byteSizeOrZero(v: unknown): number {
  return v === 0 || (typeof v === 'string' && v.trim() === '0') ? 0 : byteSize(v);
}

function boolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
  }
  throw new Error(`must be true or false, got \`${String(v)}\``);
}

function httpUrl(v: unknown): string {
  const s = nonEmptyString(v);
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new Error(`must be an absolute http(s) URL, got \`${s}\``);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`must be an http(s) URL, got \`${s}\``);
  if (url.search || url.hash) throw new Error(`must not have a query or fragment, got \`${s}\``);
  return s;
}

/**
 * The S3 service's address. Credentials in it would be printed wherever the endpoint is named (the
 * log, `wharf check`), and the SDK ignores them anyway; they are refused without being echoed.
 */
function s3EndpointUrl(v: unknown): string {
  const s = nonEmptyString(v);
  let url: URL | null = null;
  try {
    url = new URL(s);
  } catch {
    // httpUrl says what is wrong with it.
  }
  if (url && (url.username !== '' || url.password !== '')) {
    throw new Error('must not hold a user name or password (`user:password@`); set s3_access_key_id and s3_secret_access_key instead');
  }
  return httpUrl(s);
}

/** A sparse index URL, with or without cargo's `sparse+`; kept as plain http(s) with a trailing slash. */
function sparseIndexUrl(v: unknown): string {
  const url = httpUrl(nonEmptyString(v).replace(/^sparse\+/, ''));
  return url.endsWith('/') ? url : `${url}/`;
}

function postgresUrl(v: unknown): string {
  const s = nonEmptyString(v);
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new Error('must be a URL such as postgres://user@host:5432/wharf');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error(`must be a postgres:// URL, got \`${url.protocol}\``);
  if (url.pathname.length <= 1) throw new Error('must name a database, e.g. postgres://user@host:5432/wharf');
  return s;
}

/** A parser of server URLs with a plain and a TLS scheme (`smtp`/`smtps`, `redis`/`rediss`) that must name their host. */
function serverUrl(scheme: string, server: string, examples: string) {
  return (v: unknown): string => {
    const s = nonEmptyString(v);
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new Error(`must be a URL such as ${examples}`);
    }
    if (url.protocol !== `${scheme}:` && url.protocol !== `${scheme}s:`) throw new Error(`must be an ${scheme}:// or ${scheme}s:// URL, got \`${url.protocol}\``);
    if (!url.hostname) throw new Error(`must name the ${server} host`);
    return s;
  };
}

function smtpUrl(v: unknown): string {
  return serverUrl('smtp', 'SMTP', 'smtps://user:password@mail.example.com:465 or smtp://127.0.0.1:25')(v);
}

function redisUrl(v: unknown): string {
  return serverUrl('redis', 'Redis', 'redis://127.0.0.1:6379 or rediss://user:password@redis.example.com:6380/0')(v);
}

/** An address, alone (`wharf@example.com`) or with a display name (`Wharf <wharf@example.com>`). */
function mailFrom(v: unknown): string {
  const s = nonEmptyString(v);
  if (!/^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(s)) throw new Error(`must be an address such as \`Wharf <wharf@example.com>\`, got \`${s}\``);
  return s;
}

/** A database URL safe to print: the password is replaced. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function registryName(v: unknown): string {
  const s = nonEmptyString(v);
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(s)) throw new Error(`must be a cargo registry name (letters, digits, - and _), got \`${s}\``);
  return s;
}

/** A table (or, from the environment, a JSON object) of key id -> PEM public key on the P-256 curve. */
function publicKeys(v: unknown): Record<string, string> {
  let table = v;
  if (typeof v === 'string') {
    try {
      table = JSON.parse(v);
    } catch {
      throw new Error('must be a JSON object of key id to PEM public key');
    }
  }
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw new Error('must be a table of key id to PEM public key');
  const out: Record<string, string> = {};
  for (const [id, pem] of Object.entries(table)) {
    try {
      const key = createPublicKey(String(pem));
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not P-256');
    } catch {
      throw new Error(`key \`${id}\` is not a PEM ECDSA P-256 public key`);
    }
    out[id] = String(pem);
  }
  return out;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** A comma-separated string (or a TOML array) of proxy addresses and CIDR ranges. */
function proxyList(v: unknown): string[] {
  const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : null;
  if (!items) throw new Error('must be a list of proxy addresses, e.g. `127.0.0.1, 10.0.0.0/8`');
  const list = items.map((item) => item.trim()).filter((item) => item !== '');
  for (const item of list) {
    if (PROXY_NAMES.includes(item)) continue;
    const [address = '', bits, ...rest] = item.split('/');
    const family = isIP(address);
    const maxBits = family === 4 ? 32 : 128;
    if (family === 0 || rest.length > 0 || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits))) {
      throw new Error(`\`${item}\` is not an IP address, a CIDR range or one of ${PROXY_NAMES.join(', ')}`);
    }
  }
  return list;
}

function oneOf(values: string[]) {
  return (v: unknown): string => {
    if (typeof v !== 'string' || !values.includes(v)) throw new Error(`must be one of ${values.join(', ')}, got \`${String(v)}\``);
    return v;
  };
}
