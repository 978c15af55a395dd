/**
 * `npm run openapi`: writes openapi.json, the OpenAPI 3.0 document of the orders API, from the schema objects and
 * error tables the code uses (scripts/openapi/document.ts), so the document cannot drift from the code.
 *
 *   tsx scripts/openapi.ts [--check] [--out <file>]
 *
 * --check writes nothing and exits 1 when the file differs from what the code generates (CI, tests).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OPENAPI_FILE, renderOpenApiDocument } from './openapi/document';

function main(): void {
  const { values } = parseArgs({
    options: { check: { type: 'boolean', default: false }, out: { type: 'string', default: OPENAPI_FILE } },
  });
  const out = resolve(values.out);
  const text = renderOpenApiDocument();
  const shown = relative(process.cwd(), out) || out;
  if (values.check) {
    if (existsSync(out) && readFileSync(out, 'utf8') === text) {
      console.log(`${shown} is up to date`);
      return;
    }
    console.error(`${shown} is stale: it is not what the code generates. Run \`npm run openapi\` and commit the result.`);
    process.exitCode = 1;
    return;
  }
  writeFileSync(out, text);
  console.log(`Wrote ${shown}`);
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
