import {
  type ChosenSaveFile,
  HOST_TOKEN_META_NAME,
  type GatehouseBridge,
  type RpcMethod,
  type RpcParams,
  type RpcResult,
  type RpcTopic,
  type RpcTopicPayload,
  type SaveFileRequest,
} from '@gatehouse/protocol';
import { toRpcError } from './RpcError';
import { createWebSocketBridge, hostRpcUrl } from './webSocketBridge';

declare global {
  interface Window {
    /** Exposed by Electron's preload; absent in the browser host. */
    gatehouse?: GatehouseBridge;
  }
}

function metaContent(name: string): string | null {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? null;
}

function createBridge(): GatehouseBridge {
  if (window.gatehouse) return window.gatehouse;
  const token = metaContent(HOST_TOKEN_META_NAME);
  if (!token) throw new Error('This page was not served by the Gatehouse host (no host token)');
  return createWebSocketBridge({ url: hostRpcUrl(window.location), token });
}

let bridge: GatehouseBridge | null = null;
function getBridge(): GatehouseBridge {
  bridge ??= createBridge();
  return bridge;
}

/** The renderer's only way to core. Every rejection is an RpcError with a stable code. */
export async function invoke<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResult<M>> {
  try {
    return await getBridge().invoke(method, params);
  } catch (error) {
    throw toRpcError(error);
  }
}

/**
 * Electron's save dialog (main asks the OS; null: cancelled), or null when this host has none —
 * the browser host, which saves exports into the data folder instead. Rejects with an RpcError.
 */
export function saveFileChooser(): ((request: SaveFileRequest) => Promise<ChosenSaveFile | null>) | null {
  const bridge = getBridge();
  if (!bridge.chooseSaveFile) return null;
  return async (request) => {
    try {
      return await bridge.chooseSaveFile!(request);
    } catch (error) {
      throw toRpcError(error);
    }
  };
}

export function subscribe<T extends RpcTopic>(topic: T, listener: (payload: RpcTopicPayload<T>) => void): () => void {
  return getBridge().subscribe(topic, listener);
}

export { metaContent };
