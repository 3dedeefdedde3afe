/**
 * X-Ray tracing through Powertools Tracer: a subsegment per invocation (shared/observe.ts),
 * AWS SDK clients captured (`traced`), outgoing HTTPS (Razorpay) captured, and annotations for
 * the ids we search by (`annotate`: event id, link id, job id).
 *
 * The tracer and the X-Ray SDK under it load only where tracing can work: on Lambda
 * (AWS_EXECUTION_ENV) with POWERTOOLS_TRACE_ENABLED not false. Elsewhere (npm start, tests) they
 * are never evaluated, which keeps ~100 ms of X-Ray SDK start-up off local cold starts.
 * POWERTOOLS_TRACE_ENABLED: true/false (1/0, yes/no, on/off); anything else keeps the default
 * (on) and says so once.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { log, readLogSwitches } from './log';

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** The switch as given: on, off, or unset / nonsense (default: on). */
export function tracingSwitch(raw = process.env.POWERTOOLS_TRACE_ENABLED): boolean {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '' || TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  readLogSwitches();
  log.warn(`POWERTOOLS_TRACE_ENABLED ${JSON.stringify(raw)} is not true or false: tracing stays on`);
  return true;
}

async function loadTracer(): Promise<Tracer | undefined> {
  const on = tracingSwitch();
  if (!on || !process.env.AWS_EXECUTION_ENV) return undefined;
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  // `enabled` only ever turns it off; a nonsense value read by Powertools itself means on
  return new Tracer({ enabled: true });
}

/** Undefined where tracing is off or impossible: callers then do nothing. */
export const tracer: Tracer | undefined = await loadTracer();

/** Captures an AWS SDK v3 client's calls as subsegments; returns the client itself. */
export function traced<T>(client: T): T {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}

/** X-Ray annotations (indexed, searchable) on the current subsegment. */
export function annotate(ids: Record<string, string | number | undefined>): void {
  if (!tracer) return;
  for (const [key, value] of Object.entries(ids)) {
    if (value !== undefined && value !== '') tracer.putAnnotation(key, value);
  }
}
