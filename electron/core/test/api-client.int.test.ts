import { randomUUID } from 'node:crypto';
import { eventCreateSchema, IDEMPOTENCY_KEY_HEADER, routes, type Event, type EventCreate } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../tests/support/server';
import { signInAs, type SignedIn } from '../../../tests/support/users';
import { ServerApi, type SessionTokens } from '../api/client';

/** The device's server client against a real server, on a network that loses answers. */
let server: TestServer;
let organizer: SignedIn;

beforeAll(async () => {
  server = await startTestServer();
  organizer = await signInAs(server, 'organizer');
});
afterAll(async () => {
  await server.close();
});

const eventNamed = (title: string): EventCreate =>
  eventCreateSchema.parse({
    title,
    venue: 'Pier 4',
    startsAt: '2031-06-01T18:00:00.000Z',
    endsAt: '2031-06-01T22:00:00.000Z',
    timezone: 'Europe/Berlin',
    capacity: 50,
    ticketTypes: [{ name: 'Standard', price: 0, quota: 50 }],
  });

const hooks = { onReachability() {}, onClockSkew() {}, onSessionLost() {} };

function tokensOf(session: SignedIn, accessToken = session.accessToken): SessionTokens {
  let access: string | null = accessToken;
  let refresh = session.refreshToken;
  return {
    accessToken: () => access,
    refreshToken: async () => refresh,
    store: async (next) => {
      access = next.accessToken;
      refresh = next.refreshToken;
    },
    clear: async () => {
      access = null;
    },
  };
}

/** Real fetch that records every request, and loses the server's answer to the first POST /events. */
function losingFirstAnswer(sent: Array<{ method: string; path: string; key: string | null }>): typeof fetch {
  let lost = false;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    const key = new Headers(init?.headers).get(IDEMPOTENCY_KEY_HEADER);
    sent.push({ method: init?.method ?? 'GET', path, key });
    const response = await fetch(input, init);
    if (!lost && init?.method === 'POST' && path === '/events') {
      lost = true;
      throw new TypeError('fetch failed: connection reset');
    }
    return response;
  }) as typeof fetch;
}

async function eventsTitled(title: string): Promise<Event[]> {
  return (await organizer.api.get<{ items: Event[] }>(`/events?q=${encodeURIComponent(title)}`)).body.items;
}

describe('ServerApi: a create is sent with one Idempotency-Key for all its attempts', () => {
  it('an event whose answer was lost is sent again with the same key: created once, answered', async () => {
    const sent: Array<{ method: string; path: string; key: string | null }> = [];
    const api = new ServerApi(server.baseUrl, randomUUID(), tokensOf(organizer), hooks, losingFirstAnswer(sent));
    const title = `Lost answer ${randomUUID().slice(0, 8)}`;
    const created = await api.call(routes['events.create'], { body: eventNamed(title) });
    const posts = sent.filter((s) => s.path === '/events');
    expect(posts).toHaveLength(2);
    expect(posts[0]!.key).toMatch(/^[A-Za-z0-9_-]{8,128}$/);
    expect(posts[1]!.key).toBe(posts[0]!.key);
    expect((await eventsTitled(title)).map((e) => e.id)).toEqual([created.id]);
  });

  it('the resend after a token refresh repeats the key; separate calls draw separate keys', async () => {
    const sent: Array<{ method: string; path: string; key: string | null }> = [];
    const recording = (async (input: string | URL | Request, init?: RequestInit) => {
      sent.push({
        method: init?.method ?? 'GET',
        path: new URL(String(input)).pathname,
        key: new Headers(init?.headers).get(IDEMPOTENCY_KEY_HEADER),
      });
      return fetch(input, init);
    }) as typeof fetch;
    const api = new ServerApi(server.baseUrl, randomUUID(), tokensOf(organizer, 'not-a-token'), hooks, recording);
    const title = `Refreshed ${randomUUID().slice(0, 8)}`;
    await api.call(routes['events.create'], { body: eventNamed(title) });
    await api.call(routes['events.create'], { body: eventNamed(title) });
    expect(sent.map((s) => s.path)).toEqual(['/events', '/auth/refresh', '/events', '/events']);
    const keys = sent.filter((s) => s.path === '/events').map((s) => s.key);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(sent.find((s) => s.path === '/auth/refresh')!.key).toBeNull();
    expect(await eventsTitled(title)).toHaveLength(2);
  });
});

describe('ServerApi: photos as bytes', () => {
  it('sendBytes uploads an image; fetchBytes reads it, then 304 by its ETag; an expired token is refreshed first', async () => {
    const sharp = (await import('sharp')).default;
    const image = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#468' } })
      .jpeg()
      .toBuffer();
    // A stale access token: the upload is sent again after the refresh, bytes and all.
    const me = await signInAs(server, 'staff');
    const api = new ServerApi(server.baseUrl, randomUUID(), tokensOf(me, 'not-a-valid-token'), hooks);
    const photo = await api.sendBytes(routes['photos.putMine'], {}, image, 'image/jpeg');
    expect(photo).toMatchObject({ contentType: 'image/webp', width: 512, height: 341 });

    const fetched = await api.fetchBytes(routes['photos.user'], { params: { id: me.user.id } });
    expect(fetched).toMatchObject({ notModified: false, contentType: 'image/webp', etag: `"${photo.photoId}"` });
    expect(fetched?.notModified === false && fetched.bytes.byteLength).toBe(photo.byteLength);
    const again = await api.fetchBytes(
      routes['photos.user'],
      { params: { id: me.user.id } },
      { ifNoneMatch: `"${photo.photoId}"` },
    );
    expect(again).toEqual({ notModified: true, etag: `"${photo.photoId}"` });

    await expect(api.sendBytes(routes['photos.putMine'], {}, Buffer.from('GIF89a'), 'image/gif')).rejects.toMatchObject(
      {
        code: 'IMAGE_INVALID',
      },
    );
    await api.call(routes['photos.deleteMine'], {});
    expect(await api.fetchBytes(routes['photos.user'], { params: { id: me.user.id } })).toBeNull();
  });
});
