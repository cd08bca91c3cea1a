import type { PipeTransform } from '@nestjs/common';
import { validationErrorFromZod, type InputLocation } from '@pulse/errors';
import type { z } from 'zod';

/**
 * Validates one part of a request (body, query, path) against a zod schema and hands the handler the
 * parsed value; a failure becomes a 400 problem+json naming each field (`body.slug`, `query.limit`).
 * Use strict objects for query strings so unknown parameters are refused rather than ignored.
 */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(
    private readonly schema: Schema,
    private readonly location: InputLocation,
  ) {}

  transform(value: unknown): z.output<Schema> {
    const parsed = this.schema.safeParse(value ?? {});
    if (!parsed.success) throw validationErrorFromZod(parsed.error, this.location);
    return parsed.data;
  }
}
