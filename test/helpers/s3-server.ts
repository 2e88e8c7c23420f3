import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../src/config/config.js';
import { quietNodeVersionWarning } from '../../src/storage/s3-blob-store.js';

/**
 * s3rver, an S3-compatible server on 127.0.0.1 (any free port) over a temporary folder, for the
 * tests of the object store. `npm test` runs the storage-sensitive files a second time with
 * WHARF_TEST_STORAGE=s3: then global-setup.ts starts one server for the run and every test app
 * and `wharf` process gets a bucket of its own on it.
 */
export const onS3 = process.env.WHARF_TEST_STORAGE === 's3';

/** s3rver accepts these (and checks the signatures made with them). */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Server {
  endpoint: string;
  port: number;
  /** A new, empty bucket with a random name. */
  createBucket(): Promise<string>;
  /** Every request answered so far, as `GET /bucket/key 200` (path without the query string). */
  requests(): string[];
  close(): Promise<void>;
}

/** Starts s3rver in a child process (see s3rver-child.mjs for why) and waits for its port. */
export async function startS3Server(): Promise<S3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'wharf-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', join(import.meta.dirname, 's3rver-child.mjs'), directory], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += String(chunk);
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    createBucket: () => createBucket(endpoint),
    requests: () =>
      out
        .slice(0, out.lastIndexOf('\n'))
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { request: string }).request),
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export async function createBucket(endpoint: string): Promise<string> {
  const name = `wharf-${randomBytes(6).toString('hex')}`;
  quietNodeVersionWarning();
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS });
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return name;
}

/** The settings of a Wharf whose crate files are in `bucket` on `endpoint`. */
export function s3Config(endpoint: string, bucket: string): Partial<Config> {
  return {
    storage: 's3',
    s3Bucket: bucket,
    s3Endpoint: endpoint,
    s3ForcePathStyle: true,
    s3Region: 'us-east-1',
    s3AccessKeyId: S3_CREDENTIALS.accessKeyId,
    s3SecretAccessKey: S3_CREDENTIALS.secretAccessKey,
  };
}

/** The same as WHARF_* variables, for `wharf` processes. */
export function s3Env(endpoint: string, bucket: string): Record<string, string> {
  return {
    WHARF_STORAGE: 's3',
    WHARF_S3_BUCKET: bucket,
    WHARF_S3_ENDPOINT: endpoint,
    WHARF_S3_FORCE_PATH_STYLE: 'true',
    WHARF_S3_REGION: 'us-east-1',
    WHARF_S3_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    WHARF_S3_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  };
}

/** On the S3 pass: the endpoint of the run's server (started by global-setup.ts). */
export function runEndpoint(): string {
  const endpoint = process.env.WHARF_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('WHARF_TEST_STORAGE=s3 needs the s3rver of global-setup.ts (WHARF_TEST_S3_ENDPOINT is not set)');
  return endpoint;
}
