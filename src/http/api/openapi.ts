import type { FastifyInstance } from 'fastify';
import { componentName, nullableBase, type Schema } from './schemas/json-schema.js';

/**
 * `/api/openapi.json`: an OpenAPI 3.1 description built from the response schemas the routes
 * register, the very ones Fastify serializes their answers with. A route without a response
 * schema is not described (the HTML pages, the index, the mirror).
 */

interface DescribedRoute {
  method: string;
  url: string;
  response: Record<string, unknown>;
}

export interface ApiDescription {
  /** The OpenAPI document of every described route registered so far. */
  document(): Record<string, unknown>;
}

/** Starts collecting the routes registered on `app` from now on (add it before the routes). */
export function collectApiDescription(app: FastifyInstance, version: string): ApiDescription {
  const routes: DescribedRoute[] = [];
  app.addHook('onRoute', (route) => {
    const response = (route.schema as { response?: Record<string, unknown> } | undefined)?.response;
    if (!response || !route.url.startsWith('/api/')) return;
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method: method.toLowerCase(), url: route.url, response });
    }
  });
  let built: Record<string, unknown> | null = null;
  let builtFrom = -1;
  return {
    document() {
      if (builtFrom !== routes.length) {
        built = buildDocument(routes, version);
        builtFrom = routes.length;
      }
      return built!;
    },
  };
}

/** `/api/v1/crates/:name` -> `/api/v1/crates/{name}` and its parameter names. */
function openApiPath(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

function buildDocument(routes: readonly DescribedRoute[], version: string): Record<string, unknown> {
  const components: Record<string, Schema> = {};
  const toOpenApi = (schema: unknown): unknown => {
    if (Array.isArray(schema)) return schema.map(toOpenApi);
    if (schema === null || typeof schema !== 'object') return schema;
    const name = componentName(schema);
    if (name) {
      if (!(name in components)) {
        components[name] = {};
        components[name] = inline(schema as Schema);
      }
      return { $ref: `#/components/schemas/${name}` };
    }
    const base = nullableBase(schema);
    if (base) return { anyOf: [toOpenApi(base), { type: 'null' }] };
    return inline(schema as Schema);
  };
  const inline = (schema: Schema): Schema => Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'properties' ? mapValues(v as Schema, toOpenApi) : toOpenApi(v)]));

  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...routes].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : a.method < b.method ? -1 : 1));
  for (const route of sorted) {
    const { path, params } = openApiPath(route.url);
    const responses: Record<string, unknown> = {};
    for (const [status, answer] of Object.entries(route.response)) responses[status] = describeResponse(answer as Schema, toOpenApi);
    (paths[path] ??= {})[route.method] = {
      operationId: `${route.method}_${path.replace(/^\/api\/v1\//, '').replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+/g, '_')}`,
      ...(params.length > 0 ? { parameters: params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })) } : {}),
      responses: {
        ...responses,
        '4XX': { description: 'The request was refused', content: { 'application/json': { schema: { $ref: '#/components/schemas/Errors' } } } },
      },
    };
  }
  components.Errors = {
    type: 'object',
    properties: { errors: { type: 'array', items: { type: 'object', properties: { detail: { type: 'string' } }, required: ['detail'] } } },
    required: ['errors'],
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Wharf', version, description: "Wharf's crates.io-compatible API", license: { name: 'MIT', identifier: 'MIT' } },
    paths,
    components: { schemas: Object.fromEntries(Object.keys(components).sort().map((k) => [k, components[k]])) },
  };
}

function describeResponse(answer: Schema, toOpenApi: (s: unknown) => unknown): Record<string, unknown> {
  if (answer.type === 'null') return { description: String(answer.description ?? 'No content') };
  if (answer.content) {
    const content = Object.fromEntries(Object.entries(answer.content as Record<string, { schema: Schema }>).map(([type, c]) => [type, { schema: toOpenApi(c.schema) }]));
    return { description: 'Success', content };
  }
  return { description: 'Success', content: { 'application/json': { schema: toOpenApi(answer) } } };
}

const mapValues = (o: Schema, f: (v: unknown) => unknown): Schema => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** Serves the description at `/api/openapi.json`. */
export async function openapiRoutes(app: FastifyInstance, { description }: { description: ApiDescription }): Promise<void> {
  app.get('/api/openapi.json', async () => description.document());
}
