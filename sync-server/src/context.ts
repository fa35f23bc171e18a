import type { HybridClock } from '@gatehouse/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { Guard } from './auth/guard';
import type { LoginLockout } from './auth/lockout';
import type { TokenService } from './auth/tokens';
import type { AlertService } from './alerts/service';
import type { CheckinService } from './checkins/service';
import type { BookingService } from './bookings/service';
import type { RunningConfig } from './config';
import type { EventService } from './events/service';
import type { RouteServer } from './http/serve';
import type { MailService } from './mail/service';
import type { Store } from './store/port';
import type { TicketService } from './tickets/service';

/**
 * Everything a domain module needs, built once per server and passed explicitly: no module-level
 * state, so two servers (or two tests) in one process never share anything by accident. Domains
 * reach the database only through `store` (the storage port), never a driver.
 */
export type AppContext = {
  config: RunningConfig;
  store: Store;
  log: FastifyBaseLogger;
  /** The server's hybrid logical clock: REST edits are stamped by it, pushed HLCs move it on. */
  clock: HybridClock;
  tokens: TokenService;
  lockout: LoginLockout;
  guard: Guard;
  /** Registers a route of the protocol's route table (http/serve.ts). */
  routes: RouteServer;
  events: EventService;
  bookings: BookingService;
  tickets: TicketService;
  alerts: AlertService;
  checkins: CheckinService;
  /** Email outbox: sweeper of mail hand-offs, sending worker, admin dead letters. */
  mail: MailService;
};
