import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Remembers the window's size, position and maximized state in a small JSON file in userData. A saved
 * position is only reused when it is still on one of the current displays (a monitor may have been
 * unplugged), and sizes are clamped so the app is never restored smaller than it can be used.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

export const WINDOW_STATE_FILE = 'window-state.json';
export const MIN_WIDTH = 1024;
export const MIN_HEIGHT = 640;
export const DEFAULT_SIZE = { width: 1280, height: 800 };

const finite = z.number().int().min(-100_000).max(100_000);
const windowStateSchema = z.object({
  bounds: z.object({ x: finite, y: finite, width: finite, height: finite }),
  maximized: z.boolean(),
});

function overlapArea(a: Rect, b: Rect): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

/**
 * What to open with, given the saved file's text (or null) and the displays' work areas. Without a
 * usable saved state: the default size centred on the first display, without x/y.
 */
export function restoreWindowState(
  savedText: string | null,
  workAreas: readonly Rect[],
): { bounds: Partial<Rect> & { width: number; height: number }; maximized: boolean } {
  const primary = workAreas[0] ?? { x: 0, y: 0, ...DEFAULT_SIZE };
  const fallbackSize = {
    width: Math.max(MIN_WIDTH, Math.min(DEFAULT_SIZE.width, primary.width)),
    height: Math.max(MIN_HEIGHT, Math.min(DEFAULT_SIZE.height, primary.height)),
  };
  let saved: WindowState | null = null;
  if (savedText !== null) {
    try {
      const parsed = windowStateSchema.safeParse(JSON.parse(savedText));
      saved = parsed.success ? parsed.data : null;
    } catch {
      saved = null;
    }
  }
  if (!saved) return { bounds: fallbackSize, maximized: false };

  const display = workAreas.find(
    (area) => overlapArea(area, saved.bounds) >= 0.25 * saved.bounds.width * saved.bounds.height,
  );
  const width = Math.max(MIN_WIDTH, saved.bounds.width);
  const height = Math.max(MIN_HEIGHT, saved.bounds.height);
  if (!display) {
    // Off every current screen: let the OS place it, at a size that fits the primary display.
    return {
      bounds: {
        width: Math.min(width, Math.max(MIN_WIDTH, primary.width)),
        height: Math.min(height, Math.max(MIN_HEIGHT, primary.height)),
      },
      maximized: saved.maximized,
    };
  }
  return {
    bounds: {
      x: saved.bounds.x,
      y: saved.bounds.y,
      width: Math.min(width, display.width),
      height: Math.min(height, display.height),
    },
    maximized: saved.maximized,
  };
}

export function readWindowState(userDataDir: string): string | null {
  try {
    return readFileSync(path.join(userDataDir, WINDOW_STATE_FILE), 'utf8');
  } catch {
    return null;
  }
}

/** Written atomically (temp file + rename) so a crash mid-write leaves the previous state. */
export function writeWindowState(userDataDir: string, state: WindowState): void {
  const file = path.join(userDataDir, WINDOW_STATE_FILE);
  mkdirSync(userDataDir, { recursive: true });
  const temp = `${file}.tmp`;
  writeFileSync(temp, JSON.stringify(windowStateSchema.parse(state)));
  renameSync(temp, file);
}
