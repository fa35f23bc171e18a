import type { ScanResult } from '@gatehouse/protocol';

type Verdict = ScanResult['verdict'];

/** Staff hear the outcome without looking: one high beep admits, two mid beeps warn, a low buzz refuses. */
const TONES: Record<Verdict, Array<{ hz: number; ms: number; type: OscillatorType }>> = {
  admit: [{ hz: 1320, ms: 120, type: 'sine' }],
  exit: [{ hz: 990, ms: 120, type: 'sine' }],
  duplicate: [
    { hz: 660, ms: 110, type: 'square' },
    { hz: 660, ms: 110, type: 'square' },
  ],
  noReentry: [{ hz: 220, ms: 350, type: 'sawtooth' }],
  cancelled: [{ hz: 220, ms: 350, type: 'sawtooth' }],
  wrongEvent: [{ hz: 220, ms: 350, type: 'sawtooth' }],
  invalid: [{ hz: 180, ms: 350, type: 'sawtooth' }],
};

let context: AudioContext | null = null;

export function playVerdictSound(verdict: Verdict): void {
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') void context.resume();
    let at = context.currentTime;
    for (const tone of TONES[verdict]) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = tone.type;
      oscillator.frequency.value = tone.hz;
      gain.gain.setValueAtTime(0.18, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + tone.ms / 1000);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + tone.ms / 1000);
      at += tone.ms / 1000 + 0.06;
    }
  } catch {
    // No audio device (kiosk, CI): the verdict is still on screen.
  }
}
