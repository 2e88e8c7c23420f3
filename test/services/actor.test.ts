import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { ENDPOINT_SCOPES, type EndpointScope } from '../../src/core/scopes.js';
import { type Actor, requireScope } from '../../src/services/actor.js';

function actor(token: Actor['token']): Actor {
  return { userId: 7, login: 'alice', name: 'Alice', isAdmin: false, token };
}

function withToken(scopes: EndpointScope[], cratePatterns: string[]): Actor {
  return actor({ id: 3, scopes, cratePatterns });
}

/** The error requireScope throws, or undefined when it lets the actor through. */
function refusal(a: Actor, scope: EndpointScope, crate?: string): AppError | undefined {
  try {
    requireScope(a, scope, crate);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  return undefined;
}

describe('requireScope', () => {
  it('lets a browser session (no token) do everything, on any crate', () => {
    const session = actor(null);
    for (const scope of ENDPOINT_SCOPES) {
      expect(refusal(session, scope)).toBeUndefined();
      expect(refusal(session, scope, 'any-crate')).toBeUndefined();
    }
  });

  it.each<[string, EndpointScope[], EndpointScope]>([
    ['a yank-only token publishing', ['yank'], 'publish-new'],
    ['a publish-new token publishing an update', ['publish-new'], 'publish-update'],
    ['a publish token changing owners', ['publish-new', 'publish-update'], 'change-owners'],
    ['a read token yanking', ['read'], 'yank'],
  ])('refuses %s with 403 naming the missing scope', (_, scopes, needed) => {
    const error = refusal(withToken(scopes, ['*']), needed, 'foo');
    expect(error?.status).toBe(403);
    expect(error?.code).toBe('forbidden');
    expect(error?.detail).toContain(`\`${needed}\``);
    for (const s of scopes) expect(error?.detail).toContain(s);
  });

  it.each<[string[], string]>([
    [['foo*'], 'bar'],
    [['foo-bar'], 'foo-baz'],
    [['serde', 'tokio*'], 'rand'],
    [['foo-*'], 'foobar'],
  ])('refuses a token limited to %j on %j with 403 naming the patterns and the crate', (patterns, crate) => {
    const error = refusal(withToken(['publish-update'], patterns), 'publish-update', crate);
    expect(error?.status).toBe(403);
    for (const p of patterns) expect(error?.detail).toContain(`\`${p}\``);
    expect(error?.detail).toContain(`\`${crate}\``);
  });

  it('checks the scope before the crate: a token lacking both is told about the scope', () => {
    const error = refusal(withToken(['read'], ['foo']), 'yank', 'bar');
    expect(error?.detail).toContain('`yank`');
    expect(error?.detail).not.toContain('`bar`');
  });

  it.each<[EndpointScope[], string[], EndpointScope, string | undefined]>([
    [['publish-new'], ['*'], 'publish-new', 'anything'],
    [['publish-update', 'yank'], ['foo*'], 'yank', 'foo'],
    [['publish-update'], ['foo*'], 'publish-update', 'Foo-Bar'],
    [['change-owners'], ['bar', 'foo-bar'], 'change-owners', 'foo_bar'],
    // Without a crate only the scope is checked.
    [['read'], ['foo'], 'read', undefined],
  ])('lets %j on %j do %s on %j', (scopes, patterns, scope, crate) => {
    expect(refusal(withToken(scopes, patterns), scope, crate)).toBeUndefined();
  });
});
