/**
 * Step Functions evaluates JSONPath like Jayway: an indefinite path (filter, wildcard, deep scan, union,
 * slice) always yields a list, empty when nothing matches. aws-local-stepfunctions asks jsonpath-plus for
 * an unwrapped value, which is `undefined` for no match and fails the state ("does not point to a
 * value"), so e.g. `$.results[?(@.status == 'rejected')]` would break the run with zero rejected orders.
 * This wraps the one function it calls so indefinite paths come back as arrays; definite paths are
 * untouched.
 */
const INDEFINITE = /\[\?\(|\.\.|\*|\[[^\]]*[,:][^\]]*\]/;

type JsonPathFn = ((options: Record<string, unknown>, ...rest: unknown[]) => unknown) & { __awsSemantics?: boolean };

export function applyJsonPathShim(requireFromLibrary: (id: string) => unknown): void {
  // The library's own require, so the patched module object is the one it calls into.
  const mod = requireFromLibrary('jsonpath-plus') as { JSONPath: JsonPathFn };
  const original = mod.JSONPath;
  if (original.__awsSemantics) return;
  const wrapped = function (this: unknown, options: Record<string, unknown>, ...rest: unknown[]) {
    if (new.target) return Reflect.construct(original, [options, ...rest], new.target);
    if (options && typeof options === 'object' && options.wrap === false && typeof options.path === 'string' && INDEFINITE.test(options.path)) {
      return original({ ...options, wrap: true }, ...rest) ?? [];
    }
    return original.call(this, options, ...rest);
  } as JsonPathFn;
  Object.assign(wrapped, original);
  wrapped.prototype = original.prototype;
  wrapped.__awsSemantics = true;
  mod.JSONPath = wrapped;
}
