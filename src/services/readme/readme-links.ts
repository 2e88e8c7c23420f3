import { posix } from 'node:path';
import { encodeImageUrl, UNSIGNED_IMAGE_PREFIX } from '../image-proxy/image-signer.js';

/** What a README's relative links and images resolve against: its version, its package, its repository. */
export interface ReadmeContext {
  crate: string;
  version: string;
  /** The README's path in the package as Cargo.toml names it (`readme_file`); null: `README.md`. */
  readmePath: string | null;
  /** The version's `repository` URL. */
  repository: string | null;
  /** The commit the package was made from (`git.sha1` of `.cargo_vcs_info.json`); null: the default branch. */
  commit: string | null;
  /** The package's folder in its repository (`path_in_vcs`); '' at the root. */
  pathInVcs: string;
  /** The files of the .crate, relative to the package's folder. */
  files: readonly string[];
}

/** Fragment links and HTML ids in a README are prefixed so they cannot clash with the page's own. */
export const ID_PREFIX = 'user-content-';

type Forge = { kind: 'github' | 'gitlab'; base: string };

/** GitHub or GitLab (gitlab.com) repositories, whose files Wharf can link at a commit. */
export function forgeOf(repository: string | null): Forge | null {
  if (!repository || !URL.canParse(repository)) return null;
  const url = new URL(repository);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const host = url.hostname.toLowerCase();
  const parts = url.pathname.split('/-/')[0]!.split('/').filter((p) => p !== '');
  const clean = (p: string[]) => p.map((s) => s.replace(/\.git$/, '')).join('/');
  if (host === 'github.com' || host === 'www.github.com') {
    return parts.length >= 2 ? { kind: 'github', base: clean(parts.slice(0, 2)) } : null;
  }
  if (host === 'gitlab.com' || host === 'www.gitlab.com') {
    return parts.length >= 2 ? { kind: 'gitlab', base: clean(parts) } : null;
  }
  return null;
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/** A same-origin path serving a file of the .crate. */
export const sourcePath = (crate: string, version: string, path: string): string =>
  `/crates/${encodeURIComponent(crate)}/${encodeURIComponent(version)}/source/${path.split('/').map(encodeURIComponent).join('/')}`;

/**
 * Where a README's link (`a href`) or image (`img src`) should point: external images through
 * the image proxy (left unsigned until served), fragments to the prefixed ids, relative paths to
 * the file in the .crate when it has it, else to the repository's file at the package's commit
 * (GitHub, GitLab), else to the .crate's path (which answers 404). Null: drop the attribute.
 */
export function rewriteUrl(raw: string, kind: 'link' | 'image', ctx: ReadmeContext | null): string | null {
  const url = raw.trim();
  if (url === '') return null;
  if (url.startsWith('#')) return kind === 'link' ? `#${url.slice(1).startsWith(ID_PREFIX) ? url.slice(1) : ID_PREFIX + url.slice(1)}` : null;
  if (SCHEME.test(url) || url.startsWith('//')) {
    if (kind === 'link') return url;
    const absolute = url.startsWith('//') ? `https:${url}` : url;
    return /^https?:/i.test(absolute) && URL.canParse(absolute) ? UNSIGNED_IMAGE_PREFIX + encodeImageUrl(new URL(absolute).toString()) : null;
  }
  if (!ctx) return null;
  const cut = url.search(/[?#]/);
  const pathPart = safeDecode(cut >= 0 ? url.slice(0, cut) : url);
  const fragment = kind === 'link' && cut >= 0 && url[cut] === '#' ? url.slice(cut) : '';
  if (pathPart === null || pathPart === '') return null;
  const readmeDir = posix.dirname(ctx.readmePath ?? 'README.md');
  // A root-relative path is from the repository's root, as on the forges.
  const repoPath = pathPart.startsWith('/')
    ? posix.normalize(pathPart).replace(/^\/+/, '')
    : posix.normalize(posix.join(ctx.pathInVcs, readmeDir, pathPart)).replace(/^\/+/, '');
  const inPackage = ctx.pathInVcs === '' ? repoPath : repoPath.startsWith(`${ctx.pathInVcs}/`) ? repoPath.slice(ctx.pathInVcs.length + 1) : null;
  const usable = (p: string | null) => p !== null && p !== '' && p !== '.' && !p.startsWith('../') && p !== '..';
  if (usable(inPackage) && hasFile(ctx, inPackage!)) return sourcePath(ctx.crate, ctx.version, inPackage!) + fragment;
  const forge = forgeOf(ctx.repository);
  if (forge && usable(repoPath)) {
    const ref = ctx.commit ?? 'HEAD';
    const file = repoPath.split('/').map(encodeURIComponent).join('/');
    if (forge.kind === 'github') {
      return kind === 'link'
        ? `https://github.com/${forge.base}/blob/${ref}/${file}${fragment}`
        : UNSIGNED_IMAGE_PREFIX + encodeImageUrl(`https://raw.githubusercontent.com/${forge.base}/${ref}/${file}`);
    }
    return kind === 'link'
      ? `https://gitlab.com/${forge.base}/-/blob/${ref}/${file}${fragment}`
      : UNSIGNED_IMAGE_PREFIX + encodeImageUrl(`https://gitlab.com/${forge.base}/-/raw/${ref}/${file}`);
  }
  return usable(inPackage) ? sourcePath(ctx.crate, ctx.version, inPackage!) + fragment : null;
}

const fileSets = new WeakMap<ReadmeContext, ReadonlySet<string>>();

/** Whether the package has `path`; the set is built once per context (a README has many links). */
function hasFile(ctx: ReadmeContext, path: string): boolean {
  let set = fileSets.get(ctx);
  if (!set) fileSets.set(ctx, (set = new Set(ctx.files)));
  return set.has(path);
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
