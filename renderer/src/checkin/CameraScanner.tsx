import { useEffect, useRef, useState } from 'react';

type Controls = { stop: () => void };

/** The same code seen again within this window is the same ticket still in front of the camera. */
const REPEAT_WINDOW_MS = 3000;

function explainCameraError(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'Camera access was refused. Allow the camera for Gatehouse, or use a USB scanner or the guest search.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'No camera was found. Use a USB scanner or the guest search.';
  if (name === 'NotReadableError') return 'The camera is in use by another program.';
  return 'The camera could not be started. Use a USB scanner or the guest search.';
}

/** ZXing is bundled and loaded on first use, so check-in without a camera never pays for it. */
export function CameraScanner({ onScan }: { onScan: (text: string) => void }) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const controlsRef = useRef<Controls | null>(null);
  const [state, setState] = useState<'off' | 'starting' | 'on'>('off');
  const [problem, setProblem] = useState<string | null>(null);
  const onScanRef = useRef(onScan);
  onScanRef.current = onScan;

  useEffect(() => () => controlsRef.current?.stop(), []);

  async function start(): Promise<void> {
    setProblem(null);
    setState('starting');
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new DOMException('no media devices', 'NotFoundError');
      const { BrowserQRCodeReader } = await import('@zxing/browser');
      const reader = new BrowserQRCodeReader();
      let last = { text: '', at: 0 };
      controlsRef.current = await reader.decodeFromVideoDevice(undefined, videoRef.current!, (result) => {
        if (!result) return;
        const text = result.getText();
        const now = Date.now();
        if (text === last.text && now - last.at < REPEAT_WINDOW_MS) return;
        last = { text, at: now };
        onScanRef.current(text);
      });
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
