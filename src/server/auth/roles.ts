/**
 * Roles and what each may call: one table, METHOD_ROLES, read in one place (the session's
 * access check) for every request. A method the table does not list is admin-only: a method
 * added without being classified is never open (a test fails until it is listed).
 */
import type { MethodName } from '../../protocol/messages.ts';

export const ROLES = ['client', 'worker', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A set of roles as bits, so that a check per request is one AND. */
export type RoleMask = number;

const BIT: Record<Role, number> = { client: 1, worker: 2, admin: 4 };

export function isRole(name: string): name is Role {
  return Object.hasOwn(BIT, name);
}

/** The bits of a list of roles. */
export function maskOf(roles: readonly Role[]): RoleMask {
  let mask = 0;
  for (const r of roles) mask |= BIT[r];
  return mask;
}

/**
 * Who may call each native method, besides `admin` (which may call everything). `auth` is
 * open: it is how a connection gets its roles. Clients submit, read, wait for and cancel any
 * task (tokens are not tenants), run tallies, and manage cron schedules (a schedule is a
 * recurring submit: nothing a client could not do by submitting). Workers say hello, report
 * and extend their leases. Listing the connected workers (names, addresses) is admin-only,
 * and so is every operator method added later, unless listed here.
 */
export const METHOD_ROLES: Partial<Record<MethodName, readonly Role[] | 'anyone'>> = {
  auth: 'anyone',
  ping: ['client', 'worker'],
  submit: ['client'],
  run: ['client'],
  submitMany: ['client'],
  status: ['client'],
  wait: ['client'],
  cancel: ['client'],
  workers: [],
  'tally.create': ['client'],
  'tally.status': ['client'],
  'schedule.add': ['client'],
  'schedule.list': ['client'],
  'schedule.remove': ['client'],
  'worker.hello': ['worker'],
  'worker.resume': ['worker'],
  'worker.complete': ['worker'],
  'worker.fail': ['worker'],
  'worker.extend': ['worker'],
  'worker.progress': ['worker'],
  // The operator's methods: admin only. `types` too: it counts the whole tasks table.
  retry: [],
  retryMany: [],
  pause: [],
  resume: [],
  types: [],
};

const ALL = BIT.client | BIT.worker | BIT.admin;

/** The roles that may call `method`, as bits; admin-only for a method the table lacks. */
export function methodMask(method: string): RoleMask {
  const roles = Object.hasOwn(METHOD_ROLES, method)
    ? METHOD_ROLES[method as MethodName]
    : undefined;
  if (roles === 'anyone') return ALL;
  return roles ? maskOf(roles) | BIT.admin : BIT.admin;
}

const MASKS = new Map<string, RoleMask>();

/** Whether roles `mask` may call `method` (cached per method name). */
export function permits(mask: RoleMask, method: string): boolean {
  let need = MASKS.get(method);
  if (need === undefined) {
    need = methodMask(method);
    MASKS.set(method, need);
  }
  return (mask & need) !== 0;
}

/** The roles of a mask, in table order. */
export function rolesOf(mask: RoleMask): Role[] {
  return ROLES.filter((r) => (mask & BIT[r]) !== 0);
}

/** Every role, as bits (a server without auth grants them all). */
export const ALL_ROLES: RoleMask = ALL;
