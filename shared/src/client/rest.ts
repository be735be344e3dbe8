import { HubError } from './hub-error.js';
import type { FetchLike } from './types.js';

/**
 * One REST call: JSON in and out, bearer token when given. A 4xx/5xx becomes
 * a {@link HubError} from the error body; a network failure `client.disconnected`.
 */
export async function restRequest<T>(
  fetchImpl: FetchLike,
  url: string,
  token: string | null,
  method: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const init: { method: string; headers: Record<string, string>; body?: string } = {
    method,
    headers,
  };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let status: number;
  let text: string;
  try {
    const res = await fetchImpl(url, init);
    status = res.status;
    text = await res.text();
  } catch (err) {
    throw new HubError('client.disconnected', `The hub cannot be reached: ${String(err)}`);
  }
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (status >= 400) {
    throw HubError.from((parsed as { error?: unknown } | undefined)?.error, status);
  }
  return parsed as T;
}
