// s3rver in a process of its own, started by s3-server.ts: `node --openssl-legacy-provider
// s3rver-child.mjs DIR`. s3rver encrypts ListObjectsV2 continuation tokens with DES, which
// OpenSSL 3 offers only in its legacy provider; without it every truncated listing fails with 500.
// Prints the port once listening; stops when its parent closes stdin.
import S3rver from 's3rver';

const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2] });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  server.close().then(() => process.exit(0));
});
