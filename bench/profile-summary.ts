/**
 * `tsx bench/profile-summary.ts <file.cpuprofile> [top]`: where a V8 CPU profile (node --cpu-prof, e.g.
 * from `npm run bench -- --only handlers --cpu-prof <dir>`) spent its time, as self time per npm package
 * or own source file and per function. Frames in a bundle with a source map (the handlers' index.js) are
 * mapped back to their original file, so minified code still reads as `@smithy/core` or
 * `src/orders/parse-orders.ts`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(url: string): SourceMap | undefined {
  if (!maps.has(url)) {
    let map: SourceMap | undefined;
    try {
      const file = url.startsWith('file:') ? fileURLToPath(url) : url;
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** npm package (scoped or not), own source file, or V8's own categories. */
function ownerOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (m) return m[1];
  const own = /(?:^|\/)((?:src|bench|local)\/.+)$/.exec(path);
  if (own) return own[1];
  if (path.startsWith('node:') || !path.includes('/')) return path ? `node (${path})` : 'node internals';
  return path;
}

function frameOf(node: ProfileNode): { owner: string; fn: string } {
  const { url, functionName, lineNumber, columnNumber } = node.callFrame;
  if (!url) return { owner: functionName.startsWith('(') ? functionName : 'node internals', fn: functionName || '(anonymous)' };
  const map = sourceMapOf(url);
  if (map) {
    const entry = map.findEntry(lineNumber, columnNumber) as { originalSource?: string; originalLine?: number; name?: string };
    if (entry.originalSource) {
      return { owner: ownerOf(entry.originalSource), fn: `${entry.name ?? functionName ?? '(anonymous)'} (${entry.originalSource.replace(/^.*node_modules\//, '')}:${(entry.originalLine ?? 0) + 1})` };
    }
  }
  return { owner: ownerOf(url), fn: `${functionName || '(anonymous)'} (${url.replace(/^.*node_modules\//, '')}:${lineNumber + 1})` };
}

export function summarize(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { owner, fn } = frameOf(byId.get(id)!);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    functions.set(`${owner}: ${fn}`, (functions.get(`${owner}: ${fn}`) ?? 0) + us);
    total += us;
  }
  const busy = total - (owners.get('(idle)') ?? 0);
  const lines = [`${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (not idle); self time as a share of busy time:`, ''];
  const list = (m: Map<string, number>) =>
    [...m.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([k, us]) => `${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  lines.push('By package or source file:', ...list(owners), '', 'By function:', ...list(functions));
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, top ? Number(top) : 25));
}
