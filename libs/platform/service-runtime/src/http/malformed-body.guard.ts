import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { bodyParseErrorOf } from './json-body-parser';

/**
 * A JSON body that could not be parsed (not JSON, or empty) is Fastify's own 400 problem+json, thrown
 * here rather than by the parser (see deferJsonBodyErrors). Register it after the service's
 * authentication guard, so that a request without credentials gets its 401 first: an unauthenticated
 * client learns nothing about a route's body. Public routes (no authentication) get the 400 as before.
 * Every service whose routes take a JSON body must register it: without it, such a body would reach the
 * route as no body at all.
 */
@Injectable()
export class MalformedBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const error = bodyParseErrorOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (error) throw error;
    return true;
  }
}
