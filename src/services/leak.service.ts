import { createPublicKey, verify } from 'node:crypto';
import { badRequest, unauthorized } from '../core/errors.js';
import { findUnstorable } from '../core/storable-text.js';
import { hashToken, isWellFormedToken, isWellFormedTrustpubToken } from '../core/token.js';
import { revokeLeakedTrustpubToken } from './trustpub/trustpub-token.service.js';
import { findTokenByHash } from '../db/repositories/token.repository.js';
import type { ServiceContext } from './context.js';
import { revokeToken } from './token.service.js';

/** One entry of a secret scanner's alert (GitHub's format). */
interface LeakReport {
  token: string;
  type: string;
  url: string;
  source: string;
}

export interface LeakVerdict {
  token_raw: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

const MAX_REPORTS = 1000;

/** Checks the scanner's ECDSA P-256 / SHA-256 signature over the exact request body. */
export function verifyScannerSignature(ctx: ServiceContext, body: Buffer, keyId: string | undefined, signature: string | undefined): void {
  const pem = keyId ? ctx.config.secretScanningKeys[keyId] : undefined;
  if (!pem || !signature) throw unauthorized('unknown key identifier or missing signature');
  let ok = false;
  try {
    ok = verify('sha256', body, createPublicKey(pem), Buffer.from(signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw unauthorized('the signature does not match the body');
}

function parseReports(body: Buffer): LeakReport[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('the body is not valid JSON');
  }
  const unstorable = findUnstorable(parsed);
  if (unstorable) throw badRequest(`the body: ${unstorable}`);
  if (!Array.isArray(parsed) || parsed.length > MAX_REPORTS) throw badRequest(`expected an array of at most ${MAX_REPORTS} reports`);
  return parsed.map((r, i) => {
    const o = r as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.token !== 'string') throw badRequest(`report ${i} has no \`token\` string`);
    const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 2000) : '');
    return { token: o.token, type: str(o.type), url: str(o.url), source: str(o.source) };
  });
}

/**
 * Handles a leak report: every reported token that this registry issued is revoked (if still
 * live) with the place it leaked as the reason, and called a true positive.
 */
export async function handleLeakReport(ctx: ServiceContext, body: Buffer): Promise<LeakVerdict[]> {
  const verdicts: LeakVerdict[] = [];
  for (const report of parseReports(body)) {
    if (isWellFormedTrustpubToken(report.token)) {
      const found = await revokeLeakedTrustpubToken(ctx, report.token, `reported as leaked at ${report.url || report.source || 'an unknown location'}`);
      verdicts.push({ token_raw: report.token, token_type: report.type, label: found ? 'true_positive' : 'false_positive' });
      continue;
    }
    const known = isWellFormedToken(report.token) ? await findTokenByHash(ctx.db, hashToken(report.token)) : undefined;
    if (known && !known.revoked_at) {
      const where = report.url || report.source || 'an unknown location';
      await revokeToken(ctx, { actor: null, via: 'secret-scanning' }, known.id, `reported as leaked at ${where}`);
    }
    verdicts.push({ token_raw: report.token, token_type: report.type, label: known ? 'true_positive' : 'false_positive' });
  }
  return verdicts;
}
