// A reference point, not a registry: the least a node:http server can do to answer Wharf's index
// requests. It holds one index file (plain and gzip) in memory and answers GETs of its path as
// Wharf does (same status, headers and bytes, 304 on a matching If-None-Match) and writes the
// same JSON access line per request, gathered per event-loop turn, to stdout. No routing, no
// auth, no cache lookup. The gap between Wharf and it is what Wharf itself costs per request.
//
// usage: node bare-node-server.mjs PORT URL_PATH PLAIN_FILE GZIP_FILE ETAG GZIP_ETAG
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const [port, urlPath, plainFile, gzipFile, etag, gzipEtag] = process.argv.slice(2);
const plain = readFileSync(plainFile);
const gzip = readFileSync(gzipFile);
const base = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;
let lines = [];
let next = 0;
const flush = () => {
  process.stdout.write(lines.join(''));
  lines = [];
};

createServer((req, res) => {
  const started = performance.now();
  if (req.method !== 'GET' || req.url !== urlPath) {
    res.writeHead(404).end();
    return;
  }
  const gz = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const headers = { etag: gz ? gzipEtag : etag, 'cache-control': 'public, max-age=0, must-revalidate', vary: 'Accept-Encoding' };
  const inm = req.headers['if-none-match'];
  let status = 304;
  if (inm && (inm.includes(etag) || inm.includes(gzipEtag))) {
    res.writeHead(304, headers).end();
  } else {
    status = 200;
    const body = gz ? gzip : plain;
    res.writeHead(200, { ...headers, 'content-type': 'text/plain; charset=utf-8', ...(gz ? { 'content-encoding': 'gzip' } : {}), 'content-length': String(body.length) });
    res.end(body);
  }
  const line = `{"level":30,"time":${Date.now()}${base},"reqId":"req-${(++next).toString(36)}","method":"GET","url":${JSON.stringify(req.url)},"statusCode":${status},"responseTime":${performance.now() - started},"msg":"request completed"}\n`;
  if (lines.push(line) === 1) setImmediate(flush);
}).listen(Number(port), '127.0.0.1');
