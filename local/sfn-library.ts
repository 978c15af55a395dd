import './polyfills';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as Library from 'aws-local-stepfunctions';
import { applyJsonPathShim } from './jsonpath-shim';

/**
 * aws-local-stepfunctions 3.0.0 is loaded from its own file with a few statements changed, each for a
 * reason below. If a statement is not found (library upgraded) the start fails, so the patches are
 * reviewed instead of silently dropped.
 */
const PATCHES: ReadonlyArray<{ why: string; find: string; replace: string }> = [
  {
    why: 'the library strips every backslash from an intrinsic result; for States.JsonToString that breaks the JSON as soon as a value contains a quote (a Lambda error Cause is JSON)',
    find: 'if (typeof result === "string") {\n      result = result.replaceAll("\\\\", "");',
    replace: 'if (typeof result === "string" && this.funcDefinition.name !== "States.JsonToString") {\n      result = result.replaceAll("\\\\", "");',
  },
  {
    why: 'history is recorded synchronously, in dispatch order, from the root logger (nested Map/Parallel runs forward theirs to it); nothing is queued for an unread generator',
    find: '  dispatch(event) {\n',
    replace: '  dispatch(event) {\n    if (this.hook) {\n      this.hook(event);\n      return;\n    }\n',
  },
  {
    why: 'only the root run of an execution gets the hook; nested runs carry _rootAbortSignal',
    find: '    const eventLogger = new EventLogger();\n',
    replace: '    const eventLogger = new EventLogger();\n    if (options?._onEvent && !options._rootAbortSignal) eventLogger.hook = options._onEvent;\n',
  },
  {
    why: '$$.Execution.StartTime is the execution start, also inside Map iterations and child runs',
    find: 'StartTime: (/* @__PURE__ */ new Date()).toISOString()',
    replace: 'StartTime: options.runOptions?.context?.Execution?.StartTime ?? (/* @__PURE__ */ new Date()).toISOString()',
  },
  {
    why: 'local task handlers need the context object (the execution they belong to, $$ paths)',
    find: 'options.overrideFn(input)\n',
    replace: 'options.overrideFn(input, context)\n',
  },
  {
    why: 'payload limit on the effective input (after InputPath/Parameters), checked where AWS checks it',
    find: '      const processedInput = this.processInput(input, context);\n',
    replace: '      const processedInput = this.processInput(input, context);\n      options.runOptions?._onStateInput?.(this.stateName, processedInput);\n',
  },
  {
    why: 'payload limit on every state output, before the next state can run',
    find: '        options.eventLogger.dispatchStateExitedEvent(currStateName, currState.Type, currInput, currResult);\n',
    replace: '        options.runOptions?._onStateOutput?.(currStateName, currResult);\n        options.eventLogger.dispatchStateExitedEvent(currStateName, currState.Type, currInput, currResult);\n',
  },
  {
    why: 'a Distributed Map (ProcessorConfig.Mode DISTRIBUTED) runs in local/distributed-map.ts; InputPath, ResultSelector, ResultPath, OutputPath, Retry and Catch stay with the library',
    find: '    const mapStateAction = new MapStateAction(stateDefinition, stateName);\n',
    replace:
      '    if (stateDefinition.ItemProcessor?.ProcessorConfig?.Mode === "DISTRIBUTED" && options.runOptions?._distributedMap) {\n' +
      '      const distributedResult = await options.runOptions._distributedMap(stateName, input, context, options.abortSignal);\n' +
      '      return new BaseStateAction(stateDefinition, stateName).buildExecutionResult(distributedResult);\n' +
      '    }\n' +
      '    const mapStateAction = new MapStateAction(stateDefinition, stateName);\n',
  },
];

/** The library's own payload template and JSONPath evaluation, so the Distributed Map resolves paths exactly as the other states do. */
export interface LibraryInternals {
  processPayloadTemplate(template: unknown, json: unknown, context: unknown): unknown;
  jsonPathQuery(path: string, json: unknown, context: unknown, options?: { ignoreDefinedValueConstraint?: boolean }): unknown;
}

function load(): typeof Library & { internals: LibraryInternals } {
  const file = require.resolve('aws-local-stepfunctions');
  let source = readFileSync(file, 'utf8');
  for (const patch of PATCHES) {
    if (source.split(patch.find).length !== 2) {
      throw new Error(`${file} changed: review the patch in local/sfn-library.ts (${patch.why})`);
    }
    source = source.replace(patch.find, patch.replace);
  }
  source += '\nmodule.exports.__internals = { processPayloadTemplate, jsonPathQuery };\n';
  // Evaluated with this module's realm and require (resolving from the library's folder), so that under
  // a test runner's sandbox the library, its dependencies and the runtime share one set of globals.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const requireFromLibrary = (id: string): unknown => require(require.resolve(id, { paths: [dirname(file)] }));
  const mod = { exports: {} as Record<string, unknown> };
  const evaluate = new Function('exports', 'require', 'module', '__filename', '__dirname', source);
  evaluate(mod.exports, requireFromLibrary, mod, file, dirname(file));
  applyJsonPathShim(requireFromLibrary);
  const exports = mod.exports as unknown as typeof Library & { __internals: LibraryInternals };
  return Object.assign({}, exports, { internals: exports.__internals });
}

export const { StateMachine, ExecutionAbortedError, ExecutionTimeoutError, internals } = load();
export type { StateMachineDefinition } from 'aws-local-stepfunctions';
