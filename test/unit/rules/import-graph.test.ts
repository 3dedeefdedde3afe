/**
 * The shape, checked: use cases and the domain depend on ports, never on adapters, the AWS SDK,
 * the provider SDK, the HTTP layer or CDK; the domain does not depend on use cases. Read from the
 * source files' import and export-from statements (static and dynamic).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../local/paths';

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  // relative specifiers as repository paths; packages as they are
  return specs.map((s) => (s.startsWith('.') ? relative(ROOT, join(ROOT, file, '..', s)) : s));
}

const FORBIDDEN = [
  { what: 'an adapter', test: (s: string) => s.startsWith('shared/adapters/') },
  { what: 'the AWS SDK', test: (s: string) => s.startsWith('@aws-sdk/') || s.startsWith('@smithy/') },
  { what: 'the Razorpay SDK', test: (s: string) => s === 'razorpay' || s.startsWith('razorpay/') },
  {
    what: 'the HTTP layer',
    test: (s: string) => s.startsWith('shared/http/') && !s.endsWith('shared/http/cursor'),
  },
  { what: 'CDK or the stacks', test: (s: string) => s.startsWith('aws-cdk-lib') || s.startsWith('lib/') },
  { what: 'a handler', test: (s: string) => s.startsWith('functions/') },
];

describe('the import graph', () => {
  const useCases = files('shared/usecases');
  const domain = files('shared/domain');

  it('finds the modules it checks', () => {
    expect(useCases.length).toBeGreaterThanOrEqual(15);
    expect(domain).toContain('shared/domain/ports.ts');
  });

  it.each([...useCases, ...domain])('%s depends on ports, not on adapters or SDKs', (file) => {
    const bad = importsOf(file).flatMap((s) =>
      FORBIDDEN.filter((f) => f.test(s)).map((f) => `${s} (${f.what})`),
    );
    expect(bad).toEqual([]);
  });

  it.each(domain)('%s (domain) does not depend on use cases', (file) => {
    expect(importsOf(file).filter((s) => s.startsWith('shared/usecases/'))).toEqual([]);
  });

  it.each([...useCases, ...domain, ...files('shared/http'), ...files('functions')])(
    '%s spells no table key, index key value or index attribute (only the schema does)',
    (file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const spelled = [
        ...text.matchAll(
          /['"`](PENDING#?|LENDERS|ATTENTION|OPEN|ALL|LOAN#|EMI#|LINK#|PAYMENT#|EVENT#|IDEMP#|JOB#)['"`$]/g,
        ),
        ...text.matchAll(
          /\b(gsi[12][ps]k|listAll|attentionPk|openPk|syncKey|lenderStatus|createdKey|emiKey)\b/g,
        ),
        ...text.matchAll(/\$\{[^}]+\}[#~]['"`]/g),
      ].map((m) => m[0]);
      expect(spelled).toEqual([]);
    },
  );

  it('catches a forbidden import (the check itself works)', () => {
    const spec = relative(ROOT, join(ROOT, 'shared/usecases/x.ts', '..', '../adapters/dynamo/link-store'));
    expect(FORBIDDEN.some((f) => f.test(spec))).toBe(true);
    expect(FORBIDDEN.some((f) => f.test('@aws-sdk/lib-dynamodb'))).toBe(true);
  });
});
