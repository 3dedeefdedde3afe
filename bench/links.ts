/**
 * Issue 4 benchmark: latency of generate (sandbox latency 0) and of list at 10,000 links,
 * measured in-process against DynamoDB Local and the Razorpay sandbox, with the share of each
 * call spent outside DynamoDB and the sandbox (our own code: validation, mapping, the SDK).
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  createResources,
  dynamoClient,
  freePort,
  localAwsEnv,
  resourceNames,
  startDynamoDb,
  startS3,
} from '../local/aws-local';
import { startSandbox } from '../local/sandbox/server';
import { EmiStore } from '../shared/adapters/dynamo/emi-store';
import { LinkStore } from '../shared/adapters/dynamo/link-store';
import { OpsStore } from '../shared/adapters/dynamo/ops-store';
import { RazorpayGateway } from '../shared/adapters/razorpay/gateway';
import { addDays, istDate, systemClock } from '../shared/domain/dates';
import { type PaymentGateway, singleAccount } from '../shared/domain/gateway';
import { generateLink } from '../shared/usecases/generate-link';
import { DEFAULT_LINK_SETTINGS, type LinkDeps } from '../shared/usecases/link-deps';
import { listLinks } from '../shared/usecases/manage-link';
import { upsertLoans } from '../shared/usecases/upsert-loans';
import { benchActor } from './actor';
import { median, percentile, table } from './stats';

/** Accumulates wall time spent inside a dependency (calls are sequential while measuring). */
class Meter {
  ms = 0;
  async time<T>(p: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await p();
    } finally {
      this.ms += performance.now() - t;
    }
  }
}

export async function benchLinks(): Promise<void> {
  const [ddbPort, s3Port] = [await freePort(), await freePort()];
  const ddb = await startDynamoDb({ port: ddbPort });
  const s3 = await startS3({ port: s3Port, directory: `/tmp/bench-links-s3-${process.pid}` });
  const sandbox = await startSandbox({
    port: 0,
    webhookUrl: 'http://127.0.0.1:9/none',
    webhookRetryDelaysMs: [],
  });
  try {
    const endpoints = { dynamodb: ddb.endpoint, s3: s3.endpoint };
    const names = resourceNames('bench-links');
    Object.assign(process.env, localAwsEnv(endpoints, names));
    await createResources(names, endpoints);
    const dbMeter = new Meter();
    const rzpMeter = new Meter();
    const raw = DynamoDBDocumentClient.from(dynamoClient(ddb.endpoint), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const db = new Proxy(raw, {
      get(target, prop, receiver) {
        if (prop === 'send') return (cmd: never) => dbMeter.time(() => target.send(cmd));
        return Reflect.get(target, prop, receiver);
      },
    });
    const real = new RazorpayGateway({
      keyId: sandbox.keyId,
      keySecret: sandbox.keySecret,
      baseUrl: sandbox.url,
    });
    const gateway: PaymentGateway = {
      createLink: (r) => rzpMeter.time(() => real.createLink(r)),
      fetchLink: (id) => rzpMeter.time(() => real.fetchLink(id)),
      findLinkByReferenceId: (id) => rzpMeter.time(() => real.findLinkByReferenceId(id)),
      cancelLink: (id) => rzpMeter.time(() => real.cancelLink(id)),
    };
    const emis = new EmiStore(names.EMIS_TABLE, db);
    const deps: LinkDeps = {
      emis,
      links: new LinkStore(names.LINKS_TABLE, names.EMIS_TABLE, db),
      ops: new OpsStore(names.OPS_TABLE, db),
      gateways: singleAccount(gateway),
      clock: systemClock,
      settings: DEFAULT_LINK_SETTINGS,
    };
    const today = istDate(new Date());
    const loans = Array.from({ length: 2_040 }, (_, i) => ({
      loanId: `BL-${i}`,
      lender: ['Alpha', 'Bravo', 'Charlie'][i % 3]!,
      clientName: `Client ${i}`,
      phone: '+919000000001',
      emis: Array.from({ length: 5 }, (_, n) => ({
        emiNumber: n + 1,
        dueDate: addDays(today, n * 30 - 20),
        amount: 150_000,
      })),
    }));
    for (let i = 0; i < loans.length; i += 500) {
      await upsertLoans({ emis, clock: systemClock }, { loans: loans.slice(i, i + 500) }, benchActor);
    }
    // 9,800 links made concurrently (not measured) …
    const t0 = performance.now();
    const work = loans
      .slice(0, 1_960)
      .flatMap((l) => l.emis.map((e) => ({ loanId: l.loanId, emiNumber: e.emiNumber })));
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < work.length; i = next++)
          await generateLink(deps, work[i]!, { lenders: '*' });
      }),
    );
    console.log(
      `  made ${work.length} links in ${((performance.now() - t0) / 1000).toFixed(1)} s (8 concurrent)`,
    );
    // … then 200 generates measured one at a time, reaching 10,000 links
    const gen: number[] = [];
    dbMeter.ms = 0;
    rzpMeter.ms = 0;
    for (const l of loans.slice(1_960)) {
      for (const e of l.emis.slice(0, 3)) {
        if (gen.length >= 200) break;
        const t = performance.now();
        await generateLink(deps, { loanId: l.loanId, emiNumber: e.emiNumber }, { lenders: '*' });
        gen.push(performance.now() - t);
      }
    }
    const genTotal = gen.reduce((a, b) => a + b, 0);
    const genOutside = genTotal - dbMeter.ms - rzpMeter.ms;
    const genShares = [dbMeter.ms, rzpMeter.ms, genOutside].map(
      (x) => `${((100 * x) / genTotal).toFixed(0)}%`,
    );

    const list: number[] = [];
    dbMeter.ms = 0;
    const filters = [
      {},
      { lender: 'Bravo' },
      { status: 'created' as const },
      { lender: 'Alpha', status: 'created' as const },
      { loanId: 'BL-7' },
    ];
    for (let i = 0; i < 250; i++) {
      const t = performance.now();
      const page = await listLinks(deps, { ...filters[i % filters.length], limit: 50 }, benchActor);
      list.push(performance.now() - t);
      if (page.items.length === 0) throw new Error('empty list page');
    }
    const listTotal = list.reduce((a, b) => a + b, 0);
    const listOutside = listTotal - dbMeter.ms;
    table(
      ['operation (10,000 links)', 'median ms', 'p99 ms', 'in DynamoDB', 'in sandbox+SDK', 'outside both'],
      [
        [
          'generate (sandbox latency 0)',
          median(gen).toFixed(1),
          percentile(gen, 99).toFixed(1),
          ...genShares,
        ],
        [
          'list, limit 50 (5 filter shapes)',
          median(list).toFixed(1),
          percentile(list, 99).toFixed(1),
          `${((100 * dbMeter.ms) / listTotal).toFixed(0)}%`,
          '0%',
          `${((100 * listOutside) / listTotal).toFixed(0)}%`,
        ],
      ],
    );
    raw.destroy();
  } finally {
    await sandbox.close();
    await ddb.stop();
    await s3.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchLinks();
}
