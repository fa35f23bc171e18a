/** A minimal JSON-over-HTTP client for the driver's setup calls; throws on any non-2xx answer. */
export class BenchApi {
  constructor(
    readonly baseUrl: string,
    readonly accessToken?: string,
  ) {}

  withToken(accessToken: string): BenchApi {
    return new BenchApi(this.baseUrl, accessToken);
  }

  async call<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.raw(method, url, body, headers);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url} → ${response.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  raw(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const allHeaders: Record<string, string> = { ...headers };
    if (this.accessToken) allHeaders.authorization = `Bearer ${this.accessToken}`;
    if (body !== undefined) allHeaders['content-type'] = 'application/json';
    return fetch(this.baseUrl + url, {
      method,
      headers: allHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  }
}
