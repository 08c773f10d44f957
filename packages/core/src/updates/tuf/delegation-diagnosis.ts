import type { Updater } from 'tuf-js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { loadTargetsRole, trustedStore } from './tuf-js-internals.js';

interface Visit {
  readonly role: string;
  readonly parent: string;
}

/**
 * Explains why a refreshed client found no target at `path` when some delegated role does list
 * it: that role was not delegated the path, or a terminating delegation ends the search before it
 * (TUF §5.6.7.2). Walks every delegated role reachable from `targets` (at most `maxRoles`), each
 * loaded and verified by tuf-js's own loader; roles that fail verification are skipped, as the
 * client would.
 *
 * @returns an `UpdateRejectedError('delegation')` naming the role, or undefined when no verified
 * role lists the path (it simply is not in the repository).
 */
export async function diagnoseMissingTarget(
  updater: Updater,
  path: string,
  maxRoles: number,
): Promise<UpdateRejectedError | undefined> {
  const queue: Visit[] = [{ role: 'targets', parent: 'root' }];
  const seen = new Set<string>();
  while (queue.length > 0 && seen.size < maxRoles) {
    const { role, parent } = queue.shift() as Visit;
    if (seen.has(role)) continue;
    seen.add(role);
    let metadata: Awaited<ReturnType<typeof loadTargetsRole>>;
    try {
      metadata = await loadTargetsRole(updater, role, parent);
    } catch {
      continue;
    }
    const signed = metadata?.signed;
    if (signed === undefined) continue;
    if (role !== 'targets' && signed.targets[path] !== undefined) {
      return new UpdateRejectedError('delegation', explain(updater, role, parent, path), {
        subject: path,
        detail: { role, delegator: parent },
      });
    }
    for (const child of Object.values(signed.delegations?.roles ?? {}))
      queue.push({ role: child.name, parent: role });
  }
  return undefined;
}

function explain(updater: Updater, role: string, parent: string, path: string): string {
  const delegator = trustedStore(updater).getRole(parent)?.signed;
  const delegation = delegator?.delegations?.roles?.[role];
  if (delegation === undefined || !delegation.isDelegatedPath(path)) {
    const paths = delegation?.paths?.join(', ') ?? 'no paths';
    return `Role ${role} signs ${path}, but ${parent} delegated it only ${paths}`;
  }
  for (const { role: earlier, terminating } of delegator?.delegations?.rolesForTarget(path) ?? []) {
    if (earlier === role) break;
    if (terminating)
      return `Role ${role} signs ${path}, but the terminating delegation to ${earlier} ends the search first`;
  }
  return `Role ${role} signs ${path}, but the search for it ends before reaching ${role}`;
}
