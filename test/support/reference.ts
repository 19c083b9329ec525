// Microsoft's documented payloads live in the shared reference folder beside the repository
// (../shared/reference/microsoft), wherever the checkout is: CI clones into another folder.
import path from 'node:path';

export const microsoftExamplesDir = path.resolve(import.meta.dirname, '../../../shared/reference/microsoft/examples');
