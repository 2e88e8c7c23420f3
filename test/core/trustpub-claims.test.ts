import { describe, expect, it } from 'vitest';
import { type CiClaims, claimsProblem, configProblem, githubWorkflowFilename, gitlabWorkflowFilepath, matchConfigs, type PublisherConfig } from '../../src/core/trustpub-claims.js';

describe('workflow names from claims', () => {
  it.each([
    ['foo/bar/.github/workflows/basic.yml@refs/heads/main', 'basic.yml'],
    ['foo/bar/.github/workflows/basic.yaml@refs/heads/main', 'basic.yaml'],
    ['foo/bar/.github/workflows/nested.yml@evil.yml@refs/heads/main', 'nested.yml@evil.yml'],
    ['foo/bar/.github/workflows/basic.yml@refs/heads/misleading@branch.yml', 'basic.yml'],
    ['foo/bar/.github/workflows/basic.wrongsuffix@refs/heads/main', null],
    ['foo/bar/.github/workflows/.yml@refs/heads/main', null],
    ['foo/bar/.github/workflows/main.yml', null],
  ])('GitHub %s -> %s', (ref, expected) => {
    expect(githubWorkflowFilename(ref)).toBe(expected);
  });

  it.each([
    ['gitlab.com/foo/bar//.gitlab-ci.yml@refs/heads/main', '.gitlab-ci.yml'],
    ['gitlab.com/foo/bar//ci/release.yaml@refs/tags/v1', 'ci/release.yaml'],
    ['gitlab.com/foo/bar//foo.yml@bar.yml@/some/ref', 'foo.yml@bar.yml'],
    ['gitlab.com/foo/bar//somedir/.yaml@/some/ref', null],
    ['gitlab.com/foo/bar/no-double-slash.yml@main', null],
  ])('GitLab %s -> %s', (ref, expected) => {
    expect(gitlabWorkflowFilepath(ref)).toBe(expected);
  });
});

describe('configuration fields', () => {
  const github = { owner: 'octo-org', repo: 'octo.repo_1', workflow: 'release.yml', environment: null };
  it('accepts valid fields', () => {
    expect(configProblem('github', github)).toBeNull();
    expect(configProblem('gitlab', { owner: 'group/sub', repo: 'proj', workflow: 'ci/release.yml', environment: 'prod' })).toBeNull();
  });
  it.each([
    [{ ...github, owner: '' }, /`repository_owner` may not be empty/],
    [{ ...github, owner: 'octo_org' }, /not a valid GitHub owner/],
    [{ ...github, workflow: 'release.txt' }, /must end with `.yml` or `.yaml`/],
    [{ ...github, workflow: 'dir/release.yml' }, /file name only/],
    [{ ...github, environment: '' }, /may not be empty/],
    [{ ...github, environment: ' prod' }, /whitespace/],
    [{ ...github, environment: 'a;b' }, /control characters or any of/],
  ])('refuses %j', (fields, message) => {
    expect(configProblem('github', fields)).toMatch(message);
  });
});

describe('matching claims against configurations', () => {
  const claims: CiClaims = {
    kind: 'github',
    issuer: 'https://issuer.example',
    owner: 'Octo-Org',
    repo: 'Repo',
    path: 'Octo-Org/Repo',
    ownerId: '42',
    workflow: 'release.yml',
    environment: 'Production',
    ref: 'refs/heads/main',
    sha: 'abc',
    runId: '7',
    eventName: 'push',
    runUrl: null,
  };
  const config = (over: Partial<PublisherConfig>): PublisherConfig => ({
    id: 1,
    owner: 'octo-org',
    repo: 'repo',
    workflow: 'release.yml',
    environment: null,
    owner_id: null,
    // Every configuration is bound to an issuer when it is created.
    issuer: 'https://issuer.example',
    ...over,
  });

  it('matches on workflow, and on the environment only when one is configured (case-insensitively)', () => {
    const configs = [config({ id: 1 }), config({ id: 2, environment: 'production' }), config({ id: 3, environment: 'staging' })];
    expect(matchConfigs(claims, configs)).toEqual({ matched: [configs[0], configs[1]] });
  });

  it('names what was expected when nothing matches', () => {
    expect(matchConfigs(claims, [])).toEqual({ problem: expect.stringMatching(/no trusted publishing configuration names the repository `Octo-Org\/Repo`/) });
    expect(matchConfigs(claims, [config({ workflow: 'publish.yml' })])).toEqual({ problem: expect.stringMatching(/does not name the workflow `release.yml`.*expected `publish.yml`/) });
    expect(matchConfigs({ ...claims, environment: null }, [config({ environment: 'prod' })])).toEqual({ problem: expect.stringMatching(/requires an environment/) });
    expect(matchConfigs(claims, [config({ environment: 'prod' })])).toEqual({ problem: expect.stringMatching(/does not name the environment `Production`/) });
  });

  it('matches only the issuer a configuration was created for', () => {
    expect(matchConfigs(claims, [config({ issuer: 'https://company-ghes.example' })])).toEqual({ problem: expect.stringMatching(/another owner/) });
  });

  it('refuses an owner id or issuer other than the one pinned by the first exchange', () => {
    expect(matchConfigs(claims, [config({ owner_id: '41' })])).toEqual({ problem: expect.stringMatching(/first used by another owner/) });
    expect(matchConfigs(claims, [config({ owner_id: '42', issuer: 'https://other.example' })])).toEqual({ problem: expect.stringMatching(/another owner/) });
    expect(matchConfigs(claims, [config({ owner_id: '42', issuer: 'https://issuer.example' })])).toHaveProperty('matched');
  });

  it('refuses pull_request_target and workflow_run', () => {
    expect(claimsProblem({ ...claims, eventName: 'pull_request_target' })).toMatch(/`pull_request_target`/);
    expect(claimsProblem({ ...claims, eventName: 'workflow_run' })).toMatch(/`workflow_run`/);
    expect(claimsProblem(claims)).toBeNull();
  });
});
