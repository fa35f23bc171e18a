import type { Booking, Event, User } from '@gatehouse/protocol';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { signInAs, type SignedIn } from '../support/users';
import { goTo, openAttendeesOf, signIn } from './support/app';
import { type AppInChromium, closeAfterTests, openAppInChromium } from './support/appInChromium';
import { expectNoSeriousA11yViolations, screenshot } from './support/browser';

/**
 * Issue #20 in Chromium: an organizer uploads, refuses and removes their profile photo; gives an
 * attendee a photo from the ticket dialog (a ticket type that requires one), replaces it and
 * removes it; and marks a ticket type "requires a photo" in the event editor. Each change is
 * checked on the server.
 */
describe('photos: profile, attendee, ticket types', () => {
  let server: TestServer;
  let organizer: SignedIn;
  let event: Event;
  let booking: Booking;
  let app: AppInChromium;
  let page: Page;

  const picture = (colour: string, width = 800, height = 600) =>
    sharp({ create: { width, height, channels: 3, background: colour } })
      .jpeg()
      .toBuffer();

  beforeAll(async () => {
    server = await startTestServer();
    organizer = await signInAs(server, 'organizer', 'Ora Organizer');
    const start = Date.now() + 86_400_000;
    const created = await organizer.api.post<Event>('/events', {
      title: 'Portrait Gala',
      venue: 'Hall of Mirrors',
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + 4 * 3_600_000).toISOString(),
      timezone: 'Europe/Berlin',
      capacity: 50,
      status: 'published',
      ticketTypes: [
        { name: 'Standard', price: 0, quota: 40 },
        { name: 'Season pass', price: 0, quota: 10, requiresPhoto: true },
      ],
    });
    expect(created.status).toBe(201);
    event = created.body;
    const walkIn = await organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
      ticketTypeId: event.ticketTypes[1]!.id,
      attendee: { name: 'Pat Portrait' },
    });
    expect(walkIn.status).toBe(201);
    booking = walkIn.body;
    app = await openAppInChromium({
      name: 'photos',
      serverUrl: server.baseUrl,
      deviceName: 'laptop',
      core: { pollMs: 60_000, verifierCost: 2 ** 10 },
    });
    page = app.page;
    await signIn(page, { serverUrl: server.baseUrl, email: organizer.user.email, password: organizer.password });
  });

  closeAfterTests(
    () => app,
    () => server,
  );

  const myPhotoId = async () => (await organizer.api.get<User>('/users/me')).body.photoId ?? null;

  it('Profile: uploads a photo, refuses a GIF named .jpg, removes the photo', async () => {
    await goTo(page, 'Profile');
    const card = page.getByRole('region', { name: 'Profile photo' });
    await card.getByText('No photo').waitFor();
    await card
      .getByLabel('Upload your profile photo')
      .setInputFiles({ name: 'me.jpg', mimeType: 'image/jpeg', buffer: await picture('#2a7') });
    await card.getByRole('status').getByText('Photo saved.').waitFor();
    const thumb = card.getByRole('img', { name: 'Your profile photo' });
    await thumb.waitFor();
    expect(await thumb.getAttribute('data-photo-id')).toBe(await myPhotoId());
    expect(await thumb.getAttribute('src')).toMatch(/^data:image\/webp;base64,/);
    await screenshot(page, 'photos-profile-1366x800');
    await expectNoSeriousA11yViolations(page, 'Profile with photo');

    // A GIF with a JPEG's name and type: refused as what it is; the photo stays.
    const gif = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#f00' } })
      .gif()
      .toBuffer();
    const before = await myPhotoId();
    await card
      .getByLabel('Replace your profile photo')
      .setInputFiles({ name: 'cat.jpg', mimeType: 'image/jpeg', buffer: gif });
    await card.getByRole('alert').getByText('That is not a JPEG, PNG or WebP picture. Choose one of those.').waitFor();
    expect(await myPhotoId()).toBe(before);
    await screenshot(page, 'photos-profile-refused-1366x800');

    await card.getByRole('button', { name: 'Remove photo' }).click();
    await card.getByRole('status').getByText('Photo removed.').waitFor();
    await card.getByText('No photo').waitFor();
    expect(await myPhotoId()).toBeNull();
  });

  it('Attendees: the ticket dialog gives an attendee a photo, shown as a thumbnail, replaced and removed', async () => {
    await openAttendeesOf(page, event.title);
    await page.getByRole('button', { name: 'Ticket for Pat Portrait' }).click();
    const dialog = page.getByRole('dialog', { name: 'Ticket for Pat Portrait' });
    await dialog.getByRole('heading', { name: 'Attendee photo (this ticket type requires one)' }).waitFor();
    await dialog.getByText('No photo').waitFor();
    await dialog
      .getByLabel('Upload photo of Pat Portrait')
      .setInputFiles({ name: 'pat.png', mimeType: 'image/png', buffer: await picture('#c62', 1200, 1600) });
    const thumb = dialog.getByRole('img', { name: 'Photo of Pat Portrait' });
    await thumb.waitFor();
    const first = await thumb.getAttribute('data-photo-id');
    const served = await fetch(`${server.baseUrl}/bookings/${booking.id}/photo`, {
      headers: { authorization: `Bearer ${organizer.accessToken}` },
    });
    expect(served.status).toBe(200);
    expect(served.headers.get('etag')).toBe(`"${first}"`);
    await screenshot(page, 'photos-ticket-dialog-1366x800');
    await expectNoSeriousA11yViolations(page, 'Ticket dialog with photo');

    await dialog
      .getByLabel('Replace photo of Pat Portrait')
      .setInputFiles({ name: 'pat2.jpg', mimeType: 'image/jpeg', buffer: await picture('#36c') });
    await expect.poll(() => thumb.getAttribute('data-photo-id')).not.toBe(first);
    const stored = await server.ctx.store.bookings.findById(booking.id);
    expect(stored?.photoId).toBe(await thumb.getAttribute('data-photo-id'));

    await dialog.getByRole('button', { name: 'Remove photo' }).click();
    await dialog.getByText('No photo').waitFor();
    expect((await server.ctx.store.bookings.findById(booking.id))?.photoId ?? null).toBeNull();
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('Event editor: a ticket type is marked "Requires a photo", and the server keeps it', async () => {
    await goTo(page, 'Events');
    await page.getByRole('button', { name: `Edit ${event.title}` }).click();
    const boxes = page.getByRole('checkbox', { name: 'Requires a photo' });
    await expect.poll(() => boxes.count()).toBe(2);
    expect(await boxes.nth(0).isChecked()).toBe(false);
    expect(await boxes.nth(1).isChecked()).toBe(true);
    await boxes.nth(0).check();
    await screenshot(page, 'photos-event-editor-1366x800');
    await page.getByRole('button', { name: 'Save changes' }).click();
    // The edit is an offline-first mutation: it reaches the server with the device's next push.
    const requiresPhoto = async () =>
      (await organizer.api.get<Event>(`/events/${event.id}`)).body.ticketTypes.map(
        (type) => type.requiresPhoto ?? false,
      );
    for (let attempt = 0; attempt < 100 && (await requiresPhoto()).includes(false); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await requiresPhoto()).toEqual([true, true]);
  });
});
