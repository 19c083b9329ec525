import { describe, expect, it } from 'vitest';
import { cleanGraphBody, cleanJson, cleanText } from '../../../src/microsoft/text.ts';

describe('text from Microsoft, made storable', () => {
  it('replaces NUL and unpaired surrogates, and keeps paired ones, RTL marks and combining marks', () => {
    expect(cleanText('a\u0000b')).toBe('a\uFFFDb');
    expect(cleanText('\uD800x\uDC00')).toBe('\uFFFDx\uFFFD');
    expect(cleanText('end\uD83D')).toBe('end\uFFFD');
    const fine = 'Zoë 😀 \u200F\u202E e\u0301 \uFEFF';
    expect(cleanText(fine)).toBe(fine);
  });

  it('cleans keys and values at any depth and copies only what changed', () => {
    const untouched = { a: ['x'], b: { c: 1 } };
    expect(cleanJson(untouched).value).toBe(untouched);
    const { value, replaced } = cleanJson({ a: ['x\u0000'], b: { 'k\uD800': 'v' }, n: null, t: true });
    expect(value).toEqual({ a: ['x\uFFFD'], b: { 'k\uFFFD': 'v' }, n: null, t: true });
    expect(replaced).toBe(2);
  });

  it('names each Graph record that had characters replaced, once, also inside $batch answers', () => {
    const seen: string[] = [];
    const body = {
      responses: [
        {
          id: '1',
          status: 200,
          body: {
            value: [
              { id: 'u1', displayName: 'a\u0000', surname: '\uDC00' },
              { id: 'u2', displayName: 'ok' },
            ],
          },
        },
      ],
    };
    const cleaned = cleanGraphBody(body, (record) => seen.push(record));
    expect(seen).toEqual(['u1']);
    expect(cleaned.responses[0]!.body.value[0]).toEqual({ id: 'u1', displayName: 'a\uFFFD', surname: '\uFFFD' });
  });
});
