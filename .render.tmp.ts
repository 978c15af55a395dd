import { readFileSync, writeFileSync } from 'node:fs';
import { dotToSvg, svgToPng } from './scripts/diagram/render';
(async () => {
  const svg = await dotToSvg(readFileSync(process.argv[2], 'utf8'));
  console.log(svg.match(/<svg width="[^"]*" height="[^"]*"/)![0]);
  writeFileSync(process.argv[3], svgToPng(svg, { width: 1600 }));
})();
