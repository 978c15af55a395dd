/** One console line per event, prefixed with the time and the component, so a run reads top to bottom. */
let quiet = false;

export function setQuiet(value: boolean): void {
  quiet = value;
}

const colours: Record<string, string> = {
  api: '36',
  lambda: '90',
  sfn: '35',
  run: '35',
  slack: '33',
  events: '34',
  sns: '34',
  runtime: '32',
  ttl: '90',
  warn: '31',
};

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;

export function log(component: string, message: string): void {
  if (quiet) return;
  const time = new Date().toISOString().slice(11, 23);
  const tag = component.padEnd(7);
  const coloured = useColour ? `\x1b[${colours[component] ?? '0'}m${tag}\x1b[0m` : tag;
  console.log(`${time} ${coloured} ${message}`);
}

/** Warnings are printed even when quiet: they explain why something will not behave as in AWS. */
export function warn(message: string): void {
  console.warn(`${new Date().toISOString().slice(11, 23)} warn    ${message}`);
}
