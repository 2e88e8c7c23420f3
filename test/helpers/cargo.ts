import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface CargoResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A throwaway CARGO_HOME pointing at one Wharf, and helpers to lay out crates and run the
 * real cargo against it. crates.io is never configured, so nothing can reach it.
 */
export class CargoSandbox {
  readonly home: string;
  readonly root: string;
  readonly targetDir: string;

  constructor(readonly indexUrl: string, readonly registry = 'wharf') {
    this.root = mkdtempSync(join(tmpdir(), 'wharf-cargo-'));
    this.home = join(this.root, 'cargo-home');
    this.targetDir = join(this.root, 'target');
    mkdirSync(this.home, { recursive: true });
    writeFileSync(
      join(this.home, 'config.toml'),
      // The token provider named explicitly: cargo requires that before it sends a token to a
      // registry whose config.json says auth-required.
      `[registries.${registry}]\nindex = "${indexUrl}"\n\n[registry]\nglobal-credential-providers = ["cargo:token"]\n\n[net]\nretry = 0\n\n[term]\ncolor = "never"\n`,
    );
  }

  /**
   * Replaces crates.io with a Wharf's mirror (`sparse+.../mirror/index/`), as a team's consumers
   * configure it. cargo finds a token for the replacement through a registry with the same index
   * URL, so one is declared too; `CARGO_REGISTRIES_WHARF_MIRROR_TOKEN` carries the token.
   */
  replaceCratesIo(mirrorIndexUrl: string): this {
    appendFileSync(
      join(this.home, 'config.toml'),
      [
        '',
        '[source.crates-io]',
        'replace-with = "wharf-mirror"',
        '[source.wharf-mirror]',
        `registry = "${mirrorIndexUrl}"`,
        '[registries.wharf-mirror]',
        `index = "${mirrorIndexUrl}"`,
        '',
      ].join('\n'),
    );
    return this;
  }

  /** Writes a package directory; `files` paths are relative to it. */
  writeCrate(dir: string, files: Record<string, string>): string {
    const path = join(this.root, 'src', dir);
    for (const [file, body] of Object.entries(files)) {
      mkdirSync(dirname(join(path, file)), { recursive: true });
      writeFileSync(join(path, file), body);
    }
    return path;
  }

  run(args: string[], opts: { cwd?: string; token?: string | null; env?: Record<string, string>; input?: string } = {}): Promise<CargoResult> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: this.root,
      CARGO_HOME: this.home,
      CARGO_TARGET_DIR: this.targetDir,
      RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(process.env.HOME ?? '/root', '.rustup'),
      CARGO_TERM_COLOR: 'never',
      CARGO_HTTP_TIMEOUT: '30',
      ...opts.env,
    };
    if (opts.token) env[`CARGO_REGISTRIES_${this.registry.toUpperCase()}_TOKEN`] = opts.token;
    return new Promise((resolve) => {
      const child = execFile('cargo', args, { cwd: opts.cwd ?? this.root, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
      // cargo may exit before it reads its input (a refusal at once): that closed pipe is no failure.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(opts.input ?? '');
    });
  }
}

/** A Cargo.toml for a package of this registry. */
export function manifest(name: string, version: string, extra = ''): string {
  return `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\ndescription = "${name}, a test crate"\nlicense = "MIT"\n\n${extra}`;
}
