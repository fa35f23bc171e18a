import { useId, type ReactNode } from 'react';
import type { FieldProblem } from './fieldProblems';

/** What a field's control receives: marked invalid (and so outlined) and described by its problem and hint. */
export type FieldAria = { 'aria-invalid'?: true; 'aria-describedby'?: string };

/**
 * A labelled control that shows its problem beside it (`field-invalid` outlines the control,
 * `field-problem` holds the words, which a screen reader reads with the field and announces).
 * `problem` comes from `placeProblems`; null or absent: the field is fine.
 */
export function FormField(props: {
  label: ReactNode;
  problem?: FieldProblem | null | undefined;
  className?: string;
  hint?: string;
  children: (aria: FieldAria) => ReactNode;
}) {
  const id = useId();
  const faulty = Boolean(props.problem);
  const text = props.problem?.text ?? null;
  const describedBy = [text ? `${id}-problem` : null, props.hint ? `${id}-hint` : null].filter(Boolean).join(' ');
  return (
    <label className={`${props.className ?? ''}${faulty ? ' field-invalid' : ''}`.trim() || undefined}>
      {props.label}
      {props.children({
        ...(faulty ? { 'aria-invalid': true } : {}),
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
      })}
      {props.hint ? (
        <span id={`${id}-hint`} className="field-hint">
          {props.hint}
        </span>
      ) : null}
      {text ? (
        <span id={`${id}-problem`} className="field-problem" role="alert">
          {text}
        </span>
      ) : null}
    </label>
  );
}
