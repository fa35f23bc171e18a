import { SkipMeasure } from './measure';

/**
 * Turns "this route does not exist (yet)" into a skip with the exact reason, so a measure whose
 * server piece has not landed says so instead of failing. Any other answer passes through.
 */
export async function requireRoute(response: Response, what: string): Promise<Response> {
  if (response.status === 404) {
    const text = await response.clone().text();
    if (/Route .* not found|No route /i.test(text))
      throw new SkipMeasure(`${what} is not implemented by the sync server (404 route not found)`);
  }
  return response;
}
