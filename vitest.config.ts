import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // integration files share one DynamoDB Local and one s3rver; each uses its own tables/buckets
    fileParallelism: true,
    maxWorkers: 2,
    env: {
      CDK_VALIDATION: 'false',
      AWS_REGION: 'ap-south-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      LOG_LEVEL: 'silent',
    },
  },
});
