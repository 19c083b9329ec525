// Friendly license names. skus.csv is Microsoft's public table "Product names and service plan
// identifiers for licensing" (Learn: /entra/identity/users/licensing-service-plan-reference),
// reduced to one row per SKU: GUID (= subscribedSku.skuId, assignedLicenses[].skuId), String_Id
// (= skuPartNumber), Product_Display_Name. A technician never sees a bare GUID: unknown SKUs show
// their part number, and failing that a plain sentence.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface SkuInfo {
  skuId: string;
  partNumber: string;
  displayName: string;
}

let byId: Map<string, SkuInfo> | undefined;
let byPartNumber: Map<string, SkuInfo> | undefined;

/** Parses one CSV line: commas, double-quoted fields with "" escapes (the file quotes as needed). */
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
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

function load(): void {
  if (byId) return;
  const text = readFileSync(fileURLToPath(new URL('./skus.csv', import.meta.url)), 'utf8');
  byId = new Map();
  byPartNumber = new Map();
  for (const line of text.split(/\r?\n/).slice(1)) {
    if (line.trim() === '') continue;
    const [guid, partNumber, displayName] = parseCsvLine(line).map((f) => f.replace(/\u00a0/g, ' ').trim());
    if (!guid || !displayName) continue;
    const info: SkuInfo = { skuId: guid.toLowerCase(), partNumber: partNumber ?? '', displayName };
    byId.set(info.skuId, info);
    if (info.partNumber && !byPartNumber.has(info.partNumber.toUpperCase())) byPartNumber.set(info.partNumber.toUpperCase(), info);
  }
}

export function findSku(skuId: string | null | undefined, partNumber?: string | null): SkuInfo | undefined {
  load();
  return (skuId ? byId!.get(skuId.toLowerCase()) : undefined) ?? (partNumber ? byPartNumber!.get(partNumber.toUpperCase()) : undefined);
}

/** The name to show for a license: Microsoft's product name, else its part number, never the GUID. */
export function licenseDisplayName(skuId: string | null | undefined, partNumber?: string | null): string {
  const known = findSku(skuId, partNumber);
  if (known) return known.displayName;
  if (partNumber && partNumber.trim() !== '') return partNumber.trim();
  return 'Unrecognised Microsoft license';
}

export function knownSkuCount(): number {
  load();
  return byId!.size;
}

/**
 * Free, trial and self-service SKUs, by Microsoft's own naming (e.g. FLOW_FREE "Microsoft Power Automate Free", POWERAPPS_VIRAL "…
 * Trial"): thousands of "bought" units that cost nothing.
 */
export function isFreeLicense(name: string, partNumber: string | null): boolean {
  return /\b(free|trial|exploratory|for developer)\b/i.test(name) || /(FREE|VIRAL|TRIAL|EXPLORATORY)/i.test(partNumber ?? '');
}
