import './polyfills';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as Library from 'aws-local-stepfunctions';
import { applyJsonPathShim } from './jsonpath-shim';

/**
 * aws-local-stepfunctions 3.0.0 strips every backslash from the string an intrinsic function returns.
 * For States.JsonToString that breaks the JSON it produces as soon as a value contains a quote (a Lambda
 * error's Cause is itself JSON), so the pipeline's alert message would not parse. The library is loaded
 * from its own file with that one statement limited to the other functions; if the statement is not
 * found (library upgraded) the start fails, so the patch is reviewed instead of silently dropped.
 */
const STRIP = 'if (typeof result === "string") {\n      result = result.replaceAll("\\\\", "");';
const PATCHED = 'if (typeof result === "string" && this.funcDefinition.name !== "States.JsonToString") {\n      result = result.replaceAll("\\\\", "");';

function load(): typeof Library {
  const file = require.resolve('aws-local-stepfunctions');
  const source = readFileSync(file, 'utf8');
  if (!source.includes(STRIP)) {
    throw new Error(`${file} changed: review the States.JsonToString patch in local/sfn-library.ts`);
  }
  // Evaluated with this module's realm and require (resolving from the library's folder), so that under
  // a test runner's sandbox the library, its dependencies and the runtime share one set of globals.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const requireFromLibrary = (id: string): unknown => require(require.resolve(id, { paths: [dirname(file)] }));
  const mod = { exports: {} as Record<string, unknown> };
  const evaluate = new Function('exports', 'require', 'module', '__filename', '__dirname', source.replace(STRIP, PATCHED));
  evaluate(mod.exports, requireFromLibrary, mod, file, dirname(file));
  applyJsonPathShim(requireFromLibrary);
  return mod.exports as unknown as typeof Library;
}

export const { StateMachine, ExecutionAbortedError, ExecutionTimeoutError } = load();
export type { StateMachineDefinition } from 'aws-local-stepfunctions';
