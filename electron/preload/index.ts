import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

/** The only thing the page gets: `window.gatehouse`, the typed invoke/subscribe bridge. */
contextBridge.exposeInMainWorld('gatehouse', createBridge(ipcRenderer));
