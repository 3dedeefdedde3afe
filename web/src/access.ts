/**
 * What the logged-in person may do, from GET /api/me (architecture §4a). The page only hides
 * what the role may not do; the API decides and refuses it anyway (403).
 */
export type Permission = 'read' | 'write' | 'loans' | 'admin';

let granted = new Set<string>();

export function setPermissions(permissions: readonly string[]): void {
  granted = new Set(permissions);
}

export function can(permission: Permission): boolean {
  return granted.has(permission);
}
