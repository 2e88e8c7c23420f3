import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { TestApp } from '../helpers/test-app.js';
import { archiveAgreement, type ArchiveUnderTest } from './agreement.js';

/**
 * Runs hostile requests through the whole stack (`app.inject()`) and holds each answer to the
 * rules of issue 7: never a 5xx, never a hang, and a refused upload leaves no crate, version or
 * file behind; and of issue 11: an archive Wharf accepts unpacks in cargo (the reference model of
 * `cargo-unpack-model.ts`) into exactly the files Wharf checked. Counts per target feed the table
 * `npm run fuzz` prints.
 */
export interface FuzzCase {
  /** What was generated, printed when the case breaks a rule. */
  label: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Send the body as a stream cut at these sizes, so the push parser meets every boundary. */
  chunks?: number[];
  /** Send the harness user's token (unless headers already carry an authorization). */
  auth?: boolean;
  /** A publish: when refused, nothing may have been stored. */
  publish?: boolean;
  /** The .crate inside the body: what Wharf checks must be what cargo unpacks. */
  archive?: ArchiveUnderTest;
}

export interface TargetStats {
  target: string;
  cases: number;
  rejections: number;
  accepted: number;
  errors5xx: number;
  hangs: number;
  leaks: number;
  /** Archives Wharf's check accepted, each compared with what cargo would unpack. */
  compared: number;
  /** Accepted archives whose files differ from cargo's, or that cargo could not unpack. */
  disagreements: number;
  /** Cases the HTTP client itself refused to send (invalid header bytes): not the server's doing. */
  unsendable: number;
  maxRssMb: number;
  failures: string[];
}

export class Fuzzer {
  readonly stats = new Map<string, TargetStats>();

  constructor(
    private readonly t: TestApp,
    private readonly token: string,
    private readonly caseTimeoutMs = 15_000,
  ) {}

  /** Runs one case; returns false when it broke a rule (the reason is in stats.failures). */
  async run(target: string, c: FuzzCase): Promise<boolean> {
    const s = this.statsFor(target);
    s.cases += 1;
    const before = c.publish ? await this.storedState() : null;
    const headers: Record<string, string> = { ...(c.headers ?? {}) };
    if (c.auth && headers.authorization === undefined) headers.authorization = this.token;
    let payload: Buffer | Readable | undefined = c.body;
    if (c.body && c.chunks && c.chunks.length > 0) {
      payload = Readable.from(cut(c.body, c.chunks));
      headers['transfer-encoding'] = 'chunked';
    }

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'hang'>((resolve) => {
      timer = setTimeout(() => resolve('hang'), this.caseTimeoutMs);
    });
    let outcome: { statusCode: number; body: string } | 'hang' | 'unsendable';
    try {
      outcome = await Promise.race([this.t.app.inject({ method: c.method, url: c.url, headers, payload }), timeout]);
    } catch {
      outcome = 'unsendable';
    } finally {
      clearTimeout(timer);
    }
    s.maxRssMb = Math.max(s.maxRssMb, Math.round(process.memoryUsage.rss() / 1024 / 1024));

    if (outcome === 'unsendable') {
      s.unsendable += 1;
      return true;
    }
    if (outcome === 'hang') {
      s.hangs += 1;
      return this.fail(s, c, `no answer within ${this.caseTimeoutMs} ms`);
    }
    if (outcome.statusCode >= 500) {
      s.errors5xx += 1;
      return this.fail(s, c, `answered ${outcome.statusCode}: ${outcome.body.slice(0, 300)}`);
    }
    const stored = outcome.statusCode >= 200 && outcome.statusCode < 300;
    if (stored) s.accepted += 1;
    else s.rejections += 1;
    if (before && !stored) {
      const after = await this.storedState();
      if (after !== before) {
        s.leaks += 1;
        return this.fail(s, c, `refused with ${outcome.statusCode} but stored something: ${before} -> ${after}`);
      }
    }
    return c.archive ? this.checkAgreement(s, c, c.archive, stored) : true;
  }

  private async checkAgreement(s: TargetStats, c: FuzzCase, archive: ArchiveUnderTest, stored: boolean): Promise<boolean> {
    const agreement = await archiveAgreement(archive, this.t.config.maxUnpackedSize);
    if (agreement.accepted) s.compared += 1;
    const problem = agreement.problem ?? (stored && !agreement.accepted ? 'the API stored an archive the tarball check refuses' : null);
    if (problem === null) return true;
    s.disagreements += 1;
    return this.fail(s, c, problem);
  }

  private fail(s: TargetStats, c: FuzzCase, why: string): false {
    if (s.failures.length < 20) s.failures.push(`${c.method} ${c.url.slice(0, 120)} [${c.label.slice(0, 300)}]: ${why}`);
    return false;
  }

  private statsFor(target: string): TargetStats {
    let s = this.stats.get(target);
    if (!s) {
      s = { target, cases: 0, rejections: 0, accepted: 0, errors5xx: 0, hangs: 0, leaks: 0, compared: 0, disagreements: 0, unsendable: 0, maxRssMb: 0, failures: [] };
      this.stats.set(target, s);
    }
    return s;
  }

  /** Crates, versions, dependency rows and the files under crates/, as one comparable string. */
  private async storedState(): Promise<string> {
    const { db } = this.t.runtime.ctx;
    const count = async (table: 'crates' | 'versions' | 'dependencies' | 'index_changes') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const files = listFiles(join(this.t.dataDir, 'crates'));
    return JSON.stringify([await count('crates'), await count('versions'), await count('dependencies'), await count('index_changes'), files]);
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => !e.isDirectory())
      .map((e) => join(e.parentPath, e.name))
      .sort();
  } catch {
    return [];
  }
}

function* cut(body: Buffer, sizes: number[]): Generator<Buffer> {
  let offset = 0;
  let i = 0;
  while (offset < body.length) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    yield body.subarray(offset, offset + size);
    offset += size;
    i += 1;
  }
}

/** The markdown table `npm run fuzz` prints. */
export function statsTable(all: Iterable<TargetStats>): string {
  const rows = [...all];
  const lines = [
    '| target | cases | rejections (4xx) | accepted | 5xx | hangs | leaks | archives compared with cargo | disagreements | unsendable | max RSS (MB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((s) => `| ${s.target} | ${s.cases} | ${s.rejections} | ${s.accepted} | ${s.errors5xx} | ${s.hangs} | ${s.leaks} | ${s.compared} | ${s.disagreements} | ${s.unsendable} | ${s.maxRssMb} |`),
  ];
  const total = rows.reduce((n, s) => n + s.cases, 0);
  const bad = rows.reduce((n, s) => n + s.errors5xx + s.hangs + s.leaks + s.disagreements, 0);
  lines.push('', `${total} cases; ${bad} broke a rule (5xx, hang, stored leftovers, or an accepted archive cargo unpacks differently).`);
  return lines.join('\n');
}
