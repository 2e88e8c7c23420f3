import { createInterface } from 'node:readline';

/**
 * Destructive commands ask on a terminal for a word to be typed (the registry's name, the login
 * being deleted); anywhere else (scripts, pipes) they need `--yes`, and without it they refuse
 * with a non-zero exit code.
 */
export async function confirmByTyping(p: { warning: string; expected: string; what: string; withoutTerminal: string; notConfirmed: string }): Promise<void> {
  if (!process.stdin.isTTY) throw new Error(p.withoutTerminal);
  const answer = await promptLine(`${p.warning}\nType ${p.what} to go on: `);
  if (answer.trim() !== p.expected) throw new Error(p.notConfirmed);
}

export function promptLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}
