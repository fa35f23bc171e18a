import { z } from 'zod';
import type { ErrorDetail, errorCodeSchema } from '../errors';
import type { roleSchema } from '../roles';
import { type ChosenSaveFile, type SaveFileRequest, shellStatusSchema } from '../shell';
import { syncStatusSchema, sessionStateSchema } from './shapes';
import { sessionRpc } from './session';
import { eventsRpc } from './events';
import { bookingsRpc } from './bookings';
import { importsRpc } from './imports';
import { checkinRpc } from './checkin';
import { syncRpc } from './sync';
import { adminRpc } from './admin';
import { profileRpc } from './profile';
import { photosRpc } from './photos';
import { photoImportsRpc } from './photo-imports';

export * from './shapes';

/**
 * The typed contract between the UI (renderer) and the local node (electron/core). One table,
 * method name → params schema → result schema; core registers one handler per method, the renderer's
 * `invoke('name', params)` is checked against the same types, and every transport (Electron IPC via
 * MessagePort, the browser host's WebSocket, tests calling in-process) carries the same frames.
 */
export const rpcMethods = {
  ...sessionRpc,
  ...eventsRpc,
  ...bookingsRpc,
  ...importsRpc,
  ...checkinRpc,
  ...syncRpc,
  ...adminRpc,
  ...profileRpc,
  ...photosRpc,
  ...photoImportsRpc,
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type RpcMethod = keyof typeof rpcMethods;
export type RpcParams<M extends RpcMethod> = z.input<(typeof rpcMethods)[M]['params']>;
export type RpcResult<M extends RpcMethod> = z.infer<(typeof rpcMethods)[M]['result']>;

/** Pushed from core to every connected UI. */
export const rpcTopics = {
  'sync.status': syncStatusSchema,
  /** Which local tables changed, so screens refetch only what they show. */
  'data.changed': z.object({ tables: z.array(z.string()), eventIds: z.array(z.string()) }),
  'session.changed': sessionStateSchema,
  /** Electron shell only: token storage mode and core restarts after a crash (the UI shows a notice). */
  'shell.status': shellStatusSchema,
} as const;
export type RpcTopic = keyof typeof rpcTopics;
export type RpcTopicPayload<T extends RpcTopic> = z.infer<(typeof rpcTopics)[T]>;

/** Frames every transport carries. */
export const rpcRequestFrameSchema = z.strictObject({
  type: z.literal('request'),
  id: z.number().int(),
  method: z.string().max(64),
  params: z.unknown(),
});
export type RpcRequestFrame = z.infer<typeof rpcRequestFrameSchema>;
export type RpcResponseFrame =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | {
      type: 'response';
      id: number;
      ok: false;
      /** `details`: which input was wrong (VALIDATION_FAILED), as the server's error body carries them. */
      error: { code: z.infer<typeof errorCodeSchema>; message: string; details?: ErrorDetail[] };
    };
export type RpcEventFrame = { type: 'event'; topic: RpcTopic; payload: unknown };
export type RpcServerFrame = RpcResponseFrame | RpcEventFrame;

export const roleLabels: Record<z.infer<typeof roleSchema>, string> = {
  admin: 'Admin',
  organizer: 'Organizer',
  staff: 'Check-in staff',
  attendee: 'Attendee',
};

/**
 * What the renderer sees of core, whatever the transport: Electron's preload exposes exactly this
 * as `window.gatehouse`; the browser host's WebSocket client implements the same interface.
 * Rejections carry `{ code, message, details? }` with a code from ERROR_CODES.
 */
export interface GatehouseBridge {
  invoke<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResult<M>>;
  subscribe<T extends RpcTopic>(topic: T, listener: (payload: RpcTopicPayload<T>) => void): () => void;
  /**
   * Electron only (absent in the browser host): asks main to show the save dialog; resolves with
   * the chosen file's token for `exports.save`'s `saveTo`, or null when the user cancelled.
   */
  chooseSaveFile?(request: SaveFileRequest): Promise<ChosenSaveFile | null>;
}

/**
 * Browser host handshake: the host writes a random per-run token into the page (meta tag below); the
 * page's WebSocket must present it in its first message, so no other local page can drive the core.
 */
export const HOST_TOKEN_META_NAME = 'gatehouse-host-token';
/** Optional: the sync server URL the host was started with, pre-filled on the sign-in screen. */
export const HOST_SERVER_URL_META_NAME = 'gatehouse-server-url';
export const HOST_RPC_PATH = '/rpc';
export const hostHelloFrameSchema = z.strictObject({ type: z.literal('hello'), token: z.string().min(16).max(128) });
export type HostHelloFrame = z.infer<typeof hostHelloFrameSchema>;
export type HostReadyFrame = { type: 'ready' };
