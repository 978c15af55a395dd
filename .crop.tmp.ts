import { readFileSync, writeFileSync } from 'node:fs';
import { dotToSvg, svgToPng } from './scripts/diagram/render';
(async () => {
  const svg = await dotToSvg(readFileSync(process.argv[2], 'utf8'));
  const [, w, h] = /<svg width="(\d+)pt" height="(\d+)pt"/.exec(svg)!.map(Number) as number[];
  const [x, y, cw, ch] = process.argv[4].split(',').map(Number);
  const scale = 1600 / w;
  // Graphviz's viewBox starts at 0,0 with a translate inside; crop by rewriting width/height/viewBox.
  const cropped = svg.replace(/<svg width="[^"]*" height="[^"]*"\s+viewBox="[^"]*"/, `<svg width="${cw}pt" height="${ch}pt" viewBox="${x} ${y} ${cw} ${ch}"`);
  writeFileSync(process.argv[3], svgToPng(cropped, { width: Math.round(cw * scale) }));
  console.log(w, h, scale);
})();
