// The shared CSV writer: quoting, formula-injection-safe cells, BOM and header, paging until a short page.
import { describe, expect, it } from 'vitest';
import { csvCell, csvLines, EXPORT_PAGE_SIZE } from '../../../src/docs/export.ts';

describe('the CSV writer', () => {
  it('escapes cells a spreadsheet would run as a formula', () => {
    for (const dangerous of ['=HYPERLINK("http://x")', '+1+2', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd']) {
      expect(csvCell(dangerous).replace(/^"/, '').startsWith("'"), JSON.stringify(dangerous)).toBe(true);
    }
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('Contoso')).toBe('Contoso');
  });

  it('quotes commas, quotes, line breaks and edge spaces; writes arrays, dates, booleans and nulls', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' padded')).toBe('" padded"');
    expect(csvCell(['a@x.example', 'b@x.example'])).toBe('a@x.example; b@x.example');
    expect(csvCell(new Date('2026-12-03T10:00:00Z'))).toBe('2026-12-03T10:00:00.000Z');
    expect(csvCell(false)).toBe('false');
    expect(csvCell(null)).toBe('');
    expect(csvCell(-5)).toBe("'-5");
  });

  it('starts with the BOM and the header row and reads pages until one comes back short', async () => {
    const asked: number[] = [];
    const rows = Array.from({ length: EXPORT_PAGE_SIZE + 3 }, (_, i) => ({ n: i, name: `Zoë ${i}` }));
    const lines: string[] = [];
    type Row = { n: number; name: string };
    for await (const chunk of csvLines<Row>(
      [
        { header: 'Number', value: (r) => r.n },
        { header: 'Name', value: (r) => r.name },
      ],
      async (page, size) => {
        asked.push(page);
        return rows.slice((page - 1) * size, page * size);
      },
    ))
      lines.push(chunk);
    const text = lines.join('');
    expect(text.startsWith('\uFEFFNumber,Name\r\n')).toBe(true);
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(EXPORT_PAGE_SIZE + 4);
    expect(text).toContain('\r\n2,Zoë 2\r\n');
    expect(asked).toEqual([1, 2]);
  });
});
