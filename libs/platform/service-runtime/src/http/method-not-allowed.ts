import { MethodNotAllowedException } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { PROBLEM_JSON_CONTENT_TYPE } from '@pulse/contracts';
import type { FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import { problemFor, problemInstance } from './problem-details.filter';

/**
 * The methods of every route path, by the path's segments (`:param` segments match any non-empty
 * segment), to tell a path that exists with other methods (405) from one that does not (404). Filled as
 * routes are registered; read only when the router found no route for a request.
 */
class RouteMethods {
  private readonly routes = new Map<string, { segments: string[]; methods: Set<string> }>();

  add(methods: string | string[], url: string): void {
    const route = this.routes.get(url) ?? { segments: url.split('/'), methods: new Set<string>() };
    for (const method of Array.isArray(methods) ? methods : [methods]) route.methods.add(method.toUpperCase());
    this.routes.set(url, route);
  }

  /** The methods routes take on this request target's path, sorted; empty when no route has the path. */
  allowedFor(target: string): string[] {
    const query = target.indexOf('?');
    const segments = safeDecodeURI(query === -1 ? target : target.slice(0, query)).split('/');
    const allowed = new Set<string>();
    for (const route of this.routes.values()) {
      if (matches(route.segments, segments)) for (const method of route.methods) allowed.add(method);
    }
    return [...allowed].sort();
  }
}

function matches(pattern: string[], segments: string[]): boolean {
  if (pattern.length !== segments.length) return false;
  return pattern.every((part, i) => (part.includes(':') || part === '*' ? segments[i] !== '' : part === segments[i]));
}

/** The router matches static segments on the decoded path (find-my-way decodes it first). */
function safeDecodeURI(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

/**
 * Fastify's adapter for Pulse services, answering a method a path does not take with 405 and `Allow`
 * (RFC 9110 15.5.6) where Fastify and Nest answer 404. Only Nest's not-found handler is wrapped, so a
 * request that finds its route pays nothing for it: the route table is read only once the router has
 * found no route. The body of such a request is never read.
 */
export class ServiceFastifyAdapter extends FastifyAdapter {
  private readonly routeMethods = new RouteMethods();

  constructor(options: FastifyHttpOptions<Server>) {
    super(options);
    // Before any route: Nest registers its routes at init, and Fastify adds a HEAD route for each GET.
    this.getInstance().addHook('onRoute', (route) => this.routeMethods.add(route.method, route.url));
  }

  /** Nest's handler (its 404 through the exception filter), called for paths no route has. */
  override setNotFoundHandler(notFound: (request: FastifyRequest, reply: FastifyReply) => unknown) {
    return super.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
      const allowed = this.routeMethods.allowedFor(request.url);
      if (allowed.length === 0) return notFound(request, reply);
      const allow = allowed.join(', ');
      const problem = problemFor(new MethodNotAllowedException(`${request.method} is not allowed here; this resource allows ${allow}.`), problemInstance(request.url));
      return reply.code(405).header('allow', allow).header('content-type', PROBLEM_JSON_CONTENT_TYPE).send(problem);
    });
  }
}
