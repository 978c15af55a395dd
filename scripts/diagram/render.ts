/** DOT -> SVG (Graphviz compiled to WebAssembly) -> PNG (resvg). No native Graphviz or browser needed. */
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';

/**
 * The DOT asks for DejaVu Sans (on most Linux images, and Graphviz knows its metrics, so boxes fit the text);
 * Verdana and Bitstream Vera have the same widths, for machines without DejaVu.
 */
const FONT_STACK = 'DejaVu Sans, Verdana, Bitstream Vera Sans, sans-serif';

export interface RenderOptions {
  /** Output width in pixels. */
  readonly width?: number;
  /** Extra font files, for machines without system fonts. */
  readonly fontFiles?: readonly string[];
}

export async function dotToSvg(dot: string): Promise<string> {
  const graphviz = await Graphviz.load();
  return graphviz.layout(dot, 'svg', 'dot');
}

function fontOptions(fontFiles: readonly string[]): ResvgRenderOptions['font'] {
  return { loadSystemFonts: true, fontFiles: [...fontFiles], defaultFontFamily: 'DejaVu Sans' };
}

/**
 * resvg silently drops text it has no font for, which would give a diagram of empty boxes.
 * A probe string with no bounding box means no usable font, so fail loudly instead.
 */
export function assertTextRenders(fontFiles: readonly string[] = []): void {
  const probe =
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">' +
    `<text x="5" y="25" font-family="${FONT_STACK}" font-size="14">Probe</text></svg>`;
  if (!new Resvg(probe, { font: fontOptions(fontFiles) }).getBBox()) {
    throw new Error(
      'No font available to render diagram text. Install one (e.g. `apt-get install fonts-dejavu-core`) ' +
        'or pass a TTF/OTF file with --font <file> or DIAGRAM_FONT=<file>.',
    );
  }
}

export function svgToPng(svg: string, options: RenderOptions = {}): Buffer {
  const fontFiles = options.fontFiles ?? [];
  assertTextRenders(fontFiles);
  const withFonts = svg.replace(/font-family="[^"]*"/g, `font-family="${FONT_STACK}"`);
  const resvg = new Resvg(withFonts, {
    fitTo: { mode: 'width', value: options.width ?? 1600 },
    background: 'white',
    font: fontOptions(fontFiles),
  });
  return resvg.render().asPng();
}
