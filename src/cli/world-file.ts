// --world FILE (docsync emulator, docsync demo): the customers of a world file, or the one line
// that says why the file cannot be used (the caller prints it to stderr and exits 2).
import { readFile, stat } from 'node:fs/promises';
import { parseWorldFile, WorldFileInvalid, type ExplicitCustomer } from '../emulator/world/explicit.ts';

/** A world file larger than this is refused before reading: the emulator keeps it in memory. */
const MAX_WORLD_BYTES = 256 * 1024 * 1024;

export async function loadWorldFile(file: string): Promise<{ customers: ExplicitCustomer[] } | { error: string }> {
  let text: string;
  try {
    if ((await stat(file)).size > MAX_WORLD_BYTES) return { error: `--world: ${file} is larger than 256 MB` };
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { error: `--world: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { error: `--world: ${file} is not JSON: ${(error as Error).message.split('\n')[0]}` };
  }
  try {
    return { customers: parseWorldFile(json) };
  } catch (error) {
    if (error instanceof WorldFileInvalid) return { error: error.message.replace(/\s+/g, ' ') };
    throw error;
  }
}
