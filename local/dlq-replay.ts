/**
 * `npm run dlq:replay` — moves dead-lettered messages back onto their queues, so events that
 * kept failing (e.g. a payment whose link could not be found, or Razorpay down for longer than
 * the retries) are applied again once the cause is fixed. Applying is idempotent: a payment is
 * credited once however often its event is replayed.
 *
 * Under the one-machine runtime (`npm start`) the queues live inside that process, so this asks
 * it over HTTP: GET /_local/queues (depth and dead letters per queue), then
 * POST /_local/dlq/replay, on http://localhost:${PORT:-3000}.
 *
 * On AWS the dead-letter queue is a real SQS queue; SQS moves the messages back itself:
 *
 *   aws sqs start-message-move-task --source-arn <webhook-dlq-arn>
 *   aws sqs list-message-move-tasks --source-arn <webhook-dlq-arn>     # progress
 *
 * (without --destination-arn SQS returns each message to the queue it was dead-lettered from;
 * the DLQ ARNs are the stateful stack's WebhookDlq/BulkDlq, and their alarms fire on any message).
 */

export interface QueueState {
  depth: number;
  deadLetters: number;
}

export interface ReplayReport {
  before: Record<string, QueueState>;
  replayed: Record<string, number>;
}

async function request<T>(url: string, method: 'GET' | 'POST'): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { method });
  } catch (err) {
    throw new Error(`cannot reach ${url} (${(err as Error).message}); is \`npm start\` running?`, {
      cause: err,
    });
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

export async function replayDeadLetters(baseUrl: string): Promise<ReplayReport> {
  const before = await request<Record<string, QueueState>>(`${baseUrl}/_local/queues`, 'GET');
  const { replayed } = await request<{ replayed: Record<string, number> }>(
    `${baseUrl}/_local/dlq/replay`,
    'POST',
  );
  return { before, replayed };
}

export function formatReport(report: ReplayReport): string {
  const names = [...new Set([...Object.keys(report.before), ...Object.keys(report.replayed)])].sort();
  if (names.length === 0) return 'no queues';
  const rows = names.map((name) => {
    const state = report.before[name];
    return `  ${name.padEnd(10)} dead letters ${String(state?.deadLetters ?? 0).padStart(4)}  replayed ${String(report.replayed[name] ?? 0).padStart(4)}`;
  });
  const total = Object.values(report.replayed).reduce((a, b) => a + b, 0);
  return [...rows, `${total} message(s) back on their queues`].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const baseUrl = `http://localhost:${process.env.PORT ?? '3000'}`;
  replayDeadLetters(baseUrl)
    .then((report) => console.log(formatReport(report)))
    .catch((err: Error) => {
      console.error(`dlq:replay failed: ${err.message}`);
      process.exitCode = 1;
    });
}
