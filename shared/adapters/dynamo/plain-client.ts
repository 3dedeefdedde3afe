/**
 * The plain DynamoDB client (no document-client layer), for the webhook receipt's hot path:
 * a handful of attributes written by hand cost less CPU per call than the document client's
 * marshalling, and a function that needs nothing else never loads @aws-sdk/lib-dynamodb.
 * `cacheMiddleware` resolves each command's middleware stack once instead of on every call
 * (the document client cannot: its commands close over their own inner command), and the SDK's
 * logger middleware goes — with no logger it still walked every input and output to redact it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

let shared: DynamoDBClient | undefined;

export function plainDynamoClient(): DynamoDBClient {
  if (!shared) {
    shared = new DynamoDBClient({ maxAttempts: 4, cacheMiddleware: true });
    shared.middlewareStack.remove('loggerMiddleware');
  }
  return shared;
}

/** True for the condition failures DynamoDB reports on a single write. */
export function isConditionFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
