import type { PipeTransform } from '@nestjs/common';
import { fieldErrorsForNulCharacters, ValidationError, validationErrorFromZod, type InputLocation } from '@pulse/errors';
import type { z } from 'zod';

/**
 * Validates one part of a request (body, query, path) against a zod schema and hands the handler the
 * parsed value; a failure becomes a 400 problem+json naming each field (`body.slug`, `query.limit`).
 * Use strict objects for query strings so unknown parameters are refused rather than ignored. A NUL
 * character anywhere is refused too, naming its field: PostgreSQL text and jsonb cannot hold it, and
 * the query would fail with a 500 instead.
 */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(
    private readonly schema: Schema,
    private readonly location: InputLocation,
  ) {}

  transform(value: unknown): z.output<Schema> {
    const input = value ?? {};
    const nulErrors = fieldErrorsForNulCharacters(input, this.location);
    if (nulErrors.length > 0) throw new ValidationError(nulErrors);
    const parsed = this.schema.safeParse(input);
    if (!parsed.success) throw validationErrorFromZod(parsed.error, this.location);
    return parsed.data;
  }
}
