/**
 * Bulk CSV exports in the exports bucket, both ways (tests, benchmarks). A function imports only
 * the half it uses — S3ExportWriter or S3ExportReader — so none loads both lib-storage and the
 * presigner (the presigner alone costs tens of ms of cold start).
 */
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from './client';
import { S3ExportReader } from './export-reader';
import type { ExportStore } from './export-store';
import { S3ExportWriter } from './export-writer';

export * from './export-store';

export class S3ExportStore implements ExportStore {
  private readonly writer: S3ExportWriter;
  private readonly reader: S3ExportReader;

  constructor(bucket: string, s3: S3Client = s3Client()) {
    this.writer = new S3ExportWriter(bucket, s3);
    this.reader = new S3ExportReader(bucket, s3);
  }

  upload(key: string, body: Readable, filename: string): Promise<void> {
    return this.writer.upload(key, body, filename);
  }

  presignGet(key: string, filename: string, expiresInSeconds?: number): Promise<string> {
    return this.reader.presignGet(key, filename, expiresInSeconds);
  }
}
