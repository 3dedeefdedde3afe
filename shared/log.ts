/**
 * The one log module the code calls: `log.info('link created', { linkId })`. Powertools Logger
 * underneath, so on Lambda every entry is one JSON line with level, message, timestamp, service,
 * cold start, function name, X-Ray trace id, the request id and the correlation ids known so
 * far (`withLogContext` / `addLogContext`: Razorpay event id, link id, job id).
 *
 * - Never pass personal data or bodies; shared/observability/redact.ts masks them anyway (by
 *   key and by value pattern) in the formatter, so nothing a caller passes can leak.
 * - LOG_LEVEL: trace, debug, info (default), warn, error, critical, silent. Anything else falls
 *   back to info and says so once.
 * - LOG_FORMAT: `json` (the default on Lambda) or `pretty` (the default elsewhere: one readable
 *   line per entry for `npm start` and tests). Anything else falls back and says so once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { SERVICE_NAME } from './observability/names';
import { redactDeep, redactError, redactText } from './observability/redact';

export type LogFields = Record<string, unknown>;
/** Correlation ids carried by every entry of the current invocation or record. */
export type LogContext = Record<string, string | number | undefined>;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical', 'silent'] as const;
type Level = (typeof LEVELS)[number];
const DEFAULT_LEVEL: Level = 'info';
const FORMATS = ['json', 'pretty'] as const;
type Format = (typeof FORMATS)[number];

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with these ids added to every entry it (and what it awaits) logs. */
export function withLogContext<T>(ids: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...defined(ids) }, fn);
}

/** Runs one invocation in a context of its own: nothing is inherited from the caller's. */
export function runInvocation<T>(ids: LogContext, fn: () => T): T {
  return context.run(defined(ids), fn);
}

/** Adds ids learnt along the way (a link id found for an event) to the current context. */
export function addLogContext(ids: LogContext): void {
  const store = context.getStore();
  if (store) Object.assign(store, defined(ids));
}

function defined(ids: LogContext): LogContext {
  return Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined && v !== ''));
}

class RedactingFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: redactText(attributes.message),
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      xray_trace_id: attributes.xRayTraceId,
    };
    return new LogItem({ attributes: base }).addAttributes(redactDeep(additional) as LogAttributes);
  }

  override formatError(error: Error): LogAttributes {
    return redactError(error) as LogAttributes;
  }
}

/** Powertools Logger whose `pretty` format prints one readable line instead of JSON. */
class AppLogger extends Logger {
  format: Format = 'json';

  protected override printLog(logLevel: number, item: LogItem): void {
    if (this.format === 'json') {
      super.printLog(logLevel, item);
      return;
    }
    item.prepareForPrint();
    // the Lambda context fields say nothing locally (one process runs every function)
    const {
      level,
      message,
      timestamp,
      service,
      error,
      cold_start,
      function_name,
      function_request_id,
      xray_trace_id,
      ...rest
    } = item.getAttributes();
    const time = String(timestamp).slice(11, 23);
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const err = error as { name?: string; message?: string; stack?: string } | undefined;
    const errText = err ? `\n  ${err.stack ?? `${err.name}: ${err.message}`}` : '';
    const line = `${time} ${String(level).padEnd(5)} ${message}${fields ? `  ${fields}` : ''}${errText}\n`;
    if (logLevel >= 16) process.stderr.write(line);
    else process.stdout.write(line);
  }
}

export const logger = new AppLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
  logFormatter: new RedactingFormatter(),
  logLevel: 'INFO',
});

// The switches are re-read when the variable changes (tests and benchmarks change them).
let seenLevel: string | undefined | null = null;
let seenFormat: string | undefined | null = null;
const warned = new Set<string>();

function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  logger.warn(message);
}

function applySwitches(): void {
  // both switches are set before either is reported, so the warning obeys both
  const warnings: string[] = [];
  const rawFormat = process.env.LOG_FORMAT;
  if (rawFormat !== seenFormat) {
    seenFormat = rawFormat;
    const fallback: Format = process.env.AWS_LAMBDA_FUNCTION_NAME ? 'json' : 'pretty';
    const wanted = (rawFormat ?? '').trim().toLowerCase();
    const valid = (FORMATS as readonly string[]).includes(wanted);
    logger.format = valid ? (wanted as Format) : fallback;
    if (!valid && wanted !== '') {
      warnings.push(
        `LOG_FORMAT ${JSON.stringify(rawFormat)} is not one of ${FORMATS.join(', ')}: using ${fallback}`,
      );
    }
  }
  const rawLevel = process.env.LOG_LEVEL;
  if (rawLevel !== seenLevel) {
    seenLevel = rawLevel;
    const wanted = (rawLevel ?? '').trim().toLowerCase();
    const valid = (LEVELS as readonly string[]).includes(wanted);
    logger.setLogLevel((valid ? wanted : DEFAULT_LEVEL).toUpperCase() as Uppercase<Level>);
    if (!valid && wanted !== '') {
      warnings.push(
        `LOG_LEVEL ${JSON.stringify(rawLevel)} is not one of ${LEVELS.join(', ')}: using ${DEFAULT_LEVEL}`,
      );
    }
  }
  for (const warning of warnings) warnOnce(warning);
}

function write(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: LogFields): void {
  applySwitches();
  const { err, ...rest } = fields ?? {};
  const entry: LogFields = { ...context.getStore(), ...rest };
  if (err !== undefined) entry.error = err instanceof Error ? err : { name: typeof err };
  logger[level](message, entry as LogAttributes);
}

export const log = {
  debug: (message: string, fields?: LogFields) => write('debug', message, fields),
  info: (message: string, fields?: LogFields) => write('info', message, fields),
  warn: (message: string, fields?: LogFields) => write('warn', message, fields),
  error: (message: string, fields?: LogFields) => write('error', message, fields),
};

/** Applies LOG_LEVEL / LOG_FORMAT now (at cold start), so a nonsense value is reported early. */
export function readLogSwitches(): void {
  applySwitches();
}
