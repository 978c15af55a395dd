import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { APP_FUNCTION_BUNDLING } from '../infra/constructs/app-function';

/**
 * The esbuild options NodejsFunction derives from AppFunction's bundling settings (the flags CDK passes:
 * --bundle --platform=node --target --format --minify --sourcemap --sources-content), so a handler built
 * here is byte for byte what `cdk synth` would put in its asset.
 */
export function appFunctionBuildOptions(entry: string): BuildOptions {
  const b = APP_FUNCTION_BUNDLING;
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: b.target,
    format: b.format,
    minify: b.minify,
    sourcemap: b.sourceMap,
    sourcesContent: b.sourcesContent,
    external: [...b.externalModules],
    logLevel: 'silent',
  };
}

/** Bundles `entry` into `<outDir>/index.js` (and its source map) the way AppFunction does. */
export async function bundleLikeAppFunction(entry: string, outDir: string, plugins: Plugin[] = []): Promise<{ file: string; metafile: Metafile }> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.js');
  const result = await build({ ...appFunctionBuildOptions(entry), outfile: file, metafile: true, plugins });
  return { file, metafile: result.metafile };
}
