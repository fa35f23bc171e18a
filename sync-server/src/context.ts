import type { FastifyBaseLogger } from 'fastify';
import type { Db, MongoClient } from 'mongodb';
import type { Guard } from './auth/guard';
import type { LoginLockout } from './auth/lockout';
import type { TokenService } from './auth/tokens';
import type { AlertService } from './alerts/service';
import type { CheckinService } from './checkins/service';
import type { DeviceStore } from './devices/store';
import type { BookingService } from './bookings/service';
import type { ServerConfig } from './config';
import type { EventService } from './events/service';
import type { MailService } from './mail/service';
import type { ChangeLog } from './sync/changelog';
import type { TicketService } from './tickets/service';
import type { UserStore } from './users/store';

/**
 * Everything a domain module needs, built once per server and passed explicitly: no module-level
 * state, so two servers (or two tests) in one process never share anything by accident.
 */
export type AppContext = {
  config: ServerConfig;
  client: MongoClient;
  db: Db;
  log: FastifyBaseLogger;
  users: UserStore;
  tokens: TokenService;
  lockout: LoginLockout;
  guard: Guard;
  /** The single write path to devices: every change a device may see goes through it. */
  changeLog: ChangeLog;
  events: EventService;
  bookings: BookingService;
  tickets: TicketService;
  devices: DeviceStore;
  alerts: AlertService;
  checkins: CheckinService;
  /** Email outbox: sweeper of `mailPending` hand-offs, sending worker, admin dead letters. */
  mail: MailService;
};
