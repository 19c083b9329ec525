/** Adds id under key (once); an empty key adds nothing. The indexes map a key to every record holding it. */
export function addTo(map: Map<string, string[]>, key: string, id: string): void {
  if (!key) return;
  const ids = map.get(key);
  if (!ids) map.set(key, [id]);
  else if (!ids.includes(id)) ids.push(id);
}
