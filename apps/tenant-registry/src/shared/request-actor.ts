import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from './actor';

/** The actor of an operator request: the operator, and the request's correlation id. */
export const RequestActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return { name: 'operator', correlationId: String(request.id) };
});
