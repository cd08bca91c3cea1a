import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ValidationError } from '@pulse/errors';
import { API_ROUTE_METADATA, type ApiRouteDoc } from '../openapi/api-route.decorator';

/**
 * A route whose @ApiRoute declares no query parameters accepts none: `?colour=red` is a 400 naming
 * `query.colour`, as an unknown parameter is on the routes with a (strict) query schema, instead of
 * being ignored. Register it after the service's authentication guard, so that a request without
 * credentials still gets its 401 first.
 */
@Injectable()
export class UndeclaredQueryGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const doc = this.reflector.get<ApiRouteDoc | undefined>(API_ROUTE_METADATA, context.getHandler());
    if (!doc || doc.query) return true;
    const query = context.switchToHttp().getRequest<{ query?: Record<string, unknown> }>().query ?? {};
    const keys = Object.keys(query);
    if (keys.length === 0) return true;
    throw new ValidationError(keys.map((key) => ({ field: `query.${key}`, code: 'unrecognized_keys', message: `Unknown field "${key}".` })));
  }
}
