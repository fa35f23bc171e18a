import type { DecodeHintType } from '@zxing/library';
import { useEffect, useRef, useState } from 'react';

type Controls = { stop: () => void };

/**
 * The same code is read once while it stays in view: it is read again only after it has been out
 * of the camera's sight this long (ms). A guest who keeps the phone up after the ADMIT is not
 * scanned a second time (that would show DUPLICATE over their own admission).
 */
const REPEAT_WINDOW_MS = 3000;
/** Time between two frames tried (ms): a few reads a second, cheap on a door laptop. */
const FRAME_INTERVAL_MS = 150;

function explainCameraError(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'Camera access was refused. Allow the camera for Gatehouse, or use a USB scanner or the guest search.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'No camera was found. Use a USB scanner or the guest search.';
  if (name === 'NotReadableError') return 'The camera is in use by another program.';
  return 'The camera could not be started. Use a USB scanner or the guest search.';
}

type FrameCanvas = { canvas: HTMLCanvasElement; context: CanvasRenderingContext2D };

/** A canvas to draw frames on; NotReadableError where no 2D canvas can be had. */
function frameCanvas(): FrameCanvas {
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new DOMException('no 2D canvas', 'NotReadableError');
  return { canvas, context };
}

/**
 * Reads QR codes from the camera until stopped. The frame loop is ours, not ZXing's
 * `decodeFromVideoDevice`: that one stops for good on any decoder error other than "no code here"
 * (a frame caught mid-change can throw others), and sizes its canvas once, from the first frame.
 * Here every frame is tried on a canvas of its own size (and at half size), whatever the decoder
 * throws, until one decodes; ZXing is asked to try harder and for QR codes only. `onCode` gets each code once while
 * it stays in view (REPEAT_WINDOW_MS).
 */
async function startReading(video: HTMLVideoElement, onCode: (text: string) => void): Promise<Controls> {
  const [{ BrowserQRCodeReader }, { BarcodeFormat, DecodeHintType: Hint }] = await Promise.all([
    import('@zxing/browser'),
    import('@zxing/library'),
  ]);
  const hints = new Map<DecodeHintType, unknown>([
    [Hint.TRY_HARDER, true],
    [Hint.POSSIBLE_FORMATS, [BarcodeFormat.QR_CODE]],
  ]);
  const reader = new BrowserQRCodeReader(hints);
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  let stopped = false;
  let timer: number | undefined;
  const stop = () => {
    stopped = true;
    window.clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  let full: FrameCanvas;
  let half: FrameCanvas;
  try {
    video.srcObject = stream;
    await video.play();
    full = frameCanvas();
    half = frameCanvas();
  } catch (error) {
    stop();
    throw error;
  }
  // Each frame is tried at its own size and, failing that, at half size: ZXing's detector misses
  // some codes at one scale that it reads at another (measured on drawn tickets: about 1 in 5 at
  // 7-pixel modules, and 1 in 75 once half size is tried too), and a camera shows a code at any size.
  let last = { text: '', seenAt: -Infinity };
  const decode = (target: FrameCanvas, width: number, height: number): string | null => {
    if (target.canvas.width !== width || target.canvas.height !== height) {
      target.canvas.width = width;
      target.canvas.height = height;
    }
    target.context.drawImage(video, 0, 0, width, height);
    try {
      return reader.decodeFromCanvas(target.canvas).getText();
    } catch {
      // No code in this frame at this size, or one the decoder could not read: go on.
      return null;
    }
  };
  const readFrame = () => {
    if (stopped) return;
    const { videoWidth: width, videoHeight: height } = video;
    if (width > 0 && height > 0) {
      const text = decode(full, width, height) ?? decode(half, Math.round(width / 2), Math.round(height / 2));
      if (text !== null) {
        const now = performance.now();
        const again = text === last.text && now - last.seenAt < REPEAT_WINDOW_MS;
        last = { text, seenAt: now };
        if (!again) onCode(text);
      }
    }
    timer = window.setTimeout(readFrame, FRAME_INTERVAL_MS);
  };
  readFrame();
  return { stop };
}

/** ZXing is bundled and loaded on first use, so check-in without a camera never pays for it. */
export function CameraScanner({ onScan }: { onScan: (text: string) => void }) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const controlsRef = useRef<Controls | null>(null);
  const [state, setState] = useState<'off' | 'starting' | 'on'>('off');
  const [problem, setProblem] = useState<string | null>(null);
  const onScanRef = useRef(onScan);
  onScanRef.current = onScan;

  const mountedRef = useRef(true);
  useEffect(
    () => () => {
      mountedRef.current = false;
      controlsRef.current?.stop();
    },
    [],
  );

  async function start(): Promise<void> {
    setProblem(null);
    setState('starting');
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new DOMException('no media devices', 'NotFoundError');
      const controls = await startReading(videoRef.current!, (text) => onScanRef.current(text));
      // Left the screen while the camera was starting: let it go.
      if (!mountedRef.current) return controls.stop();
      controlsRef.current = controls;
      setState('on');
    } catch (error) {
      setState('off');
      setProblem(explainCameraError(error));
    }
  }

  function stop(): void {
    controlsRef.current?.stop();
    controlsRef.current = null;
    setState('off');
  }

  return (
    <section className="card camera" aria-labelledby="camera-title">
      <h2 id="camera-title">Camera</h2>
      <video ref={videoRef} className={state === 'on' ? 'camera-video' : 'camera-video hidden'} muted playsInline />
      {problem ? (
        <p className="notice notice-warning" role="alert">
          {problem}
        </p>
      ) : null}
      {state === 'on' ? (
        <button type="button" className="button-secondary" onClick={stop}>
          Stop camera
        </button>
      ) : (
        <button type="button" className="button-secondary" onClick={() => void start()} disabled={state === 'starting'}>
          {state === 'starting' ? 'Starting camera…' : 'Start camera'}
        </button>
      )}
    </section>
  );
}
