import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    // guards against a hang, not speed goals: a two-core machine under load is many times slower
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // integration files share one DynamoDB Local and one s3rver; each uses its own tables/buckets
    fileParallelism: true,
    maxWorkers: 2,
    env: {
      CDK_VALIDATION: 'false',
      AWS_REGION: 'ap-south-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      // errors only: many are failures the tests inject on purpose, but a route's 500
      // ("unhandled error") must never happen, and when one does its cause is in the output
      LOG_LEVEL: 'ERROR',
      // DynamoDB Local's lock timeouts (500s DynamoDB never gives) under a loaded machine
      DYNAMODB_MAX_ATTEMPTS: '10',
    },
  },
});
