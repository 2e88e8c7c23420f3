import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../services/runtime.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** /me: where cargo sends users for a token. Until the web UI has logins, it explains how an admin makes one. */
export async function meRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { config } = runtime.ctx;
  const name = escapeHtml(config.registryName);
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>API tokens · Wharf</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>API tokens</h1>
<p>Tokens for this registry are created by an administrator on the server:</p>
<pre>npx wharf token create &lt;your-login&gt; --name &lt;what-it-is-for&gt;</pre>
<p>The command prints the token once. Then run:</p>
<pre>cargo login --registry ${name}</pre>
<p>and paste the token when cargo asks for it. Keep it secret: anyone holding it can publish as you.</p>
</main></body></html>
`;
  for (const path of ['/me', '/settings/tokens']) {
    app.get(path, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .send(page),
    );
  }
}
