import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SIZE,
  MIN_HEIGHT,
  MIN_WIDTH,
  readWindowState,
  restoreWindowState,
  WINDOW_STATE_FILE,
  writeWindowState,
} from '../window-state';

const laptop = { x: 0, y: 0, width: 1920, height: 1040 };
const external = { x: 1920, y: 0, width: 2560, height: 1400 };

describe('window state', () => {
  it('round-trips through a JSON file in userData', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-window-'));
    expect(readWindowState(dir)).toBeNull();
    writeWindowState(dir, { bounds: { x: 100, y: 50, width: 1400, height: 900 }, maximized: true });
    expect(JSON.parse(readFileSync(path.join(dir, WINDOW_STATE_FILE), 'utf8'))).toEqual({
      bounds: { x: 100, y: 50, width: 1400, height: 900 },
      maximized: true,
    });
    expect(restoreWindowState(readWindowState(dir), [laptop])).toEqual({
      bounds: { x: 100, y: 50, width: 1400, height: 900 },
      maximized: true,
    });
  });

  it('uses the default size when there is no file or it is damaged', () => {
    const fallback = { bounds: DEFAULT_SIZE, maximized: false };
    expect(restoreWindowState(null, [laptop])).toEqual(fallback);
    expect(restoreWindowState('{not json', [laptop])).toEqual(fallback);
    expect(restoreWindowState('{"bounds":{"x":"1"},"maximized":false}', [laptop])).toEqual(fallback);
    expect(restoreWindowState('{"bounds":{"x":0,"y":0,"width":1e12,"height":10},"maximized":false}', [laptop])).toEqual(
      fallback,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-window-'));
    writeFileSync(path.join(dir, WINDOW_STATE_FILE), '\0\0garbage');
    expect(restoreWindowState(readWindowState(dir), [laptop])).toEqual(fallback);
  });

  it('drops the position when the saved display is gone, keeps the size', () => {
    const saved = JSON.stringify({ bounds: { x: 2200, y: 100, width: 1600, height: 1000 }, maximized: false });
    expect(restoreWindowState(saved, [laptop, external]).bounds).toEqual({
      x: 2200,
      y: 100,
      width: 1600,
      height: 1000,
    });
    expect(restoreWindowState(saved, [laptop]).bounds).toEqual({ width: 1600, height: 1000 });
  });

  it('never restores a window smaller than usable or larger than its display', () => {
    const tiny = JSON.stringify({ bounds: { x: 10, y: 10, width: 200, height: 100 }, maximized: false });
    expect(restoreWindowState(tiny, [laptop]).bounds).toMatchObject({ width: MIN_WIDTH, height: MIN_HEIGHT });
    const huge = JSON.stringify({ bounds: { x: 0, y: 0, width: 5000, height: 3000 }, maximized: false });
    expect(restoreWindowState(huge, [laptop]).bounds).toMatchObject({ width: laptop.width, height: laptop.height });
  });
});
