import { canonicalCrateName } from '../core/crate-name.js';
import type { MetadataLimits } from '../core/publish-metadata.js';
import { crateNotFound, badRequest } from '../core/errors.js';
import {
  findCrateByCanonicalName,
  highestLimitOverrides,
  updateLimitOverrides,
  uploadSizeOverrides,
  type CrateRow,
} from '../db/repositories/crate.repository.js';
import { recordAudit } from './audit.service.js';
import type { ServiceContext } from './context.js';
import type { Operator } from './token.service.js';

/** The limits one crate's uploads are held to: the administrator's override, else the registry's setting. */
export interface CrateLimits {
  maxFeatures: number;
  maxUploadSize: number;
  /** As on crates.io: never below the crate's upload limit. */
  maxUnpackedSize: number;
  /** Which of the two come from an override of this crate. */
  overridden: { maxFeatures: boolean; maxUploadSize: boolean };
}

export function limitsOf(ctx: ServiceContext, crate: Pick<CrateRow, 'max_features' | 'max_upload_size'> | undefined): CrateLimits {
  const maxFeatures = crate?.max_features ?? ctx.config.maxFeatures;
  const maxUploadSize = crate?.max_upload_size ?? ctx.config.maxCrateSize;
  return {
    maxFeatures,
    maxUploadSize,
    maxUnpackedSize: Math.max(ctx.config.maxUnpackedSize, maxUploadSize),
    overridden: { maxFeatures: crate?.max_features != null, maxUploadSize: crate?.max_upload_size != null },
  };
}

/**
 * The bounds an upload is read under before its crate is known: the registry's settings, raised
 * to the highest override any crate has (the crate's own limit is applied once its name is read).
 */
export async function uploadCeilings(
  ctx: ServiceContext,
): Promise<{ maxCrateSize: number; metadata: MetadataLimits; crateSizeLimit: (name: string) => number }> {
  const [highest, uploads] = await Promise.all([highestLimitOverrides(ctx.db), uploadSizeOverrides(ctx.db)]);
  return {
    maxCrateSize: Math.max(ctx.config.maxCrateSize, highest.maxUploadSize ?? 0),
    metadata: { ...pickMetadataLimits(ctx.config), maxFeatures: Math.max(ctx.config.maxFeatures, highest.maxFeatures ?? 0) },
    // So that the .crate part of an upload is held to its own crate's limit before it is buffered.
    crateSizeLimit: (name) => uploads.get(canonicalCrateName(name)) ?? ctx.config.maxCrateSize,
  };
}

function pickMetadataLimits(c: MetadataLimits): MetadataLimits {
  const { maxFeatures, maxDependencies, maxKeywords, maxKeywordLength, maxCategories, maxDescriptionLength, maxFeatureNameLength } = c;
  return { maxFeatures, maxDependencies, maxKeywords, maxKeywordLength, maxCategories, maxDescriptionLength, maxFeatureNameLength };
}

export async function getCrateLimits(ctx: ServiceContext, name: string): Promise<{ crate: string; limits: CrateLimits }> {
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  return { crate: crate.name, limits: limitsOf(ctx, crate) };
}

/** An override to set (a number), to clear (null: the registry's setting applies again) or to keep (undefined). */
export interface LimitChanges {
  maxFeatures?: number | null;
  maxUploadSize?: number | null;
}

const FEATURES_RANGE = [1, 1_000_000] as const;
const UPLOAD_RANGE = [1024, 4 * 1024 ** 3] as const;

/** Sets or clears one crate's overrides; audited. */
export async function setCrateLimits(ctx: ServiceContext, by: Operator, name: string, changes: LimitChanges): Promise<{ crate: string; limits: CrateLimits }> {
  checkRange('the feature limit', changes.maxFeatures, FEATURES_RANGE);
  checkRange('the upload size limit', changes.maxUploadSize, UPLOAD_RANGE);
  const crate = await findCrateByCanonicalName(ctx.db, name);
  if (!crate) throw crateNotFound(name);
  const next = {
    max_features: changes.maxFeatures === undefined ? crate.max_features : changes.maxFeatures,
    max_upload_size: changes.maxUploadSize === undefined ? crate.max_upload_size : changes.maxUploadSize,
  };
  await ctx.db.transaction().execute(async (tx) => {
    await updateLimitOverrides(tx, crate.id, next);
    await recordAudit(tx, ctx.clock, {
      action: 'crate.limits',
      userId: by.actor?.userId ?? null,
      tokenId: null,
      crateName: crate.name,
      detail: { ...next, ...(by.via ? { via: by.via } : {}) },
    });
  });
  return { crate: crate.name, limits: limitsOf(ctx, { ...crate, ...next }) };
}

function checkRange(what: string, value: number | null | undefined, [min, max]: readonly [number, number]): void {
  if (value === undefined || value === null) return;
  if (!Number.isInteger(value) || value < min || value > max) throw badRequest(`${what} must be a whole number from ${min} to ${max}, got ${value}`);
}
