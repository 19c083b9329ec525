// Staged records are compared by the hash of this text: equal content must give equal text in
// any key order, and the text must not drift between docsync versions (a change re-stages every
// record of every tenant once), so its exact form is pinned here.
import { describe, expect, it } from 'vitest';
import { contentHash, stableStringify } from '../../../src/stores/staging.ts';

describe('stable JSON of staged records', () => {
  it('writes the same text for the same content in any key order, at any depth', () => {
    const a = { id: '1', names: { given: 'Raúl', surname: 'van der Berg' }, licenses: [{ skuId: 'b', disabledPlans: [] }, { skuId: 'a' }] };
    const b = { licenses: [{ disabledPlans: [], skuId: 'b' }, { skuId: 'a' }], names: { surname: 'van der Berg', given: 'Raúl' }, id: '1' };
    expect(stableStringify(b)).toBe(stableStringify(a));
    expect(contentHash(b)).toBe(contentHash(a));
  });

  it('keeps list order and tells different content apart', () => {
    expect(stableStringify({ x: [1, 2] })).not.toBe(stableStringify({ x: [2, 1] }));
    expect(contentHash({ jobTitle: 'Manager' })).not.toBe(contentHash({ jobTitle: 'Store Manager' }));
  });

  it('writes exactly this text (undefined left out, null kept, escapes as JSON)', () => {
    const record = { z: undefined, b: [1, undefined, { y: 'é"\n', x: undefined }], a: null, c: {}, '': true };
    expect(stableStringify(record)).toBe('{"":true,"a":null,"b":[1,null,{"y":"é\\"\\n"}],"c":{}}');
    expect(stableStringify('text')).toBe('"text"');
    expect(stableStringify(undefined)).toBe('null');
    expect(contentHash({ id: '1' })).toBe('WBGWf1QNMA0kmrMK5oE1mngV_bXT3HGpS-HUkQBqayc');
  });
});
