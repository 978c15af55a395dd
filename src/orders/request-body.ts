import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors';

/** The parts of an HTTP request the body depends on, independent of how the event delivered them. */
export interface RawRequestBody {
  readonly contentType: string | undefined;
  readonly body: string | null | undefined;
  readonly isBase64Encoded: boolean;
}

// application/json, or a structured-syntax JSON type such as application/vnd.orders+json.
const JSON_MEDIA_TYPE = /^application\/(?:json|[a-z0-9!#$&^_.+-]+\+json)$/;

/**
 * Checks media type and size and returns the body as text, ready for JSON parsing. Checks run in the order
 * a client should fix them: media type (415), size (413), emptiness, then encoding (400).
 */
export function readJsonBody(request: RawRequestBody, maxBodyBytes: number): string {
  assertJsonContentType(request.contentType);

  const bytes = request.isBase64Encoded
    ? Buffer.from(request.body ?? '', 'base64')
    : Buffer.from(request.body ?? '', 'utf8');
  if (bytes.length > maxBodyBytes) {
    throw new PayloadTooLargeError(`The body must not exceed ${maxBodyBytes} bytes`, [
      { path: '', message: `is ${bytes.length} bytes` },
    ]);
  }

  let text: string;
  try {
    // fatal: malformed UTF-8 is an error, not U+FFFD; ignoreBOM: keep a BOM so the parser can reject it.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InvalidRequestError('INVALID_JSON', 'The body is not valid JSON', [
      { path: '', message: 'is not valid UTF-8' },
    ]);
  }
  if (text.trim() === '') {
    throw new InvalidRequestError('EMPTY_BODY', 'The body must be a JSON array of orders', [
      { path: '', message: 'is empty' },
    ]);
  }
  return text;
}

function assertJsonContentType(contentType: string | undefined): void {
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';').map((part) => part.trim());
  if (!JSON_MEDIA_TYPE.test(mediaType.toLowerCase())) {
    throw new UnsupportedMediaTypeError('Content-Type must be application/json', [
      { path: '', message: contentType ? `got ${truncate(contentType)}` : 'Content-Type header is missing' },
    ]);
  }
  // JSON is UTF-8 (RFC 8259); a body declared in another charset would be decoded wrongly, so refuse it.
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    const charset = value.replace(/^"(.*)"$/, '$1').toLowerCase();
    if (name.toLowerCase() === 'charset' && charset !== 'utf-8' && charset !== 'utf8') {
      throw new UnsupportedMediaTypeError('Content-Type must be application/json', [
        { path: '', message: `charset ${truncate(value)} is not supported; use utf-8` },
      ]);
    }
  }
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}...` : value;
}
