/**
 * Starts DynamoDB Local and the S3 emulator once per test run (in-memory, random ports) and
 * hands their endpoints to the test files. Each test file creates its own tables and buckets
 * (test/support/local-aws.ts), so files can run in parallel without sharing data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, type LocalService, startDynamoDb, startS3 } from '../../local/aws-local';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    s3Endpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const s3Dir = mkdtempSync(join(tmpdir(), 'emi-s3-'));
  const [ddbPort, s3Port] = [await freePort(), await freePort()];
  const services: LocalService[] = await Promise.all([
    startDynamoDb({ port: ddbPort }),
    startS3({ port: s3Port, directory: s3Dir }),
  ]);
  project.provide('dynamodbEndpoint', services[0]!.endpoint);
  project.provide('s3Endpoint', services[1]!.endpoint);
  return async () => {
    await Promise.all(services.map((s) => s.stop()));
    rmSync(s3Dir, { recursive: true, force: true });
  };
}
