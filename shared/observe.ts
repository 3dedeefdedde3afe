/**
 * Observability for every function, in one place: the Powertools middlewares every handler
 * runs under (Lambda context in the logs, an X-Ray subsegment per invocation, metrics flushed
 * after it), the per-invocation log context (request id), and `correlate` for the ids that
 * make an entry findable (Razorpay event id, link id, job id): added to the log context and
 * as X-Ray annotations at once.
 *
 * HTTP routes get the middlewares through shared/http/route.ts; queue and schedule handlers
 * wrap themselves with `observedHandler`.
 */
import { randomUUID } from 'node:crypto';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { addLogContext, type LogContext, logger, readLogSwitches, runInvocation } from './log';
import { flushMetrics } from './metrics';
import { annotate, tracer } from './tracing';

readLogSwitches();

/** Ids to find an entry by: in the log context and as trace annotations. */
export function correlate(ids: LogContext): void {
  addLogContext(ids);
  annotate(ids);
}

/**
 * The Lambda context (function name, cold start, request id) on every entry. Not Powertools'
 * injectLambdaContext: on each warm invocation it resets the level to the one the logger was
 * built with, which would undo LOG_LEVEL as read by shared/log.ts.
 */
const lambdaContext = (): MiddlewareObj<unknown, unknown, Error, Context> => ({
  before: async (request) => logger.addContext(request.context),
});

const metricsFlush = (): MiddlewareObj => ({
  after: async () => flushMetrics(),
  onError: async () => flushMetrics(),
});

/** The Powertools middlewares, outermost first; `use` them before anything else. */
export function observability(): MiddlewareObj[] {
  return [
    ...(tracer
      ? // responses hold borrowers' names and phones: never copy them into the trace
        [captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj]
      : []),
    lambdaContext() as MiddlewareObj,
    metricsFlush(),
  ];
}

/**
 * Runs the handler in a fresh log context carrying the request id (the Lambda one, or a new
 * one where the caller passed no context, as the local queue does) — fresh, so a local queue
 * that runs a worker from inside the sending request does not inherit that request's ids.
 */
export function withInvocation<E, R>(
  function_: string,
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context?: Context) => Promise<R> {
  return (event, context) => {
    const ctx = (context ?? {}) as Context;
    return runInvocation({ function: function_, requestId: ctx.awsRequestId ?? randomUUID() }, () =>
      handler(event, ctx),
    );
  };
}

/** A queue or schedule handler with the same observability as the HTTP routes. */
export function observedHandler<E, R>(
  function_: string,
  fn: (event: E, context: Context) => Promise<R>,
): (event: E, context?: Context) => Promise<R> {
  const wrapped = middy<E, R, Error, Context>()
    .use(observability())
    .handler((event, context) => fn(event, context));
  return withInvocation(function_, (event, context) => wrapped(event, context));
}
