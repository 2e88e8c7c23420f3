/**
 * Trusted publishing, the pure part: the fields of a crate's trusted publisher, the claims of a
 * CI platform's OIDC token, and which configurations those claims satisfy. Matching follows
 * crates.io: owner and repository compare case-insensitively, the workflow exactly, and an
 * environment only when the configuration names one (case-insensitively).
 */
export type TrustpubKind = 'github' | 'gitlab';

/** A configuration as matching sees it: GitHub owner/repository or GitLab namespace/project. */
export interface PublisherConfig {
  id: number;
  owner: string;
  repo: string;
  workflow: string;
  environment: string | null;
  /** The owner's (GitHub) or namespace's (GitLab) numeric id, pinned on the first exchange. */
  owner_id: string | null;
  issuer: string | null;
}

/** What a verified token says about the CI job, the same for both platforms. */
export interface CiClaims {
  kind: TrustpubKind;
  issuer: string;
  owner: string;
  repo: string;
  /** `owner/repo` (GitHub `repository`, GitLab `project_path`). */
  path: string;
  ownerId: string;
  workflow: string;
  environment: string | null;
  ref: string | null;
  sha: string;
  /** GitHub's `run_id`, GitLab's `job_id`. */
  runId: string;
  eventName: string | null;
  /** Where the CI platform shows the run or job, when known. */
  runUrl: string | null;
}

/** crates.io's `trustpub_data`, with the workflow, ref and environment besides. */
export type TrustpubData = (
  | { provider: 'github'; repository: string; run_id: string }
  | { provider: 'gitlab'; project_path: string; job_id: string }
) & { sha: string; workflow: string; ref: string | null; environment: string | null; run_url: string | null };

/** Events whose workflows run with the base repository's rights on code from elsewhere. */
const FORBIDDEN_EVENTS = ['pull_request_target', 'workflow_run'];

const MAX_FIELD = 255;

export const matchKey = (owner: string, repo: string): string => `${owner}/${repo}`.toLowerCase();

/** The workflow file of a GitHub `workflow_ref` (`owner/repo/.github/workflows/release.yml@refs/heads/main`). */
export function githubWorkflowFilename(workflowRef: string): string | null {
  // Leftmost and greedy, like crates.io: a `@` or `.yml` inside the ref after the file name does
  // not move the match, and a file name holding `@` is kept whole.
  return /([^/]+\.(?:yml|yaml))@.+/.exec(workflowRef)?.[1] ?? null;
}

/** The CI file path of a GitLab `ci_config_ref_uri` (`gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main`). */
export function gitlabWorkflowFilepath(refUri: string): string | null {
  const start = refUri.indexOf('//');
  if (start === -1) return null;
  const rest = refUri.slice(start + 2);
  const end = rest.lastIndexOf('@');
  if (end === -1) return null;
  const path = rest.slice(0, end);
  if (!path.endsWith('.yml') && !path.endsWith('.yaml')) return null;
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base === '.yml' || base === '.yaml' ? null : path;
}

/** Why a configuration's fields cannot be stored, or null. `workflow` is a file name (GitHub) or a path (GitLab). */
export function configProblem(kind: TrustpubKind, c: { owner: string; repo: string; workflow: string; environment: string | null }): string | null {
  const [ownerName, repoName, workflowName] = kind === 'github' ? ['repository_owner', 'repository_name', 'workflow_filename'] : ['namespace', 'project', 'workflow_filepath'];
  for (const [name, value] of [[ownerName, c.owner], [repoName, c.repo], [workflowName, c.workflow]] as const) {
    if (value === '') return `\`${name}\` may not be empty`;
    if (value.length > MAX_FIELD) return `\`${name}\` is longer than ${MAX_FIELD} characters`;
  }
  const ownerRe = kind === 'github' ? /^[A-Za-z0-9][A-Za-z0-9-]*$/ : /^[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/;
  if (!ownerRe.test(c.owner)) return `\`${ownerName}\` \`${c.owner}\` is not a valid ${kind === 'github' ? 'GitHub owner' : 'GitLab namespace'}`;
  if (!/^[A-Za-z0-9_.-]+$/.test(c.repo)) return `\`${repoName}\` \`${c.repo}\` is not a valid ${kind === 'github' ? 'repository name' : 'project name'}`;
  if (!c.workflow.endsWith('.yml') && !c.workflow.endsWith('.yaml')) return `\`${workflowName}\` must end with \`.yml\` or \`.yaml\``;
  if (kind === 'github' && c.workflow.includes('/')) return '`workflow_filename` must be a file name only, without directories';
  if (kind === 'gitlab' && (c.workflow.startsWith('/') || c.workflow.split('/').some((p) => p === '..'))) return '`workflow_filepath` must be a path inside the project';
  if (c.environment !== null) {
    if (c.environment === '') return '`environment` may not be empty (use null to omit it)';
    if (c.environment.length > MAX_FIELD) return `\`environment\` is longer than ${MAX_FIELD} characters`;
    if (c.environment !== c.environment.trim()) return '`environment` may not start or end with whitespace';
    if (/[\x00-\x1f\x7f'"`,;\\]/.test(c.environment)) return '`environment` may not hold control characters or any of \' " ` , ; \\';
  }
  return null;
}

/** A refusal of the claims before any configuration is read, or null. */
export function claimsProblem(claims: CiClaims): string | null {
  if (claims.eventName !== null && FORBIDDEN_EVENTS.includes(claims.eventName)) {
    return `trusted publishing does not accept tokens of \`${claims.eventName}\` workflows, which can run code from outside the repository; publish on \`push\`, \`release\` or \`workflow_dispatch\``;
  }
  return null;
}

/**
 * The configurations (all naming the claims' repository) that the claims satisfy, or the reason
 * none does, naming what was expected. A configuration whose owner id or issuer was pinned by an
 * earlier exchange matches only the same again, so a deleted and re-created owner of the same
 * name cannot publish.
 */
export function matchConfigs<T extends PublisherConfig>(claims: CiClaims, configs: readonly T[]): { matched: T[] } | { problem: string } {
  const repo = `\`${claims.path}\``;
  if (configs.length === 0) return { problem: `no trusted publishing configuration names the repository ${repo}` };
  let left = configs.filter((c) => (c.owner_id === null || c.owner_id === claims.ownerId) && c.issuer === claims.issuer);
  if (left.length === 0) {
    return {
      problem: `the trusted publishing configurations of ${repo} were first used by another owner (id ${configs.map((c) => c.owner_id).join(', ')}, issuer ${configs.map((c) => c.issuer).join(', ')}), not id ${claims.ownerId} of ${claims.issuer}; an owner of the crate must re-create the configuration`,
    };
  }
  const byWorkflow = left.filter((c) => c.workflow === claims.workflow);
  if (byWorkflow.length === 0) {
    return { problem: `the trusted publishing configuration of ${repo} does not name the workflow \`${claims.workflow}\` of this token; expected ${list(left.map((c) => c.workflow))}` };
  }
  left = byWorkflow;
  const env = claims.environment?.toLowerCase() ?? null;
  const byEnv = left.filter((c) => c.environment === null || (env !== null && c.environment.toLowerCase() === env));
  if (byEnv.length === 0) {
    const expected = list(left.map((c) => c.environment ?? ''));
    return {
      problem:
        claims.environment === null
          ? `the trusted publishing configuration of ${repo} requires an environment, and this token has none; expected ${expected}`
          : `the trusted publishing configuration of ${repo} does not name the environment \`${claims.environment}\` of this token; expected ${expected}`,
    };
  }
  return { matched: byEnv };
}

const list = (items: string[]): string => [...new Set(items)].map((i) => `\`${i}\``).join(', ');

export function trustpubData(claims: CiClaims): TrustpubData {
  const common = { sha: claims.sha, workflow: claims.workflow, ref: claims.ref, environment: claims.environment, run_url: claims.runUrl };
  return claims.kind === 'github'
    ? { provider: 'github', repository: claims.path, run_id: claims.runId, ...common }
    : { provider: 'gitlab', project_path: claims.path, job_id: claims.runId, ...common };
}

/** The repository, commit, workflow and run of a trusted publish, for people to read. */
export function describeProvenance(d: TrustpubData): string {
  const [path, run] = d.provider === 'github' ? [d.repository, `run ${d.run_id}`] : [d.project_path, `job ${d.job_id}`];
  return `published from ${path}@${d.sha.slice(0, 7)} by workflow ${d.workflow}${d.environment ? ` (environment ${d.environment})` : ''}, ${run}`;
}
