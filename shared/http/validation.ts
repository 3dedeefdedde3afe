/**
 * zod (mini, to keep every bundle small) at the edge: parse input against a schema and turn
 * the issues into the contract's `details`, one per bad field, in words a person reads.
 */
import type * as z from 'zod/mini';
import { type FieldIssue, ValidationError } from '../domain/errors';

type Issue = z.core.$ZodIssue;

function describe(issue: Issue): string {
  if (issue.code === 'unrecognized_keys') {
    return `has unknown field${issue.keys.length === 1 ? '' : 's'}: ${issue.keys.join(', ')}`;
  }
  // a message given in the schema wins
  if (issue.message && issue.message !== 'Invalid input') return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      if ((issue as { input?: unknown }).input === undefined) return 'is required';
      const expected = issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`;
      return `must be ${expected}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string')
        return min <= 1 ? 'must not be empty' : `must be at least ${min} characters`;
      if (issue.origin === 'array') return `must have at least ${min} item${min === 1 ? '' : 's'}`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `must be at most ${max} characters`;
      if (issue.origin === 'array') return `must have at most ${max} items`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${max}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `has an invalid format (${issue.format})`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return 'is invalid';
  }
}

export function issuesToDetails(issues: readonly Issue[], prefix?: string): FieldIssue[] {
  return issues.map((issue) => {
    const path = issue.path.map(String);
    const field =
      [prefix, ...path].filter((p) => p !== undefined && p !== '').join('.') || (prefix ?? 'body');
    return { field, message: describe(issue) };
  });
}

/** Parses or throws a ValidationError naming each bad field. */
export function parseWith<T>(
  schema: z.ZodMiniType<T>,
  input: unknown,
  where: 'body' | 'query' | 'path' | 'header',
  semantic = false,
): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = issuesToDetails(result.error.issues, where === 'body' ? undefined : where);
  const first = details[0];
  const message =
    details.length === 1 && first
      ? `${first.field} ${first.message}`
      : `${details.length} fields are invalid`;
  throw new ValidationError(message, details, semantic);
}
