/**
 * True when `value` nests arrays or objects deeper than `max` levels (`max` 0: any array or object
 * is too deep). Iterative, so it answers for any depth without recursion: check this before a
 * recursive parser or schema walks untrusted JSON, which would overflow the stack some thousands of
 * levels down.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
