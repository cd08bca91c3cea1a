import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ValidationError } from '@pulse/errors';
import { API_ROUTE_METADATA, type ApiRouteDoc } from '../openapi/api-route.decorator';

/**
 * A route whose @ApiRoute declares no body (nor file body) takes none: a JSON body with fields is a 400
 * naming each (`body.force`), as an unknown field is on the routes with a (strict) body schema, instead
 * of being ignored. An empty object is no content and passes. Register it after the service's
 * authentication guard and MalformedBodyGuard, so that a request without credentials still gets its
 * 401 first and a body that is not JSON its parse error.
 */
@Injectable()
export class UndeclaredBodyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const doc = this.reflector.get<ApiRouteDoc | undefined>(API_ROUTE_METADATA, context.getHandler());
    if (!doc || doc.body || doc.fileBody) return true;
    const body = context.switchToHttp().getRequest<{ body?: unknown }>().body;
    if (body === undefined || body === null) return true;
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationError([{ field: 'body', code: 'unexpected_body', message: 'This route takes no body.' }]);
    }
    const keys = Object.keys(body);
    if (keys.length === 0) return true;
    throw new ValidationError(keys.map((key) => ({ field: `body.${key}`, code: 'unrecognized_keys', message: `Unknown field "${key}": this route takes no body.` })));
  }
}
