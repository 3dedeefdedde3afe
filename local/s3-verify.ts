/**
 * A verifying front for the S3 emulator. s3rver checks no signature: it serves any local request
 * without credentials and ignores a presigned URL's signature and expiry. This front listens on
 * the S3 port (loopback), checks every request's AWS Signature V4 with the AWS SDK's own signer
 * (@smithy/signature-v4) — the Authorization header, or a presigned URL's query and its expiry —
 * against the local credentials, and only then forwards it to s3rver on an internal loopback
 * port. Anything else is S3's own 403 (`AccessDenied`, `SignatureDoesNotMatch`, expired).
 *
 * CORS as the bucket's CORS rule does on AWS (lib/stateful-stack.ts): for the buckets and origins
 * named, a preflight (no signature, as S3 allows) is answered here and the real request's answer
 * carries Access-Control-Allow-Origin; every other origin gets no CORS header, so its browser
 * refuses the answer.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** node:crypto in the shape the signer wants (a hash, or an HMAC when given a secret). */
type Source = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Source) =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

class NodeSha256 {
  private readonly h;
  constructor(secret?: Source) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Source): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

/** S3's allowance for a request's clock, and the longest a presigned URL may live. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

function amzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function sameSignature(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

type Verdict = { ok: true } | { ok: false; code: string; message: string };
const deny = (code: string, message: string): Verdict => ({ ok: false, code, message });

/** Checks one request's SigV4 (header or presigned). */
export async function verifyS3Request(
  req: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
  body: Buffer,
  credentials: Credentials,
  now = Date.now(),
): Promise<Verdict> {
  const [rawPath = '/', rawQuery = ''] = req.url.split('?', 2) as [string, string?];
  const params = new URLSearchParams(rawQuery);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  const authorization = headers.authorization;
  const presigned = params.get('X-Amz-Algorithm');
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  let signingDate: Date | undefined;
  if (authorization !== undefined) {
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    if (!m) return deny('AccessDenied', 'Unsupported or malformed Authorization header');
    [, credential, signedHeaders, signature] = m;
    signingDate = amzDate(headers['x-amz-date']);
    if (!signingDate || Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) {
      return deny('RequestTimeTooSkewed', 'The request time is missing or too far from the server time');
    }
  } else if (presigned !== null) {
    if (presigned !== 'AWS4-HMAC-SHA256') return deny('AccessDenied', 'Unsupported signing algorithm');
    credential = params.get('X-Amz-Credential') ?? undefined;
    signedHeaders = params.get('X-Amz-SignedHeaders') ?? undefined;
    signature = params.get('X-Amz-Signature') ?? undefined;
    signingDate = amzDate(params.get('X-Amz-Date') ?? undefined);
    const expires = Number(params.get('X-Amz-Expires'));
    if (!signingDate || !Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
      return deny('AuthorizationQueryParametersError', 'Malformed presigned URL');
    }
    if (now > signingDate.getTime() + expires * 1000) return deny('AccessDenied', 'Request has expired');
    if (signingDate.getTime() - now > MAX_SKEW_MS) return deny('AccessDenied', 'Request is not yet valid');
  } else {
    return deny('AccessDenied', 'Anonymous requests are not allowed');
  }
  const [accessKeyId, , region, service, terminator] = (credential ?? '').split('/');
  if (
    accessKeyId !== credentials.accessKeyId ||
    !region ||
    service !== 's3' ||
    terminator !== 'aws4_request'
  ) {
    return deny('InvalidAccessKeyId', 'The access key or credential scope is not recognised');
  }
  const contentHash = headers['x-amz-content-sha256'];
  if (contentHash && /^[0-9a-f]{64}$/.test(contentHash)) {
    if (createHash('sha256').update(body).digest('hex') !== contentHash) {
      return deny('XAmzContentSHA256Mismatch', 'The body does not match x-amz-content-sha256');
    }
  }
  const names = (signedHeaders ?? '').split(';');
  if (!names.includes('host')) return deny('AccessDenied', 'The host header must be signed');
  const signedOnly: Record<string, string> = {};
  for (const n of names) {
    if (headers[n] === undefined) return deny('AccessDenied', `Signed header ${n} is missing`);
    signedOnly[n] = headers[n]!;
  }
  const query: Record<string, string | string[]> = {};
  const presignOwn = /^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature|Security-Token)$/;
  for (const [k, v] of params) {
    if (presigned !== null && presignOwn.test(k)) continue;
    if (presigned !== null && k === 'X-Amz-Content-Sha256') {
      // the presigner hoisted this header into the query; the signer reads it as a header
      signedOnly['X-Amz-Content-Sha256'] = v;
      continue;
    }
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({
    credentials,
    region,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
  const toSign = {
    method: req.method,
    protocol: 'http:',
    hostname: headers.host ?? '',
    path: rawPath,
    query,
    headers: signedOnly,
    body,
  };
  let expected: string | undefined;
  if (presigned !== null) {
    const out = await signer.presign(toSign, {
      signingDate,
      expiresIn: Number(params.get('X-Amz-Expires')),
    });
    expected = out.query?.['X-Amz-Signature'] as string | undefined;
  } else {
    const out = await signer.sign(toSign, { signingDate });
    expected = /Signature=([0-9a-f]{64})$/.exec(String(out.headers.authorization ?? ''))?.[1];
  }
  if (!sameSignature(expected, signature)) {
    return deny(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided',
    );
  }
  return { ok: true };
}

function s3Error(res: ServerResponse, code: string, message: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A bucket's CORS rule: which page origins may send which methods to it. */
export interface S3Cors {
  buckets: string[];
  origins: string[];
  methods: string[];
}

/** The CORS headers for a request from an allowed origin to an allowed bucket (path style), else null. */
function allowedCors(cors: S3Cors | undefined, req: IncomingMessage): Record<string, string> | null {
  const origin = req.headers.origin;
  if (!cors || typeof origin !== 'string' || !cors.origins.includes(origin)) return null;
  const bucket = decodeURIComponent((req.url ?? '/').split('?')[0]!.split('/')[1] ?? '');
  if (!cors.buckets.includes(bucket)) return null;
  const method =
    req.method === 'OPTIONS' ? String(req.headers['access-control-request-method'] ?? '') : req.method;
  if (!method || !cors.methods.includes(method)) return null;
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'ETag', vary: 'Origin' };
}

/** Starts the front on host:port, forwarding verified requests to s3rver on upstreamPort. */
export async function startS3Front(opts: {
  host: string;
  port: number;
  upstreamPort: number;
  credentials: Credentials;
  cors?: S3Cors;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const corsHeaders = allowedCors(opts.cors, req);
    if (corsHeaders) {
      if (req.method === 'OPTIONS') {
        res.writeHead(200, {
          ...corsHeaders,
          'access-control-allow-methods': opts.cors!.methods.join(', '),
          'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? ''),
          'access-control-max-age': '3600',
        });
        res.end();
        return;
      }
      for (const [k, v] of Object.entries(corsHeaders)) res.setHeader(k, v);
    }
    try {
      const body = await readAll(req);
      const verdict = await verifyS3Request(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
        body,
        opts.credentials,
      );
      if (!verdict.ok) return s3Error(res, verdict.code, verdict.message);
      const upstream = request(
        { host: opts.host, port: opts.upstreamPort, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    } catch {
      if (!res.headersSent) s3Error(res, 'AccessDenied', 'The request could not be verified');
      else res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
