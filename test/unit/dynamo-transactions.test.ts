import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { transactRetryingConflicts } from '../../shared/adapters/dynamo/client';
import { ConflictError } from '../../shared/domain/errors';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'ap-south-1' }));
const mock = mockClient(db);

function cancelled(...codes: string[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

const input = { TransactItems: [{ Put: { TableName: 't', Item: { pk: 'LOAN#1', sk: '#' } } }] };

beforeEach(() => mock.reset());

describe('transactRetryingConflicts', () => {
  it('tries again after a TransactionConflict and succeeds once the other transaction is gone', async () => {
    mock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('TransactionConflict', 'None'))
      .rejectsOnce(cancelled('None', 'TransactionConflict'))
      .resolves({});
    await transactRetryingConflicts(db, input, 'Loan L-1');
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('answers a 409 CONCURRENT_UPDATE naming the record after the last attempt, never the raw error', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('TransactionConflict'));
    const err = await transactRetryingConflicts(db, input, 'Loan L-1', 3).catch((e) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'CONCURRENT_UPDATE' });
    expect(err.message).toContain('Loan L-1');
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('leaves other cancellations (a failed condition) to the caller, untried', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed'));
    const err = await transactRetryingConflicts(db, input, 'Loan L-1').catch((e) => e);
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect(mock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});
