/** Which namespace host owns (index, namespace): FNV-1a of both names, modulo the host count. */
export function hostFor(index: string, namespace: string, hosts: number): number {
  let h = 0x811c9dc5;
  const s = `${index}\u0000${namespace}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % hosts;
}
