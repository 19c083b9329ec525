// Friendly names of Microsoft license SKUs (subscribedSku.skuId / assignedLicenses[].skuId),
// from Microsoft's public table "Product names and service plan identifiers for licensing"
// (skus.csv beside this file: GUID, String_Id, Product_Display_Name). Loaded once, lazily.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface SkuName {
  skuId: string;
  partNumber: string;
  displayName: string;
}

let byId: Map<string, SkuName> | undefined;

function load(): Map<string, SkuName> {
  const text = readFileSync(fileURLToPath(new URL('./skus.csv', import.meta.url)), 'utf8');
  const map = new Map<string, SkuName>();
  for (const line of text.split(/\r?\n/).slice(1)) {
    if (!line.trim()) continue;
    const [guid, partNumber, displayName] = parseCsvLine(line);
    if (guid && partNumber) map.set(guid.toLowerCase(), { skuId: guid.toLowerCase(), partNumber, displayName: displayName || partNumber });
  }
  return map;
}

/** RFC 4180 fields: quoted where they hold commas or quotes ("" inside quotes is one "). */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field.trim());
      field = '';
    } else field += ch;
  }
  fields.push(field.trim());
  return fields;
}

/**
 * The name a technician reads for a SKU: Microsoft's product name, else the part number
 * Graph gave, else "Unknown license (GUID)" — never a bare GUID.
 */
export function skuDisplayName(skuId: string, partNumber?: string | null): string {
  byId ??= load();
  const known = byId.get(skuId.toLowerCase());
  if (known) return known.displayName;
  if (partNumber) return partNumber;
  return `Unknown license (${skuId})`;
}
