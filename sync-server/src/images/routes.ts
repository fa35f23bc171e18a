import { routes } from '@gatehouse/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context';
import { IMAGE_BODY_ERRORS, PhotoService } from './service';

/** Profile and attendee photos (protocol/src/routes/photos.ts). */
export function registerPhotoRoutes(_app: FastifyInstance, ctx: AppContext): void {
  const { routes: server } = ctx;
  const photos = new PhotoService(ctx.store, ctx.bookings, ctx.events);
  const upload = { rawBodyErrors: IMAGE_BODY_ERRORS };

  server.serve(routes['photos.putMine'], async ({ user, bytes }) => photos.putMine(user, bytes), upload);
  server.serve(routes['photos.deleteMine'], async ({ user }) => {
    await photos.deleteMine(user);
    return { ok: true as const };
  });
  server.serve(routes['photos.user'], async ({ user, params }) => photos.userPhoto(user, params.id));

  server.serve(
    routes['photos.putBooking'],
    async ({ user, params, bytes }) => photos.putBooking(user, params.id, bytes),
    upload,
  );
  server.serve(
    routes['photos.putAttendeeByReference'],
    async ({ user, params, bytes }) => photos.putByReference(user, params.id, params.reference, bytes),
    upload,
  );
  server.serve(routes['photos.deleteBooking'], async ({ user, params }) => {
    await photos.deleteBooking(user, params.id);
    return { ok: true as const };
  });
  server.serve(routes['photos.booking'], async ({ user, params }) => photos.bookingPhoto(user, params.id));
}
