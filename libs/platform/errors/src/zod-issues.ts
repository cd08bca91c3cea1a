import type { FieldError } from '@pulse/contracts';
import type { z } from 'zod';
import { ValidationError } from './domain-error';

export type InputLocation = 'body' | 'query' | 'path' | 'header';

/** Turns zod issues into field errors named after where the value came from (`body.hostnames.0`). */
export function fieldErrorsFromZod(error: z.ZodError, location: InputLocation): FieldError[] {
  return error.issues.map((issue) => ({
    field: [location, ...issue.path.map(String)].join('.'),
    code: issue.code,
    message: issue.message,
  }));
}

export function validationErrorFromZod(error: z.ZodError, location: InputLocation): ValidationError {
  return new ValidationError(fieldErrorsFromZod(error, location));
}
