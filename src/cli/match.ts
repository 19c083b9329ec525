// docsync match --input FILE|- : runs the matching engine on a JSON document and prints its
// decisions as one JSON object (issue 7, CLI contract). Bad input: exit 2, one line on stderr
// naming the bad field, nothing on stdout. No config, no database: the engine is pure.
import { readFile } from 'node:fs/promises';
import { parseCommandArgs, UsageError } from './args.ts';
import { parseMatchingInput, MatchingInputInvalid, runMatching } from '../matching/index.ts';

export async function match(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { input: { type: 'string' } });
  if (values.input === undefined) throw new UsageError('--input FILE is required (- reads stdin)');
  const source = values.input === '-' ? 'stdin' : values.input;

  let text: string;
  try {
    text = values.input === '-' ? await readStdin() : await readFile(values.input, 'utf8');
  } catch (error) {
    return invalid(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
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
  process.stdout.write(`${JSON.stringify(runMatching(input))}\n`);
  return 0;
}

function invalid(line: string): number {
  process.stderr.write(`${line.replace(/\s+/g, ' ')}\n`);
  return 2;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
