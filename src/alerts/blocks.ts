// Minimal Block Kit types (structurally compatible with @slack/types) and helpers that keep every
// message inside Slack's limits, so a long error text can never make Slack reject the whole alert.

export interface PlainText {
  readonly type: 'plain_text';
  readonly text: string;
  readonly emoji?: boolean;
}
export interface Mrkdwn {
  readonly type: 'mrkdwn';
  readonly text: string;
}
export type TextObject = PlainText | Mrkdwn;

export type SlackBlock =
  | { readonly type: 'header'; readonly text: PlainText }
  | { readonly type: 'section'; readonly text?: Mrkdwn; readonly fields?: Mrkdwn[] }
  | { readonly type: 'context'; readonly elements: TextObject[] }
  | { readonly type: 'divider' };

export interface SlackMessage {
  /** Fallback for notifications and clients that cannot show blocks. */
  readonly text: string;
  readonly blocks: SlackBlock[];
}

export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  contextElements: 10,
  contextText: 2000,
  fallbackText: 3000,
} as const;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Slack mrkdwn treats &, < and > as control characters; user data must not create links or mentions. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped, truncated preformatted text; inner ``` would end the block early. */
export function codeBlock(text: string, max: number): string {
  return '```' + escapeMrkdwn(truncate(text.replace(/```/g, "'''"), max)) + '```';
}

export function link(url: string, label: string): string {
  // Only characters that would break Slack's <url|label> syntax are encoded.
  const safeUrl = url.replace(/[<>|\s]/g, (c) => encodeURIComponent(c));
  return `<${safeUrl}|${escapeMrkdwn(label).replace(/\|/g, '/')}>`;
}

export function header(text: string): SlackBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true } };
}

export function section(mrkdwn: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, LIMITS.sectionText) } };
}

/** Label/value pairs as a two-column section; values are escaped here, empty ones are skipped. */
export function fields(pairs: Array<[label: string, value: string | number | undefined]>): SlackBlock | undefined {
  const present = pairs.filter(([, value]) => value !== undefined && value !== '').slice(0, LIMITS.fields);
  if (present.length === 0) return undefined;
  return {
    type: 'section',
    fields: present.map(([label, value]) => ({
      type: 'mrkdwn',
      text: truncate(`*${label}*\n${escapeMrkdwn(String(value))}`, LIMITS.fieldText),
    })),
  };
}

export function context(mrkdwnTexts: string[]): SlackBlock | undefined {
  const elements = mrkdwnTexts
    .filter((text) => text !== '')
    .slice(0, LIMITS.contextElements)
    .map((text): Mrkdwn => ({ type: 'mrkdwn', text: truncate(text, LIMITS.contextText) }));
  return elements.length === 0 ? undefined : { type: 'context', elements };
}

/** Packs lines into as few sections as possible, each under the section text limit. */
export function sectionsFromLines(lines: string[]): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  let current = '';
  for (const raw of lines) {
    const line = truncate(raw, LIMITS.sectionText);
    if (current !== '' && current.length + 1 + line.length > LIMITS.sectionText) {
      blocks.push(section(current));
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') blocks.push(section(current));
  return blocks;
}

/**
 * Final guard: drops undefined blocks, caps the block count (keeping the last, usually the context) and the
 * fallback text, which is plain data and so is escaped here.
 */
export function message(text: string, blocks: Array<SlackBlock | undefined>): SlackMessage {
  let present = blocks.filter((block): block is SlackBlock => block !== undefined);
  if (present.length > LIMITS.blocks) {
    present = [...present.slice(0, LIMITS.blocks - 1), present[present.length - 1]];
  }
  return { text: escapeMrkdwn(truncate(text, LIMITS.fallbackText)), blocks: present };
}
