import { ENDPOINT_SCOPES } from '../../../core/scopes.js';
import { arrayOf, boolean, dateTime, integer, mapOf, named, nullable, object, type Schema, string } from './json-schema.js';

/**
 * The objects the crates.io-compatible API answers with, as Wharf sends them (services/*-doc.ts
 * build them). Field names and types follow crates.io's clients; what Wharf adds (a token's
 * `state`, a trusted publish's workflow) is listed too, so nothing is dropped on the way out.
 */

const nString = nullable(string);
const nDateTime = nullable(dateTime);
const day = { type: 'string', format: 'date' };

export const User = named('User', object({
  id: integer,
  login: string,
  name: nString,
  avatar: nString,
  url: string,
  created_at: dateTime,
  github_username_matches: boolean,
}));

export const AuthenticatedUser = named('AuthenticatedUser', object({
  ...(User.properties as Record<string, Schema>),
  email: nString,
  email_verified: boolean,
  email_verification_sent: boolean,
  is_admin: boolean,
  publish_notifications: boolean,
}));

/** A pending owner invitation: who was invited to which crate, by whom (null once that user is gone), until when. */
const invitationFields = {
  invitee_id: integer,
  inviter_id: nullable(integer),
  crate_id: integer,
  crate_name: string,
  created_at: dateTime,
  expires_at: dateTime,
};
export const CrateOwnerInvitation = named('CrateOwnerInvitation', object(invitationFields));
/** The same in `/api/v1/me/crate_owner_invitations`, which also names the inviter's login. */
export const CrateOwnerInvitationV1 = named('CrateOwnerInvitationV1', object({ ...invitationFields, invited_by_username: nString }));

export const Owner = named('Owner', object({ id: integer, login: string, name: nString, kind: string, url: nString, avatar: nString }));

export const CrateLinks = named('CrateLinks', object({
  version_downloads: string,
  versions: nString,
  owners: string,
  owner_team: string,
  owner_user: string,
  reverse_dependencies: string,
}));

export const Crate = named('Crate', object({
  id: string,
  name: string,
  description: nString,
  homepage: nString,
  documentation: nString,
  repository: nString,
  keywords: nullable(arrayOf(string)),
  categories: nullable(arrayOf(string)),
  badges: arrayOf({ type: 'object' }),
  versions: nullable(arrayOf(integer)),
  downloads: integer,
  recent_downloads: nullable(integer),
  created_at: dateTime,
  updated_at: dateTime,
  max_version: string,
  max_stable_version: nString,
  newest_version: string,
  default_version: nString,
  num_versions: integer,
  yanked: boolean,
  exact_match: boolean,
  trustpub_only: boolean,
  links: CrateLinks,
}));

export const VersionLinks = named('VersionLinks', object({ dependencies: string, version_downloads: string, authors: string }));

/** Where a trusted publish came from: crates.io's fields for each CI, plus the workflow, ref, environment and run page. */
const trustpubCommon = { sha: string, workflow: string, ref: nString, environment: nString, run_url: nString };
export const GitHubTrustpubData = named('GitHubTrustpubData', object({ provider: { type: 'string', enum: ['github'] }, repository: string, run_id: string, ...trustpubCommon }));
export const GitLabTrustpubData = named('GitLabTrustpubData', object({ provider: { type: 'string', enum: ['gitlab'] }, project_path: string, job_id: string, ...trustpubCommon }));

export const Version = named('Version', object({
  id: integer,
  crate: string,
  num: string,
  dl_path: string,
  readme_path: string,
  updated_at: dateTime,
  created_at: dateTime,
  downloads: integer,
  features: mapOf(arrayOf(string)),
  yanked: boolean,
  yank_message: nString,
  lib_links: nString,
  license: nString,
  links: VersionLinks,
  crate_size: integer,
  published_by: nullable(User),
  audit_actions: arrayOf(object({ action: string, user: User, time: dateTime })),
  checksum: string,
  rust_version: nString,
  has_lib: nullable(boolean),
  bin_names: nullable(arrayOf(string)),
  edition: nString,
  description: nString,
  homepage: nString,
  documentation: nString,
  repository: nString,
  trustpub_data: { oneOf: [{ type: 'null' }, GitHubTrustpubData, GitLabTrustpubData] },
}));

export const Dependency = named('Dependency', object({
  id: integer,
  version_id: integer,
  crate_id: string,
  req: string,
  optional: boolean,
  default_features: boolean,
  features: arrayOf(string),
  target: nString,
  kind: string,
  downloads: integer,
}));

export const Keyword = named('Keyword', object({ id: string, keyword: string, created_at: dateTime, crates_cnt: integer }));

const categoryFields = { id: string, category: string, slug: string, description: string, created_at: dateTime, crates_cnt: integer };
export const Category = named('Category', object(categoryFields));
/** One category as its own document shows it: with the categories below and above it. */
export const CategoryWithFamily = named('CategoryWithFamily', object({ ...categoryFields, subcategories: arrayOf(Category), parent_categories: arrayOf(Category) }));
export const Slug = named('Slug', object({ id: string, slug: string, description: string }));

export const VersionDownload = named('VersionDownload', object({ version: integer, downloads: integer, date: day }));
export const ExtraDownload = object({ date: day, downloads: integer });

export const ApiToken = named('ApiToken', object({
  id: integer,
  name: string,
  created_at: dateTime,
  last_used_at: nDateTime,
  expires_at: nDateTime,
  expired_at: nDateTime,
  endpoint_scopes: arrayOf({ type: 'string', enum: [...ENDPOINT_SCOPES] }),
  crate_scopes: arrayOf(string),
  state: { type: 'string', enum: ['active', 'expired', 'revoked'] },
  revoked_at: nDateTime,
  revoked_reason: nString,
}));
export const ApiTokenWithToken = named('ApiTokenWithToken', object({ ...(ApiToken.properties as Record<string, Schema>), token: string }));

export const PublishWarnings = named('PublishWarnings', object({ invalid_categories: arrayOf(string), invalid_badges: arrayOf(string), other: arrayOf(string) }));

/** A trusted publisher as crates.io names its fields; the owner id is learnt from the first token exchange. */
const configCommon = { id: integer, crate: string, environment: nString, issuer: nString, created_at: dateTime };
export const GitHubConfig = named('GitHubConfig', object({
  ...configCommon,
  repository_owner: string,
  repository_owner_id: nullable(integer),
  repository_name: string,
  workflow_filename: string,
}));
export const GitLabConfig = named('GitLabConfig', object({ ...configCommon, namespace: string, namespace_id: nString, project: string, workflow_filepath: string }));


