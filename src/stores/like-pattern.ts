/** A LIKE pattern matching text that contains `search` (lower case; LIKE's own characters escaped). */
export function likePattern(search: string): string {
  return `%${search
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}
