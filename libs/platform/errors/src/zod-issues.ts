import { narrowUnionIssues, type FieldError } from '@pulse/contracts';
import type { z } from 'zod';
import { ValidationError } from './domain-error';

export type InputLocation = 'body' | 'query' | 'path' | 'header';

/**
 * Turns zod issues into field errors named after where the value came from (`body.hostnames.0`). An
 * object with unknown keys gets one error per key, naming it (`query.colour`), not one for the object. A
 * union whose input was plainly meant for one branch (an object where the others take a string) reports
 * that branch's errors at their own paths (`body.mapping.columns.a.dateFormat`), not "Invalid input".
 */
export function fieldErrorsFromZod(error: z.ZodError, location: InputLocation): FieldError[] {
  return narrowUnionIssues(error.issues).flatMap((issue): FieldError[] => {
    const path = [location, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...path, key].join('.'), code: issue.code, message: `Unknown field "${key}".` }));
    }
    return [{ field: path.join('.'), code: issue.code, message: issue.message }];
  });
}

export function validationErrorFromZod(error: z.ZodError, location: InputLocation): ValidationError {
  return new ValidationError(fieldErrorsFromZod(error, location));
}
