// s3rver in a process of its own, started by s3-server.ts: `node --openssl-legacy-provider
// s3rver-child.mjs DIR`. s3rver encrypts ListObjectsV2 continuation tokens with DES, which
// OpenSSL 3 offers only in its legacy provider; without it every truncated listing fails with 500.
// Prints the port once listening, then a line per request answered (`{"request":"GET /bucket/key 200"}`,
// without the query string, which carries signatures), so tests can tell which bytes came from
// the bucket; stops when its parent closes stdin.
import S3rver from 's3rver';

const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2] });
// Koa composes its middleware when it starts listening: this one runs first and sees every answer.
server.middleware.unshift(async (ctx, next) => {
  try {
    await next();
  } finally {
    process.stdout.write(`${JSON.stringify({ request: `${ctx.method} ${ctx.path} ${ctx.status}` })}\n`);
  }
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  server.close().then(() => process.exit(0));
});
