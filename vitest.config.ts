import { defineConfig } from 'vitest/config';

// the SDK warns on Node 20 (see toolchain.md gotcha 2); keep test output about tests
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

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
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LOG_LEVEL: 'silent',
    },
  },
});
