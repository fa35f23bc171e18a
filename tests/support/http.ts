import type { Session } from '@gatehouse/protocol';

export type HttpResult<T = unknown> = { status: number; body: T; headers: Headers };

/** A thin fetch wrapper: real HTTP, JSON in and out, never throws on 4xx/5xx. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    public accessToken?: string,
    readonly defaultHeaders: Record<string, string> = {},
  ) {}

  async request<T = any>(
    method: string,
    url: string,
    options: { json?: unknown; raw?: string; headers?: Record<string, string>; token?: string | null } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...this.defaultHeaders, ...options.headers };
    const token = options.token === undefined ? this.accessToken : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      headers['content-type'] ??= 'application/json';
    } else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(this.baseUrl + url, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // leave as text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(url: string, options?: Parameters<ApiClient['request']>[2]) {
    return this.request<T>('GET', url, options);
  }
  post<T = any>(url: string, json?: unknown, options?: Parameters<ApiClient['request']>[2]) {
    return this.request<T>('POST', url, { ...options, json });
  }
  patch<T = any>(url: string, json?: unknown, options?: Parameters<ApiClient['request']>[2]) {
    return this.request<T>('PATCH', url, { ...options, json });
  }
  put<T = any>(url: string, json?: unknown, options?: Parameters<ApiClient['request']>[2]) {
    return this.request<T>('PUT', url, { ...options, json });
  }
  delete<T = any>(url: string, options?: Parameters<ApiClient['request']>[2]) {
    return this.request<T>('DELETE', url, options);
  }

  withToken(token: string): ApiClient {
    return new ApiClient(this.baseUrl, token, this.defaultHeaders);
  }

  /** The same caller against another server (another process on the same store). */
  withBaseUrl(baseUrl: string): ApiClient {
    return new ApiClient(baseUrl, this.accessToken, this.defaultHeaders);
  }
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}@example.test`;
}

export async function registerUser(api: ApiClient, name = 'Test User'): Promise<Session & { password: string }> {
  const password = 'correct horse battery';
  const result = await api.post<Session>('/auth/register', { email: uniqueEmail(), password, name });
  if (result.status !== 201) throw new Error(`register failed: ${result.status} ${JSON.stringify(result.body)}`);
  return { ...result.body, password };
}
