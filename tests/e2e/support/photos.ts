import type { Booking, Event } from '@gatehouse/protocol';
import sharp, { type Sharp } from 'sharp';
import { expect } from 'vitest';
import type { SignedIn } from '../../support/users';

/**
 * A stand-in portrait, 480×600: a face drawn in SVG on a light blue ground, in `skin`, with
 * `hair` on top when asked; encode it as a camera or a folder would hold it (`.jpeg()`, `.png()`,
 * `.gif()`, then `.toBuffer()`).
 */
export function portrait(skin: string, { hair = false }: { hair?: boolean } = {}): Sharp {
  return sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="600">
          <rect width="480" height="600" fill="#9cc7e6"/>
          <ellipse cx="240" cy="270" rx="130" ry="165" fill="${skin}"/>
          <circle cx="195" cy="240" r="14" fill="#333"/><circle cx="285" cy="240" r="14" fill="#333"/>
          <path d="M185 340 Q240 385 295 340" stroke="#833" stroke-width="10" fill="none"/>${
            hair ? '\n          <rect x="110" y="90" width="260" height="90" rx="40" fill="#5a3b22"/>' : ''
          }
        </svg>`,
    ),
  );
}

/** A booking of the event's first ticket type for `name`, made by `organizer` over HTTP (201). */
export async function bookAttendee(organizer: SignedIn, event: Event, name: string): Promise<Booking> {
  const made = await organizer.api.post<Booking>(`/events/${event.id}/bookings`, {
    ticketTypeId: event.ticketTypes[0]!.id,
    attendee: { name },
  });
  expect(made.status).toBe(201);
  return made.body;
}
