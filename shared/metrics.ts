/**
 * Business and dependency metrics, named after what happened (`metrics.linkCreated()`), so use
 * cases and adapters never touch Powertools. Values are buffered per invocation and flushed by
 * the handler wrapper (shared/observe.ts) as CloudWatch EMF lines: one line per dimension set,
 * all with the `service` dimension.
 *
 * On or off: metrics are emitted where POWERTOOLS_METRICS_NAMESPACE is set — every deployed
 * function (lib/function.ts sets it). Without it (npm start, tests) nothing is printed; each
 * value goes to the debug log instead. POWERTOOLS_METRICS_DISABLED=true turns them off on AWS.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { log, logger } from './log';
import {
  METRIC,
  type MeasuredProvider,
  OPERATION_DIMENSION,
  PROVIDER_METRICS,
  type RazorpayOperation,
  SERVICE_NAME,
} from './observability/names';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
type Dimensions = Record<string, string>;

interface Sample {
  name: string;
  unit: Unit;
  value: number;
  dimensions?: Dimensions;
}

/** Where samples go: EMF through Powertools by default; tests may record them. */
export interface MetricsSink {
  record(sample: Sample): void;
  flush(): void;
}

/** Buffers samples and prints them as EMF through Powertools, one Metrics per dimension set. */
class EmfSink implements MetricsSink {
  private readonly byDimensions = new Map<string, Metrics>();

  constructor(private readonly namespace: string) {}

  private metricsFor(dimensions: Dimensions | undefined): Metrics {
    const key = JSON.stringify(dimensions ?? {});
    let metrics = this.byDimensions.get(key);
    if (!metrics) {
      metrics = new Metrics({
        namespace: this.namespace,
        serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
        defaultDimensions: dimensions,
        logger,
      });
      this.byDimensions.set(key, metrics);
    }
    return metrics;
  }

  record({ name, unit, value, dimensions }: Sample): void {
    this.metricsFor(dimensions).addMetric(name, unit, value);
  }

  flush(): void {
    for (const metrics of this.byDimensions.values()) {
      // publishing an empty buffer only prints a warning
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  }
}

const debugSink: MetricsSink = {
  record: (sample) => log.debug('metric', { metric: sample.name, value: sample.value, ...sample.dimensions }),
  flush: () => {},
};

let sink: MetricsSink | undefined;

function current(): MetricsSink {
  if (!sink) {
    const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE;
    sink = namespace ? new EmfSink(namespace) : debugSink;
  }
  return sink;
}

/** For tests: record into `next` (or back to the environment's choice with undefined). */
export function useMetricsSink(next: MetricsSink | undefined): void {
  sink = next;
}

/** Prints what the invocation buffered; the handler wrapper calls it after every invocation. */
export function flushMetrics(): void {
  try {
    current().flush();
  } catch (err) {
    // a metric must never fail the request it describes
    log.warn('metrics not published', { err });
  }
}

function emit(name: string, unit: Unit, value: number, dimensions?: Dimensions): void {
  current().record({ name, unit, value, dimensions });
}

export const metrics = {
  linkCreated: () => emit(METRIC.linksCreated, MetricUnit.Count, 1),
  linkFailed: () => emit(METRIC.linksFailed, MetricUnit.Count, 1),
  paymentCredited: () => emit(METRIC.paymentsCredited, MetricUnit.Count, 1),
  surplusFlagged: () => emit(METRIC.surplusesFlagged, MetricUnit.Count, 1),
  refundProcessed: () => emit(METRIC.refundsProcessed, MetricUnit.Count, 1),
  webhookLag: (ms: number) => emit(METRIC.webhookLag, MetricUnit.Milliseconds, Math.max(0, ms)),
  webhookSignatureRejected: () => emit(METRIC.webhookSignatureRejected, MetricUnit.Count, 1),
  /** one HTTP call to a provider: counted overall and per operation, latency per operation */
  providerCall: (provider: MeasuredProvider, operation: RazorpayOperation, ms: number, failed: boolean) => {
    const names = PROVIDER_METRICS[provider];
    const byOperation = { [OPERATION_DIMENSION]: operation };
    emit(names.calls, MetricUnit.Count, 1);
    emit(names.errors, MetricUnit.Count, failed ? 1 : 0);
    emit(names.calls, MetricUnit.Count, 1, byOperation);
    emit(names.errors, MetricUnit.Count, failed ? 1 : 0, byOperation);
    emit(names.latency, MetricUnit.Milliseconds, ms, byOperation);
  },
  bulkItemProcessed: () => emit(METRIC.bulkItemsProcessed, MetricUnit.Count, 1),
  bulkJobThroughput: (itemsPerSecond: number) =>
    emit(METRIC.bulkItemsPerSecond, MetricUnit.CountPerSecond, itemsPerSecond),
  bulkJobsStalled: (count: number) => emit(METRIC.bulkJobsStalled, MetricUnit.Count, count),
  reconcileMissedByWebhooks: (count: number) =>
    emit(METRIC.reconcileMissedByWebhooks, MetricUnit.Count, count),
};
