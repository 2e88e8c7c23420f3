/**
 * What each setting of wharf.toml means, for the generated sample file (`wharf config sample`,
 * wharf.example.toml). Keyed by the file key; a setting missing here fails the sample test, so the
 * sample cannot fall behind the settings Wharf reads.
 *
 * `example` is shown (commented out) for settings whose default is "not set" or is derived from
 * other settings; every other setting shows its real default, computed from config.ts.
 */
export interface SettingDoc {
  readonly doc: string;
  /** TOML for a setting without a literal default, e.g. `"https://index.crates.io/"`. */
  readonly example?: string;
}

export const SETTING_DOCS: Readonly<Record<string, SettingDoc>> = {
  host: { doc: 'Address to listen on. `::` listens on every IPv6 and IPv4 address.' },
  port: { doc: 'Port to listen on.' },
  data_dir: { doc: 'Folder of the SQLite database and the crate files (relative to the working directory; default ./data).', example: '"data"' },
  public_url: { doc: 'The URL clients see in the index, API and download links. Default: http://HOST:PORT.', example: '"https://crates.example.com"' },
  registry_name: { doc: 'The name printed in `--registry NAME` hints and the cargo configuration snippet.' },
  max_crate_size: { doc: 'Largest .crate upload, in bytes or with a unit (KB, MB, GB; binary units).' },
  max_unpacked_size: { doc: 'Largest unpacked size of a .crate.' },
  max_features: { doc: 'Features a crate may declare, and that one feature may enable (per-crate overrides: `wharf crate limits`).' },
  max_dependencies: { doc: 'Dependencies of one version.' },
  max_keywords: { doc: 'Keywords of one crate.' },
  max_keyword_length: { doc: 'Characters of one keyword.' },
  max_categories: { doc: 'Categories of one crate.' },
  max_description_length: { doc: 'Characters of a description.' },
  max_feature_name_length: { doc: 'Characters of a feature name.' },
  auth_required: { doc: 'Every read (index, downloads, search, crate pages) needs a token or a session: a private registry.' },
  log_level: { doc: 'fatal, error, warn, info, debug, trace or silent. Tokens and cookies are never logged.' },
  log_format: { doc: 'json (one JSON object per line) or pretty (for people); default: pretty when stdout is a terminal, else json.', example: '"json"' },
  download_flush_ms: { doc: 'How often batched download counts are written to the database, in milliseconds.' },
  crate_cache_bytes: {
    doc: 'Memory for popular .crate files, so their downloads cost what an index read does: a file enters on its second download and may take at most 1/32 of it. 0: every download reads storage.',
  },
  max_tokens_per_user: { doc: 'Live API tokens one user may hold.' },
  change_poll_ms: { doc: 'How often an instance checks for index changes made by other instances, in milliseconds.' },
  database_url: { doc: 'PostgreSQL instead of the embedded SQLite database. Not set by default.', example: '"postgres://wharf:secret@127.0.0.1:5432/wharf"' },
  redis_url: {
    doc: 'Redis for the limits all instances count together (login throttles, sign-up and publish rate limits, single-use form ids) instead of the database. Not set by default; when Redis does not answer, those requests get 503.',
    example: '"redis://127.0.0.1:6379/0"',
  },
  redis_prefix: { doc: 'Prefix of every key Wharf writes in Redis, so several registries can share one server.' },
  database_pool_max: { doc: 'PostgreSQL connections per instance.' },
  auto_migrate: { doc: 'Apply database migrations at start. Default: true on SQLite, false on PostgreSQL (run `wharf migrate`).', example: 'true' },
  secret_scanning_keys: {
    doc: 'Public keys (id = PEM, ECDSA P-256) of a secret scanner allowed to report leaked tokens. None by default.',
    example:
      '{ "key-1" = "-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEytVLMG19SdSBl7nEMe/6EiVdS4X/\\n01WB0Wxfy/unv8LwLGfekJPIBcfkG/Y4m2WYqDFdkHJ03m4VaiZ1nZssCA==\\n-----END PUBLIC KEY-----\\n" }',
  },
  allow_signup: { doc: 'Anyone may create an account at /signup; otherwise administrators create accounts.' },
  rate_limit_preset: { doc: 'Publish rate limits per user: default, crates-io or off.' },
  rate_limit_new_crates: { doc: 'New crates per user, e.g. "1 per 10 minutes, burst 5" or "off". Default: from the preset.', example: '"10 per second, burst 1000"' },
  rate_limit_new_versions: { doc: 'New versions per user. Default: from the preset.', example: '"30 per second, burst 1000"' },
  rate_limit_yanks: { doc: 'Yanks and unyanks per user. Default: from the preset.', example: '"30 per second, burst 1000"' },
  request_timeout_ms: { doc: 'A request (headers and body) must arrive within this time, in milliseconds, or the connection is closed.' },
  headers_timeout_ms: { doc: 'The request headers must arrive within this time, in milliseconds.' },
  trust_proxy: { doc: 'Reverse proxies whose X-Forwarded-For names the client: addresses, CIDR ranges, loopback, linklocal, uniquelocal.' },
  reauth_minutes: { doc: 'How long a sign-in or a re-entered password allows sensitive actions before it is asked again.' },
  mirror_upstream: { doc: 'The sparse index mirrored at /mirror/index/. Not set: no mirror and no outbound request.', example: '"https://index.crates.io/"' },
  mirror_offline: { doc: 'Serve the mirror from its cache only and never contact the upstream (an air-gapped copy).' },
  mirror_index_ttl: { doc: 'Seconds a mirrored index file is served before it is revalidated with the upstream.' },
  mirror_timeout_ms: { doc: 'Longest time one upstream request (headers and body) may take, in milliseconds.' },
  static_index_dir: {
    doc: 'A folder where every change also writes the crate\'s index file (and its .gz) and config.json, for nginx or a CDN to serve the index. Not set: no static copy in a folder (see static_index_bucket; set one of the two).',
    example: '"/srv/wharf-index"',
  },
  static_index_bucket: {
    doc: 'Instead of static_index_dir, a bucket that receives the static copy, as BUCKET or BUCKET/FOLDER, reached with the s3_* settings (endpoint, region, path style, credentials) whatever storage is; one PUT per file, each with its Content-Type and Cache-Control, for a CDN to serve. Not set: no copy in a bucket.',
    example: '"wharf-index/prod"',
  },
  static_dl_base_url: {
    doc: 'The URL at which the static copy\'s crates/ folder is served. Set: the copy also holds every .crate, at crates/NAME/VERSION/SHA256.crate, and config.json sends downloads there (uncounted by Wharf). Not set: downloads go to Wharf.',
    example: '"https://index.crates.example.com/crates"',
  },
  owner_invitations: { doc: '`cargo owner --add USER` invites the user, who must accept within 30 days; false: adds them at once.' },
  crate_deletion: { doc: 'Who may delete a crate: rfc3660 (crates.io\'s rule for owners), owners (any time unless depended on) or admins (administrators only).' },
  crate_deletion_grace_hours: { doc: 'Under rfc3660: hours after its first publish during which an owner may delete a crate.' },
  crate_deletion_monthly_downloads: { doc: 'Under rfc3660, after the grace period: downloads allowed per started month of the crate\'s life.' },
  deleted_name_reserve_hours: { doc: 'Hours the name of a deleted crate stays reserved; 0 frees it at once.' },
  image_proxy: { doc: 'Serve README images from other hosts through /img/ (signed URLs, size and time bounded); false: they are blocked by the page\'s policy.' },
  image_proxy_allow_private: { doc: 'Let the image proxy reach loopback, private and link-local addresses (an intranet); metadata addresses stay refused.' },
  image_proxy_timeout_ms: { doc: 'Longest time one proxied image (redirects, headers and body) may take, in milliseconds.' },
  image_proxy_max_bytes: { doc: 'Largest image the proxy passes on, in bytes or with a unit.' },
  smtp_url: { doc: 'The SMTP server mail is sent through (smtps://user:password@host:465 or smtp://host:587). Not set: no e-mail.', example: '"smtps://wharf:secret@mail.example.com:465"' },
  mail_from: { doc: 'The From of every message. Default: Wharf <wharf@HOST of public_url>.', example: '"Wharf <wharf@crates.example.com>"' },
  oidc_issuer: { doc: 'The OpenID Connect provider of single sign-on (https, or http on loopback). Not set: no single sign-on.', example: '"https://sso.example.com/realms/main"' },
  oidc_client_id: { doc: 'The client id registered at the provider.', example: '"wharf"' },
  oidc_client_secret: { doc: 'The client secret (or oidc_client_secret_file); without one Wharf is a public client using PKCE only.', example: '"change-me"' },
  oidc_client_secret_file: { doc: 'A file holding the client secret, instead of oidc_client_secret.', example: '"/run/secrets/wharf-oidc"' },
  oidc_scopes: { doc: 'Scopes asked of the provider (add offline_access for `wharf user sync-oidc`).' },
  oidc_name: { doc: 'The sign-in button reads "Sign in with NAME".' },
  oidc_allowed_domains: { doc: 'E-mail domains allowed to sign in (the provider must say the address is verified); empty: any.' },
  oidc_allowed_groups: { doc: 'Groups allowed to sign in; empty: any.' },
  oidc_groups_claim: { doc: 'The claim that lists a person\'s groups.' },
  oidc_admin_groups: { doc: 'Members of these groups are administrators, set again at every sign-in; empty: admin rights are managed in Wharf.' },
  oidc_auto_create: { doc: 'A first sign-in creates the account. Default: on when an allowed list is set.', example: 'true' },
  oidc_only: { doc: 'Turn password sign-in and sign-up off for everyone but oidc_break_glass_admins.' },
  oidc_break_glass_admins: { doc: 'Local logins that keep password sign-in on the ordinary /login form when oidc_only is on.' },
  require_2fa: { doc: 'Who must have a second factor: off, publishers (to create tokens that may publish) or everyone (sent to enrol at sign-in).' },
  storage: { doc: 'Where the .crate files live: fs (under data_dir) or s3 (a bucket of any S3-compatible service; README "Object storage").' },
  s3_bucket: { doc: 'The bucket of the crate files when storage = "s3".', example: '"wharf-crates"' },
  s3_prefix: { doc: 'A folder inside the bucket for every key (e.g. "wharf/"); empty: the bucket\'s root.' },
  s3_region: { doc: 'The region of the bucket (MinIO and most compatible services accept us-east-1).' },
  s3_endpoint: { doc: 'The URL of an S3-compatible service (MinIO, Ceph RGW, R2, GCS); not set: AWS S3 itself.', example: '"http://127.0.0.1:9000"' },
  s3_force_path_style: { doc: 'Address the bucket as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT (MinIO, most self-hosted services).' },
  s3_access_key_id: { doc: 'The access key; not set: the AWS SDK\'s standard chain (AWS_* variables, ~/.aws files, instance or container role).', example: '"AKIA..."' },
  s3_secret_access_key: { doc: 'The secret of s3_access_key_id (or WHARF_S3_SECRET_ACCESS_KEY); never logged.', example: '"change-me"' },
  s3_presign_seconds: { doc: 'Lifetime of a presigned download URL with downloads = "redirect", in seconds.' },
  downloads: { doc: 'proxy: Wharf sends the .crate bytes; redirect: a 302 to a presigned URL of the bucket, after the same checks and counted (needs storage = "s3").' },
  trusted_publishing: {
    doc: 'CI issuers whose OIDC tokens may be exchanged for short-lived publish tokens (url, kind = github | gitlab, audience: default public_url). None by default. In the environment: WHARF_TRUSTED_PUBLISHING_ISSUERS as a JSON array.',
    example: '[[trusted_publishing.issuers]]\nurl = "https://token.actions.githubusercontent.com"\nkind = "github"',
  },
};
