/**
 * An import's errors by row: validation errors (in file order) and write errors (each batch's
 * sorted as it comes) are merged, never re-sorted, at every checkpoint; the record shows the first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImportError } from '../../shared/domain/ports';
import { mergeByRow } from '../../shared/usecases/import-loans';

const sortedErrors = fc
  .array(
    fc.record({
      row: fc.integer({ min: 1, max: 500 }),
      field: fc.constantFrom('amount', 'dueDate', 'phone'),
    }),
  )
  .map((es) =>
    es.map((e): ImportError => ({ ...e, message: `bad ${e.field}` })).sort((a, b) => a.row - b.row),
  );

describe('mergeByRow', () => {
  it('equals sorting both lists together, and the first n of it under a limit', () => {
    fc.assert(
      fc.property(sortedErrors, sortedErrors, fc.integer({ min: 0, max: 120 }), (a, b, n) => {
        const all = [...a, ...b].sort((x, y) => x.row - y.row);
        expect(mergeByRow(a, b, Number.POSITIVE_INFINITY).map((e) => e.row)).toEqual(all.map((e) => e.row));
        expect(mergeByRow(a, b, n)).toHaveLength(Math.min(n, all.length));
        expect(mergeByRow(a, b, n).map((e) => e.row)).toEqual(all.slice(0, n).map((e) => e.row));
      }),
    );
  });

  it('keeps a row’s validation errors before its write errors, and each list’s own order', () => {
    const v: ImportError[] = [
      { row: 2, field: 'amount', message: 'v1' },
      { row: 2, field: 'phone', message: 'v2' },
    ];
    const w: ImportError[] = [
      { row: 1, field: 'loanId', message: 'w1' },
      { row: 2, field: 'loanId', message: 'w2' },
    ];
    expect(mergeByRow(v, w, 10).map((e) => e.message)).toEqual(['w1', 'v1', 'v2', 'w2']);
  });
});
