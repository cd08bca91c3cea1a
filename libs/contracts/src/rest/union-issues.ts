import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** The branch refused the input's type (`expected object, received string`): the input was not meant for it. */
const refusesType = (branch: readonly Issue[]): boolean => branch.some((issue) => issue.code === 'invalid_type' && issue.path.length === 0);

const either = (names: readonly string[]): string => (names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1) as string}`);

/**
 * Zod reports a value no branch of a union accepts as one `invalid_union` issue at the union ("Invalid
 * input"), each branch's own issues inside it: a column mapping given as an object with a bad
 * `dateFormat` is "Invalid input" at `columns.a`. When exactly one branch takes the value's type (the
 * object branch for an object), its issues are what the client needs: they name the option at fault
 * (`columns.a.dateFormat`) and the values it takes. Such a union's issue is replaced by that branch's
 * issues, with their full paths (unions within it narrowed likewise); one whose branches all refuse the
 * value's type says which types it takes. Any other issue is kept as it is.
 */
export function narrowUnionIssues(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((issue): Issue[] => {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
    const meant = issue.errors.filter((branch) => !refusesType(branch));
    if (meant.length === 1) {
      return narrowUnionIssues(meant[0] as Issue[]).map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
    }
    if (meant.length === 0) {
      const expected = [...new Set(issue.errors.flatMap((branch) => branch.flatMap((inner) => (inner.code === 'invalid_type' ? [inner.expected] : []))))];
      return [{ ...issue, message: `Invalid input: expected ${either(expected)}` }];
    }
    return [issue];
  });
}
