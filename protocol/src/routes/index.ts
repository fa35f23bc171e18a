import { combineRoutes } from '../routing';
import { alertsRoutes } from './alerts';
import { authRoutes } from './auth';
import { bookingRoutes } from './bookings';
import { devicesRoutes } from './devices';
import { eventsRoutes } from './events';
import { healthRoutes } from './health';
import { mailRoutes } from './mail';
import { photosRoutes } from './photos';
import { syncRoutes } from './sync';
import { usersRoutes } from './users';

/**
 * Every HTTP endpoint of the sync server, by name. The server registers each one from here
 * (sync-server/src/http/serve.ts), the OpenAPI document is generated from that registration, and
 * the device's client calls them by this table (`ServerApi.call`), so a path or a shape cannot
 * differ between them. A name or a method + path declared twice throws at load.
 */
export const routes = combineRoutes(
  healthRoutes,
  authRoutes,
  usersRoutes,
  eventsRoutes,
  bookingRoutes,
  devicesRoutes,
  alertsRoutes,
  syncRoutes,
  mailRoutes,
  photosRoutes,
);
export type Routes = typeof routes;
export type RouteName = keyof Routes;
