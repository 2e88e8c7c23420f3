/**
 * Text that a database column cannot hold: NUL (PostgreSQL refuses it in text, and C strings end
 * at it) and UTF-16 surrogates without their pair (no UTF-8 form: drivers would silently store
 * U+FFFD instead). Input is checked once where it enters, per kind (URL, form, JSON body, publish
 * metadata), so that such text is a 400 that names the field and never a database error.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored, or null. */
export function unstorableProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate, which is not a Unicode character';
  return null;
}

/**
 * The first string anywhere in a parsed JSON value (object keys included) that cannot be stored,
 * as "`path` problem", or null. Iterative, so a deeply nested body cannot exhaust the stack.
 */
export function findUnstorable(value: unknown): string | null {
  const pending: Array<[unknown, string]> = [[value, '']];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item === 'string') {
      const problem = unstorableProblem(item);
      if (problem) return `\`${path || '(the value)'}\` ${problem}`;
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) pending.push([item[i], `${path}[${i}]`]);
    } else if (typeof item === 'object' && item !== null) {
      const entries = Object.entries(item);
      for (const [key] of entries) {
        const problem = unstorableProblem(key);
        if (problem) return `\`${path || '(the object)'}\` has a key that ${problem}`;
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        pending.push([child, path ? `${path}.${key}` : key]);
      }
    }
  }
  return null;
}
