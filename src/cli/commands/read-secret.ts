import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../services/password.service.js';

/**
 * Reading a password for the CLI: from a pipe (`--password-stdin`, scripts) or, on a terminal,
 * typed without echo. It never comes from an argument, which `ps` and shell history would keep.
 */
const MAX_BYTES = 8192;

/** All of stdin, without the one line ending that `echo` or a here-string adds. */
export async function readSecretFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > MAX_BYTES) throw new Error('the password on stdin is too long');
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** What was typed after the line a prompt took (typed ahead, or pasted), kept for the next prompt. */
let typeahead = '';

function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    /** Takes characters until the end of the line; true when the prompt is answered. */
    const take = (chunk: string): boolean => {
      const chars = [...chunk];
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!;
        if (ch === '\r' || ch === '\n') {
          const rest = chars.slice(i + 1).join('');
          typeahead = ch === '\r' && rest.startsWith('\n') ? rest.slice(1) : rest;
          finish();
          resolve(value);
          return true;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          typeahead = '';
          finish();
          reject(new Error('cancelled'));
          return true;
        }
        value = ch === '\u007f' || ch === '\b' ? [...value].slice(0, -1).join('') : value + ch;
      }
      return false;
    };
    const onData = (chunk: string) => void take(chunk);
    const pending = typeahead;
    typeahead = '';
    if (take(pending)) return;
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The new password: typed twice on a terminal, or read from stdin when it is a pipe. */
export async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readSecretFromStdin();
  // The rule comes before the typing, not after a refused attempt.
  process.stderr.write(`The password needs at least ${PASSWORD_MIN_LENGTH} characters (at most ${PASSWORD_MAX_LENGTH}) and must not be the login.\n`);
  const first = await promptHidden('New password: ');
  const second = await promptHidden('Repeat it: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}
