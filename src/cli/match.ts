// docsync match --input FILE|- : runs the matching engine on a JSON document and prints its
// decisions as one JSON object (issue 7, CLI contract). Bad input: exit 2, one line on stderr
// naming the bad field, nothing on stdout. No config, no database: the engine is pure.
//
// Scale: each decision lists at most MAX_CANDIDATES candidates (plus candidateCount), the output
// is written decision by decision (never one string: 20,000 × 20,000 namesakes made a string past
// V8's limit), and an input past MAX_INPUT_BYTES is refused with one line (README, Commands).
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { parseCommandArgs, UsageError } from './args.ts';
import { parseMatchingInput, MatchingInputInvalid, runMatching, type MatchingOutput } from '../matching/index.ts';

/** The largest JSON input `docsync match` reads: 64 MiB (documented in the README). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

export async function match(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { input: { type: 'string' } });
  if (values.input === undefined) throw new UsageError('--input FILE is required (- reads stdin)');
  const source = values.input === '-' ? 'stdin' : values.input;

  let text: string | null;
  try {
    text = values.input === '-' ? await readStdin() : await readFileCapped(values.input);
  } catch (error) {
    return invalid(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (text === null) {
    const limit = `${MAX_INPUT_BYTES / 1024 / 1024} MB`;
    return invalid(`${source} is larger than ${limit}, the most docsync match reads; split the tenants over several runs`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return invalid(`${source} is not JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  let input;
  try {
    input = parseMatchingInput(json);
  } catch (error) {
    if (error instanceof MatchingInputInvalid) return invalid(error.message);
    throw error;
  }
  await writeOutput(runMatching(input));
  return 0;
}

/** One JSON object, as before, written a decision at a time and waiting when stdout is full. */
async function writeOutput(output: MatchingOutput): Promise<void> {
  const write = async (chunk: string) => {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  };
  const sections = Object.keys(output) as Array<keyof MatchingOutput>;
  await write('{');
  for (const [i, key] of sections.entries()) {
    await write(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:[`);
    const list = output[key] as unknown[];
    let batch = '';
    for (const [j, decision] of list.entries()) {
      batch += `${j > 0 ? ',' : ''}${JSON.stringify(decision)}`;
      if (batch.length > 64 * 1024) {
        await write(batch);
        batch = '';
      }
    }
    await write(`${batch}]`);
  }
  await write('}\n');
}

/** The file's text, or null when it is larger than MAX_INPUT_BYTES. */
async function readFileCapped(file: string): Promise<string | null> {
  const handle = await open(file, 'r');
  try {
    if ((await handle.stat()).size > MAX_INPUT_BYTES) return null;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

function invalid(line: string): number {
  process.stderr.write(`${line.replace(/\s+/g, ' ')}\n`);
  return 2;
}

async function readStdin(): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_INPUT_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
