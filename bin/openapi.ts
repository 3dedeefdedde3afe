/**
 * `npm run openapi`: writes docs/openapi.json from the route table and the zod schemas
 * (lib/openapi.ts). Commit the result: GET /api/openapi.json serves that file, and a test fails
 * when it differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { OPENAPI_FILE, renderOpenApi } from '../lib/openapi';

writeFileSync(OPENAPI_FILE, renderOpenApi());
console.log(`wrote ${OPENAPI_FILE}`);
