/**
 * Per-file local AWS: points the SDK at the run's DynamoDB Local and S3 emulator and creates
 * a fresh set of tables and buckets with a unique prefix, exported to process.env exactly as
 * the CDK stack would set them for a Lambda — the token issuer's (AUTH_*) included.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createResources, type LocalResourceNames, localAwsEnv, resourceNames } from '../../local/aws-local';
import { useDefaultToken } from './http';
import { startTestIssuer, type TestIssuer, trustIssuer } from './token-issuer';

export async function useLocalAws(
  label: string,
): Promise<LocalResourceNames & { dynamodb: string; s3: string; issuer: TestIssuer }> {
  const endpoints = { dynamodb: inject('dynamodbEndpoint'), s3: inject('s3Endpoint') };
  const names = resourceNames(`t${randomBytes(3).toString('hex')}-${label}`.slice(0, 40));
  Object.assign(process.env, localAwsEnv(endpoints, names));
  await createResources(names, endpoints);
  // every /api function needs a token: trust a test issuer and send its demo-ops token by default
  const issuer = await startTestIssuer();
  trustIssuer(issuer);
  useDefaultToken(await issuer.mint());
  return { ...names, ...endpoints, issuer };
}
