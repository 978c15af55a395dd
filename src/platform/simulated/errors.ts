/** A client's mistake the simulated platform answers with a 4xx and `{"message": ...}`. */
export class PlatformApiError extends Error {
  constructor(
    readonly statusCode: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'PlatformApiError';
  }
}

export const badRequest = (message: string) => new PlatformApiError(400, message);
export const notFound = (message: string) => new PlatformApiError(404, message);
