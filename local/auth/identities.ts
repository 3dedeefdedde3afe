/**
 * The fixed demo identities of the local OpenID Connect provider (architecture §4a): three
 * people, one per role, and three clients. They exist only on this machine; on AWS people are
 * Cognito users and machines are its app clients.
 */

export type Role = 'viewer' | 'collector' | 'admin';

export interface DemoUser {
  username: string;
  password: string;
  /** stable, Cognito-like (a UUID): the actor id recorded on links and jobs */
  sub: string;
  role: Role;
  /** lender names, or ["*"] for all */
  lenders: string[];
}

export interface DemoClient {
  clientId: string;
  /** undefined: a public client (the page, PKCE S256) */
  secret?: string;
  /** for machine clients: the scopes a client-credentials token carries */
  scope?: string;
}

/** the resource server's scopes, named as on Cognito's `emi-links` resource server */
export const SCOPES = {
  read: 'emi-links/read',
  write: 'emi-links/write',
  loans: 'emi-links/loans.write',
} as const;

export const DEMO_USERS: readonly DemoUser[] = [
  {
    username: 'admin',
    password: 'demo-admin',
    sub: '6f1c2a40-0000-4000-8000-00000000a001',
    role: 'admin',
    lenders: ['*'],
  },
  {
    username: 'collector',
    password: 'demo-collector',
    sub: '6f1c2a40-0000-4000-8000-00000000c001',
    role: 'collector',
    lenders: ['Kaveri Finance', 'Deccan Credit'],
  },
  {
    username: 'viewer',
    password: 'demo-viewer',
    sub: '6f1c2a40-0000-4000-8000-00000000e001',
    role: 'viewer',
    lenders: ['Sahyadri Microfin'],
  },
];

export const WEB_CLIENT_ID = 'emi-links-web';

export const DEMO_CLIENTS: readonly DemoClient[] = [
  {
    clientId: 'demo-ops',
    secret: 'demo-ops-secret',
    scope: `${SCOPES.read} ${SCOPES.write} ${SCOPES.loans}`,
  },
  { clientId: 'demo-warehouse', secret: 'demo-warehouse-secret', scope: SCOPES.loans },
  { clientId: WEB_CLIENT_ID },
];

/** the client ids the API accepts from the local provider (AUTH_CLIENT_IDS) */
export const DEMO_CLIENT_IDS = DEMO_CLIENTS.map((c) => c.clientId);

export function userBySub(sub: string): DemoUser | undefined {
  return DEMO_USERS.find((u) => u.sub === sub);
}

/** The identities as `npm start` prints them and the README lists them. */
export function identitiesTable(pageUrl: string): string[] {
  const rows: [string, string, string][] = [
    ...DEMO_USERS.map((u): [string, string, string] => [
      `user ${u.username}`,
      u.password,
      `${u.role}, ${u.lenders[0] === '*' ? 'all lenders' : u.lenders.join(' and ')}`,
    ]),
    ...DEMO_CLIENTS.map((c): [string, string, string] => [
      `client ${c.clientId}`,
      c.secret ?? 'public, PKCE S256',
      c.scope ?? `the page; redirect ${pageUrl}/`,
    ]),
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
}
