/**
 * `npm run diagram`: draws architecture.png from the synthesized cloud assembly, so the picture follows the code.
 *
 *   tsx scripts/diagram.ts [assemblyDir] [--stage <Name>] [--synth] [--context k=v] [--out <file.png>] [--dot <file.dot>]
 *                            [--font <file.ttf>] [--no-pipeline] [--width <px>]
 *
 * assemblyDir defaults to cdk.out; it is synthesized first when it has no manifest.json, or with --synth or
 * --context key=value (passed to cdk synth as -c).
 * The stage defaults to Local, else Dev, else the top-level stacks. The DOT source goes beside the assembly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { selectStacks } from './diagram/assembly';
import { templatesToDot } from './diagram/graph';
import { dotToSvg, svgToPng } from './diagram/render';

const repoRoot = resolve(__dirname, '..');

function synth(assemblyDir: string, context: readonly string[]): void {
  const args = ['cdk', 'synth', '--quiet', ...context.flatMap((c) => ['-c', c])];
  // Only pass --output when it differs from cdk.json's default, so the plain command stays the documented one.
  if (resolve(assemblyDir) !== join(repoRoot, 'cdk.out')) args.push('--output', assemblyDir);
  console.log(`$ npx ${args.join(' ')}`);
  const result = spawnSync('npx', args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`cdk synth failed (exit ${result.status ?? result.signal})`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      out: { type: 'string', default: join(repoRoot, 'architecture.png') },
      dot: { type: 'string' },
      font: { type: 'string', multiple: true },
      synth: { type: 'boolean', default: false },
      context: { type: 'string', multiple: true, default: [] },
      'no-pipeline': { type: 'boolean', default: false },
      width: { type: 'string', default: '1600' },
    },
  });
  const assemblyDir = resolve(positionals[0] ?? join(repoRoot, 'cdk.out'));
  // Context changes what synthesizes (e.g. connectionArn adds the pipeline stack), so it always re-synthesizes.
  if (values.synth || values.context.length > 0 || !existsSync(join(assemblyDir, 'manifest.json'))) {
    synth(assemblyDir, values.context);
  }

  const { stage, stacks } = selectStacks(assemblyDir, values.stage, !values['no-pipeline']);
  if (stacks.length === 0) throw new Error(`No stacks found in ${assemblyDir} for stage ${stage}`);
  const dot = templatesToDot(stacks, `Energy-auction order pipeline (${stage})`);
  const dotFile = resolve(values.dot ?? join(assemblyDir, 'architecture.dot'));
  writeFileSync(dotFile, dot);

  const fontFiles = [...(values.font ?? []), ...(process.env.DIAGRAM_FONT ? [process.env.DIAGRAM_FONT] : [])];
  const png = svgToPng(await dotToSvg(dot), { width: Number(values.width), fontFiles });
  writeFileSync(values.out, png);
  const rel = (p: string) => relative(process.cwd(), p) || p;
  console.log(`Drew stage ${stage} (${stacks.map((s) => s.stackName).join(', ')}) -> ${rel(values.out)} (DOT: ${rel(dotFile)})`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
