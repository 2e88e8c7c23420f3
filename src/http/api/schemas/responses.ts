import { arrayOf, boolean, dateTime, integer, nullable, object, type Schema, string } from './json-schema.js';
import * as S from './shapes.js';

/**
 * The success answer of each crates.io-compatible route, given to Fastify as `schema.response`.
 * `reply(schema)` is the 200 answer; routes that answer 204 or a file describe that instead.
 */

export const reply = (schema: Schema) => ({ response: { 200: schema } });
export const noContent = { response: { 204: { description: 'No content', type: 'null' } } };

const totalMeta = object({ total: integer });
const pagedMeta = object({ total: integer, next_page: nullable(string) });

export const searchAnswer = object({
  crates: arrayOf(S.Crate),
  meta: object({ total: integer, next_page: nullable(string), prev_page: nullable(string) }),
});

/** The crate document: each part is null unless `include` asked for it. */
export const crateAnswer = object({
  crate: S.Crate,
  versions: nullable(arrayOf(S.Version)),
  keywords: nullable(arrayOf(S.Keyword)),
  categories: nullable(arrayOf(S.Category)),
});

export const versionsAnswer = object({ versions: arrayOf(S.Version), meta: pagedMeta });
export const versionAnswer = object({ version: S.Version });
export const dependenciesAnswer = object({ dependencies: arrayOf(S.Dependency) });
export const reverseDependenciesAnswer = object({ dependencies: arrayOf(S.Dependency), versions: arrayOf(S.Version), meta: totalMeta });
export const versionDownloadsAnswer = object({ version_downloads: arrayOf(S.VersionDownload) });
export const crateDownloadsAnswer = object(
  { version_downloads: arrayOf(S.VersionDownload), versions: arrayOf(S.Version), meta: object({ extra_downloads: arrayOf(S.ExtraDownload) }) },
  ['versions'],
);
export const authorsAnswer = object({ users: arrayOf(S.User), meta: object({ names: arrayOf(string) }) });
export const ownersAnswer = object({ users: arrayOf(S.Owner) });
export const teamsAnswer = object({ teams: arrayOf(S.Owner) });
export const ownersChangedAnswer = object({ ok: boolean, msg: string });
export const myInvitationsAnswer = object({ crate_owner_invitations: arrayOf(S.CrateOwnerInvitationV1), users: arrayOf(S.User) });
export const invitationsAnswer = object({ invitations: arrayOf(S.CrateOwnerInvitation), users: arrayOf(S.User), meta: object({ next_page: nullable(string) }) });
export const invitationAnsweredAnswer = object({ crate_owner_invitation: object({ crate_id: integer, accepted: boolean }) });
export const publishAnswer = object({ crate: S.Crate, warnings: S.PublishWarnings });

/** The crate file itself, or with `Accept: application/json` where to fetch it. */
export const downloadAnswer = {
  content: {
    'application/json': { schema: object({ url: string }) },
    'application/gzip': { schema: { type: 'string', format: 'binary' } },
  },
};
export const readmeAnswer = { content: { 'text/html': { schema: string } } };

export const keywordsAnswer = object({ keywords: arrayOf(S.Keyword), meta: totalMeta });
export const keywordAnswer = object({ keyword: S.Keyword });
export const categoriesAnswer = object({ categories: arrayOf(S.Category), meta: totalMeta });
export const categoryAnswer = object({ category: S.CategoryWithFamily });
export const categorySlugsAnswer = object({ category_slugs: arrayOf(S.Slug) });
export const userAnswer = object({ user: S.User });
export const meAnswer = object({ user: S.AuthenticatedUser, owned_crates: arrayOf(object({ id: integer, name: string, email_notifications: boolean })) });
export const myUpdatesAnswer = object({
  versions: arrayOf(object({ id: integer, crate: string, num: string, created_at: dateTime, yanked: boolean, checksum: string, crate_size: integer, dl_path: string })),
  meta: object({ more: boolean }),
});
export const summaryAnswer = object({
  num_crates: integer,
  num_downloads: integer,
  new_crates: arrayOf(S.Crate),
  most_downloaded: arrayOf(S.Crate),
  most_recently_downloaded: arrayOf(S.Crate),
  just_updated: arrayOf(S.Crate),
  popular_keywords: arrayOf(S.Keyword),
  popular_categories: arrayOf(S.Category),
});
export const siteMetadataAnswer = object({ deployed_sha: string, commit: string, cdn_base: string, read_only: boolean, banner_message: nullable(string) });

export const tokenAnswer = object({ api_token: S.ApiToken });
export const newTokenAnswer = object({ api_token: S.ApiTokenWithToken });
export const tokensAnswer = object({ api_tokens: arrayOf(S.ApiToken) });
export const tokensRevokedAnswer = object({ ok: boolean, revoked: integer });

export const trustpubTokenAnswer = object({ token: string });
export const trustpubConfigAnswer = {
  github: object({ github_config: S.GitHubConfig }),
  gitlab: object({ gitlab_config: S.GitLabConfig }),
};
export const trustpubConfigsAnswer = {
  github: object({ github_configs: arrayOf(S.GitHubConfig), meta: pagedMeta }),
  gitlab: object({ gitlab_configs: arrayOf(S.GitLabConfig), meta: pagedMeta }),
};
export const okAnswer = object({ ok: boolean });
